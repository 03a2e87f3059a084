// Who may read what on the big screen (docs/access.md). Record panels the reader may not
// read say so (登录后可见) and ask nothing, so an anonymous screen makes no refused
// request; a screen whose token is revoked leaves for a page that says so, and stops.

import { el, setHook } from '../common/dom.js';

export const LOCKED_TEXT = '登录后可见';
export const REVOKED_PAGE = '/screen/revoked';

/** Replace the rows of each list node with the note. */
export function lockLists(nodes) {
  for (const node of nodes) {
    node.replaceChildren(el('li', { className: 'locked', text: LOCKED_TEXT }));
    node.setAttribute('data-count', '0');
  }
  setHook('records', 'locked');
}

/** The 问题清单 panel in `root`, locked: a panel that never asks the server. */
export function lockedPanel(root) {
  lockLists([...root.querySelectorAll('[data-part="list"]')]);
  return { refresh: () => Promise.resolve(), schedule() {} };
}

/** A section of the detail panel the reader may not read: its title and the note. */
export function lockedSection(title) {
  return el('section', { className: 'detail-photos', attrs: { 'data-field': 'photos', 'data-locked': 'true' } }, [
    el('h3', { text: title }),
    el('p', { className: 'locked', text: LOCKED_TEXT }),
  ]);
}

/** The screen's token was revoked: leave for the page that says so (no script there, so
 * nothing of this page keeps polling). */
export function accessRevoked() {
  setHook('access', 'revoked');
  window.location.replace(REVOKED_PAGE);
}
