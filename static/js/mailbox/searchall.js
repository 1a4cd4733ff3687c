/*
 * Search across all folders (SearchAll, docs/API.md): the scope toggle in
 * the search box ("This folder" / "All folders"), the results at
 * #/search?q=…&page=N drawn in the list pane (merged newest first, the
 * folder on every row), their pager, the progress bar with its Cancel,
 * and the way back. A row opens in its own folder
 * (#/folder/<path>?q=…&m=<uid>), where every action on messages works as
 * usual; "All folders" in the list head comes back to the results, which
 * the server kept for the session, so that costs no new search.
 *
 * Only the last search draws: each has its own AbortController, a new one
 * aborts the old, and a late answer of an aborted one is dropped. Cancel
 * also tells the server (SearchAllCancel), which stops between folders.
 */

import { $, el, icon } from '../lib/dom.js';
import { api, app, fail, fullDate, listEl, listPane, num, perPage, searchForm, searchInput, shortDate, size, store, t, tf } from './common.js';
import { byUid, getRoute, nextListSeq, selection, setCursor, setMessages, setTotal } from './state.js';
import { hashFor } from './router.js';
import { folderTitle } from './folders.js';
import { loadList, renderHead, skeletonRows } from './list.js';

var SEARCH_HASH = /^#\/search(\?|$)/;
var scopeAll = store('searchScope') === 'all';
var controller = null;  // the running search's AbortController
var seq = 0;            // searches started; only the last one draws
var last = null;        // {q, page, data} of the results on screen
var active = false;     // the list pane shows the results

export function inSearchAll() { return SEARCH_HASH.test(location.hash); }

