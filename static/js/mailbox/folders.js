/*
 * The folder list: drawing it (with collapsed parents and unread counts),
 * dropping messages onto a folder, and managing folders (the ⋯ menu, a long
 * press or a right click; create, rename, delete, subscribe, empty through
 * one dialog). Every change goes through the JSON API and ends with a fresh
 * folder list; the server has the last word on names.
 */

import { $, el, icon, setIcon } from '../lib/dom.js';
import { SPECIAL_ICONS, SPECIAL_NAMES, api, foldersEl, num, size, store, t, tf, toast } from './common.js';
import { collapsedFolders, folderMap, getDragUids, getFolders, getMenuFolder, getOpenMenuBtn, getRoute, selection, setAnchor, setCursor, setDragUids, setFolders, setMenuFolder, setOpenMenuBtn } from './state.js';
import { hashFor, navigate } from './router.js';
import { loadList, markFolderRead, moveMessages, renderHead } from './list.js';
import { closeDrawer, closeMenus } from './chrome.js';

// ---- folders --------------------------------------------------------------

export function displayName(f) {
  if (!f) return '';
  if (f.special && SPECIAL_NAMES[f.special]) return t(SPECIAL_NAMES[f.special], f.name);
  return f.name || f.path;
}
export function folderTitle(path) {
  var f = folderMap.get(path);
  if (f) return displayName(f);
  if (path.toUpperCase() === 'INBOX') return t('L_MAIL_INBOX', 'Inbox');
  var parts = path.split(/[/.]/);
  return parts[parts.length - 1];
}
export function specialFolder(kind) {
  for (var i = 0; i < getFolders().length; i++) if (getFolders()[i].special === kind) return getFolders()[i];
  return null;
}
export function currentSpecial() {
  var f = folderMap.get(getRoute().folder);
  return f ? f.special : (getRoute().folder.toUpperCase() === 'INBOX' ? 'inbox' : null);
}

export function loadFolders(opts) {
  return api('Folders', {}, opts).then(function (data) {
    setFolders((data && data.folders) || []);
    renderFolders();
    renderHead();
    loadQuota();
    return data;
  });
}

// ---- storage quota (RFC 9208): hidden when the server has none ----
var quotaAt = 0;
var QUOTA_EVERY_MS = 60000;

function quotaSize(kib) {
  if (kib >= 1024 * 1024) return (kib / 1048576).toLocaleString(undefined, { maximumFractionDigits: 1 }) + ' ' + t('L_MAIL_UNIT_GB', 'GB');
  return size(kib * 1024);
}

export function renderQuota(q) {
  var box = $('quota');
  if (!q || !(q.limit > 0)) { box.hidden = true; return; }
  var percent = Math.min(100, Math.round((q.used / q.limit) * 100));
  var full = q.used / q.limit >= 0.9;
  box.hidden = false;
  box.classList.toggle('is-full', full);
  $('quota-text').textContent = tf('L_MAIL_QUOTA_USED', '{used} of {limit}', { used: quotaSize(q.used), limit: quotaSize(q.limit) });
  $('quota-fill').style.width = Math.max(percent, q.used > 0 ? 2 : 0) + '%';
  var bar = $('quota-bar');
  bar.setAttribute('aria-valuenow', String(percent));
  bar.setAttribute('aria-valuetext', $('quota-text').textContent);
  box.title = full ? tf('L_MAIL_QUOTA_FULL', 'Your mailbox is almost full ({percent} %).', { percent: percent }) : '';
}

// At most once a minute: folder counts reload far more often.
export function loadQuota(force) {
  var now = Date.now();
  if (!force && now - quotaAt < QUOTA_EVERY_MS) return Promise.resolve();
  quotaAt = now;
  return api('Quota', {}, { quiet: true }).then(renderQuota, function () { /* the rest works without it */ });
}

function parentOf(f) {
  if (f.parent !== undefined && f.parent !== null) return f.parent;
  if (!f.delimiter) return null;
  var i = f.path.lastIndexOf(f.delimiter);
  return i > 0 ? f.path.slice(0, i) : null;
}

