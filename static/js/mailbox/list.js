/*
 * The message list: loading a page of it, drawing rows, selection (click,
 * shift and ctrl ranges, checkboxes, select all), drag, and the actions on
 * messages (seen, star, move, delete, archive, spam) with their optimistic
 * updates; then the pager, sort, threads and search controls.
 */

import { $, el, icon } from '../lib/dom.js';
import { SITE_TITLE, SORT_LABELS, SPECIAL_ICONS, api, app, fail, foldersEl, fullDate, isPhone, listEl, listPane, num, perPage, prefs, searchForm, searchInput, selectAll, shortDate, size, t, tf, toast, toolbar } from './common.js';
import { byUid, expanded, folderMap, getAnchor, getCursor, getDragUids, getListSeq, getLoaded, getMessages, getOpenUid, getRoute, getTotal, nextListSeq, pendingSeen, replaceSelection, selection, setAnchor, setCursor, setDragUids, setLoaded, setMessages, setOpenUid, setPushedM, setTotal } from './state.js';
import { navigate } from './router.js';
import { currentSpecial, displayName, folderTitle, loadFolders, loadQuota, renderFolders, specialFolder } from './folders.js';
import { renderPreview } from './view.js';
import { closeMenus, fitListToolbar, goBack, updateView } from './chrome.js';
import { queryText, rowChips } from './labels.js';

// ---- message list -----------------------------------------------------------

// n placeholder rows while a list loads (the folder list, search-all).
export function skeletonRows(n) {
  var frag = document.createDocumentFragment();
  for (var i = 0; i < n; i++) {
    var r = el('div', 'row skeleton');
    r.setAttribute('aria-hidden', 'true');
    r.appendChild(el('span', 'sk-a'));
    r.appendChild(el('span', 'sk-b'));
    r.appendChild(el('span', 'sk-c'));
    frag.appendChild(r);
  }
  return frag;
}

function renderSkeleton() {
  listEl.replaceChildren(skeletonRows(12));
  listEl.setAttribute('aria-busy', 'true');
}

export function loadList(opts) {
  // The list pane shows the results of a search of all folders (searchall.js).
  if (listPane.classList.contains('sa-mode')) return Promise.resolve();
  opts = opts || {};
  var seq = nextListSeq();
  var r = Object.assign({}, getRoute());
  if (opts.skeleton) renderSkeleton();
  var body = {
    folder: r.folder,
    offset: (r.page - 1) * perPage(),
    limit: perPage(),
    sort: r.sort,
    threads: !!r.threads,
    format: 2
  };
  if (r.q) body.search = r.q;
  return api('MessageList', body, { quiet: opts.quiet }).then(function (data) {
    if (seq !== getListSeq()) return;
    var list = listRows(data);
    setTotal(Number(data && data.total) || 0);
    if (!r.q && !r.threads && folderMap.has(r.folder) && folderMap.get(r.folder).total !== getTotal()) refreshCounts(); // SELECT saw mail a racing STATUS missed
    var lastPage = Math.max(1, Math.ceil(getTotal() / perPage()));
    if (r.page > lastPage && getTotal() > 0) {
      navigate({ page: lastPage }, { replace: true });
      return;
    }
    setLoaded(r);
    takeMessages(list);
    if (getRoute().m && byUid.has(getRoute().m) && !selection.size) {
      selection.add(getRoute().m);
      setCursor(getRoute().m); setAnchor(getRoute().m);
    }
    renderList(opts.keepScroll);
    renderHead();
    renderPreview();
    updateView();
  }).catch(function (err) {
    if (seq !== getListSeq()) return;
    listEl.removeAttribute('aria-busy');
    if (opts.skeleton || !getLoaded()) {
      setMessages([]);
      byUid.clear();
      setTotal(0);
      setLoaded(r);
      renderList();
      renderHead();
    }
    fail(err);
  });
}

