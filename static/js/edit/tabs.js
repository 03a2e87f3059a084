// The right-hand panel's tabs (属性 / 历史 / 导入): one panel visible at a time.

import { setHook } from '../common/dom.js';

/**
 * Tabs from `root`'s [data-tab] buttons and the panels with the ids they name
 * (aria-controls). `onShow(name)` runs when a tab is chosen.
 */
export function createTabs({ root, onShow }) {
  const buttons = [...root.querySelectorAll('[data-tab]')];
  let shown = buttons.find((b) => b.getAttribute('aria-selected') === 'true')?.dataset.tab;
  const show = (name) => {
    shown = name;
    for (const button of buttons) {
      const active = button.dataset.tab === name;
      button.setAttribute('aria-selected', String(active));
      document.getElementById(button.getAttribute('aria-controls')).hidden = !active;
    }
    setHook('tab', name);
    onShow(name);
  };
  root.addEventListener('click', (event) => {
    const button = event.target.closest('[data-tab]');
    if (button) show(button.dataset.tab);
  });
  return { show, isShown: (name) => shown === name };
}
