// Who is editing: the logged-in user from /auth/me, and the role rules the server
// enforces (mapserver/accounts/roles.py, editing/projects.py), mirrored so the page only offers
// what would be accepted. The server still decides: a refusal is shown as it comes.

import { ProblemError, request, useCsrfToken } from './request.js';

const CITY_WIDE = new Set(['admin', 'dispatcher']);
const EDITORS = new Set(['admin', 'dispatcher', 'county_editor']);

/** Leave for the login page (and come back to this page, query included, after it). */
export function goToLogin() {
  const here = window.location.pathname + window.location.search;
  window.location.assign(`/login?next=${encodeURIComponent(here)}`);
}

/**
 * The current user, with the CSRF token installed for writes. Without a session the
 * page goes to the login page and this never resolves (nothing else should start).
 */
export async function loadSession() {
  try {
    const { body } = await request('GET', '/auth/me');
    useCsrfToken(body.csrf_token);
    return body;
  } catch (error) {
    if (error instanceof ProblemError && error.status === 401) {
      goToLogin();
      return new Promise(() => {});
    }
    throw error;
  }
}

/**
 * What `me` may do. County editors edit their own county's projects only; admins and
 * dispatchers every project; viewers nothing.
 */
export function permissions(me) {
  const cityWide = CITY_WIDE.has(me.role);
  const canEdit = EDITORS.has(me.role);
  return {
    canEdit,
    cityWide,
    county: cityWide ? null : me.county,
    mayEdit: (properties) => canEdit && (cityWide || properties.county === me.county),
  };
}

/** End the session on the server (the cookie stops working everywhere). */
export async function logout() {
  await request('POST', '/logout');
}
