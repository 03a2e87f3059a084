// The header of the reporting and review pages: who is logged in, the links their role
// may use, and logging out.

import { byId, setHook, setText } from './dom.js';
import { goToLogin, loadSession, logout, permissions } from './session.js';

/** Load the session (going to the login page without one) and fill the header. */
export async function startHeader() {
  const me = await loadSession();
  const rights = permissions(me);
  setText(byId('user-name'), me.display_name || me.username);
  setText(byId('user-role'), [me.role_title, me.county_name].filter(Boolean).join(' · '));
  for (const node of document.querySelectorAll('[data-city-wide]')) node.hidden = !rights.cityWide;
  byId('logout').addEventListener('click', async () => {
    await logout().catch(() => {});
    goToLogin();
  });
  setHook('role', me.role);
  return { me, rights };
}

/** The page could not start: say so in its error line, and mark it for the tests. */
export function showPageError(error) {
  setHook('state', 'error');
  const line = byId('page-error');
  setText(line, `页面加载失败：${error.problem?.detail || error.message}`);
  line.hidden = false;
  console.error(error);
}
