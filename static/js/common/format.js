// Number and date formatting for the big screen (amounts are stored in 万元).

// Hand-written rather than Intl.NumberFormat: building a zh-CN formatter loads ICU locale
// data, ~100 ms of the page's start-up on the big-screen PCs we measured (bench/RESULTS.md).

/** Thousands separators on the integer part of a plain decimal string, e.g. "-1234.50". */
function group(text) {
  const [whole, fraction] = text.split('.');
  const sign = whole.startsWith('-') ? '-' : '';
  const digits = sign ? whole.slice(1) : whole;
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction === undefined ? sign + grouped : `${sign}${grouped}.${fraction}`;
}

/** n rounded to `digits` decimals, grouped; never "-0". */
function fixed(n, digits) {
  const text = n.toFixed(digits);
  return group(Number(text) === 0 ? (0).toFixed(digits) : text);
}

const grouped = { format: (n) => fixed(n, 2) };
const integer = { format: (n) => fixed(n, 0) };

/** 万元 → 亿元 with two decimals, e.g. 123456.7 → "12.35". */
export function yi(wan) {
  return grouped.format((Number(wan) || 0) / 10000);
}

/** 万元 with two decimals and thousands separators. */
export function wan(value) {
  return grouped.format(Number(value) || 0);
}

/** An amount in 万元 as text with its unit; large ones also in 亿元. */
export function money(value) {
  if (value === null || value === undefined || value === '') return '—';
  const n = Number(value);
  const text = `${wan(n)} 万元`;
  return n >= 10000 ? `${text}（${yi(n)} 亿元）` : text;
}

/** A count, e.g. 1,234. */
export function count(value) {
  return integer.format(Number(value) || 0);
}

/** A rate 0…1 (or more) as a percentage with one decimal; null → "—". */
export function percent(rate) {
  if (rate === null || rate === undefined || !Number.isFinite(Number(rate))) return '—';
  return `${(Number(rate) * 100).toFixed(1)}%`;
}

/** Annual-plan completion of one project: approved reports this year / annual plan. */
export function completion(props) {
  const plan = Number(props.annual_plan);
  if (!plan) return null;
  return Number(props.year_to_date) / plan;
}

const pad = (n) => String(n).padStart(2, '0');

/** HH:MM:SS of a Date. */
export function time(date) {
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** YYYY年M月D日 星期X of a Date. */
export function day(date) {
  const weekday = '日一二三四五六'[date.getDay()];
  return `${date.getFullYear()}年${date.getMonth() + 1}月${date.getDate()}日 星期${weekday}`;
}

/**
 * Code-point order of two strings, for sorting codes and ISO dates. Not localeCompare:
 * its first call loads ICU's collation data, ~30 ms of the page's start-up.
 */
export function byCodePoint(a, b) {
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
