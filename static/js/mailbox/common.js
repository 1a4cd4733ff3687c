/*
 * What every part of the mailbox needs: the boot data and strings, the
 * user's settings and the date and size formats that follow them, the API
 * call, toasts, and the page's long-lived elements. Imports nothing of the
 * mailbox, so every other module can import it.
 */

import { $, el, icon } from '../lib/dom.js';

// ---- boot data, strings, helpers -------------------------------------

export var boot = {};
try {
  boot = JSON.parse(document.body.getAttribute('data-petrel') || '{}');
} catch (e) {
  boot = {};
}
var L = boot.lang || {};
// The user's settings (Settings API); settings.js changes them through applyPrefs().
var userPrefs = boot.settings || {};
var PER_PAGE = Math.max(1, Math.min(500, Number(userPrefs.messagesPerPage || boot.messagesPerPage) || 25));
var ZONE = '';
export var SITE_TITLE = (document.querySelector('.brand-name') || {}).textContent || 'Petrel';
var LANG = document.documentElement.lang || 'en';
var LOCALE = LANG === 'en' ? 'en-GB' : LANG;
export var SPECIAL_ICONS = { inbox: 'inbox', drafts: 'drafts', sent: 'sent', junk: 'junk', trash: 'trash', archive: 'archive' };
export var SPECIAL_NAMES = {
  inbox: 'L_MAIL_INBOX', drafts: 'L_MAIL_DRAFTS', sent: 'L_MAIL_SENT',
  junk: 'L_MAIL_JUNK', trash: 'L_MAIL_TRASH', archive: 'L_MAIL_ARCHIVE_FOLDER'
};
export var SORT_LABELS = { date: 'L_MAIL_SORT_DATE', from: 'L_MAIL_SORT_FROM', subject: 'L_MAIL_SORT_SUBJECT', size: 'L_MAIL_SORT_SIZE', arrival: 'L_MAIL_SORT_DATE' };
export var POLL_MS = 60000;

export function t(key, fallback) {
  return Object.prototype.hasOwnProperty.call(L, key) ? L[key] : (fallback || key);
}
// t() with {name} placeholders.
export function tf(key, fallback, vars) {
  return t(key, fallback).replace(/\{(\w+)\}/g, function (m, k) {
    return Object.prototype.hasOwnProperty.call(vars, k) ? String(vars[k]) : m;
  });
}

export function prefs() { return userPrefs; }
export function perPage() { return PER_PAGE; }
export function shownZone() { return ZONE; }
// After SettingsSave: take the new values at once (the language needs a reload).
export function applyPrefs(s) {
  userPrefs = s || userPrefs;
  PER_PAGE = Math.max(1, Math.min(500, Number(userPrefs.messagesPerPage) || PER_PAGE));
  document.documentElement.dataset.theme = userPrefs.theme || 'auto';
  makeFormats();
}

var numFmt;
try { numFmt = new Intl.NumberFormat(LOCALE); } catch (e) { numFmt = new Intl.NumberFormat('en'); }
export function num(n) { return numFmt.format(n); }

