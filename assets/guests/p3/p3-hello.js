// p3-hello: 200, body "Hello, WASI!".
import { textResponse } from './lib.js';

export const handler = {
  async handle(_request) {
    return textResponse(200, 'Hello, WASI!');
  },
};
