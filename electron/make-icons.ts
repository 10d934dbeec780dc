/**
 * Renders the app icon (assets/icon.svg) into what the platforms want, and commits nothing else:
 *   assets/icon.png            1024 px (window icon; electron-builder's source image)
 *   assets/icons/NxN.png       16 … 1024 px (Linux: AppImage, deb, hicolor theme)
 *   assets/icon.ico            16 … 256 px, PNG-compressed entries (Windows)
 *   assets/icon.icns           16 … 1024 px, PNG entries (macOS)
 * PNGs come from `rsvg-convert` (librsvg: `apt-get install librsvg2-bin`, `brew install librsvg`);
 * the .ico and .icns containers are written here, byte by byte (both are simple: a directory of
 * PNG payloads), so no ImageMagick or iconutil is needed.
 *
 *   node electron/make-icons.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ASSETS = fileURLToPath(new URL('../assets/', import.meta.url));
const SOURCE = join(ASSETS, 'icon.svg');
const SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024] as const;

function render(size: number): Buffer {
  return execFileSync(
    'rsvg-convert',
    ['--width', String(size), '--height', String(size), '--keep-aspect-ratio', SOURCE],
    { maxBuffer: 64 * 1024 * 1024 },
  );
}

/** ICO: a 6-byte header, 16 bytes per entry, then the PNG payloads (Vista+ reads PNG entries). */
export function ico(images: ReadonlyArray<{ size: number; png: Buffer }>): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2); // 1 = icon
  header.writeUInt16LE(images.length, 4);
  const entries: Buffer[] = [];
  let offset = 6 + 16 * images.length;
  for (const { size, png } of images) {
    const entry = Buffer.alloc(16);
    entry.writeUInt8(size >= 256 ? 0 : size, 0); // 0 means 256
    entry.writeUInt8(size >= 256 ? 0 : size, 1);
    entry.writeUInt8(0, 2); // no palette
    entry.writeUInt8(0, 3);
    entry.writeUInt16LE(1, 4); // colour planes
    entry.writeUInt16LE(32, 6); // bits per pixel
    entry.writeUInt32LE(png.length, 8);
    entry.writeUInt32LE(offset, 12);
    offset += png.length;
    entries.push(entry);
  }
  return Buffer.concat([header, ...entries, ...images.map((i) => i.png)]);
}

/** ICNS: 'icns' + total length, then (type, length, PNG) blocks; lengths include their 8-byte headers. */
export function icns(blocks: ReadonlyArray<{ type: string; png: Buffer }>): Buffer {
  const parts = blocks.map(({ type, png }) => {
    const head = Buffer.alloc(8);
    head.write(type, 0, 'latin1');
    head.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([head, png]);
  });
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'latin1');
  head.writeUInt32BE(8 + parts.reduce((n, p) => n + p.length, 0), 4);
  return Buffer.concat([head, ...parts]);
}

function main(): void {
  readFileSync(SOURCE); // fail early and clearly if the source is missing
  const png = new Map<number, Buffer>(SIZES.map((size) => [size, render(size)]));
  const get = (size: number): Buffer => {
    const rendered = png.get(size);
    if (!rendered) throw new Error(`no ${size} px icon was rendered (SIZES lists the ones that are)`);
    return rendered;
  };
  mkdirSync(join(ASSETS, 'icons'), { recursive: true });
  for (const size of SIZES) writeFileSync(join(ASSETS, 'icons', `${size}x${size}.png`), get(size));
  writeFileSync(join(ASSETS, 'icon.png'), get(1024));
  writeFileSync(
    join(ASSETS, 'icon.ico'),
    ico([16, 24, 32, 48, 64, 128, 256].map((size) => ({ size, png: get(size) }))),
  );
  writeFileSync(
    join(ASSETS, 'icon.icns'),
    icns([
      { type: 'icp4', png: get(16) },
      { type: 'icp5', png: get(32) },
      { type: 'icp6', png: get(64) },
      { type: 'ic07', png: get(128) },
      { type: 'ic08', png: get(256) },
      { type: 'ic09', png: get(512) },
      { type: 'ic10', png: get(1024) }, // 512@2x
      { type: 'ic11', png: get(32) }, // 16@2x
      { type: 'ic12', png: get(64) }, // 32@2x
      { type: 'ic13', png: get(256) }, // 128@2x
      { type: 'ic14', png: get(512) }, // 256@2x
    ]),
  );
  process.stderr.write(`icons written to ${ASSETS} (icon.png, icons/*.png, icon.ico, icon.icns)\n`);
}

if (import.meta.main) main();