// MessageList's rows in the documented format 1 shape (docs/API.md), from
// format 2's smaller answer: each row an array in the order of
// data.columns, addresses by index into data.addresses, set flags as letters.
export function listRows(data) {
  var list = (data && data.messages) || [];
  if (!data || data.format !== 2) return list;
  var addrs = data.addresses || [];
  var col = {};
  (data.columns || []).forEach(function (name, i) { col[name] = i; });
  function addr(i) {
    var a = addrs[i] || ['', ''];
    return { name: a[0], email: a[1] };
  }
  function get(r, name, dflt) {
    var v = col[name] === undefined ? undefined : r[col[name]];
    return v === undefined || v === null ? dflt : v;
  }
  return list.map(function (r) {
    var f = get(r, 'flags', '');
    return {
      uid: get(r, 'uid', 0),
      subject: get(r, 'subject', ''),
      from: addr(get(r, 'from', -1)),
      to: get(r, 'to', []).map(addr),
      date: get(r, 'date', 0),
      seen: f.indexOf('s') >= 0,
      flagged: f.indexOf('f') >= 0,
      answered: f.indexOf('a') >= 0,
      forwarded: f.indexOf('w') >= 0,
      draft: f.indexOf('d') >= 0,
      size: get(r, 'size', 0),
      hasAttachments: !!get(r, 'att', 0),
      preview: get(r, 'preview', ''),
      threadDepth: get(r, 'depth', 0),
      threadSize: get(r, 'threadSize', 1),
      keywords: get(r, 'keywords', '') ? get(r, 'keywords', '').split(' ') : []
    };
  });
}

function takeMessages(list) {
  setMessages(list);
  byUid.clear();
  var root = null;
  list.forEach(function (m) {
    if (pendingSeen.has(m.uid)) {
      pendingSeen.delete(m.uid);
      m.seen = true;
    }
    if (!m.threadDepth) root = m;
    m._root = m.threadDepth ? (root ? root.uid : m.uid) : m.uid;
    byUid.set(m.uid, m);
  });
  selection.forEach(function (uid) { if (!byUid.has(uid)) selection.delete(uid); });
  if (getCursor() !== null && !byUid.has(getCursor())) setCursor(null);
  if (getAnchor() !== null && !byUid.has(getAnchor())) setAnchor(null);
}

function isHidden(m) {
  return getRoute().threads && m.threadDepth > 0 && !expanded.has(m._root);
}
export function visibleUids() {
  var out = [];
  getMessages().forEach(function (m) { if (!isHidden(m)) out.push(m.uid); });
  return out;
}

export function rowFor(uid) { return $('msg-' + uid); }

function senderFor(m) {
  var sp = currentSpecial();
  if ((sp === 'sent' || sp === 'drafts') && m.to && m.to.length) {
    var who = m.to.map(function (a) { return a.name || a.email; }).join(', ');
    return tf('L_MAIL_TO_PREFIX', 'To: {who}', { who: who });
  }
  var f = m.from || {};
  return f.name || f.email || t('L_MAIL_UNKNOWN_SENDER', '(unknown sender)');
}

function buildRow(m) {
  var row = el('div', 'row');
  row.id = 'msg-' + m.uid;
  row.dataset.uid = String(m.uid);
  row.setAttribute('role', 'option');
  row.draggable = true;
  if (m.threadDepth > 0) row.classList.add('reply', 'depth-' + Math.min(3, m.threadDepth));

  var check = el('span', 'row-check');
  var box = el('input');
  box.type = 'checkbox';
  box.tabIndex = -1;
  box.setAttribute('aria-label', t('L_MAIL_SELECT', 'Select'));
  check.appendChild(box);
  row.appendChild(check);

  var from = el('div', 'row-from');
  if (getRoute().threads && !m.threadDepth && m.threadSize > 1) {
    var tt = el('button', 'thread-toggle');
    tt.type = 'button';
    tt.tabIndex = -1;
    tt.dataset.thread = String(m.uid);
    tt.setAttribute('aria-expanded', String(expanded.has(m.uid)));
    tt.setAttribute('aria-label', tf('L_MAIL_THREAD_TOGGLE', 'Conversation of {n}', { n: m.threadSize }));
    tt.appendChild(icon('chevron-right'));
    tt.appendChild(document.createTextNode(String(m.threadSize)));
    from.appendChild(tt);
  }
  var nameEl = el('span', 'row-from-name', senderFor(m));
  if (m.from && m.from.email) nameEl.title = m.from.email;
  from.appendChild(nameEl);
  if (m.draft) from.appendChild(el('span', 'draft-mark', t('L_MAIL_DRAFT', 'Draft')));
  row.appendChild(from);

  var date = el('time', 'row-date', shortDate(m.date));
  date.title = fullDate(m.date);
  if (m.date) date.dateTime = new Date(m.date * 1000).toISOString();
  row.appendChild(date);

  var star = el('button', 'row-star');
  star.type = 'button';
  star.tabIndex = -1;
  star.dataset.star = String(m.uid);
  star.appendChild(icon('star'));
  row.appendChild(star);

  var line2 = el('div', 'row-line2');
  var state = el('span', 'row-state');
  line2.appendChild(state);
  line2.appendChild(el('span', 'row-subject', m.subject || t('L_MAIL_NO_SUBJECT', '(no subject)')));
  if (m.preview) line2.appendChild(el('span', 'row-preview', m.preview));
  rowChips(line2, m);
  row.appendChild(line2);

  row.appendChild(el('span', 'row-size', size(m.size)));
  if (m.hasAttachments) {
    var clip = el('span', 'row-clip');
    clip.title = t('L_MAIL_HAS_ATTACHMENTS', 'Has attachments');
    clip.appendChild(icon('clip'));
    row.appendChild(clip);
  }
  updateRowFlags(row, m);
  return row;
}