// Dates are shown in the user's time zone (settings "timeZone"), else the browser's.
export function zoneKnown(z) {
  try { new Intl.DateTimeFormat('en', { timeZone: z }); return true; } catch (e) { return false; }
}
// zone: undefined = the shown zone; 'UTC' for wall-clock times (below).
function dtf(opts, zone) {
  var o = Object.assign({}, opts);
  if (zone || ZONE) o.timeZone = zone || ZONE;
  try { return new Intl.DateTimeFormat(LOCALE, o); } catch (e) { return new Intl.DateTimeFormat('en-GB', o); }
}
// The formats of the shown zone, made again when the settings change.
export var fmt = {};
// A floating iCalendar time or a date without time is a wall-clock value,
// the same in every zone: it is kept as that time in UTC and shown in UTC.
export var wall = {
  time: dtf({ hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }, 'UTC'),
  date: dtf({ day: 'numeric', month: 'short', year: 'numeric' }, 'UTC'),
  full: dtf({ weekday: 'short', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }, 'UTC'),
  ymd: dtf({ year: 'numeric', month: '2-digit', day: '2-digit' }, 'UTC')
};
function makeFormats() {
  ZONE = userPrefs.timeZone && zoneKnown(userPrefs.timeZone) ? userPrefs.timeZone : '';
  fmt.time = dtf({ hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  fmt.day = dtf({ day: 'numeric', month: 'short' });
  fmt.date = dtf({ day: 'numeric', month: 'short', year: 'numeric' });
  fmt.full = dtf({ weekday: 'short', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  fmt.zone = dtf({ weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' });
  fmt.ymd = dtf({ year: 'numeric', month: '2-digit', day: '2-digit' });
}
makeFormats();
// "YYYY-MM-DD" of d in the shown zone: same day / same year tests.
export function dayKey(d) {
  var p = {};
  (d.wall ? wall.ymd : fmt.ymd).formatToParts(d).forEach(function (x) { p[x.type] = x.value; });
  return p.year + '-' + p.month + '-' + p.day;
}

export function shortDate(ts) {
  if (!ts) return '';
  var d = new Date(ts * 1000);
  var day = dayKey(d), today = dayKey(new Date());
  if (day === today) return fmt.time.format(d);
  if (day.slice(0, 4) === today.slice(0, 4)) return fmt.day.format(d);
  return fmt.date.format(d);
}
export function fullDate(ts) { return ts ? fmt.full.format(new Date(ts * 1000)) : ''; }

export function size(bytes) {
  bytes = Number(bytes) || 0;
  if (bytes < 1024) return num(bytes) + ' ' + t('L_MAIL_UNIT_B', 'B');
  if (bytes < 1024 * 1024) return num(Math.round(bytes / 1024)) + ' ' + t('L_MAIL_UNIT_KB', 'KB');
  return (bytes / 1048576).toLocaleString(LOCALE, { maximumFractionDigits: 1 }) + ' ' + t('L_MAIL_UNIT_MB', 'MB');
}

function hashCode(s) {
  var h = 0;
  for (var i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return Math.abs(h);
}
function initials(name, email) {
  var src = (name || '').replace(/["'<>()]/g, '').trim();
  if (!src) src = (email || '?').split('@')[0];
  var parts = src.split(/[\s._-]+/).filter(Boolean);
  var s = parts.length > 1 ? parts[0][0] + parts[parts.length - 1][0] : src.slice(0, 2);
  return Array.from(s).slice(0, 2).join('').toUpperCase();
}
export function fillAvatar(node, name, email) {
  node.textContent = initials(name, email);
  node.className = node.className.replace(/\bav-\d\b/g, '').trim() + ' av-' + (hashCode((email || name || '').toLowerCase()) % 8);
}

export var isPhoneMq = window.matchMedia('(max-width: 700px)');
export function isPhone() { return isPhoneMq.matches; }

export function store(key, value) {
  try {
    if (value === undefined) return localStorage.getItem('petrel.' + key);
    localStorage.setItem('petrel.' + key, value);
  } catch (e) { /* private mode */ }
  return null;
}

// ---- elements -----------------------------------------------------------

export var app = $('app');
export var listEl = $('list');
export var listPane = $('list-pane');
export var foldersEl = $('folders');
export var searchForm = $('search-form');
export var searchInput = $('search-input');
export var selectAll = $('select-all');
export var toolbar = $('list-toolbar');
var progress = $('progress');

// ---- API ----------------------------------------------------------------

var busy = 0;
var busyTimer = null;
function setBusy(delta) {
  busy += delta;
  if (busy > 0 && !busyTimer && progress.hidden) {
    busyTimer = setTimeout(function () { busyTimer = null; if (busy > 0) progress.hidden = false; }, 120);
  } else if (busy <= 0) {
    busy = 0;
    clearTimeout(busyTimer);
    busyTimer = null;
    progress.hidden = true;
  }
}

export function api(action, body, opts) {
  opts = opts || {};
  if (!opts.quiet) setBusy(1);
  return fetch('/api/' + action, {
    method: 'POST',
    credentials: 'same-origin',
    headers: {
      'Content-Type': 'application/json',
      'Accept': 'application/json',
      'X-Petrel-Token': boot.csrf || ''
    },
    body: JSON.stringify(body || {}),
    signal: opts.signal
  }).then(function (resp) {
    return resp.json().catch(function () { return {}; }).then(function (data) {
      if (resp.status === 401 && action !== 'Logout') {
        location.assign('/');
        throw Object.assign(new Error(t('L_ERROR_SESSION_EXPIRED', 'Your session has ended.')), { silent: true });
      }
      if (!resp.ok) {
        var err = (data && data.error) || {};
        throw Object.assign(new Error(err.message || t('L_ERROR_INTERNAL', 'An internal error occurred.')),
          { code: err.code, status: resp.status, detail: err.detail });
      }
      return data;
    });
  }, function (e) {
    if (e && e.name === 'AbortError') throw Object.assign(new Error('aborted'), { silent: true, aborted: true });
    throw new Error(t('L_ERROR_NETWORK', 'Petrel could not be reached.'));
  }).finally(function () {
    if (!opts.quiet) setBusy(-1);
  });
}

export function fail(err) {
  if (err && err.silent) return;
  toast(err && err.message ? err.message : String(err), { error: true });
}

// ---- toasts ---------------------------------------------------------------

// A short message at the bottom; returns a function that dismisses it early.
export function toast(text, opts) {
  opts = opts || {};
  var box = el('div', 'toast' + (opts.error ? ' error' : ''));
  box.setAttribute('role', opts.error ? 'alert' : 'status');
  box.appendChild(el('span', 'toast-text', text));
  var close = el('button', 'icon-btn');
  close.type = 'button';
  close.setAttribute('aria-label', t('L_MAIL_CLOSE', 'Close'));
  close.appendChild(icon('close', 'icon-sm'));
  box.appendChild(close);
  var toasts = $('toasts');
  while (toasts.children.length >= 3) toasts.firstChild.remove();
  toasts.appendChild(box);
  var gone = false;
  function dismiss() {
    if (gone) return;
    gone = true;
    box.classList.add('leaving');
    setTimeout(function () { box.remove(); }, 220);
  }
  close.addEventListener('click', dismiss);
  setTimeout(dismiss, opts.error ? 8000 : 4500);
  return dismiss;
}
