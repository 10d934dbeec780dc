/** The baseline: a bare node:http server answering `Hello, WASI!`, announcing itself like `poolscope serve`. */
import { createServer } from 'node:http';
import { tcpAddress } from '../server/listen.ts';

const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('Hello, WASI!');
});
server.listen(0, '127.0.0.1', () => {
  process.stderr.write(`Serving HTTP on http://127.0.0.1:${tcpAddress(server).port}/\n`);
});
const stop = (): void => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
