import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatHostPort, parseSocketAddress } from './socket-address.ts';

describe('socket addresses', () => {
  it('reads HOST:PORT, [IPv6]:PORT and a bare port (on 127.0.0.1)', () => {
    assert.deepEqual(parseSocketAddress('0.0.0.0:8080'), { host: '0.0.0.0', port: 8080 });
    assert.deepEqual(parseSocketAddress('[::1]:0'), { host: '::1', port: 0 });
    assert.deepEqual(parseSocketAddress('9000'), { host: '127.0.0.1', port: 9000 });
  });

  it('refuses what is not an address, naming the value', () => {
    for (const text of ['localhost', ':80', '127.0.0.1:65536', '::1:80', '127.0.0.1:-1']) {
      assert.throws(() => parseSocketAddress(text), {
        message: `'${text}' is not an address of the form HOST:PORT (e.g. 127.0.0.1:8080; port 0 picks a free one)`,
      });
    }
  });

  it('writes an IPv6 host in brackets, as a URL or a Host header does', () => {
    assert.equal(formatHostPort('127.0.0.1', 8080), '127.0.0.1:8080');
    assert.equal(formatHostPort('::1', 8080), '[::1]:8080');
    assert.equal(formatHostPort('localhost', 80), 'localhost:80');
  });
});