export function updateRowFlags(row, m) {
  row.classList.toggle('unread', !m.seen);
  row.classList.toggle('flagged', !!m.flagged);
  var star = row.querySelector('.row-star');
  star.setAttribute('aria-pressed', String(!!m.flagged));
  star.setAttribute('aria-label', t(m.flagged ? 'L_MAIL_UNFLAG' : 'L_MAIL_FLAG', m.flagged ? 'Remove star' : 'Star'));
  star.title = star.getAttribute('aria-label');
  var state = row.querySelector('.row-state');
  state.replaceChildren();
  if (m.answered) {
    var a = icon('reply', 'st-answered');
    state.appendChild(a);
    state.title = t('L_MAIL_ANSWERED', 'Answered');
  }
  if (m.forwarded) {
    state.appendChild(icon('forward', 'st-forwarded'));
    state.title = (state.title ? state.title + ', ' : '') + t('L_MAIL_FORWARDED', 'Forwarded');
  }
  if (!m.answered && !m.forwarded) state.removeAttribute('title');
}

function renderList(keepScroll) {
  var top = listEl.scrollTop;
  listEl.removeAttribute('aria-busy');
  if (!getMessages().length) {
    var box = el('div', 'list-empty');
    var inner = el('div', 'empty-state');
    var art = el('span', 'empty-art');
    art.appendChild(icon(getRoute().q ? 'search' : SPECIAL_ICONS[currentSpecial()] || 'folder'));
    inner.appendChild(art);
    inner.appendChild(el('p', 'empty-title', t(getRoute().q ? 'L_MAIL_NO_RESULTS' : 'L_MAIL_EMPTY', getRoute().q ? 'Nothing found' : 'No messages')));
    inner.appendChild(el('p', 'empty-text', t(getRoute().q ? 'L_MAIL_NO_RESULTS_HINT' : 'L_MAIL_EMPTY_HINT', '')));
    box.appendChild(inner);
    listEl.replaceChildren(box);
    listEl.removeAttribute('aria-activedescendant');
  } else {
    var frag = document.createDocumentFragment();
    getMessages().forEach(function (m) {
      var row = buildRow(m);
      if (isHidden(m)) row.hidden = true;
      frag.appendChild(row);
    });
    listEl.replaceChildren(frag);
  }
  listEl.scrollTop = keepScroll ? top : 0;
  updateSelectionUI();
  renderPager();
}

function renderPager() {
  var roots = getRoute().threads ? getMessages().filter(function (m) { return !m.threadDepth; }).length : getMessages().length;
  var offset = ((getLoaded() || getRoute()).page - 1) * perPage();
  var info = $('pager-info');
  if (!getTotal()) {
    info.textContent = '';
  } else {
    info.textContent = tf('L_MAIL_PAGER', '{from}–{to} of {getTotal()}', {
      from: num(offset + 1), to: num(offset + roots), total: num(getTotal())
    });
  }
  $('page-prev').disabled = getRoute().page <= 1;
  $('page-next').disabled = offset + roots >= getTotal();
}

