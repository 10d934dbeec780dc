// p3-delay: awaits the monotonic clock for ?ms=N ms (default 40), then 200 "waited N ms".
// The I/O-bound handler: while one request waits, the instance takes others (they interleave).
import { queryMs, sleepMs, textResponse } from './lib.js';

export const handler = {
  async handle(request) {
    const ms = queryMs(request, 40);
    await sleepMs(ms);
    return textResponse(200, `waited ${ms} ms`);
  },
};
