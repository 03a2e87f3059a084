// Questions that need an answer before something is lost or deleted, in the page's own
// dialog (a native confirm() would block the page and cannot be styled or tested).

import { byId, setText } from '../common/dom.js';

/**
 * Ask; resolves true for the confirming button, false for cancel or Escape.
 * @param {{title: string, text: string, confirm: string, danger?: boolean}} question
 */
export function ask({ title, text, confirm, danger = false }) {
  const dialog = byId('dialog');
  setText(byId('dialog-title'), title);
  setText(byId('dialog-text'), text);
  const yes = byId('dialog-confirm');
  setText(yes, confirm);
  yes.classList.toggle('danger', danger);
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'confirm'), { once: true });
  });
}
