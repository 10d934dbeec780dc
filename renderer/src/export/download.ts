/**
 * Saves a Blob as a file the way both a browser and Electron's renderer can: an object URL behind
 * `<a download>` (Electron's session turns the click into a download as a browser does).
 */
export function saveBlob(fileName: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  // The download holds its own reference by now; the URL only has to outlive the click.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** `poolscope-requests-per-second-2026-12-01T10-34-44Z.svg`: what was exported, and when. */
export function exportFileName(what: string, extension: 'png' | 'svg', at: Date = new Date()): string {
  const name = what.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'chart';
  const stamp = at
    .toISOString()
    .replace(/\.\d+(?=Z$)/, '')
    .replace(/:/g, '-');
  return `poolscope-${name}-${stamp}.${extension}`;
}
