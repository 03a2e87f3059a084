// The connection indicator in the header.

import { setHook, setText } from '../common/dom.js';

const TEXT = {
  connecting: '正在连接…',
  open: '实时连接',
  reconnecting: '正在重连…',
  closed: '连接中断，正在重连',
};

/** Show a stream status ('connecting' | 'open' | 'reconnecting' | 'closed'). */
export function showConnection({ element, label, status }) {
  element.dataset.status = status;
  setText(label, TEXT[status] || status);
  setHook('connection', status === 'open' ? 'open' : status === 'connecting' ? 'connecting' : 'closed');
}