function parse() {
  var h = location.hash.replace(/^#\/search\??/, '');
  var query = new URLSearchParams(h);
  var page = parseInt(query.get('page') || '1', 10);
  return { q: query.get('q') || '', page: page > 0 ? page : 1 };
}

function searchHash(q, page) {
  var p = new URLSearchParams();
  p.set('q', q);
  if (page > 1) p.set('page', String(page));
  return '#/search?' + p.toString();
}

// The folder search cannot read in:trash and friends: they only pick folders.
function folderQuery(q) {
  return q.replace(/(^|\s)in:(trash|junk|spam|anywhere|all)(?=\s|$)/gi, ' ').replace(/\s+/g, ' ').trim();
}

// ---- the scope toggle -------------------------------------------------------

var scope = el('div', 'search-scope');
scope.setAttribute('role', 'radiogroup');
scope.setAttribute('aria-label', t('L_SEARCHALL_SCOPE', 'Search in'));
function scopeOption(iconName, label) {
  var b = el('button', 'scope-opt');
  b.appendChild(icon(iconName));
  b.appendChild(el('span', 'scope-label', label));
  b.setAttribute('aria-label', label);
  b.title = label;
  return b;
}
var scopeHere = scopeOption('folder', t('L_SEARCHALL_THIS_FOLDER', 'This folder'));
var scopeAllBtn = scopeOption('layers', t('L_SEARCHALL_ALL_FOLDERS', 'All folders'));
[scopeHere, scopeAllBtn].forEach(function (b) {
  b.type = 'button';
  b.setAttribute('role', 'radio');
  // Keep the focus in the input: the box stays open while choosing.
  b.addEventListener('mousedown', function (ev) { ev.preventDefault(); });
  scope.appendChild(b);
});
scopeAllBtn.id = 'search-scope-all';
scopeHere.id = 'search-scope-here';
searchForm.insertBefore(scope, $('search-clear'));

function renderScope() {
  scopeHere.setAttribute('aria-checked', String(!scopeAll));
  scopeAllBtn.setAttribute('aria-checked', String(scopeAll));
  searchForm.classList.toggle('scope-all', scopeAll);
}
function setScope(all) {
  scopeAll = all;
  store('searchScope', all ? 'all' : '');
  renderScope();
}
scopeHere.addEventListener('click', function () {
  setScope(false);
  var q = searchInput.value.trim();
  if (inSearchAll() && q) location.hash = hashFor(Object.assign({}, getRoute(), { q: folderQuery(q), page: 1, m: null }));
});
scopeAllBtn.addEventListener('click', function () {
  setScope(true);
  var q = searchInput.value.trim();
  if (q && !inSearchAll()) location.hash = searchHash(q, 1);
});
renderScope();

// Runs before list.js's own submit handler (capture on the document).
document.addEventListener('submit', function (ev) {
  if (ev.target !== searchForm || !scopeAll) return;
  ev.preventDefault();
  ev.stopImmediatePropagation();
  var q = searchInput.value.trim();
  searchInput.blur();
  if (!q) { leave(); return; }
  last = null; // a new search, not the kept one
  var h = searchHash(q, 1);
  if (location.hash === h) show(true); else location.hash = h;
}, true);

// The clear buttons end the search-all view too.
document.addEventListener('click', function (ev) {
  if (!active) return;
  if (ev.target.closest('#search-chip-clear') || ev.target.closest('#search-clear')) {
    ev.stopImmediatePropagation();
    searchInput.value = '';
    searchForm.classList.remove('has-value');
    $('search-clear').hidden = true;
    leave();
  }
}, true);

// ---- the results ------------------------------------------------------------

var bar = el('div', 'sa-bar');
bar.hidden = true;
bar.setAttribute('role', 'status');
var barText = el('span', 'sa-bar-text');
var barCancel = el('button', 'btn btn-sm sa-cancel', t('L_SEARCHALL_CANCEL', 'Cancel'));
barCancel.type = 'button';
barCancel.id = 'sa-cancel';
bar.appendChild(el('span', 'sa-spinner'));
bar.appendChild(barText);
bar.appendChild(barCancel);
listPane.insertBefore(bar, listEl);

var notes = el('div', 'sa-notes');
notes.hidden = true;
listPane.insertBefore(notes, listEl);

var pager = el('footer', 'pager sa-pager');
pager.hidden = true;
var pagerInfo = el('span', 'pager-info');
pagerInfo.setAttribute('aria-live', 'polite');
var pagerNav = el('span', 'pager-nav');
var prevBtn = el('button', 'icon-btn');
var nextBtn = el('button', 'icon-btn');
prevBtn.type = nextBtn.type = 'button';
prevBtn.id = 'sa-prev';
nextBtn.id = 'sa-next';
prevBtn.setAttribute('aria-label', t('L_MAIL_PAGE_PREV', 'Previous page'));
nextBtn.setAttribute('aria-label', t('L_MAIL_PAGE_NEXT', 'Next page'));
prevBtn.appendChild(icon('chevron-left'));
nextBtn.appendChild(icon('chevron-right'));
pagerNav.appendChild(prevBtn);
pagerNav.appendChild(nextBtn);
pager.appendChild(pagerInfo);
pager.appendChild(pagerNav);
$('pager').after(pager);

// "All folders" back to the kept results, from a message opened in its folder.
var back = el('button', 'sa-back');
back.type = 'button';
back.id = 'sa-back';
back.appendChild(icon('chevron-left'));
back.appendChild(el('span', '', t('L_SEARCHALL_BACK', 'All folders')));
back.hidden = true;
$('list-title').parentNode.before(back);
back.addEventListener('click', function () {
  if (last) location.hash = searchHash(last.q, last.page);
});

function enter() {
  if (active) return;
  active = true;
  listPane.classList.add('sa-mode');
  app.classList.add('sa-active');
  nextListSeq(); // a folder list still on its way draws nothing
  // list.js's rows are gone: no keyboard or toolbar action may reach them.
  setMessages([]);
  byUid.clear();
  selection.clear();
  setCursor(null);
  setTotal(0);
}

function leave() {
  abort(true);
  var wasActive = active;
  active = false;
  listPane.classList.remove('sa-mode');
  app.classList.remove('sa-active');
  bar.hidden = notes.hidden = pager.hidden = true;
  if (inSearchAll()) location.hash = hashFor(Object.assign({}, getRoute(), { q: '', page: 1, m: null }));
  if (wasActive) {
    // The router may see no change of its own (same folder as before).
    loadList({ skeleton: true });
    renderHead();
  }
}

function abort(tellServer) {
  if (controller) {
    controller.abort();
    controller = null;
    if (tellServer) api('SearchAllCancel', {}, { quiet: true }).catch(function () { /* the next search supersedes it anyway */ });
  }
  bar.hidden = true;
}

barCancel.addEventListener('click', function () {
  abort(true);
  var r = parse();
  drawEmpty(t('L_SEARCHALL_CANCELLED', 'Search cancelled'), tf('L_SEARCHALL_CANCELLED_HINT', 'Nothing more is searched for “{q}”.', { q: r.q }), 'close');
  $('list-count').textContent = '';
});

function show(refresh) {
  var r = parse();
  if (!r.q) { leave(); return; }
  enter();
  setScope(true);
  app.dataset.view = 'list';
  if (document.activeElement !== searchInput) searchInput.value = r.q;
  searchForm.classList.add('has-value');
  $('search-clear').hidden = false;
  $('list-title').textContent = t('L_SEARCHALL_TITLE', 'All folders');
  $('search-chip').hidden = false;
  $('search-chip-text').textContent = r.q;
  back.hidden = true;
  document.title = t('L_SEARCHALL_TITLE', 'All folders') + ' · ' + r.q;
  abort(false);
  var my = ++seq;
  controller = new AbortController();
  // Another page of the same search, or the way back to it: the server
  // pages its kept copy (fresh rows and flags, the same order).
  var fresh = !last || last.q !== r.q || !!refresh;
  barText.textContent = tf('L_SEARCHALL_SEARCHING', 'Searching all folders for “{q}”…', { q: r.q });
  bar.hidden = false;
  $('list-count').textContent = '';
  if (fresh || !listEl.querySelector('.sa-row')) drawSkeleton();
  api('SearchAll', { search: r.q, offset: (r.page - 1) * perPage(), limit: perPage(), refresh: fresh }, { signal: controller.signal, quiet: true })
    .then(function (data) {
      if (my !== seq || !inSearchAll()) return;
      controller = null;
      bar.hidden = true;
      last = { q: r.q, page: r.page, data: data };
      draw(data);
    }, function (err) {
      if (my !== seq) return;
      controller = null;
      bar.hidden = true;
      if (err && err.aborted) return;
      drawEmpty(t('L_SEARCHALL_FAILED', 'The search did not work'), err && err.message ? err.message : '', 'alert');
      fail(err);
    });
}

function drawSkeleton() {
  listEl.replaceChildren(skeletonRows(8));
  notes.hidden = true;
  pager.hidden = true;
}

function drawEmpty(title, text, art) {
  var box = el('div', 'list-empty');
  var inner = el('div', 'empty-state');
  var a = el('span', 'empty-art');
  a.appendChild(icon(art || 'search'));
  inner.appendChild(a);
  inner.appendChild(el('p', 'empty-title', title));
  if (text) inner.appendChild(el('p', 'empty-text', text));
  box.appendChild(inner);
  listEl.replaceChildren(box);
  pager.hidden = true;
}

function buildRow(m, i) {
  var row = el('div', 'row sa-row');
  row.dataset.sa = String(i);
  row.id = 'sa-' + i;
  row.setAttribute('role', 'option');
  row.tabIndex = -1;
  row.classList.toggle('unread', !m.seen);
  row.classList.toggle('flagged', !!m.flagged);

  var tag = el('span', 'row-check sa-folder-icon');
  tag.appendChild(icon(folderIcon(m.folder)));
  row.appendChild(tag);

  var from = el('div', 'row-from');
  var f = m.from || {};
  var name = el('span', 'row-from-name', f.name || f.email || t('L_MAIL_UNKNOWN_SENDER', '(unknown sender)'));
  if (f.email) name.title = f.email;
  from.appendChild(name);
  if (m.draft) from.appendChild(el('span', 'draft-mark', t('L_MAIL_DRAFT', 'Draft')));
  row.appendChild(from);

  var date = el('time', 'row-date', shortDate(m.date));
  date.title = fullDate(m.date);
  if (m.date) date.dateTime = new Date(m.date * 1000).toISOString();
  row.appendChild(date);

  var star = el('span', 'row-star sa-star');
  if (m.flagged) star.appendChild(icon('star'));
  row.appendChild(star);

  var line2 = el('div', 'row-line2');
  var chip = el('span', 'sa-folder', folderTitle(m.folder));
  chip.title = m.folder;
  line2.appendChild(chip);
  line2.appendChild(el('span', 'row-subject', m.subject || t('L_MAIL_NO_SUBJECT', '(no subject)')));
  if (m.preview) line2.appendChild(el('span', 'row-preview', m.preview));
  row.appendChild(line2);

  row.appendChild(el('span', 'row-size', size(m.size)));
  if (m.hasAttachments) {
    var clip = el('span', 'row-clip');
    clip.appendChild(icon('clip'));
    row.appendChild(clip);
  }
  return row;
}

function folderIcon(path) {
  var kinds = { inbox: 'inbox', drafts: 'drafts', sent: 'sent', junk: 'junk', trash: 'trash', archive: 'archive' };
  var f = (window.Petrel && window.Petrel.folders ? window.Petrel.folders() : []).filter(function (x) { return x.path === path; })[0];
  if (f && f.special && kinds[f.special]) return kinds[f.special];
  return path.toUpperCase() === 'INBOX' ? 'inbox' : 'folder';
}

function draw(data) {
  var r = parse();
  var msgs = (data && data.messages) || [];
  var total = Number(data && data.total) || 0;
  var count = $('list-count');
  if (data && data.capped) count.textContent = tf('L_SEARCHALL_MORE_THAN', 'More than {n} found; showing the newest {n}', { n: num(data.cap) });
  else count.textContent = tf('L_MAIL_RESULTS', '{n} found', { n: num(total) });
  drawNotes(data);
  if (!msgs.length) {
    drawEmpty(t('L_SEARCHALL_NONE', 'Nothing found in any folder'),
      t('L_SEARCHALL_NONE_HINT', 'Trash and Spam are not searched unless you add in:trash, in:spam or in:anywhere.'));
    pager.hidden = total === 0;
  } else {
    var frag = document.createDocumentFragment();
    msgs.forEach(function (m, i) { frag.appendChild(buildRow(m, i)); });
    listEl.replaceChildren(frag);
    listEl.scrollTop = 0;
    pager.hidden = false;
  }
  listEl.removeAttribute('aria-busy');
  var offset = (r.page - 1) * perPage();
  pagerInfo.textContent = total ? tf('L_MAIL_PAGER', '{from}–{to} of {total}', { from: num(Math.min(total, offset + 1)), to: num(offset + msgs.length), total: num(total) }) : '';
  prevBtn.disabled = r.page <= 1;
  nextBtn.disabled = offset + msgs.length >= total;
}

// Folders that failed or were skipped, said once above the rows.
function drawNotes(data) {
  var bad = ((data && data.folders) || []).filter(function (f) { return f.status !== 'ok'; });
  notes.replaceChildren();
  notes.hidden = !bad.length;
  if (!bad.length) return;
  notes.appendChild(icon('alert'));
  var text = el('span', 'sa-notes-text', tf('L_SEARCHALL_FOLDERS_FAILED', 'Not searched: {folders}', {
    folders: bad.map(function (f) { return folderTitle(f.folder); }).join(', ')
  }));
  text.title = bad.map(function (f) { return f.folder + ': ' + (f.error || f.status); }).join('\n');
  notes.appendChild(text);
}

function openRow(row) {
  var m = last && last.data.messages[Number(row.dataset.sa)];
  if (!m) return;
  var q = folderQuery(last.q);
  // The folder's own list, filtered the same way, with the message open.
  location.hash = hashFor({ folder: m.folder, page: 1, sort: '-date', q: q, threads: false, m: m.uid, part: null });
}

listEl.addEventListener('click', function (ev) {
  if (!active) return;
  var row = ev.target.closest('.row[data-sa]');
  if (row) openRow(row);
});

// Up/Down (j/k) and Enter over the results; list.js's keys see no rows.
document.addEventListener('keydown', function (ev) {
  if (!active || ev.target === searchInput || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if (ev.target.closest && ev.target.closest('input, textarea, [contenteditable], .overlay')) return;
  var rows = Array.from(listEl.querySelectorAll('.row[data-sa]'));
  if (!rows.length) return;
  var cur = listEl.querySelector('.row.cursor');
  var i = cur ? rows.indexOf(cur) : -1;
  var k = ev.key;
  if (k === 'ArrowDown' || k === 'j' || k === 'ArrowUp' || k === 'k') {
    var j = Math.max(0, Math.min(rows.length - 1, i + (k === 'ArrowDown' || k === 'j' ? 1 : -1)));
    if (cur) cur.classList.remove('cursor');
    rows[j].classList.add('cursor');
    listEl.setAttribute('aria-activedescendant', rows[j].id);
    listEl.classList.add('kbd');
    rows[j].scrollIntoView({ block: 'nearest' });
  } else if (k === 'Enter' && cur) {
    openRow(cur);
  } else if ((k === 'n' || k === 'p') && !(k === 'n' ? nextBtn : prevBtn).disabled) {
    (k === 'n' ? nextBtn : prevBtn).click();
  } else {
    return;
  }
  ev.preventDefault();
  ev.stopImmediatePropagation();
}, true);

prevBtn.addEventListener('click', function () {
  var r = parse();
  if (r.page > 1) location.hash = searchHash(r.q, r.page - 1);
});
nextBtn.addEventListener('click', function () {
  var r = parse();
  if (!nextBtn.disabled) location.hash = searchHash(r.q, r.page + 1);
});

// ---- routing ------------------------------------------------------------------

function onHash() {
  if (inSearchAll()) {
    show(false);
    return;
  }
  if (active) leave();
  // In a folder opened from the results: the way back to them (once the
  // router has read the new hash).
  setTimeout(function () {
    var r = getRoute();
    back.hidden = !(last && r && r.q && r.q === folderQuery(last.q) && /^#\/folder\//.test(location.hash));
  }, 0);
}
window.addEventListener('hashchange', onHash);

// A reload of #/search: app.js starts on the folder; then come back here.
var startHash = SEARCH_HASH.test(location.hash) ? location.hash : null;
if (startHash) {
  setTimeout(function () {
    if (location.hash !== startHash) history.replaceState(null, '', startHash);
    show(false);
  }, 0);
}