export function renderHead() {
  if (!getRoute() || listPane.classList.contains('sa-mode')) return;
  var name = folderTitle(getRoute().folder);
  $('list-title').textContent = name;
  var f = folderMap.get(getRoute().folder);
  var count = $('list-count');
  if (getRoute().q) {
    count.textContent = getLoaded() ? tf('L_MAIL_RESULTS', '{n} found', { n: num(getTotal()) }) : '';
  } else if (f) {
    count.textContent = f.unseen > 0
      ? tf('L_MAIL_COUNT_UNREAD', '{unseen} unread of {getTotal()}', { unseen: num(f.unseen), total: num(f.total || 0) })
      : f.total === 1
        ? tf('L_MAIL_COUNT_ONE', '{total} message', { total: num(1) })
        : tf('L_MAIL_COUNT', '{total} messages', { total: num(f.total || 0) });
  } else {
    count.textContent = '';
  }
  $('search-chip').hidden = !getRoute().q;
  $('search-chip-text').textContent = queryText(getRoute().q);
  document.title = name + (f && f.unseen > 0 ? ' (' + num(f.unseen) + ')' : '') + ' · ' + SITE_TITLE;
  // The counts may lag behind mail changed elsewhere; an unread row counts.
  $('all-read-btn').disabled = !f || (!(f.unseen > 0) && !getMessages().some(function (m) { return !m.seen; }));
}

export function syncControls() {
  if (document.activeElement !== searchInput) searchInput.value = getRoute().q;
  searchForm.classList.toggle('has-value', !!searchInput.value);
  $('search-clear').hidden = !searchInput.value;
  var desc = getRoute().sort.charAt(0) === '-';
  var field = getRoute().sort.replace(/^-/, '');
  document.querySelectorAll('[data-sort-field]').forEach(function (b) {
    b.setAttribute('aria-checked', String(b.dataset.sortField === field));
  });
  document.querySelectorAll('[data-sort-dir]').forEach(function (b) {
    b.setAttribute('aria-checked', String((b.dataset.sortDir === 'desc') === desc));
  });
  $('sort-label').textContent = t(SORT_LABELS[field], field) + (desc ? ' ↓' : ' ↑');
  $('threads-btn').setAttribute('aria-pressed', String(!!getRoute().threads));
  renderHead();
}

// ---- selection --------------------------------------------------------------

export function updateSelectionUI() {
  listEl.querySelectorAll('.row[data-uid]').forEach(function (row) {
    var uid = Number(row.dataset.uid);
    var sel = selection.has(uid);
    row.classList.toggle('selected', sel);
    row.setAttribute('aria-selected', String(sel));
    row.classList.toggle('cursor', uid === getCursor());
    row.querySelector('input').checked = sel;
  });
  if (getCursor() !== null && rowFor(getCursor())) listEl.setAttribute('aria-activedescendant', 'msg-' + getCursor());
  else listEl.removeAttribute('aria-activedescendant');
  var vis = visibleUids();
  var n = vis.filter(function (u) { return selection.has(u); }).length;
  selectAll.checked = vis.length > 0 && n === vis.length;
  selectAll.indeterminate = n > 0 && n < vis.length;
  selectAll.disabled = !vis.length;
  var none = selection.size === 0;
  listPane.classList.toggle('no-selection', none);
  toolbar.querySelectorAll('[data-needs-selection]').forEach(function (b) { b.disabled = none; });
  var sp = currentSpecial();
  var arch = specialFolder('archive');
  var junk = specialFolder('junk');
  toolbar.querySelector('[data-action="archive"]').disabled = none || !arch || sp === 'archive';
  toolbar.querySelector('[data-action="spam"]').hidden = sp === 'junk';
  toolbar.querySelector('[data-action="spam"]').disabled = none || !junk;
  toolbar.querySelector('[data-action="notspam"]').hidden = sp !== 'junk';
  // Star button: shows what it will do.
  var targets = selectedMessages();
  var allFlagged = targets.length > 0 && targets.every(function (m) { return m.flagged; });
  var fb = toolbar.querySelector('[data-action="flag"]');
  fb.setAttribute('aria-label', t(allFlagged ? 'L_MAIL_UNFLAG' : 'L_MAIL_FLAG', 'Star'));
  fb.title = fb.getAttribute('aria-label') + ' (s)';
  fitListToolbar();
  renderPreview();
}

function selectedMessages() {
  var out = [];
  getMessages().forEach(function (m) { if (selection.has(m.uid)) out.push(m); });
  return out;
}
// What keyboard actions act on: the selection, else the cursor row.
export function targetUids() {
  if (selection.size) return getMessages().filter(function (m) { return selection.has(m.uid); }).map(function (m) { return m.uid; });
  if (getCursor() !== null && byUid.has(getCursor())) return [getCursor()];
  return [];
}

