/**
 * What jco must transpile as async (JSPI) for this host: the WASIp2 calls that may wait, which
 * return Promises here (see wait.ts), and the export whose calls may contain them.
 *
 * Unversioned on purpose: jco matches `namespace#name` against whichever 0.2.x version the
 * component imports (and `namespace@version#name` only against that exact version), and it
 * ignores names a component does not import. So one list fits every component, and WASIp3
 * components too, whose wasip2 runtime imports these (there jco drives the export's async tasks
 * through JSPI already; a blocking call suspends the task's stack the same way).
 */

export const ASYNC_IMPORTS: string[] = [
  'wasi:io/poll#poll',
  'wasi:io/poll#[method]pollable.block',
  'wasi:io/streams#[method]input-stream.blocking-read',
  'wasi:io/streams#[method]input-stream.blocking-skip',
  'wasi:io/streams#[method]output-stream.blocking-write-and-flush',
  'wasi:io/streams#[method]output-stream.blocking-flush',
  'wasi:io/streams#[method]output-stream.blocking-write-zeroes-and-flush',
  'wasi:io/streams#[method]output-stream.blocking-splice',
];

export const ASYNC_EXPORTS: string[] = ['wasi:http/incoming-handler#handle'];