export function renderFolders() {
  if (!getFolders().length || !getRoute()) return;
  var hasChildren = new Set();
  getFolders().forEach(function (f) { var p = parentOf(f); if (p) hasChildren.add(p); });
  var frag = document.createDocumentFragment();
  var lastSpecial = null;
  getFolders().forEach(function (f) {
    // Hide the descendants of collapsed parents.
    for (var p = parentOf(f); p; p = folderMap.has(p) ? parentOf(folderMap.get(p)) : null) {
      if (collapsedFolders.has(p)) return;
    }
    var depth = Math.min(7, f.depth !== undefined ? f.depth : 0);
    var li = el('li', 'depth-' + depth + (f.special ? ' folder-special-' + f.special : ''));
    li.dataset.path = f.path;
    if (hasChildren.has(f.path)) {
      var tw = el('button', 'twisty');
      tw.type = 'button';
      var open = !collapsedFolders.has(f.path);
      tw.setAttribute('aria-expanded', String(open));
      tw.setAttribute('aria-label', tf(open ? 'L_MAIL_COLLAPSE' : 'L_MAIL_EXPAND', open ? 'Collapse {name}' : 'Expand {name}', { name: displayName(f) }));
      tw.dataset.toggle = f.path;
      tw.appendChild(icon('chevron-right'));
      li.appendChild(tw);
    }
    var selectable = f.selectable !== false;
    var a = el(selectable ? 'a' : 'span', 'folder-link' + (selectable ? '' : ' unselectable') + (f.unseen > 0 ? ' has-unseen' : ''));
    if (selectable) {
      a.href = hashFor({ folder: f.path, page: 1, sort: getRoute().sort, q: '', threads: getRoute().threads, m: null });
      if (f.path === getRoute().folder) a.setAttribute('aria-current', 'page');
    }
    a.appendChild(icon(SPECIAL_ICONS[f.special] || 'folder'));
    a.appendChild(el('span', 'folder-name', displayName(f)));
    a.title = f.path;
    if (f.subscribed === false && !f.special) {
      a.classList.add('unsubscribed');
      a.title = f.path + ' · ' + t('L_MAIL_FOLDER_UNSUBSCRIBED', 'Not subscribed');
    }
    if (f.unseen > 0) {
      var pill = el('span', 'pill', num(f.unseen));
      pill.setAttribute('aria-label', tf('L_MAIL_UNREAD_COUNT', '{n} unread', { n: num(f.unseen) }));
      a.appendChild(pill);
    }
    li.appendChild(a);
    var more = el('button', 'folder-more');
    more.type = 'button';
    more.dataset.folderMenu = f.path;
    more.setAttribute('aria-haspopup', 'menu');
    more.setAttribute('aria-expanded', 'false');
    more.setAttribute('aria-controls', 'folder-menu');
    more.setAttribute('aria-label', tf('L_MAIL_FOLDER_ACTIONS', 'Actions for {name}', { name: displayName(f) }));
    more.title = more.getAttribute('aria-label');
    more.appendChild(icon('more'));
    li.appendChild(more);
    if (f.special) lastSpecial = li;
    frag.appendChild(li);
  });
  if (lastSpecial && lastSpecial !== frag.lastChild) lastSpecial.classList.add('special-last');
  foldersEl.replaceChildren(frag);
  rebindFolderMenu();
}

foldersEl.addEventListener('click', function (ev) {
  var tw = ev.target.closest('[data-toggle]');
  if (tw) {
    var p = tw.dataset.toggle;
    if (collapsedFolders.has(p)) collapsedFolders.delete(p); else collapsedFolders.add(p);
    store('collapsed', Array.from(collapsedFolders).join('\n'));
    renderFolders();
    var again = foldersEl.querySelector('[data-toggle="' + CSS.escape(p) + '"]');
    if (again) again.focus();
    return;
  }
  if (ev.target.closest('a.folder-link')) closeDrawer();
});

