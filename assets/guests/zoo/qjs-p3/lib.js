// Helpers shared by the zoo's componentize-qjs (WASIp3) guests, bundled into each at build time.
// QuickJS here has no TextEncoder, URL or console.
import { Fields, Response } from 'wasi:http/types@0.3.0';

/** ASCII/Latin-1 text → bytes. */
export function ascii(text) {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
  return bytes;
}

/** A thrown WIT error (a `header-error`, an `error-code`, …) or an Error as text. */
export function describe(error) {
  if (error !== null && typeof error === 'object' && 'tag' in error) {
    return error.val === undefined || error.val === null ? String(error.tag) : `${error.tag}(${String(error.val)})`;
  }
  return error instanceof Error ? error.message : String(error);
}

/** `[name, value]` entries copied into a new `fields`, one `append` each; throws a sentence naming the entry refused. */
export function copyIntoFields(entries, what) {
  const fields = new Fields();
  for (const [name, value] of entries) {
    try {
      fields.append(name, value);
    } catch (error) {
      throw new Error(`copying ${what} '${name}' failed: ${describe(error)}`);
    }
  }
  return fields;
}

/** GET, POST, … from a `method` variant. */
export function methodName(method) {
  return method.tag === 'other' ? method.val : method.tag.toUpperCase();
}

/** A response with `status` and `text` as its whole body, written by a task that outlives `handle`. */
export function textResponse(status, text) {
  const body = wit.Stream(wit.Stream.U8);
  const trailers = wit.Future(wit.Future.RESULT_OPTION_OTHER_ERROR_CODE);
  const [response, transmitted] = Response.new(new Fields(), body.readable, trailers.readable);
  transmitted.drop();
  if (status !== 200) response.setStatusCode(status);
  (async () => {
    await body.writable.writeAll(ascii(text));
    body.writable.drop();
    await trailers.writable.write({ tag: 'ok', val: null });
  })();
  return response;
}
