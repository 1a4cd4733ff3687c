/*
 * The URL hash is the mailbox's state that survives a reload or the back
 * button: #/folder/<path>?page=2&sort=-date&q=from%3Abob&threads=1&m=42
 * (and &part=2 for a message attached to message 42). onRoute() makes the
 * screen follow it.
 */

import { boot, perPage, prefs, shownZone } from './common.js';
import { byUid, expanded, getLoaded, getRoute, pendingSeen, replaceSelection, selection, setAnchor, setCursor, setOpenUid, setPushedM, setRoute } from './state.js';
import { renderFolders } from './folders.js';
import { loadList, syncControls, updateSelectionUI } from './list.js';
import { ensureMessage, renderPreview } from './view.js';
import { updateView } from './chrome.js';

// ---- routing ----------------------------------------------------------------

export function defaultRoute() {
  return { folder: boot.folder || 'INBOX', page: 1, sort: '-date', q: '', threads: !!prefs().threads, m: null, part: null };
}

function parseHash() {
  var r = defaultRoute();
  var h = location.hash.replace(/^#/, '');
  var qpos = h.indexOf('?');
  var pathPart = qpos >= 0 ? h.slice(0, qpos) : h;
  var query = new URLSearchParams(qpos >= 0 ? h.slice(qpos + 1) : '');
  var m = /^\/folder\/(.+)$/.exec(pathPart);
  if (m) {
    try {
      r.folder = m[1].split('/').map(decodeURIComponent).join('/');
    } catch (e) { /* keep the default */ }
  }
  var page = parseInt(query.get('page') || '1', 10);
  r.page = page > 0 ? page : 1;
  var sort = query.get('sort');
  if (sort && /^-?(date|from|subject|size|arrival)$/.test(sort)) r.sort = sort;
  r.q = query.get('q') || '';
  if (query.has('threads')) r.threads = query.get('threads') === '1';
  var uid = parseInt(query.get('m') || '', 10);
  r.m = uid > 0 ? uid : null;
  var part = query.get('part') || '';
  r.part = r.m && /^[1-9]\d{0,5}(\.[1-9]\d{0,5}){0,31}$/.test(part) ? part : null;
  return r;
}

export function hashFor(r) {
  var q = new URLSearchParams();
  if (r.page > 1) q.set('page', String(r.page));
  if (r.sort && r.sort !== '-date') q.set('sort', r.sort);
  if (r.q) q.set('q', r.q);
  if (r.threads) q.set('threads', '1');
  if (r.m) q.set('m', String(r.m));
  if (r.m && r.part) q.set('part', r.part);
  var s = q.toString();
  return '#/folder/' + r.folder.split('/').map(encodeURIComponent).join('/') + (s ? '?' + s : '');
}

export function navigate(changes, opts) {
  var next = Object.assign({}, getRoute(), changes);
  // Another message: none of its attached messages is open.
  if (!('part' in changes) && next.m !== getRoute().m) next.part = null;
  var h = hashFor(next);
  if (h === location.hash) return;
  if (opts && opts.replace) {
    history.replaceState(null, '', h);
    onRoute();
  } else {
    location.hash = h;
  }
}

function listKey(r) {
  // Page size and zone too: a list drawn with other settings is drawn again.
  return JSON.stringify([r.folder, r.page, r.sort, r.q, r.threads, perPage(), shownZone()]);
}

// Settings pages (#/settings/...) are drawn by settings.js; the mailbox
// keeps the folder it showed, so going back to mail costs no reload.
var SETTINGS_HASH = /^#\/settings(\/|$)/;
export function inSettings() { return SETTINGS_HASH.test(location.hash); }

var shownKey = null;    // listKey() of the list last asked for
export function onRoute() {
  if (/^#\/compose\b/.test(location.hash)) return;
  if (/^#\/search(\?|$)/.test(location.hash)) return; // searchall.js draws it
  // scheduled.js's list opens over the folder shown (INBOX when none yet)
  if (location.hash === '#/scheduled' && getRoute()) return;
  var prev = getRoute();
  setRoute(inSettings() && prev ? prev : parseHash());
  if (!prev || listKey(prev) !== listKey(getRoute()) || shownKey !== listKey(getRoute())) {
    shownKey = listKey(getRoute());
    var folderChanged = !prev || prev.folder !== getRoute().folder || prev.q !== getRoute().q;
    if (folderChanged) {
      selection.clear();
      setCursor(null); setAnchor(null);
      expanded.clear();
    }
    syncControls();
    renderFolders();
    loadList({ skeleton: folderChanged || !getLoaded(), keepScroll: false });
  }
  setOpenUid(getRoute().m);
  if (!getRoute().m) setPushedM(false);
  if (getRoute().m && byUid.has(getRoute().m)) {
    // A message opened by the URL (back, forward, a link) is the selected row.
    if (selection.size <= 1 && !selection.has(getRoute().m)) {
      replaceSelection([getRoute().m]);
      setAnchor(getRoute().m);
    }
    setCursor(getRoute().m);
    updateSelectionUI();
  }
  if (prev && prev.folder !== getRoute().folder) pendingSeen.clear();
  ensureMessage();
  updateView();
  renderPreview();
}
