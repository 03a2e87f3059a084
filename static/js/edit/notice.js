// One line of feedback over the map: what was saved, what was refused, what went wrong.

import { setHook, setText } from '../common/dom.js';

/**
 * @param {HTMLElement} element  the notice box; `kind` goes to its data-kind (ok, info, error)
 */
export function createNotice(element) {
  let timer = null;
  const clear = () => {
    clearTimeout(timer);
    element.hidden = true;
    setText(element, '');
    setHook('notice', null);
  };
  return {
    /** Show `text`; an 'ok' or 'info' notice fades after a while, an error stays. */
    show(text, kind = 'error') {
      clearTimeout(timer);
      setText(element, text);
      element.dataset.kind = kind;
      element.hidden = false;
      setHook('notice', kind);
      if (kind !== 'error') timer = setTimeout(clear, 8000);
    },
    clear,
  };
}
