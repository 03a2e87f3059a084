// The header clock and the "last data update" time.

import { setText } from '../common/dom.js';
import { day, time } from '../common/format.js';

/**
 * Tick a clock into `timeNode` / `dayNode` every second, aligned to the second.
 * @returns {{stop: function()}}
 */
export function startClock({ timeNode, dayNode }) {
  let timer = null;
  const tick = () => {
    const now = new Date();
    setText(timeNode, time(now));
    setText(dayNode, day(now));
    timer = setTimeout(tick, 1000 - (Date.now() % 1000) + 5);
  };
  tick();
  return { stop: () => clearTimeout(timer) };
}

/** Show when the data on screen last changed. */
export function markUpdated(node, when = new Date()) {
  setText(node, time(when));
  node.setAttribute('datetime', when.toISOString());
}
