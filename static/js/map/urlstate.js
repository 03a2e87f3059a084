// The page URL as the saved view: /?working_group=transport&county=511621,511622

/**
 * Read the filter state from a query string, keeping only codes the layer knows.
 * @param {{filters: Array<{name: string, values: Array<{code: string}>}>, search?: string}} options
 * @returns {Object<string, string[]>} every filter name → selected codes (in vocabulary order)
 */
export function readFilters({ filters, search = window.location.search }) {
  const params = new URLSearchParams(search);
  const state = {};
  for (const filter of filters) {
    const asked = new Set(params.getAll(filter.name).flatMap((v) => v.split(',')));
    state[filter.name] = filter.values.map((v) => v.code).filter((code) => asked.has(code));
  }
  return state;
}

/** Page options that are not filters. */
export function readOptions(search = window.location.search) {
  const params = new URLSearchParams(search);
  const interval = Number(params.get('interval'));
  return {
    kiosk: ['1', 'true', 'yes'].includes(params.get('kiosk') || ''),
    interval: Number.isFinite(interval) && interval >= 1 ? interval : null,
    project: params.get('project') || null,
    color: params.get('color') === 'health' ? 'health' : 'status',
  };
}

/**
 * Write filters (and the selected project) into the URL without reloading; other
 * parameters (kiosk, interval) stay.
 */
export function writeState({ filters, project = null }) {
  const params = new URLSearchParams(window.location.search);
  for (const [name, codes] of Object.entries(filters)) {
    if (codes.length) params.set(name, codes.join(','));
    else params.delete(name);
  }
  if (project) params.set('project', project);
  else params.delete('project');
  const query = params.toString().replaceAll('%2C', ',');
  const url = `${window.location.pathname}${query ? `?${query}` : ''}`;
  if (url !== `${window.location.pathname}${window.location.search}`) {
    window.history.replaceState(null, '', url);
  }
}

/** Set (or, with null, remove) one page option in the URL without reloading. */
export function writeOption(name, value) {
  const params = new URLSearchParams(window.location.search);
  if (value === null || value === undefined) params.delete(name);
  else params.set(name, value);
  const query = params.toString().replaceAll('%2C', ',');
  window.history.replaceState(null, '', `${window.location.pathname}${query ? `?${query}` : ''}`);
}
