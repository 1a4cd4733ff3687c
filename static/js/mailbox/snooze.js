// Snooze (issue 17; docs/API.md "Snooze"): a clock button in the list
// toolbar (for the selection) and in the message toolbar (for the open
// message) with presets in the user's time zone (later today, tomorrow
// morning, this weekend, next week) and a date/time picker; `b` opens it.
// In the Snoozed folder each row shows its wake time instead of its date,
// and the menu offers "Unsnooze now". Messages come back by themselves:
// Petrel moves them to INBOX at their time (no browser needed).
import { $, el, icon } from '../lib/dom.js';
import { api, fail, foldersEl, listEl, num, shownZone, t, tf, toast, toolbar } from './common.js';
import { getOpenMenuBtn, getOpenUid, getRoute, selection, setOpenMenuBtn } from './state.js';
import { closeMenus } from './chrome.js';
import { loadList, refreshCounts, removeRows } from './list.js';
import { navigate } from './router.js';

var snoozedFolder = null; // the Snoozed folder's path, once known
var wakeTimes = new Map(); // uid in the Snoozed folder -> wake time

function zone() {
  return shownZone() || Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}
function lang() { var l = document.documentElement.lang || 'en'; return l === 'en' ? 'en-GB' : l; }

// The wall-clock parts of instant ms in zone z (weekday 0 = Sunday).
function partsIn(ms, z) {
  var p = {};
  new Intl.DateTimeFormat('en-US', {
    timeZone: z, hourCycle: 'h23', weekday: 'short', year: 'numeric', month: 'numeric',
    day: 'numeric', hour: 'numeric', minute: 'numeric'
  }).formatToParts(new Date(ms)).forEach(function (x) { p[x.type] = x.value; });
  return {
    y: Number(p.year), mo: Number(p.month), d: Number(p.day), h: Number(p.hour) % 24, mi: Number(p.minute),
    wd: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(p.weekday)
  };
}

// Unix seconds of the wall time y-mo-d h:mi in zone z (days may overflow).
export function zonedTime(y, mo, d, h, mi, z) {
  var want = Date.UTC(y, mo - 1, d, h, mi);
  var guess = want;
  for (var i = 0; i < 3; i++) {
    var p = partsIn(guess, z);
    var shown = Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi);
    if (shown === want) break;
    guess += want - shown;
  }
  return Math.floor(guess / 1000);
}

// The presets at nowMs, each {id, label, until}.
export function presets(nowMs) {
  var z = zone();
  var p = partsIn(nowMs, z);
  var out = [];
  if (p.h < 18) {
    out.push({ id: 'later', label: t('L_SNOOZE_LATER_TODAY', 'Later today'), until: Math.ceil((nowMs / 1000 + 3 * 3600) / 3600) * 3600 });
  }
  out.push({ id: 'tomorrow', label: t('L_SNOOZE_TOMORROW', 'Tomorrow morning'), until: zonedTime(p.y, p.mo, p.d + 1, 8, 0, z) });
  if (p.wd >= 1 && p.wd <= 5) {
    out.push({ id: 'weekend', label: t('L_SNOOZE_WEEKEND', 'This weekend'), until: zonedTime(p.y, p.mo, p.d + 6 - p.wd, 9, 0, z) });
  }
  out.push({ id: 'week', label: t('L_SNOOZE_NEXT_WEEK', 'Next week'), until: zonedTime(p.y, p.mo, p.d + ((8 - p.wd) % 7 || 7), 8, 0, z) });
  return out;
}

