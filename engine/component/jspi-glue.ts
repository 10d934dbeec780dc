/**
 * A fix-up of the glue jco-transpile (0.15) generates in JSPI mode. When an async host import
 * without a `result` return (`pollable.block`, `poll`) rejects, the trampoline returns its host
 * task's completion promise, which never settles for a host task: the guest would stay
 * suspended forever instead of trapping, and an aborted instance's stack would never unwind.
 * The sync glue rethrows at that point; this makes the JSPI glue do the same, so the rejection
 * is thrown into the suspended wasm stack and `handle` rejects with it. (Imports returning a
 * `result` already rethrow errors that carry no `payload`.)
 */

const HANGING_REJECTION =
  /(\[Instruction::CallInterface\] error during async call'[\s\S]*?)return task\.completionPromise\(\);/g;

export function rethrowHostImportRejections(glue: string): string {
  return glue.replace(HANGING_REJECTION, '$1throw err;');
}
