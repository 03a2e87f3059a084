// Small DOM helpers. Text always goes in through textContent, never as HTML.

/**
 * Create an element.
 * @param {string} tag
 * @param {{className?: string, text?: string, attrs?: Object<string,string>}} [options]
 * @param {Node[]} [children]
 */
export function el(tag, options = {}, children = []) {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.text !== undefined && options.text !== null) node.textContent = String(options.text);
  for (const [name, value] of Object.entries(options.attrs || {})) {
    node.setAttribute(name, String(value));
  }
  for (const child of children) node.append(child);
  return node;
}

/** Set a text if it changed (keeps the DOM quiet on repeated updates). */
export function setText(node, text) {
  const value = text === undefined || text === null ? '' : String(text);
  if (node.textContent !== value) node.textContent = value;
}

/** Find a required element by id. */
export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`页面缺少元素 #${id}`);
  return node;
}

/**
 * Test and monitoring hooks: attributes on the document element
 * (data-state, data-feature-count, data-last-event-id, data-connection, …).
 */
export function setHook(name, value) {
  const root = document.documentElement;
  if (value === undefined || value === null) root.removeAttribute(`data-${name}`);
  else root.setAttribute(`data-${name}`, String(value));
}
