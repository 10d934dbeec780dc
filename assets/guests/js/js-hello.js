// js-hello: 200 "Hello, WASI!" (componentize-js / StarlingMonkey, wasi:http 0.2).
import { respondText } from './lib.js';

export const incomingHandler = {
  handle(_request, outparam) {
    respondText(outparam, 200, 'Hello, WASI!');
  },
};