// Drag and drop of messages onto folders.
function dropTarget(ev) {
  var li = ev.target.closest && ev.target.closest('li[data-path]');
  if (!li || !getDragUids()) return null;
  var f = folderMap.get(li.dataset.path);
  if (!f || f.selectable === false || f.path === getRoute().folder) return null;
  return li;
}
foldersEl.addEventListener('dragover', function (ev) {
  var li = dropTarget(ev);
  if (!li) return;
  ev.preventDefault();
  ev.dataTransfer.dropEffect = 'move';
  foldersEl.querySelectorAll('.drop-ok').forEach(function (n) { if (n !== li) n.classList.remove('drop-ok'); });
  li.classList.add('drop-ok');
});
foldersEl.addEventListener('dragleave', function (ev) {
  var li = ev.target.closest && ev.target.closest('li[data-path]');
  if (li && !li.contains(ev.relatedTarget)) li.classList.remove('drop-ok');
});
foldersEl.addEventListener('drop', function (ev) {
  var li = dropTarget(ev);
  foldersEl.querySelectorAll('.drop-ok').forEach(function (n) { n.classList.remove('drop-ok'); });
  if (!li) return;
  ev.preventDefault();
  var uids = getDragUids();
  setDragUids(null);
  moveMessages(uids, li.dataset.path);
});

// ---- folder management: new folder, context menu, rename, delete, subscribe, empty ----
// Every change goes through the JSON API and ends with a fresh folder list;
// the server has the last word on names, the checks here only spare a trip.

export var folderMenu = $('folder-menu');
var PROTECTED = { inbox: true, drafts: true, sent: true, junk: true, trash: true, archive: true };
var CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

function delimiter() {
  var inbox = folderMap.get('INBOX');
  if (inbox && inbox.delimiter) return inbox.delimiter;
  for (var i = 0; i < getFolders().length; i++) if (getFolders()[i].delimiter) return getFolders()[i].delimiter;
  return '/';
}
function isProtected(f) {
  return !!f && (!!PROTECTED[f.special] || f.path.toUpperCase() === 'INBOX');
}
function isInside(path, ancestor) {
  return path === ancestor || path.indexOf(ancestor + delimiter()) === 0;
}
function folderButton(path) {
  return foldersEl.querySelector('[data-folder-menu="' + CSS.escape(path) + '"]');
}
function menuItem(action) { return folderMenu.querySelector('[data-folder-action="' + action + '"]'); }

// The folder list is redrawn by polls and count updates: keep an open
// menu tied to the new button of its folder.
function rebindFolderMenu() {
  if (!getMenuFolder() || folderMenu.hidden) return;
  var b = folderButton(getMenuFolder());
  if (!b || !folderMap.has(getMenuFolder())) { closeMenus(); return; }
  b.setAttribute('aria-expanded', 'true');
  b.closest('li').classList.add('menu-open');
  setOpenMenuBtn(b);
}

function buildFolderMenu(f) {
  $('folder-menu-title').textContent = displayName(f);
  var prot = isProtected(f);
  menuItem('rename').disabled = prot;
  menuItem('delete').disabled = prot;
  var canEmpty = f.special === 'trash' || f.special === 'junk';
  menuItem('empty').hidden = !canEmpty;
  folderMenu.querySelector('[data-for="empty"]').hidden = !canEmpty;
  menuItem('empty').disabled = canEmpty && Number(f.total) === 0;
  menuItem('read').disabled = !(f.unseen > 0);
  var sub = menuItem('subscribe');
  var subscribed = f.subscribed !== false;
  sub.querySelector('span').textContent = subscribed ? t('L_MAIL_FOLDER_UNSUBSCRIBE', 'Unsubscribe') : t('L_MAIL_FOLDER_SUBSCRIBE', 'Subscribe');
  setIcon(sub, subscribed ? 'eye-off' : 'eye');
  sub.disabled = f.path.toUpperCase() === 'INBOX';
  $('folder-menu-note').hidden = !prot;
}

