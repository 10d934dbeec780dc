// js-counter: 200 "count=N", N = requests this instance has handled. `count` is module-level:
// it survives between requests on one instance and starts over in a new one (the Wizer snapshot
// is taken before any request, with count = 0).
import { respondText } from './lib.js';

let count = 0;

export const incomingHandler = {
  handle(_request, outparam) {
    count += 1;
    respondText(outparam, 200, `count=${count}`);
  },
};