function rangeUids(a, b) {
  var vis = visibleUids();
  var i = vis.indexOf(a), j = vis.indexOf(b);
  if (i < 0 || j < 0) return [b];
  if (i > j) { var x = i; i = j; j = x; }
  return vis.slice(i, j + 1);
}

export function selectOnly(uid) {
  replaceSelection([uid]);
  setCursor(uid); setAnchor(uid);
}

export function openMessage(uid, push) {
  setOpenUid(uid);
  if (isPhone() || push) {
    setPushedM(!getRoute().m);
    navigate({ m: uid }, { replace: !!getRoute().m });
  } else {
    navigate({ m: uid }, { replace: true });
  }
}

// A click or Enter on a draft also opens it for writing (compose.js).
export function editDraft(uid) {
  if (currentSpecial() === 'drafts' && window.PetrelCompose) {
    window.PetrelCompose.open({ mode: 'editAsNew', folder: getRoute().folder, uid: uid });
  }
}

export function moveCursor(delta, extend) {
  var vis = visibleUids();
  if (!vis.length) return;
  var i = getCursor() !== null ? vis.indexOf(getCursor()) : -1;
  var j = i < 0 ? (delta > 0 ? 0 : vis.length - 1) : Math.max(0, Math.min(vis.length - 1, i + delta));
  var uid = vis[j];
  if (extend) {
    if (getAnchor() === null) setAnchor(getCursor() !== null ? getCursor() : uid);
    setCursor(uid);
    replaceSelection(rangeUids(getAnchor(), uid));
    updateSelectionUI();
  } else {
    selectOnly(uid);
    updateSelectionUI();
    if (!isPhone() || app.dataset.view === 'preview') openMessage(uid);
  }
  listEl.classList.add('kbd');
  var row = rowFor(uid);
  if (row) row.scrollIntoView({ block: 'nearest' });
}

listEl.addEventListener('click', function (ev) {
  var tt = ev.target.closest('[data-thread]');
  if (tt) {
    var root = Number(tt.dataset.thread);
    if (expanded.has(root)) expanded.delete(root); else expanded.add(root);
    tt.setAttribute('aria-expanded', String(expanded.has(root)));
    getMessages().forEach(function (m) {
      if (m._root === root && m.threadDepth > 0) {
        var r = rowFor(m.uid);
        if (r) r.hidden = isHidden(m);
        if (isHidden(m)) selection.delete(m.uid);
      }
    });
    updateSelectionUI();
    return;
  }
  var star = ev.target.closest('[data-star]');
  if (star) {
    var m = byUid.get(Number(star.dataset.star));
    if (m) setFlagged([m.uid], !m.flagged);
    return;
  }
  var row = ev.target.closest('.row[data-uid]');
  if (!row) return;
  var uid = Number(row.dataset.uid);
  var inCheck = ev.target.closest('.row-check');
  if (inCheck) {
    if (ev.shiftKey && getAnchor() !== null) {
      rangeUids(getAnchor(), uid).forEach(function (u) { selection.add(u); });
    } else {
      if (selection.has(uid)) selection.delete(uid); else selection.add(uid);
      setAnchor(uid);
    }
    setCursor(uid);
    updateSelectionUI();
    return;
  }
  if (ev.shiftKey) {
    if (getAnchor() === null) setAnchor(getCursor() !== null ? getCursor() : uid);
    var range = rangeUids(getAnchor(), uid);
    if (!(ev.ctrlKey || ev.metaKey)) replaceSelection();
    range.forEach(function (u) { selection.add(u); });
    setCursor(uid);
    updateSelectionUI();
  } else if (ev.ctrlKey || ev.metaKey) {
    if (selection.has(uid)) selection.delete(uid); else selection.add(uid);
    setCursor(uid); setAnchor(uid);
    updateSelectionUI();
  } else {
    selectOnly(uid);
    updateSelectionUI();
    openMessage(uid);
    editDraft(uid);
  }
  listEl.focus({ preventScroll: true });
});
// Keep shift-click from selecting text.
listEl.addEventListener('mousedown', function (ev) {
  listEl.classList.remove('kbd');
  if (ev.shiftKey && ev.target.closest('.row')) ev.preventDefault();
});

