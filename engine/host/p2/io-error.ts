/**
 * wasi:io/error: the `error` resource carried by `stream-error.last-operation-failed`.
 *
 * Besides its debug message it can carry a domain error code, which the `*-error-code` functions
 * of other interfaces (`wasi:http/types.http-error-code`, `wasi:filesystem/types.filesystem-error-code`)
 * hand back to the guest.
 */

export class IoError {
  readonly message: string;
  /** A `wasi:http/types.error-code` value (`HttpErrorCode` of http-error.ts, which imports this
   * module), when the failure came from an HTTP body. */
  readonly httpCode: { tag: string; val?: unknown } | undefined;
  /** A `wasi:filesystem/types.error-code` value, when the failure came from a file. */
  readonly fsCode: string | undefined;

  constructor(message: string, httpCode?: { tag: string; val?: unknown }, fsCode?: string) {
    this.message = message;
    this.httpCode = httpCode;
    this.fsCode = fsCode;
  }

  toDebugString(): string {
    return this.message;
  }
}

export const ioErrorImports = { Error: IoError };
