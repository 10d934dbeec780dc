/**
 * js-fetch-event (served as `demo:js-fetch-event`): the usual componentize-js handler,
 * `addEventListener('fetch', (event) => event.respondWith(new Response(…)))`, with no
 * `incomingHandler` export, so componentize-js keeps StarlingMonkey's fetch event and routes
 * `wasi:http/incoming-handler@0.2.10#handle` to it.
 *
 * A fresh instance answers 200 `Hello from a fetch event!`. A reused one does not: in
 * componentize-js 0.22 the second fetch event on an instance throws `FetchEvent#respondWith can't
 * be called twice on the same event` and sets no response (StarlingMonkey issue 247). Nothing
 * here is wrong; the runtime keeps per-instance state it should not.
 *
 * Used by engine/test/zoo.test.ts and as a state-leak teaching demo: `poolscope leaks
 * demo:js-fetch-event` reports request 2 as "failed on reuse" (reused failed, fresh succeeded).
 */
addEventListener('fetch', (event) => {
  event.respondWith(new Response('Hello from a fetch event!', { headers: { 'content-type': 'text/plain' } }));
});
