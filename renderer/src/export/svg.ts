/**
 * A chart's SVG (recharts draws SVG) as a standalone file: a copy with every element's computed
 * style inlined (the page's CSS and its custom properties do not travel with the file), on the
 * panel's background, with the chart's title and a legend (its series) drawn above the plot.
 */

/** One series in the exported legend: its name, colour and dash pattern (none for a solid line). */
export interface LegendEntry {
  name: string;
  color: string;
  dash?: string;
}

export interface SvgHeader {
  title: string;
  /** The series named above the plot; by default, the lines found in the chart. */
  legend?: readonly LegendEntry[];
  /** Fill behind the chart (the panel's background), so the file reads the same anywhere. */
  background: string;
  /** Text colour of the title and legend. */
  color: string;
}

export interface SerializedSvg {
  text: string;
  width: number;
  height: number;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** The styles an SVG drawing depends on; the rest of the computed style is layout the file does not need. */
const STYLE_PROPERTIES = [
  'fill',
  'fill-opacity',
  'stroke',
  'stroke-width',
  'stroke-dasharray',
  'stroke-opacity',
  'stroke-linecap',
  'stroke-linejoin',
  'opacity',
  'visibility',
  'display',
  'font-family',
  'font-size',
  'font-weight',
  'text-anchor',
  'dominant-baseline',
] as const;

const TITLE_ROW = 20;
const LEGEND_ROW = 16;
const PAD = 8;

/** The chart's own SVG inside an element (a recharts wrapper's or a live plot's, not a legend icon's). */
export function chartSvgIn(root: Element): SVGSVGElement | null {
  if (root instanceof SVGSVGElement) return root;
  return root.querySelector<SVGSVGElement>('.recharts-wrapper > svg') ?? root.querySelector<SVGSVGElement>('svg');
}

/** The chart's lines as drawn (each curve, recharts' or a live plot's, carries its series' `name`), for a legend. */
function legendOf(svg: SVGSVGElement): LegendEntry[] {
  return [...svg.querySelectorAll('path.recharts-line-curve[name], path.chart-line[name]')].map((path) => {
    const dash = path.getAttribute('stroke-dasharray');
    return {
      name: path.getAttribute('name') ?? '',
      color: path.getAttribute('stroke') ?? 'currentColor',
      ...(dash ? { dash } : {}),
    };
  });
}

/** Copies computed styles onto the clone, element by element (a clone keeps the original's order). */
function inlineStyles(original: SVGSVGElement, clone: SVGSVGElement): void {
  const from = [original, ...original.querySelectorAll('*')];
  const to = [clone, ...clone.querySelectorAll('*')];
  for (const [i, source] of from.entries()) {
    const target = to[i];
    if (!target) break;
    const computed = getComputedStyle(source);
    const declarations = STYLE_PROPERTIES.map((p) => `${p}:${computed.getPropertyValue(p)}`).join(';');
    target.setAttribute('style', declarations);
  }
}

function el(name: string, attributes: Record<string, string | number>, text?: string): SVGElement {
  const node = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Serializes a chart's SVG as a standalone document with the header above it. */
export function serializeChartSvg(svg: SVGSVGElement, header: SvgHeader): SerializedSvg {
  const box = svg.getBoundingClientRect();
  const plotW = Math.max(1, Math.round(box.width));
  const plotH = Math.max(1, Math.round(box.height));
  const legend = header.legend ?? legendOf(svg);
  const top = PAD + TITLE_ROW + legend.length * LEGEND_ROW;
  const width = plotW;
  const height = top + plotH + PAD;
  const font = getComputedStyle(svg).getPropertyValue('font-family') || 'sans-serif';

  const root = el('svg', { xmlns: SVG_NS, width, height, viewBox: `0 0 ${width} ${height}` });
  root.append(el('rect', { x: 0, y: 0, width, height, fill: header.background }));
  root.append(
    el(
      'text',
      { x: PAD, y: PAD + 13, fill: header.color, 'font-family': font, 'font-size': 13, 'font-weight': 600 },
      header.title,
    ),
  );
  // One legend entry per row: file names are long, and a row never overflows the chart's width.
  for (const [i, entry] of legend.entries()) {
    const y = PAD + TITLE_ROW + i * LEGEND_ROW + 8;
    root.append(
      el('line', {
        x1: PAD,
        y1: y,
        x2: PAD + 24,
        y2: y,
        stroke: entry.color,
        'stroke-width': 2,
        ...(entry.dash ? { 'stroke-dasharray': entry.dash } : {}),
      }),
    );
    root.append(
      el('text', { x: PAD + 30, y: y + 4, fill: header.color, 'font-family': font, 'font-size': 11 }, entry.name),
    );
  }

  const plot = svg.cloneNode(true);
  if (!(plot instanceof SVGSVGElement)) throw new Error('cloning an <svg> gave something else');
  inlineStyles(svg, plot);
  plot.setAttribute('x', '0');
  plot.setAttribute('y', String(top));
  plot.setAttribute('width', String(plotW));
  plot.setAttribute('height', String(plotH));
  if (!plot.hasAttribute('viewBox')) plot.setAttribute('viewBox', `0 0 ${plotW} ${plotH}`);
  root.append(plot);
  return { text: new XMLSerializer().serializeToString(root), width, height };
}

/**
 * A canvas (the timeline) as SVG: its pixels embedded as a PNG image under the same header. The
 * timeline draws thousands of bars per frame from live state, so a bitmap of what is on screen is
 * the faithful copy; the SVG wrapper is there for tools and documents that take SVG only.
 */
export function canvasAsSvg(pngDataUrl: string, width: number, height: number, header: SvgHeader): SerializedSvg {
  const top = PAD + TITLE_ROW;
  const total = top + height + PAD;
  const root = el('svg', { xmlns: SVG_NS, width, height: total, viewBox: `0 0 ${width} ${total}` });
  root.append(el('rect', { x: 0, y: 0, width, height: total, fill: header.background }));
  root.append(
    el(
      'text',
      { x: PAD, y: PAD + 13, fill: header.color, 'font-family': 'sans-serif', 'font-size': 13, 'font-weight': 600 },
      header.title,
    ),
  );
  root.append(el('image', { x: 0, y: top, width, height, href: pngDataUrl }));
  return { text: new XMLSerializer().serializeToString(root), width, height: total };
}