function placeFolderMenu(point, rect) {
  folderMenu.style.left = '0px';
  folderMenu.style.top = '0px';
  var w = folderMenu.offsetWidth;
  var h = folderMenu.offsetHeight;
  var vw = document.documentElement.clientWidth;
  var vh = document.documentElement.clientHeight;
  var x, y;
  if (point) {
    x = point.x;
    y = point.y;
    if (y + h > vh - 8) y = point.y - h;
  } else {
    x = rect.left;
    y = rect.bottom + 4;
    if (y + h > vh - 8) y = rect.top - h - 4;
  }
  x = Math.max(8, Math.min(x, vw - w - 8));
  y = Math.max(8, Math.min(y, vh - h - 8));
  folderMenu.style.left = Math.round(x) + 'px';
  folderMenu.style.top = Math.round(y) + 'px';
}

// point: where a right click or long press happened; without it the menu
// hangs under the folder's ⋯ button. force: open even if already open.
function openFolderMenu(path, point, force) {
  var f = folderMap.get(path);
  var btn = folderButton(path);
  if (!f || !btn) return;
  if (getOpenMenuBtn() === btn && !force) { closeMenus(true); return; }
  closeMenus();
  setMenuFolder(path);
  buildFolderMenu(f);
  folderMenu.hidden = false;
  btn.setAttribute('aria-expanded', 'true');
  var li = btn.closest('li');
  li.classList.add('menu-open');
  setOpenMenuBtn(btn);
  placeFolderMenu(point, (li.querySelector('.folder-link') || btn).getBoundingClientRect());
  var first = folderMenu.querySelector('.menu-item:not([disabled]):not([hidden])');
  if (first) first.focus({ preventScroll: true });
}

foldersEl.addEventListener('click', function (ev) {
  var b = ev.target.closest('[data-folder-menu]');
  if (!b) return;
  ev.preventDefault();
  openFolderMenu(b.dataset.folderMenu);
});
foldersEl.addEventListener('contextmenu', function (ev) {
  var li = ev.target.closest('li[data-path]');
  if (!li) return;
  ev.preventDefault();
  // A long press already opened it (Chrome on Android fires both).
  if (getMenuFolder() === li.dataset.path && !folderMenu.hidden && pressFired) return;
  var fromKeyboard = ev.clientX === 0 && ev.clientY === 0;
  openFolderMenu(li.dataset.path, fromKeyboard ? null : { x: ev.clientX, y: ev.clientY }, true);
});

// Long press on touch screens.
var pressTimer = 0;
var pressFired = false;
var pressAt = null;
foldersEl.addEventListener('touchstart', function (ev) {
  var li = ev.target.closest('li[data-path]');
  pressFired = false;
  clearTimeout(pressTimer);
  if (!li || ev.touches.length !== 1 || ev.target.closest('[data-folder-menu], [data-toggle]')) return;
  pressAt = { x: ev.touches[0].clientX, y: ev.touches[0].clientY };
  pressTimer = setTimeout(function () {
    pressFired = true;
    openFolderMenu(li.dataset.path, pressAt, true);
  }, 550);
}, { passive: true });
foldersEl.addEventListener('touchmove', function (ev) {
  if (!pressAt || !ev.touches.length) return;
  var dx = ev.touches[0].clientX - pressAt.x;
  var dy = ev.touches[0].clientY - pressAt.y;
  if (dx * dx + dy * dy > 100) clearTimeout(pressTimer);
}, { passive: true });
foldersEl.addEventListener('touchend', function (ev) {
  clearTimeout(pressTimer);
  if (pressFired) ev.preventDefault();   // no click, the menu stays
});
foldersEl.addEventListener('touchcancel', function () { clearTimeout(pressTimer); });
foldersEl.addEventListener('click', function (ev) {
  if (!pressFired) return;
  pressFired = false;
  ev.preventDefault();
  ev.stopPropagation();
}, true);

folderMenu.addEventListener('click', function (ev) {
  var b = ev.target.closest('[data-folder-action]');
  if (!b || b.disabled) return;
  var f = folderMap.get(getMenuFolder());
  var ret = getOpenMenuBtn();
  closeMenus();
  if (!f) return;
  switch (b.dataset.folderAction) {
    case 'subfolder': openFolderDialog({ mode: 'create', parent: f.path, returnTo: ret }); break;
    case 'rename': openFolderDialog({ mode: 'rename', folder: f, returnTo: ret }); break;
    case 'delete': openFolderDialog({ mode: 'delete', folder: f, returnTo: ret }); break;
    case 'empty': openFolderDialog({ mode: 'empty', folder: f, returnTo: ret }); break;
    case 'read': markFolderRead(f.path); break;
    case 'subscribe': toggleSubscribed(f); break;
    default: break;
  }
});

