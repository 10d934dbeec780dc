/**
 * The file a worker thread starts from. In the packaged desktop app the engine sits inside
 * `app.asar`, with its files also unpacked beside it (electron-builder `asarUnpack`): threads start
 * from the real files in `app.asar.unpacked`, so Node's own loader reads (and type-strips) them and
 * their imports, without depending on Electron's asar layer. Elsewhere the URL is unchanged.
 */
export function threadEntry(url: URL): URL {
  return url.href.includes('/app.asar/') ? new URL(url.href.replace('/app.asar/', '/app.asar.unpacked/')) : url;
}
