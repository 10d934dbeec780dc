/** The load generator: `runLoad` and what it takes and returns. */
export { runLoad, checkReachable, LoadTargetError } from './run-load.ts';
export {
  DEFAULT_CONNECTIONS,
  DEFAULT_DURATION_MS,
  DEFAULT_TIMEOUT_MS,
  HTTP_METHODS,
  InvalidLoadOptionsError,
  loadOptionsSchema,
  resolveLoadOptions,
  type HttpMethod,
  type LoadErrors,
  type LoadOptions,
  type LoadProgressUpdate,
  type LoadSummary,
  type ResolvedLoadOptions,
} from './options.ts';
export { LatencyHistogram, type LatencyStats } from './histogram.ts';
export { formatMs, formatSummary, fractionDone, progressLine, toLoadProgress } from './report.ts';