$('folder-new').addEventListener('click', function () {
  openFolderDialog({ mode: 'create', parent: '', returnTo: $('folder-new') });
});

// Server refusals: the localized message, plus the mail server's own
// words when it was the one saying no.
function folderFail(err) {
  if (err && err.silent) return;
  var text = err && err.message ? err.message : String(err);
  if (err && err.code === 'RemoteError' && err.detail) text += ' (' + err.detail + ')';
  toast(text, { error: true });
}

// ---- the folder dialog (create, rename, confirm delete / empty) ----

export var fdOverlay = $('folder-dialog');
export var fdForm = $('fd-form');
var fdName = $('fd-name');
var fdParent = $('fd-parent');
var fdSubmit = $('fd-submit');
var fdState = null;

function fillParents(exclude, selected) {
  var frag = document.createDocumentFragment();
  var top = el('option', '', t('L_MAIL_FOLDER_PARENT_NONE', 'Top level'));
  top.value = '';
  frag.appendChild(top);
  getFolders().forEach(function (f) {
    if (exclude && isInside(f.path, exclude)) return;
    var o = el('option', '', '\u00a0\u00a0\u00a0'.repeat(Math.min(7, f.depth || 0)) + displayName(f));
    o.value = f.path;
    frag.appendChild(o);
  });
  fdParent.replaceChildren(frag);
  fdParent.value = selected && folderMap.has(selected) ? selected : '';
}

function showFdError(text) {
  var box = $('fd-error');
  box.textContent = text;
  box.hidden = !text;
  if (text) fdName.setAttribute('aria-invalid', 'true'); else fdName.removeAttribute('aria-invalid');
}

function openFolderDialog(state) {
  fdState = state;
  if (!state.returnTo) state.returnTo = document.activeElement;
  var confirm = state.mode === 'delete' || state.mode === 'empty';
  var f = state.folder;
  $('fd-confirm').hidden = !confirm;
  $('fd-name-field').hidden = confirm;
  $('fd-parent-field').hidden = confirm;
  fdForm.classList.toggle('fd-danger', confirm);
  fdForm.dataset.mode = state.mode;
  showFdError('');
  fdSubmit.disabled = false;
  fdForm.removeAttribute('aria-busy');
  var delim = delimiter();
  $('fd-hint').textContent = tf('L_MAIL_FOLDER_HINT', 'Type {delim} in the name to make subfolders in one go.', { delim: delim });
  if (state.mode === 'create') {
    $('fd-title').textContent = state.parent ? t('L_MAIL_FOLDER_NEW_SUB', 'New subfolder') : t('L_MAIL_FOLDER_NEW', 'New folder');
    fdSubmit.textContent = t('L_MAIL_FOLDER_CREATE', 'Create');
    fillParents(null, state.parent);
    fdName.value = '';
  } else if (state.mode === 'rename') {
    $('fd-title').textContent = t('L_MAIL_FOLDER_RENAME_TITLE', 'Rename folder');
    fdSubmit.textContent = t('L_MAIL_FOLDER_SAVE', 'Rename');
    var parent = parentOf(f);
    fillParents(f.path, parent);
    fdName.value = parent ? f.path.slice(parent.length + delim.length) : f.path;
  } else if (state.mode === 'delete') {
    $('fd-title').textContent = t('L_MAIL_FOLDER_DELETE_TITLE', 'Delete folder?');
    fdSubmit.textContent = t('L_MAIL_FOLDER_CONFIRM_DELETE', 'Delete');
    $('fd-text').textContent = tf('L_MAIL_FOLDER_DELETE_TEXT', 'The folder “{name}” will be deleted.', { name: displayName(f) });
    var sub = tf('L_MAIL_FOLDER_DELETE_COUNT', 'Messages in it: {n}.', { n: num(Number(f.total) || 0) });
    var hasKids = getFolders().some(function (x) { return x.path !== f.path && isInside(x.path, f.path); });
    if (hasKids) sub += ' ' + t('L_MAIL_FOLDER_DELETE_CHILDREN', 'Its subfolders are kept.');
    $('fd-subtext').textContent = sub;
  } else {
    $('fd-title').textContent = t('L_MAIL_FOLDER_EMPTY_TITLE', 'Empty folder?');
    fdSubmit.textContent = t('L_MAIL_FOLDER_CONFIRM_EMPTY', 'Empty');
    $('fd-text').textContent = tf('L_MAIL_FOLDER_EMPTY_TEXT', 'All getMessages() in “{name}” will be deleted for good.', { name: displayName(f) });
    $('fd-subtext').textContent = tf('L_MAIL_FOLDER_EMPTY_COUNT', 'Messages: {n}.', { n: num(Number(f.total) || 0) });
  }
  fdForm.setAttribute('aria-describedby', confirm ? 'fd-text fd-subtext' : 'fd-hint');
  fdOverlay.hidden = false;
  if (confirm) {
    fdForm.querySelector('.dialog-foot [data-action="fd-cancel"]').focus();
  } else {
    fdName.focus();
    fdName.select();
  }
}

