/**
 * The body length a response head declares, or null when it declares none (a chunked body) or
 * nothing usable: repeated `content-length` values that differ, or one that is not 1*DIGIT. Names
 * arrive lowercased (the guest's `fields` store them so), values as the guest's bytes.
 */
export function declaredContentLength(headers: ReadonlyArray<readonly [string, Uint8Array]>): number | null {
  let length: number | null = null;
  for (const [name, value] of headers) {
    if (name !== 'content-length') continue;
    const text = new TextDecoder('latin1').decode(value).trim();
    if (!/^\d+$/.test(text)) return null;
    const parsed = Number(text);
    if (!Number.isSafeInteger(parsed) || (length !== null && parsed !== length)) return null;
    length = parsed;
  }
  return length;
}
