// The review page (/review): dispatchers and administrators approve or return what the
// counties submitted. Other roles see a note; the server refuses them anyway.

import { byId, setHook, setText } from '../common/dom.js';
import { showPageError, startHeader } from '../common/header.js';
import { createReviewMap } from './map.js';
import { mountQueue } from './queue.js';

async function start() {
  const { rights } = await startHeader();
  if (!rights.cityWide) {
    setText(byId('queue-summary'), '只有市级调度员和管理员可以审核。');
    setHook('state', 'ready');
    return;
  }
  const map = await createReviewMap(byId('review-map'));
  await mountQueue({
    list: byId('queue'), summary: byId('queue-summary'), notice: byId('queue-notice'),
    dialog: byId('return-dialog'), map,
  });
  setHook('state', 'ready');
}

start().catch(showPageError);
