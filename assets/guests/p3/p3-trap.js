// p3-trap: on path /trap it throws. Under componentize-qjs an exception escaping an export that
// is not an error-code value makes the runtime panic, i.e. the component traps (`unreachable`)
// and the instance is dead. Any other path: awaits ?ms=N ms (default 0), then 200 "ok".
import { pathOf, queryMs, sleepMs, textResponse } from './lib.js';

export const handler = {
  async handle(request) {
    if (pathOf(request) === '/trap') throw new Error('p3-trap: trapping on /trap');
    await sleepMs(queryMs(request, 0));
    return textResponse(200, 'ok');
  },
};