export function closeFolderDialog() {
  if (fdOverlay.hidden) return false;
  fdOverlay.hidden = true;
  var st = fdState;
  fdState = null;
  var back = st && st.returnTo;
  if (back && !back.isConnected && back.dataset && back.dataset.folderMenu) back = folderButton(back.dataset.folderMenu);
  if (!back || !back.isConnected) back = $('folder-new');
  if (back && back.focus) back.focus({ preventScroll: true });
  return true;
}

fdOverlay.addEventListener('click', function (ev) {
  if (ev.target === fdOverlay || ev.target.closest('[data-action="fd-cancel"]')) closeFolderDialog();
});
fdName.addEventListener('input', function () { if (!$('fd-error').hidden) showFdError(''); });

// The new path from the name field and the parent choice, or an error.
function wantedPath() {
  var raw = fdName.value;
  var delim = delimiter();
  if (CONTROL_CHARS.test(raw)) return { error: t('L_MAIL_FOLDER_ERR_CONTROL', 'Folder names cannot contain control characters.') };
  var name = raw.trim();
  if (!name) return { error: t('L_MAIL_FOLDER_ERR_EMPTY', 'Please enter a folder name.') };
  var parts = name.split(delim).map(function (p) { return p.trim(); });
  if (parts.some(function (p) { return !p; })) {
    return { error: tf('L_MAIL_FOLDER_ERR_PARTS', 'A part of the name is empty.', { delim: delim }) };
  }
  var parent = fdParent.value;
  var path = (parent ? parent + delim : '') + parts.join(delim);
  var old = fdState.folder ? fdState.folder.path : null;
  if (old && path === old) return { error: t('L_MAIL_FOLDER_ERR_SAME', 'That is the current name.') };
  if (old && isInside(path, old)) return { error: t('L_MAIL_FOLDER_ERR_INSIDE', 'A folder cannot be moved into itself.') };
  var clash = getFolders().some(function (f) {
    return f.path === path || (path.toUpperCase() === 'INBOX' && f.path.toUpperCase() === 'INBOX');
  });
  if (clash) return { error: t('L_MAIL_FOLDER_ERR_EXISTS', 'A folder with this name already exists here.') };
  return { path: path };
}

function leafName(path) {
  var d = delimiter();
  var i = path.lastIndexOf(d);
  return i >= 0 ? path.slice(i + d.length) : path;
}

// Reload the folders; if the open folder (or one above it) was renamed or
// deleted, follow it to its new name or go to the inbox.
function afterFolderChange(oldPath, newPath) {
  var cur = getRoute().folder;
  var affected = oldPath && isInside(cur, oldPath);
  if (oldPath) {
    Array.from(collapsedFolders).forEach(function (p) {
      if (!isInside(p, oldPath)) return;
      collapsedFolders.delete(p);
      if (newPath) collapsedFolders.add(newPath + p.slice(oldPath.length));
    });
    store('collapsed', Array.from(collapsedFolders).join('\n'));
  }
  return loadFolders().catch(folderFail).then(function () {
    if (!affected) return;
    var inbox = specialFolder('inbox');
    var next = newPath ? newPath + cur.slice(oldPath.length) : (inbox ? inbox.path : 'INBOX');
    navigate({ folder: next, page: 1, q: '', m: null }, { replace: true });
  });
}

