// 现场照片 in the detail panel: a project's latest site photos (/battle/photos), each a
// thumbnail with its date and where it was taken: 现场 (on site), 偏离 Xm (off site) or
// 无定位 (no GPS). Nothing is shown when the server has no photos API or the project none.

import { lockedSection } from './access.js';
import { getJSON } from '../common/api.js';
import { el } from '../common/dom.js';

const LIMIT = 4;

/** The mark of a photo's place, e.g. "偏离 320m". */
export function siteMark(photo) {
  if (photo.site === 'on_site') return '现场';
  if (photo.site === 'off_site') return `偏离 ${Math.round(Number(photo.distance_m) || 0)}m`;
  return '无定位';
}

function thumb(photo) {
  const day = photo.taken_at ? String(photo.taken_at).slice(0, 10) : '时间未知';
  const img = el('img', { attrs: { src: photo.thumbnail_url, alt: `现场照片 ${day}`, loading: 'lazy' } });
  return el('li', { attrs: { 'data-id': photo.id, 'data-site': photo.site } }, [
    el('a', { attrs: { href: photo.url, target: '_blank', rel: 'noopener' } }, [img]),
    el('span', { className: 'photo-day', text: day }),
    el('span', { className: 'photo-site', text: siteMark(photo) }),
  ]);
}

/**
 * The photo section of project `code`, or null when there is nothing to show (no API, an
 * error, no photos); `offered` 'locked': the reader may not see them (登录后可见).
 * @param {{code: string, offered: boolean|string, signal?: AbortSignal}} options
 * @returns {Promise<HTMLElement|null>}
 */
export async function photoSection({ code, offered, signal }) {
  if (offered === 'locked') return lockedSection('现场照片');
  if (!offered) return null;
  let body;
  try {
    body = await getJSON(`/battle/photos?project=${encodeURIComponent(code)}&limit=${LIMIT}`, { signal });
  } catch {
    return null; // the section is a bonus: the panel stands without it
  }
  const items = (body && body.items) || [];
  if (!items.length) return null;
  return el('section', { className: 'detail-photos', attrs: { 'data-field': 'photos' } }, [
    el('h3', { text: '现场照片' }),
    el('ol', { className: 'photos' }, items.slice(0, LIMIT).map(thumb)),
  ]);
}
