/**
 * Exports what an element shows as PNG or SVG: a chart (its SVG, see svg.ts) or a canvas (the
 * timeline: PNG straight from its pixels, SVG with those pixels embedded). The file is downloaded.
 */
import { exportFileName, saveBlob } from './download.ts';
import { canvasToPng, flattenCanvas, svgToPng } from './png.ts';
import { canvasAsSvg, chartSvgIn, serializeChartSvg, type LegendEntry, type SvgHeader } from './svg.ts';

export type ExportFormat = 'png' | 'svg';

export interface ExportRequest {
  /** Shown as the file's title, and named in the file name. */
  title: string;
  /** The file name's subject (`requests-per-second`). */
  fileBase: string;
  legend?: readonly LegendEntry[];
}

/** The first opaque background from the element up: what the chart is seen on. */
function backgroundOf(element: Element): string {
  for (let node: Element | null = element; node; node = node.parentElement) {
    const color = getComputedStyle(node).backgroundColor;
    if (color && color !== 'transparent' && !/^rgba\(.*,\s*0\)$/.test(color)) return color;
  }
  return '#ffffff';
}

/** Makes the file for `target` and starts its download; returns its name. */
export async function exportView(target: Element, format: ExportFormat, request: ExportRequest): Promise<string> {
  const header: SvgHeader = {
    title: request.title,
    legend: request.legend,
    background: backgroundOf(target),
    color: getComputedStyle(target).color || '#000000',
  };
  const fileName = exportFileName(request.fileBase, format);
  const canvas = target instanceof HTMLCanvasElement ? target : target.querySelector('canvas');
  if (canvas) {
    const flat = flattenCanvas(canvas, header.background);
    if (format === 'png') {
      saveBlob(fileName, await canvasToPng(flat));
    } else {
      // The canvas is drawn at the screen's pixel density; the SVG shows it at its CSS size.
      const box = canvas.getBoundingClientRect();
      const svg = canvasAsSvg(flat.toDataURL('image/png'), Math.round(box.width), Math.round(box.height), header);
      saveBlob(fileName, new Blob([svg.text], { type: 'image/svg+xml' }));
    }
    return fileName;
  }
  const chart = chartSvgIn(target);
  if (!chart) throw new Error(`${request.title} has no chart drawn yet to export`);
  const svg = serializeChartSvg(chart, header);
  saveBlob(fileName, format === 'svg' ? new Blob([svg.text], { type: 'image/svg+xml' }) : await svgToPng(svg));
  return fileName;
}