listEl.addEventListener('dragstart', function (ev) {
  var row = ev.target.closest && ev.target.closest('.row[data-uid]');
  if (!row) return;
  var uid = Number(row.dataset.uid);
  if (!selection.has(uid)) {
    selectOnly(uid);
    updateSelectionUI();
  }
  setDragUids(targetUids());
  var ghostText = getDragUids().length === 1
    ? (byUid.get(getDragUids()[0]).subject || t('L_MAIL_NO_SUBJECT', '(no subject)'))
    : tf('L_MAIL_DRAG_N', '{n} messages', { n: num(getDragUids().length) });
  $('drag-ghost-text').textContent = ghostText.length > 48 ? ghostText.slice(0, 47) + '…' : ghostText;
  ev.dataTransfer.effectAllowed = 'move';
  ev.dataTransfer.setData('text/plain', ghostText);
  try { ev.dataTransfer.setDragImage($('drag-ghost'), 18, 18); } catch (e) { /* old browsers */ }
  getDragUids().forEach(function (u) { var r = rowFor(u); if (r) r.classList.add('dragging'); });
});
listEl.addEventListener('dragend', function () {
  listEl.querySelectorAll('.dragging').forEach(function (r) { r.classList.remove('dragging'); });
  foldersEl.querySelectorAll('.drop-ok').forEach(function (n) { n.classList.remove('drop-ok'); });
  setTimeout(function () { setDragUids(null); }, 0);
});

selectAll.addEventListener('change', function () {
  if (selectAll.checked) visibleUids().forEach(function (u) { selection.add(u); });
  else selection.clear();
  updateSelectionUI();
});

// ---- actions ------------------------------------------------------------------

export function refreshCounts() {
  return loadFolders({ quiet: true }).catch(function () { /* the list still works */ });
}

export function setSeen(uids, value) {
  if (!uids.length) return Promise.resolve();
  uids.forEach(function (u) { pendingSeen.delete(u); });
  var before = uids.map(function (u) { return [u, byUid.get(u).seen]; });
  uids.forEach(function (u) {
    var m = byUid.get(u);
    m.seen = value;
    var r = rowFor(u);
    if (r) updateRowFlags(r, m);
  });
  bumpUnseen(before.reduce(function (n, b) { return n + (b[1] === value ? 0 : (value ? -1 : 1)); }, 0));
  renderPreview();
  return api('MessageSetSeen', { folder: getRoute().folder, uids: uids, value: value }).then(refreshCounts, function (err) {
    before.forEach(function (b) {
      var m = byUid.get(b[0]);
      if (!m) return;
      m.seen = b[1];
      var r = rowFor(b[0]);
      if (r) updateRowFlags(r, m);
    });
    renderPreview();
    refreshCounts();
    fail(err);
  });
}

// Every message of a folder, not only the loaded page: one FolderMarkRead
// (one IMAP command on the server, however large the folder).
export function markFolderRead(path) {
  var f = folderMap.get(path);
  if (!f) return Promise.resolve();
  var current = getRoute() && getRoute().folder === path;
  var was = f.unseen || 0;
  f.unseen = 0;
  if (current) {
    getMessages().forEach(function (m) {
      if (m.seen) return;
      m.seen = true;
      pendingSeen.delete(m.uid);
      var r = rowFor(m.uid);
      if (r) updateRowFlags(r, m);
    });
    renderPreview();
  }
  renderFolders();
  renderHead();
  return api('FolderMarkRead', { folder: path }).then(function () {
    toast(tf('L_MAIL_MARKED_ALL_READ', 'All messages in {folder} are marked as read', { folder: folderTitle(path) }));
    return refreshCounts();
  }, function (err) {
    f.unseen = was;
    refreshCounts();
    if (current) loadList({ keepScroll: true });
    fail(err);
  });
}

// Optimistic unread count in the sidebar and the header.
export function bumpUnseen(delta) {
  var f = folderMap.get(getRoute().folder);
  if (!f || !delta) return;
  f.unseen = Math.max(0, (f.unseen || 0) + delta);
  renderFolders();
  renderHead();
}

function setFlagged(uids, value) {
  if (!uids.length) return Promise.resolve();
  var before = uids.map(function (u) { return [u, byUid.get(u).flagged]; });
  uids.forEach(function (u) {
    var m = byUid.get(u);
    m.flagged = value;
    var r = rowFor(u);
    if (r) updateRowFlags(r, m);
  });
  updateSelectionUI();
  return api('MessageSetFlagged', { folder: getRoute().folder, uids: uids, value: value }).catch(function (err) {
    before.forEach(function (b) {
      var m = byUid.get(b[0]);
      if (!m) return;
      m.flagged = b[1];
      var r = rowFor(b[0]);
      if (r) updateRowFlags(r, m);
    });
    updateSelectionUI();
    fail(err);
  });
}