function revealFolder(path) {
  var changed = false;
  var d = delimiter();
  for (var i = path.indexOf(d); i > 0; i = path.indexOf(d, i + d.length)) {
    if (collapsedFolders.delete(path.slice(0, i))) changed = true;
  }
  if (changed) {
    store('collapsed', Array.from(collapsedFolders).join('\n'));
    renderFolders();
  }
  var li = foldersEl.querySelector('li[data-path="' + CSS.escape(path) + '"]');
  if (!li) return;
  li.scrollIntoView({ block: 'nearest' });
  li.classList.add('just-changed');
  setTimeout(function () { li.classList.remove('just-changed'); }, 1600);
}

fdForm.addEventListener('submit', function (ev) {
  ev.preventDefault();
  if (!fdState || fdForm.getAttribute('aria-busy') === 'true') return;
  var st = fdState;
  var f = st.folder;
  var call;
  var done;
  if (st.mode === 'create' || st.mode === 'rename') {
    var want = wantedPath();
    if (want.error) {
      showFdError(want.error);
      fdName.focus();
      return;
    }
    if (st.mode === 'create') {
      call = api('FolderCreate', { path: want.path });
      done = function () {
        toast(tf('L_MAIL_FOLDER_CREATED', 'Folder created: {name}', { name: leafName(want.path) }));
        return afterFolderChange(null, null).then(function () { revealFolder(want.path); });
      };
    } else {
      call = api('FolderRename', { path: f.path, newPath: want.path });
      done = function () {
        toast(tf('L_MAIL_FOLDER_RENAMED', 'Folder renamed: {name}', { name: leafName(want.path) }));
        return afterFolderChange(f.path, want.path).then(function () { revealFolder(want.path); });
      };
    }
  } else if (st.mode === 'delete') {
    call = api('FolderDelete', { path: f.path });
    done = function () {
      toast(tf('L_MAIL_FOLDER_DELETED', 'Folder deleted: {name}', { name: displayName(f) }));
      return afterFolderChange(f.path, null);
    };
  } else {
    call = api('FolderEmpty', { path: f.path });
    done = function () {
      toast(tf('L_MAIL_FOLDER_EMPTIED', 'Folder emptied: {name}', { name: displayName(f) }));
      var p = loadFolders().catch(folderFail);
      if (getRoute().folder === f.path) {
        selection.clear();
        setCursor(null); setAnchor(null);
        if (getRoute().m) navigate({ m: null }, { replace: true });
        p = Promise.all([p, loadList({ keepScroll: false })]);
      }
      return p;
    };
  }
  fdForm.setAttribute('aria-busy', 'true');
  fdSubmit.disabled = true;
  call.then(function () {
    fdForm.removeAttribute('aria-busy');
    fdSubmit.disabled = false;
    if (fdState === st) closeFolderDialog();
    return done();
  }, function (err) {
    fdForm.removeAttribute('aria-busy');
    fdSubmit.disabled = false;
    folderFail(err);
    // A name the server refused can be corrected; a failed confirmation
    // has nothing left to decide.
    if (st.mode === 'delete' || st.mode === 'empty') {
      closeFolderDialog();
      afterFolderChange(null, null);
    } else if (fdState === st) {
      fdName.focus();
    }
  });
});

function toggleSubscribed(f) {
  var value = f.subscribed === false;
  api('FolderSubscribe', { path: f.path, value: value }).then(function () {
    toast(tf(value ? 'L_MAIL_FOLDER_SUBSCRIBED_OK' : 'L_MAIL_FOLDER_UNSUBSCRIBED_OK', '{name}', { name: displayName(f) }));
    return loadFolders();
  }).catch(folderFail);
}
