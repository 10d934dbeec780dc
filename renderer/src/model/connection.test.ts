import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { disconnectedBanner, headerStatus, livePace, type LinkInfo } from './connection.ts';

const open: LinkInfo = { status: 'open', attempts: 0, error: null };
const firstConnect: LinkInfo = { status: 'connecting', attempts: 0, error: null };
// What websocket-client.ts reports when an open socket closes (the engine died), then each failed retry.
const lost: LinkInfo = { status: 'connecting', attempts: 1, error: 'connection lost' };
const retrying: LinkInfo = {
  status: 'connecting',
  attempts: 3,
  error: 'cannot connect to the engine (refused or unreachable)',
};

describe('connection view', () => {
  it('live: the serving state as the engine says', () => {
    assert.deepEqual(headerStatus(open, true, null), {
      pill: 'serving',
      pillText: 'Serving',
      link: 'live',
      linkText: 'live',
    });
    assert.equal(headerStatus(open, false, null).pill, 'stopped');
    assert.equal(disconnectedBanner(open), null);
  });

  it('a lost link never claims Serving, and says it is reconnecting', () => {
    for (const link of [lost, retrying]) {
      const h = headerStatus(link, true, null);
      assert.equal(h.pill, 'unknown');
      assert.equal(h.link, 'reconnecting');
      const banner = disconnectedBanner(link);
      assert.ok(banner);
      assert.match(banner.title, /Disconnected from the engine — reconnecting/);
      assert.equal(banner.canRetry, true);
    }
    assert.match(disconnectedBanner(retrying)?.detail ?? '', /Attempt 3 \(cannot connect/);
  });

  it('the first connect of a page shows no banner; a closed link says so without retry', () => {
    assert.equal(headerStatus(firstConnect, false, null).link, 'connecting');
    assert.equal(disconnectedBanner(firstConnect), null);
    const closed = disconnectedBanner({ status: 'closed', attempts: 0, error: 'No engine bridge' });
    assert.deepEqual(closed, { title: 'Not connected to an engine', detail: 'No engine bridge', canRetry: false });
  });

  it('a replay never looks live, whatever the link and the serving state', () => {
    for (const link of [open, lost]) {
      const h = headerStatus(link, true, 'run.poolscope.json');
      assert.deepEqual(h, {
        pill: 'replay',
        pillText: 'Replay of run.poolscope.json',
        link: 'replay',
        linkText: 'not live',
      });
    }
  });

  it('the live indicator says how often updates come once the page has slowed them, and nothing at the quiet pace', () => {
    assert.equal(livePace(250), null);
    assert.equal(livePace(999), null);
    assert.equal(livePace(1000)?.text, 'every 1 s');
    assert.equal(livePace(1730)?.text, 'every 1.7 s');
    assert.equal(livePace(2000)?.text, 'every 2 s');
    assert.match(livePace(2000)?.title ?? '', /updates come every 2 s\. While events come fast/);
  });
});