export function toggleSeen(uids) {
  var ms = uids.map(function (u) { return byUid.get(u); }).filter(Boolean);
  if (!ms.length) return;
  setSeen(uids, !ms.every(function (m) { return m.seen; }));
}
export function toggleFlag(uids) {
  var ms = uids.map(function (u) { return byUid.get(u); }).filter(Boolean);
  if (!ms.length) return;
  setFlagged(uids, !ms.every(function (m) { return m.flagged; }));
}

// Rows leave the list at once; the list then reloads to refill the page.
export function removeRows(uids) {
  var gone = new Set(uids);
  var vis = visibleUids();
  var last = -1;
  vis.forEach(function (u, i) { if (gone.has(u)) last = i; });
  var next = null;
  for (var i = last + 1; i < vis.length; i++) if (!gone.has(vis[i])) { next = vis[i]; break; }
  if (next === null) for (var j = last - 1; j >= 0; j--) if (!gone.has(vis[j])) { next = vis[j]; break; }
  var wasOpen = getOpenUid() !== null && gone.has(getOpenUid());
  uids.forEach(function (u) {
    var r = rowFor(u);
    if (r) r.classList.add('removing');
    selection.delete(u);
  });
  // The data changes now; only the rows fade out first. A list that
  // arrives in the meantime has replaced them already.
  setMessages(getMessages().filter(function (m) { return !gone.has(m.uid); }));
  uids.forEach(function (u) { byUid.delete(u); });
  setTotal(Math.max(0, getTotal() - uids.length));
  renderPager();
  var seq = getListSeq();
  setTimeout(function () {
    if (seq !== getListSeq()) return;
    uids.forEach(function (u) { var r = rowFor(u); if (r) r.remove(); });
    if (!getMessages().length) renderList(true); else renderPager();
    updateSelectionUI();
  }, 180);
  setCursor(next); setAnchor(next);
  if (wasOpen) {
    if (next !== null && !isPhone()) {
      replaceSelection([next]);
      openMessage(next);
    } else {
      setOpenUid(null);
      navigate({ m: null }, { replace: true });
    }
  }
  return wasOpen;
}

function afterRemoval(promise, uids, okText) {
  return promise.then(function () {
    toast(okText);
    return Promise.all([refreshCounts(), loadList({ quiet: true, keepScroll: true })]);
  }, function (err) {
    fail(err);
    return Promise.all([refreshCounts(), loadList({ quiet: true, keepScroll: true })]);
  });
}

export function moveMessages(uids, to) {
  if (!uids || !uids.length || to === getRoute().folder) return;
  removeRows(uids);
  var p = api('MessageMove', { folder: getRoute().folder, uids: uids, to: to });
  return afterRemoval(p, uids, tf('L_MAIL_MOVED', 'Moved to {folder}: {n}', { folder: folderTitle(to), n: num(uids.length) }));
}

// The originals stay: nothing leaves the list, the target's counts change.
export function copyMessages(uids, to) {
  if (!uids || !uids.length || to === getRoute().folder) return Promise.resolve();
  return api('MessageCopy', { folder: getRoute().folder, uids: uids, to: to }).then(function () {
    toast(tf('L_MAIL_COPIED', 'Copied to {folder}: {n}', { folder: folderTitle(to), n: num(uids.length) }));
    return refreshCounts();
  }, fail);
}

export function deleteMessages(uids) {
  if (!uids.length) return;
  var sp = currentSpecial();
  var trash = specialFolder('trash');
  var permanent = sp === 'trash' || sp === 'junk' || !trash;
  removeRows(uids);
  var p = api('MessageDelete', { folder: getRoute().folder, uids: uids });
  return afterRemoval(p, uids, permanent
    ? tf('L_MAIL_DELETED_FOREVER', 'Deleted: {n}', { n: num(uids.length) })
    : tf('L_MAIL_MOVED', 'Moved to {folder}: {n}', { folder: displayName(trash), n: num(uids.length) }));
}

function archiveMessages(uids) {
  var f = specialFolder('archive');
  if (!f) { toast(t('L_MAIL_NO_ARCHIVE', 'There is no archive folder.'), { error: true }); return; }
  moveMessages(uids, f.path);
}
function spamMessages(uids) {
  var f = specialFolder('junk');
  if (!f) { toast(t('L_MAIL_NO_JUNK', 'There is no spam folder.'), { error: true }); return; }
  moveMessages(uids, f.path);
}
function notSpam(uids) {
  var f = specialFolder('inbox');
  moveMessages(uids, f ? f.path : 'INBOX');
}

