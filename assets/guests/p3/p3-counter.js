// p3-counter: 200 "count=N", N = requests this instance has handled (a module-level variable,
// so it survives between requests on one instance and starts over in a new one).
import { textResponse } from './lib.js';

let count = 0;

export const handler = {
  async handle(_request) {
    count += 1;
    return textResponse(200, `count=${count}`);
  },
};
