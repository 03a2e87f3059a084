// 现场照片: photos taken on site, uploaded one request per file with its progress; the
// server reads time and place from the EXIF and says whether it was taken on site.
// Without the photos API (404) the section stays hidden.

import { el, setHook, setText } from '../common/dom.js';
import { getJson } from '../common/records.js';
import { currentCsrfToken, ProblemError } from '../common/request.js';

const SITES = { on_site: '现场拍摄', off_site: '非现场', no_location: '无位置信息' };

function thumb(photo) {
  const where = SITES[photo.site] || '';
  const distance = photo.site === 'off_site' && photo.distance_m != null ? `（距项目 ${Math.round(photo.distance_m)} 米）` : '';
  const img = el('img', { attrs: { src: photo.thumbnail_url, alt: photo.caption || '现场照片', loading: 'lazy' } });
  return el('li', { className: `photo site-${photo.site}`, attrs: { 'data-id': photo.id } }, [
    el('a', { attrs: { href: photo.url, target: '_blank', rel: 'noopener' } }, [img]),
    el('span', { className: 'photo-meta', text: [photo.taken_at, where + distance].filter(Boolean).join(' · ') }),
  ]);
}

/** POST one file; `onProgress(fraction)` while it goes up. Resolves to the photo. */
function upload(file, { project, caption, report }, onProgress) {
  const form = new FormData();
  form.append('file', file);
  form.append('project', project);
  if (caption) form.append('caption', caption);
  if (report) form.append('report', String(report));
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/battle/photos');
    xhr.setRequestHeader('Accept', 'application/json');
    const token = currentCsrfToken();
    if (token) xhr.setRequestHeader('X-CSRFToken', token);
    xhr.upload.addEventListener('progress', (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); });
    xhr.addEventListener('load', () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { body = { title: xhr.statusText }; }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(new ProblemError(xhr.status, body || {}));
    });
    xhr.addEventListener('error', () => reject(new ProblemError(0, { detail: '网络错误，未能上传' })));
    xhr.send(form);
  });
}

function progressRow(file) {
  const bar = el('progress', { attrs: { max: 1, value: 0 } });
  const text = el('span', { className: 'upload-text', text: file.name });
  return { row: el('li', { className: 'upload' }, [text, bar]), bar, text };
}

/**
 * @param {{section: HTMLElement, list: HTMLElement, picker: HTMLInputElement,
 *          uploads: HTMLElement, caption: HTMLInputElement, project: string,
 *          report: function(): (number|null)}} options  report: the month's report, if any
 */
export async function mountPhotos({ section, list, picker, uploads, caption, project, report }) {
  let items;
  try {
    items = (await getJson('/battle/photos', { project })).items;
  } catch (error) {
    if (error instanceof ProblemError && (error.status === 404 || error.status === 405)) {
      section.hidden = true;
      setHook('photos', 'absent');
      return;
    }
    throw error;
  }
  section.hidden = false;
  list.replaceChildren(...items.map(thumb));
  setHook('photos', items.length);
  picker.addEventListener('change', async () => {
    const files = [...picker.files];
    picker.value = '';
    for (const file of files) {
      const { row, bar, text } = progressRow(file);
      uploads.append(row);
      try {
        const fields = { project, caption: caption.value.trim(), report: report() };
        const photo = await upload(file, fields, (f) => { bar.value = f; });
        row.remove();
        list.prepend(thumb(photo));
      } catch (error) {
        row.classList.add('failed');
        setText(text, `${file.name}：上传失败：${error.problem?.detail || error.message}`);
      }
    }
    setHook('photos', list.children.length);
  });
}