function refresh() {
  return Promise.all([loadFolders().catch(fail), loadList({ keepScroll: true }), loadQuota(true)]);
}

function runAction(action, uids) {
  switch (action) {
    case 'refresh': refresh(); break;
    case 'all-read': if (getRoute()) markFolderRead(getRoute().folder); break;
    case 'archive': archiveMessages(uids); break;
    case 'spam': spamMessages(uids); break;
    case 'notspam': notSpam(uids); break;
    case 'delete': deleteMessages(uids); break;
    case 'read': setSeen(uids, true); break;
    case 'unread': setSeen(uids, false); break;
    case 'flag': toggleFlag(uids); break;
    case 'deselect': selection.clear(); updateSelectionUI(); break;
    default: break;
  }
}

toolbar.addEventListener('click', function (ev) {
  var b = ev.target.closest('[data-action]');
  if (!b || b.disabled) return;
  runAction(b.dataset.action, targetUids());
});
$('preview-multi').addEventListener('click', function (ev) {
  var b = ev.target.closest('[data-action]');
  if (b) runAction(b.dataset.action, targetUids());
});
$('message').addEventListener('click', function (ev) {
  var b = ev.target.closest('[data-action]');
  if (!b || b.disabled || getOpenUid() === null) return;
  // A message opened by its URL may not be on the list's page.
  var m = byUid.get(getOpenUid()) || { uid: getOpenUid(), seen: true, flagged: false };
  switch (b.dataset.action) {
    case 'back': goBack(); break;
    case 'msg-archive': archiveMessages([m.uid]); break;
    case 'msg-spam': if (currentSpecial() === 'junk') notSpam([m.uid]); else spamMessages([m.uid]); break;
    case 'msg-delete': deleteMessages([m.uid]); break;
    case 'msg-unread': if (byUid.has(m.uid)) setSeen([m.uid], !m.seen); break;
    case 'msg-flag': if (byUid.has(m.uid)) setFlagged([m.uid], !m.flagged); break;
    case 'msg-prev': moveCursor(-1); break;
    case 'msg-next': moveCursor(1); break;
    default: break;
  }
});

// ---- pager, sort, threads, search ------------------------------------------------

$('page-prev').addEventListener('click', function () { if (getRoute().page > 1) navigate({ page: getRoute().page - 1, m: null }); });
$('page-next').addEventListener('click', function () { if (!$('page-next').disabled) navigate({ page: getRoute().page + 1, m: null }); });

$('sort-menu').addEventListener('click', function (ev) {
  var b = ev.target.closest('.menu-item');
  if (!b) return;
  var desc = getRoute().sort.charAt(0) === '-';
  var field = getRoute().sort.replace(/^-/, '');
  if (b.dataset.sortField) {
    field = b.dataset.sortField;
    desc = field === 'date' || field === 'size';
  } else if (b.dataset.sortDir) {
    desc = b.dataset.sortDir === 'desc';
  }
  closeMenus();
  navigate({ sort: (desc ? '-' : '') + field, page: 1, m: null });
});

$('threads-btn').addEventListener('click', function () {
  var on = !getRoute().threads;
  // The toggle is the "threads" setting: the next visit starts the same way.
  prefs().threads = on;
  api('SettingsSave', { threads: on }, { quiet: true }).catch(function () { /* this view still follows the toggle */ });
  navigate({ threads: on, page: 1, m: null });
});

searchForm.addEventListener('submit', function (ev) {
  ev.preventDefault();
  var q = searchInput.value.trim();
  searchInput.blur();
  navigate({ q: q, page: 1, m: null });
});
searchInput.addEventListener('input', function () {
  searchForm.classList.toggle('has-value', !!searchInput.value);
  $('search-clear').hidden = !searchInput.value;
});
function clearSearch() {
  searchInput.value = '';
  searchForm.classList.remove('has-value');
  $('search-clear').hidden = true;
  if (getRoute().q) navigate({ q: '', page: 1, m: null });
}
$('search-clear').addEventListener('click', function () { clearSearch(); searchInput.focus(); });
$('search-chip-clear').addEventListener('click', clearSearch);
