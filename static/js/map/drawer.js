// The filter drawer of a phone: a button opens and closes it (so does Escape). On a wide
// screen the drawer is only a wrapper (CSS) and the buttons are not shown.

import { setHook } from '../common/dom.js';

/**
 * @param {{drawer: HTMLElement, toggle: HTMLButtonElement, close: HTMLButtonElement}} options
 * @returns {{open: function(boolean)}} open(false) closes it
 */
export function createDrawer({ drawer, toggle, close }) {
  const open = (on) => {
    drawer.classList.toggle('open', on);
    toggle.setAttribute('aria-expanded', String(on));
    setHook('drawer', on ? 'open' : 'closed');
  };
  toggle.addEventListener('click', () => open(!drawer.classList.contains('open')));
  close.addEventListener('click', () => {
    open(false);
    toggle.focus();
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && drawer.classList.contains('open')) open(false);
  });
  open(false);
  return { open };
}
