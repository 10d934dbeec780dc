/**
 * PNG through a canvas: an exported SVG drawn at twice its size (crisp on a high-density screen or
 * a slide), or a canvas copied onto its background. The SVG goes in as a `data:` URL, which the
 * page's Content-Security-Policy allows for images (`img-src 'self' data:`) where `blob:` is not.
 */
import type { SerializedSvg } from './svg.ts';

/** Pixels per CSS pixel of an exported SVG's PNG. */
export const PNG_SCALE = 2;
/** The largest PNG side drawn (browsers refuse canvases much beyond this); larger charts are scaled down to fit. */
export const MAX_PNG_SIDE = 8192;

function toBlob(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) =>
    canvas.toBlob(
      (blob) => (blob ? resolve(blob) : reject(new Error('the browser could not encode the PNG'))),
      'image/png',
    ),
  );
}

function context(canvas: HTMLCanvasElement): CanvasRenderingContext2D {
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('this browser gives no 2D canvas to draw the PNG on');
  return ctx;
}

export async function svgToPng(svg: SerializedSvg): Promise<Blob> {
  const image = new Image();
  image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg.text)}`;
  await image.decode();
  const scale = Math.min(PNG_SCALE, MAX_PNG_SIDE / Math.max(svg.width, svg.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(svg.width * scale);
  canvas.height = Math.round(svg.height * scale);
  context(canvas).drawImage(image, 0, 0, canvas.width, canvas.height);
  return toBlob(canvas);
}

/** A canvas's pixels on `background` (the timeline clears to transparent between frames). */
export function flattenCanvas(source: HTMLCanvasElement, background: string): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = source.width;
  canvas.height = source.height;
  const ctx = context(canvas);
  ctx.fillStyle = background;
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(source, 0, 0);
  return canvas;
}

export const canvasToPng = (canvas: HTMLCanvasElement): Promise<Blob> => toBlob(canvas);
