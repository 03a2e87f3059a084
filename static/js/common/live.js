// The live change stream (/events, Server-Sent Events) with reconnect and back-off.

import { sawVersion } from './api.js';

/**
 * A stream that can be (re)started from a data version.
 * @param {{url?: string, onChange: function(object), onStatus: function(string),
 *          onDay?: function(string), onRevoked?: function(), minDelay?: number, maxDelay?: number}} options
 *   onStatus gets 'connecting', 'open' or 'closed'; onDay the server's date (YYYY-MM-DD)
 *   on each connection and when it turns; onRevoked when the server ends the stream for good
 *   (a revoked screen token).
 */
export function createLiveStream(options) {
  const ctx = {
    url: options.url || '/events',
    onChange: options.onChange,
    onStatus: options.onStatus,
    onDay: options.onDay || (() => {}),
    onRevoked: options.onRevoked || (() => {}),
    minDelay: options.minDelay || 1000,
    maxDelay: options.maxDelay || 30000,
    source: null,
    timer: null,
    attempts: 0,
    lastId: null,
    running: false,
  };
  return {
    /** (Re)start from a version: every change after `since` (null: from now). */
    start(since) {
      stop(ctx);
      ctx.lastId = since;
      ctx.attempts = 0;
      ctx.running = true;
      open(ctx);
    },
    stop: () => stop(ctx),
    lastId: () => ctx.lastId,
  };
}

function stop(ctx) {
  ctx.running = false;
  clearTimeout(ctx.timer);
  ctx.timer = null;
  close(ctx);
}

function close(ctx) {
  if (!ctx.source) return;
  ctx.source.onopen = null;
  ctx.source.onerror = null;
  ctx.source.close();
  ctx.source = null;
}

function open(ctx) {
  const url = ctx.lastId === null ? ctx.url : `${ctx.url}?since=${ctx.lastId}`;
  const source = new EventSource(url);
  ctx.source = source;
  ctx.onStatus(ctx.attempts ? 'reconnecting' : 'connecting');
  source.onopen = () => {
    ctx.attempts = 0;
    ctx.onStatus('open');
  };
  source.onerror = () => retry(ctx);
  source.addEventListener('change', (event) => receive(ctx, source, event));
  source.addEventListener('day', (event) => {
    if (source === ctx.source) ctx.onDay(JSON.parse(event.data));
  });
  // The database's history is not the one this page saw (restored or replaced): start over.
  source.addEventListener('reset', () => window.location.reload());
  source.addEventListener('revoked', () => {
    stop(ctx);
    ctx.onRevoked();
  });
}

function receive(ctx, source, event) {
  if (source !== ctx.source) return;
  let change;
  try {
    change = JSON.parse(event.data);
  } catch {
    return;
  }
  const id = Number(event.lastEventId || change.id);
  if (ctx.lastId !== null && id <= ctx.lastId) return;
  ctx.lastId = id;
  sawVersion(id);
  ctx.onChange(change, id);
}

/** Close, show the loss, and reopen with since=<last id> after a growing, jittered delay. */
function retry(ctx) {
  close(ctx);
  if (!ctx.running) return;
  ctx.onStatus('closed');
  const base = Math.min(ctx.maxDelay, ctx.minDelay * 2 ** ctx.attempts);
  ctx.attempts += 1;
  clearTimeout(ctx.timer);
  ctx.timer = setTimeout(() => {
    ctx.timer = null;
    if (ctx.running) open(ctx);
  }, base * (0.75 + Math.random() * 0.5));
}
