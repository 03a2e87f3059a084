// The right-hand column's two views below the filters: 'now' (问题清单 and 最新动态; on the
// kiosk also the county board) and 'changes' (本期变化). Buttons switch on the screen; the kiosk tour
// alternates. The view is the document's data-side (CSS shows and hides the panels).

import { setHook } from '../common/dom.js';

/**
 * @param {{buttons: HTMLButtonElement[], offered: boolean, onShow?: function(string)}} options
 *   buttons carry data-side (the view they show); without the changes API (`offered`
 *   false) they stay hidden and the view stays 'now'.
 * @returns {{show: function(string)}}
 */
export function createSideViews({ buttons, offered, onShow = () => {} }) {
  const show = (view) => {
    const next = offered && view === 'changes' ? 'changes' : 'now';
    setHook('side', next);
    onShow(next);
  };
  for (const button of buttons) {
    button.hidden = !offered;
    button.addEventListener('click', () => show(button.dataset.side));
  }
  show('now');
  return { show };
}