function whenText(unix) {
  var d = new Date(unix * 1000);
  var now = new Date();
  var o = { timeZone: zone(), weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
  if (Math.abs(d - now) > 6 * 86400000) { o.day = 'numeric'; o.month = 'short'; }
  try { return new Intl.DateTimeFormat(lang(), o).format(d); } catch (e) { return d.toISOString(); }
}
function fullText(unix) {
  try {
    return new Intl.DateTimeFormat(lang(), {
      timeZone: zone(), weekday: 'long', day: 'numeric', month: 'long', year: 'numeric',
      hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short'
    }).format(new Date(unix * 1000));
  } catch (e) { return new Date(unix * 1000).toISOString(); }
}

function inSnoozed() { return snoozedFolder !== null && getRoute().folder === snoozedFolder; }

// ---- the buttons and their menus ------------------------------------------------

function makeControl(id, cls) {
  var wrap = el('span', 'menu-wrap snooze-wrap');
  var b = el('button', 'icon-btn');
  b.type = 'button';
  b.id = id + '-btn';
  b.setAttribute('aria-haspopup', 'menu');
  b.setAttribute('aria-expanded', 'false');
  b.setAttribute('aria-controls', id + '-menu');
  var label = t('L_SNOOZE', 'Snooze');
  b.setAttribute('aria-label', label);
  b.title = label + ' (b)';
  b.appendChild(icon('clock'));
  var menu = el('div', 'menu snooze-menu' + (cls ? ' ' + cls : ''));
  menu.id = id + '-menu';
  menu.setAttribute('role', 'menu');
  menu.setAttribute('aria-label', label);
  menu.hidden = true;
  wrap.appendChild(b);
  wrap.appendChild(menu);
  return wrap;
}

var listCtl = makeControl('snooze', 'menu-right');
listCtl.firstChild.dataset.needsSelection = '';
listCtl.firstChild.disabled = true;
var exportBtn = $('export-sel-btn');
exportBtn.parentNode.insertBefore(listCtl, exportBtn.nextSibling);
var msgCtl = makeControl('msg-snooze', 'menu-right');
var msgFlag = $('msg-flag');
msgFlag.parentNode.insertBefore(msgCtl, msgFlag.nextSibling);

function menuItem(iconName, text, hint) {
  var b = el('button', 'menu-item');
  b.type = 'button';
  b.setAttribute('role', 'menuitem');
  b.appendChild(icon(iconName));
  b.appendChild(el('span', 'snooze-label', text));
  if (hint) b.appendChild(el('span', 'snooze-when', hint));
  return b;
}

function buildMenu(menu, uids) {
  var frag = document.createDocumentFragment();
  if (inSnoozed()) {
    var un = menuItem('inbox', t('L_SNOOZE_UNSNOOZE', 'Unsnooze now'));
    un.dataset.unsnooze = '';
    frag.appendChild(un);
    frag.appendChild(el('div', 'menu-sep'));
  }
  frag.appendChild(el('p', 'menu-label', t('L_SNOOZE_UNTIL', 'Snooze until')));
  presets(Date.now()).forEach(function (p) {
    var b = menuItem('clock', p.label, whenText(p.until));
    b.dataset.until = String(p.until);
    b.dataset.preset = p.id;
    b.title = fullText(p.until);
    frag.appendChild(b);
  });
  frag.appendChild(el('div', 'menu-sep'));
  var pick = menuItem('calendar', t('L_SNOOZE_PICK', 'Pick date and time…'));
  pick.dataset.pick = '';
  frag.appendChild(pick);
  menu.replaceChildren(frag);
  menu.snoozeUids = uids;
}

function toggle(btn, uids) {
  var wasOpen = getOpenMenuBtn() === btn;
  closeMenus();
  if (wasOpen || !uids.length) return;
  var menu = $(btn.getAttribute('aria-controls'));
  buildMenu(menu, uids);
  menu.hidden = false;
  btn.setAttribute('aria-expanded', 'true');
  setOpenMenuBtn(btn);
  var first = menu.querySelector('.menu-item');
  if (first) first.focus();
}

function listUids() { return Array.from(selection); }
function msgUids() { return getOpenUid() !== null ? [getOpenUid()] : []; }

listCtl.firstChild.addEventListener('click', function () { toggle(listCtl.firstChild, listUids()); });
msgCtl.firstChild.addEventListener('click', function () { toggle(msgCtl.firstChild, msgUids()); });

[listCtl.lastChild, msgCtl.lastChild].forEach(function (menu) {
  menu.addEventListener('click', function (ev) {
    var b = ev.target.closest('.menu-item');
    if (!b) return;
    var uids = menu.snoozeUids || [];
    closeMenus();
    if (b.dataset.until) snooze(uids, Number(b.dataset.until));
    else if (b.dataset.unsnooze !== undefined) unsnooze(uids);
    else if (b.dataset.pick !== undefined) openPicker(uids);
  });
});

// `b`: the snooze menu of the open message, else of the selection.
document.addEventListener('keydown', function (ev) {
  if ((ev.key !== 'b' && ev.key !== 'B') || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  var tg = ev.target;
  if (getOpenMenuBtn() || !pickOverlay.hidden || (tg && (tg.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(tg.tagName)))) return;
  if (tg && tg.closest && tg.closest('.compose, .compose-overlay, .dialog')) return;
  if (/^#\/settings\b/.test(location.hash)) return;
  var msgVisible = getOpenUid() !== null && !$('message').hidden && msgCtl.offsetParent !== null;
  var btn = msgVisible && !selection.size ? msgCtl.firstChild : listCtl.firstChild;
  var uids = btn === msgCtl.firstChild ? msgUids() : listUids();
  if (!uids.length) return;
  ev.preventDefault();
  toggle(btn, uids);
});

// ---- the calls ------------------------------------------------------------------

function afterLeaving(uids) {
  var wasOpen = getOpenUid() !== null && uids.indexOf(getOpenUid()) >= 0;
  removeRows(uids);
  if (wasOpen && getOpenUid() !== null && uids.indexOf(getOpenUid()) >= 0) navigate({ m: null }, { replace: true });
}

export function snooze(uids, until) {
  var folder = getRoute().folder;
  if (!uids.length) return Promise.resolve();
  if (folder !== snoozedFolder) afterLeaving(uids);
  return api('MessageSnooze', { folder: folder, uids: uids, until: until }).then(function (r) {
    snoozedFolder = r.folder;
    toast(tf('L_SNOOZE_DONE', 'Snoozed until {when}: {n}', { when: whenText(until), n: num(r.snoozed) }));
    return Promise.all([refreshCounts(), loadSnoozed(), folder === snoozedFolder ? loadList({ quiet: true, keepScroll: true }) : null]);
  }, function (err) {
    fail(err);
    return loadList({ quiet: true, keepScroll: true });
  });
}

export function unsnooze(uids) {
  if (!uids.length) return Promise.resolve();
  afterLeaving(uids);
  return api('MessageUnsnooze', { uids: uids }).then(function (r) {
    toast(tf('L_SNOOZE_UNSNOOZED', 'Back in the inbox: {n}', { n: num(r.unsnoozed) }));
    return Promise.all([refreshCounts(), loadSnoozed()]);
  }, function (err) {
    fail(err);
    return loadList({ quiet: true, keepScroll: true });
  });
}

// ---- the picker -------------------------------------------------------------------

var pickOverlay = el('div', 'overlay');
pickOverlay.id = 'snooze-dialog';
pickOverlay.hidden = true;
var pickForm = el('form', 'dialog dialog-sm');
pickForm.setAttribute('role', 'dialog');
pickForm.setAttribute('aria-modal', 'true');
pickForm.setAttribute('aria-labelledby', 'snooze-dialog-title');
pickForm.noValidate = true;
(function () {
  var head = el('header', 'dialog-head');
  var h = el('h2', '', t('L_SNOOZE_PICK_TITLE', 'Snooze until'));
  h.id = 'snooze-dialog-title';
  head.appendChild(h);
  var x = el('button', 'icon-btn');
  x.type = 'button';
  x.dataset.cancel = '';
  x.setAttribute('aria-label', t('L_MAIL_CLOSE', 'Close'));
  x.appendChild(icon('close'));
  head.appendChild(x);
  var body = el('div', 'dialog-body');
  var field = el('div', 'field');
  var lab = el('label', 'field-label', t('L_SNOOZE_PICK_LABEL', 'Date and time'));
  lab.htmlFor = 'snooze-at';
  var box = el('div', 'field-box');
  var input = el('input');
  input.type = 'datetime-local';
  input.id = 'snooze-at';
  input.required = true;
  box.appendChild(input);
  field.appendChild(lab);
  field.appendChild(box);
  field.appendChild(el('p', 'field-hint snooze-zone'));
  body.appendChild(field);
  var err = el('p', 'alert alert-error');
  err.id = 'snooze-error';
  err.setAttribute('role', 'alert');
  err.hidden = true;
  body.appendChild(err);
  var foot = el('footer', 'dialog-foot');
  var cancel = el('button', 'btn btn-secondary', t('L_MAIL_FOLDER_CANCEL', 'Cancel'));
  cancel.type = 'button';
  cancel.dataset.cancel = '';
  var ok = el('button', 'btn btn-primary', t('L_SNOOZE', 'Snooze'));
  ok.type = 'submit';
  foot.appendChild(cancel);
  foot.appendChild(ok);
  pickForm.appendChild(head);
  pickForm.appendChild(body);
  pickForm.appendChild(foot);
  pickOverlay.appendChild(pickForm);
  document.body.appendChild(pickOverlay);
})();
var pickUids = [];
var pickReturn = null;

function pad(n) { return (n < 10 ? '0' : '') + n; }

function openPicker(uids) {
  pickUids = uids;
  pickReturn = document.activeElement;
  var p = partsIn(Date.now() + 86400000, zone());
  var input = $('snooze-at');
  input.value = p.y + '-' + pad(p.mo) + '-' + pad(p.d) + 'T08:00';
  var n = partsIn(Date.now(), zone());
  input.min = n.y + '-' + pad(n.mo) + '-' + pad(n.d) + 'T' + pad(n.h) + ':' + pad(n.mi);
  pickForm.querySelector('.snooze-zone').textContent = tf('L_SNOOZE_ZONE', 'Time zone: {zone}', { zone: zone() });
  $('snooze-error').hidden = true;
  pickOverlay.hidden = false;
  input.focus();
}

function closePicker() {
  if (pickOverlay.hidden) return;
  pickOverlay.hidden = true;
  if (pickReturn && pickReturn.isConnected && pickReturn.focus) pickReturn.focus({ preventScroll: true });
}

pickOverlay.addEventListener('input', function () { $('snooze-error').hidden = true; });
pickOverlay.addEventListener('click', function (ev) {
  if (ev.target === pickOverlay || ev.target.closest('[data-cancel]')) closePicker();
});
pickOverlay.addEventListener('keydown', function (ev) {
  if (ev.key === 'Escape') { ev.preventDefault(); ev.stopPropagation(); closePicker(); }
});
pickForm.addEventListener('submit', function (ev) {
  ev.preventDefault();
  var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec($('snooze-at').value);
  var until = m ? zonedTime(+m[1], +m[2], +m[3], +m[4], +m[5], zone()) : 0;
  if (!m || until <= Date.now() / 1000) {
    var e = $('snooze-error');
    e.textContent = t('L_SNOOZE_PICK_FUTURE', 'Choose a time in the future.');
    e.hidden = false;
    return;
  }
  closePicker();
  snooze(pickUids, until);
});

// ---- the Snoozed folder: its icon and each row's wake time ---------------------------

function decorateFolders() {
  if (snoozedFolder === null) return;
  foldersEl.querySelectorAll('li[data-path]').forEach(function (li) {
    if (li.dataset.path !== snoozedFolder) return;
    var use = li.querySelector('.icon use');
    if (use && use.getAttribute('href') !== '#i-clock') use.setAttribute('href', '#i-clock');
  });
}

function decorateRows() {
  if (!inSnoozed()) return;
  listEl.querySelectorAll('.row[data-uid]').forEach(function (row) {
    var until = wakeTimes.get(Number(row.dataset.uid));
    var date = row.querySelector('.row-date');
    if (!until || !date || date.dataset.wake === String(until)) return;
    date.dataset.wake = String(until);
    date.classList.add('row-wake');
    date.replaceChildren(icon('clock', 'icon-xs'), document.createTextNode(whenText(until)));
    date.title = tf('L_SNOOZE_WAKES', 'Comes back {when}', { when: fullText(until) });
    date.dateTime = new Date(until * 1000).toISOString();
  });
}

export function loadSnoozed() {
  return api('Snoozed', {}).then(function (r) {
    snoozedFolder = r.folder;
    wakeTimes = new Map((r.snoozes || []).map(function (s) { return [s.uid, s.until]; }));
    decorateFolders();
    decorateRows();
  }, function () { /* the list works without the wake times */ });
}

new MutationObserver(decorateFolders).observe(foldersEl, { childList: true, subtree: true });
new MutationObserver(function () { decorateRows(); }).observe(listEl, { childList: true });
window.addEventListener('hashchange', function () { if (inSnoozed()) loadSnoozed(); });
toolbar.addEventListener('click', function (ev) {
  if (ev.target.closest('[data-action="refresh"]') && inSnoozed()) loadSnoozed();
});
loadSnoozed();
