/*
 * Labels (issue 17): named, coloured IMAP keywords. The definitions come
 * from the Labels call (the user's, kept server-side; Thunderbird's
 * $label1..$label5 by default); the keywords are on the messages, so
 * other mail clients see them. Here: the chips in list rows and the
 * message view, the "Label" menus (list toolbar and message toolbar, a
 * checkbox per label, tri-state for a mixed selection, "New label…"),
 * the Labels entries in the sidebar that filter the folder shown
 * (keyword: in the search, IMAP SEARCH KEYWORD), the "l" shortcut and
 * the Settings → Labels section. A keyword that has no definition shows
 * as a neutral chip with the keyword (modified UTF-7 decoded) as its name.
 * Colour is never the only cue: every chip and menu item shows the name.
 */

import { $, el, icon } from '../lib/dom.js';
import { api, fail, foldersEl, isPhone, t, tf, toast } from './common.js';
import { byUid, getOpenUid, getRoute, selection } from './state.js';
import { navigate } from './router.js';
import { closeMenus, toggleMenu } from './chrome.js';
import { rowFor, targetUids } from './list.js';

var labels = [];          // [{ keyword, name, colour }] in the user's order
var colours = [];         // the palette names
var byKw = new Map();     // lower-cased keyword -> label
var loading = null;

var COLOUR_KEYS = {
  red: 'L_LABELS_COLOUR_RED', orange: 'L_LABELS_COLOUR_ORANGE', yellow: 'L_LABELS_COLOUR_YELLOW',
  green: 'L_LABELS_COLOUR_GREEN', teal: 'L_LABELS_COLOUR_TEAL', blue: 'L_LABELS_COLOUR_BLUE',
  purple: 'L_LABELS_COLOUR_PURPLE', pink: 'L_LABELS_COLOUR_PINK', gray: 'L_LABELS_COLOUR_GRAY'
};
function colourName(c) { return t(COLOUR_KEYS[c] || '', c); }

// ---- definitions ------------------------------------------------------------

export function loadLabels() {
  loading = api('Labels', {}, { quiet: true }).then(takeLabels).catch(function (e) { loading = null; fail(e); });
  return loading;
}

function takeLabels(data) {
  labels = (data && data.labels) || [];
  colours = (data && data.colours) || colours;
  byKw = new Map();
  labels.forEach(function (l) { byKw.set(l.keyword.toLowerCase(), l); });
  renderSidebar();
  refreshAllChips();
  document.dispatchEvent(new CustomEvent('petrel:labels'));
  return data;
}

// Modified UTF-7 (RFC 3501 5.1.3), how other clients (and LabelSave)
// write names that are not ASCII into a keyword: "caf&AOk-" is "café".
export function decodeKeyword(kw) {
  return kw.replace(/&([A-Za-z0-9+,]*)-/g, function (all, b64) {
    if (!b64) return '&';
    try {
      var s = b64.replace(/,/g, '/');
      var bin = atob(s + '==='.slice((s.length + 3) % 4));
      var out = '';
      for (var i = 0; i + 1 < bin.length; i += 2) out += String.fromCharCode((bin.charCodeAt(i) << 8) | bin.charCodeAt(i + 1));
      return out;
    } catch (e) {
      return all;
    }
  });
}

// The label a keyword stands for; a neutral one when it has no definition.
export function labelFor(kw) {
  return byKw.get(String(kw).toLowerCase()) || { keyword: kw, name: decodeKeyword(kw), colour: '' };
}

function has(m, kw) {
  var k = kw.toLowerCase();
  return (m.keywords || []).some(function (x) { return x.toLowerCase() === k; });
}

// ---- chips --------------------------------------------------------------

function chip(l) {
  var c = el('span', 'lbl-chip lbl-' + (l.colour || 'none'));
  c.title = l.name;
  c.dataset.keyword = l.keyword;
  var dot = el('span', 'lbl-dot');
  dot.setAttribute('aria-hidden', 'true');
  c.append(dot, el('span', 'lbl-name', l.name));
  return c;
}

// The chips of keywords in the user's order (defined ones first), at most
// max of them and a "+n" for the rest; null when there are none.
export function chips(keywords, max) {
  if (!keywords || !keywords.length) return null;
  var list = keywords.map(labelFor).sort(function (a, b) {
    var ia = labels.indexOf(byKw.get(a.keyword.toLowerCase())), ib = labels.indexOf(byKw.get(b.keyword.toLowerCase()));
    return (ia < 0 ? 1e6 : ia) - (ib < 0 ? 1e6 : ib);
  });
  var box = el('span', 'lbl-chips');
  box.appendChild(el('span', 'visually-hidden', t('L_LABELS_ON', 'Labels:')));
  var shown = max ? list.slice(0, max) : list;
  shown.forEach(function (l) { box.appendChild(chip(l)); });
  if (shown.length < list.length) {
    var more = el('span', 'lbl-more', tf('L_LABELS_MORE', '+{n}', { n: list.length - shown.length }));
    more.title = list.slice(shown.length).map(function (l) { return l.name; }).join(', ');
    box.appendChild(more);
  }
  return box;
}

// list.js: the chips of a row, before its subject.
export function rowChips(line2, m) {
  var c = chips(m.keywords, isPhone() ? 1 : 2);
  if (c) line2.insertBefore(c, line2.querySelector('.row-subject'));
}

function refreshRow(uid) {
  var row = rowFor(uid), m = byUid.get(uid);
  if (!row || !m) return;
  var line2 = row.querySelector('.row-line2');
  var old = line2 && line2.querySelector('.lbl-chips');
  if (old) old.remove();
  if (line2) rowChips(line2, m);
}

// The open message's chips, after the state badges: its list row's
// keywords (they follow changes made here), else what the Message call
// said (a message that is not on the page, e.g. opened by its URL).
var viewKeywords = null;   // { folder, uid, keywords } of the last Message
function renderViewChips() {
  var badges = $('msg-badges');
  if (!badges) return;
  var old = badges.querySelector('.lbl-chips');
  if (old) old.remove();
  var uid = getOpenUid();
  var m = uid !== null ? byUid.get(uid) : null;
  var kws = m ? m.keywords : viewKeywords && viewKeywords.uid === uid && viewKeywords.folder === getRoute().folder ? viewKeywords.keywords : null;
  var c = uid !== null && !getRoute().part ? chips(kws, 0) : null;
  if (c) badges.appendChild(c);
}
document.addEventListener('petrel:message', function (ev) {
  if (ev.detail) viewKeywords = { folder: ev.detail.folder, uid: ev.detail.uid, keywords: ev.detail.keywords || [] };
  renderViewChips();
});

function refreshAllChips() {
  byUid.forEach(function (m, uid) { refreshRow(uid); });
  renderViewChips();
}

// ---- setting and clearing ---------------------------------------------------------

// Add and remove keywords on uids of the folder shown: the rows change at
// once and change back if the server refuses.
export function setKeywords(uids, add, remove) {
  if (!uids.length) return Promise.resolve();
  var folder = getRoute().folder;
  var before = new Map();
  function changed(list) {
    var kws = (list || []).filter(function (k) {
      return !remove.some(function (r) { return r.toLowerCase() === k.toLowerCase(); });
    });
    add.forEach(function (a) { if (!has({ keywords: kws }, a)) kws.push(a); });
    return kws;
  }
  var view = viewKeywords && viewKeywords.folder === folder && uids.indexOf(viewKeywords.uid) >= 0 ? viewKeywords : null;
  var viewBefore = view ? view.keywords : null;
  if (view) view.keywords = changed(view.keywords);
  uids.forEach(function (u) {
    var m = byUid.get(u);
    if (!m) return;
    before.set(u, (m.keywords || []).slice());
    m.keywords = changed(m.keywords);
    refreshRow(u);
  });
  renderViewChips();
  var body = { folder: folder, uids: uids };
  if (add.length) body.add = add;
  if (remove.length) body.remove = remove;
  return api('MessageSetKeywords', body).catch(function (err) {
    if (view) view.keywords = viewBefore;
    before.forEach(function (kws, u) {
      var m = byUid.get(u);
      if (m) { m.keywords = kws; refreshRow(u); }
    });
    renderViewChips();
    fail(err);
  });
}

// ---- the Label menus --------------------------------------------------------

// The keywords of a message of the folder shown, as far as known.
function keywordsOf(uid) {
  var m = byUid.get(uid);
  if (m) return m.keywords || [];
  return viewKeywords && viewKeywords.uid === uid && viewKeywords.folder === getRoute().folder ? viewKeywords.keywords : [];
}

// 'true', 'false' or 'mixed' for kw over the messages of uids.
function stateOf(uids, kw) {
  var n = 0;
  uids.forEach(function (u) { if (has({ keywords: keywordsOf(u) }, kw)) n++; });
  return n === 0 ? 'false' : n === uids.length ? 'true' : 'mixed';
}

function buildMenu(menu, uids) {
  var frag = document.createDocumentFragment();
  frag.appendChild(el('p', 'menu-label', t('L_LABELS_LABEL_AS', 'Label as')));
  var shown = labels.slice();
  // Keywords of the selection without a definition, so they can come off.
  uids.forEach(function (u) {
    keywordsOf(u).forEach(function (k) {
      if (!shown.some(function (l) { return l.keyword.toLowerCase() === k.toLowerCase(); })) shown.push(labelFor(k));
    });
  });
  shown.forEach(function (l) {
    var b = el('button', 'menu-item lbl-item');
    b.type = 'button';
    b.setAttribute('role', 'menuitemcheckbox');
    b.setAttribute('aria-checked', stateOf(uids, l.keyword));
    b.dataset.keyword = l.keyword;
    var box = el('span', 'lbl-check');
    box.setAttribute('aria-hidden', 'true');
    box.appendChild(icon('check'));
    var dot = el('span', 'lbl-dot lbl-' + (l.colour || 'none'));
    dot.setAttribute('aria-hidden', 'true');
    b.append(box, dot, el('span', 'lbl-item-name', l.name));
    frag.appendChild(b);
  });
  if (!shown.length) frag.appendChild(el('p', 'menu-note', t('L_LABELS_EMPTY', 'No labels yet.')));
  frag.appendChild(el('div', 'menu-sep'));
  var nb = el('button', 'menu-item');
  nb.type = 'button';
  nb.setAttribute('role', 'menuitem');
  nb.dataset.newLabel = '1';
  nb.append(icon('plus'), el('span', '', t('L_LABELS_NEW', 'New label…')));
  frag.appendChild(nb);
  var manage = el('a', 'menu-item');
  manage.setAttribute('role', 'menuitem');
  manage.href = '#/settings/labels';
  manage.append(icon('sliders'), el('span', '', t('L_LABELS_MANAGE', 'Manage labels')));
  frag.appendChild(manage);
  menu.replaceChildren(frag);
}

function wireMenu(btn, menu, uidsFn) {
  btn.addEventListener('click', function () {
    toggleMenu(btn, function () { buildMenu(menu, uidsFn()); });
  });
  menu.addEventListener('click', function (ev) {
    if (ev.target.closest('a.menu-item')) { closeMenus(); return; }
    var uids = uidsFn();
    if (ev.target.closest('[data-new-label]')) {
      closeMenus();
      newLabelDialog().then(function (l) {
        if (l && uids.length) setKeywords(uids, [l.keyword], []);
      });
      return;
    }
    var item = ev.target.closest('[data-keyword]');
    if (!item || !uids.length) return;
    // Checked: take it off all of them; unchecked or mixed: put it on all.
    var on = item.getAttribute('aria-checked') !== 'true';
    item.setAttribute('aria-checked', String(on));
    setKeywords(uids, on ? [item.dataset.keyword] : [], on ? [] : [item.dataset.keyword]);
  });
}

function menuButton(id, menuId, cls) {
  var wrap = el('span', 'menu-wrap');
  var b = el('button', 'icon-btn');
  b.type = 'button';
  b.id = id;
  b.setAttribute('aria-haspopup', 'menu');
  b.setAttribute('aria-expanded', 'false');
  b.setAttribute('aria-controls', menuId);
  b.setAttribute('aria-label', t('L_LABELS_LABEL', 'Label'));
  b.title = t('L_LABELS_LABEL', 'Label') + ' (l)';
  b.appendChild(icon('tag'));
  var menu = el('div', 'menu menu-scroll ' + (cls || ''));
  menu.id = menuId;
  menu.setAttribute('role', 'menu');
  menu.setAttribute('aria-label', t('L_LABELS_LABEL_AS', 'Label as'));
  menu.hidden = true;
  wrap.append(b, menu);
  return { wrap: wrap, button: b, menu: menu };
}

// The list toolbar's menu (after "Copy to"): the selection.
var listMenu = menuButton('label-btn', 'label-menu', 'menu-right');
listMenu.button.dataset.needsSelection = '';
var copyWrap = $('copy-btn') && $('copy-btn').closest('.menu-wrap');
if (copyWrap) copyWrap.after(listMenu.wrap);
wireMenu(listMenu.button, listMenu.menu, targetUids);

// The message toolbar's menu (after Delete, so it stays on a phone's
// screen): the open message.
var msgMenu = menuButton('msg-label-btn', 'msg-label-menu', '');
var msgDelete = document.querySelector('.msg-toolbar [data-action="msg-delete"]');
if (msgDelete) msgDelete.after(msgMenu.wrap);
wireMenu(msgMenu.button, msgMenu.menu, function () { return getOpenUid() !== null ? [getOpenUid()] : []; });

// keyboard.js: "l" opens the Label menu of what the user looks at.
export function openLabelMenu() {
  var msgShown = getOpenUid() !== null && !$('message').hidden && selection.size <= 1;
  var b = msgShown ? msgMenu.button : listMenu.button;
  if (b.disabled || b.offsetParent === null) b = msgShown ? listMenu.button : msgMenu.button;
  if (!b.disabled && b.offsetParent !== null) b.click();
}

// ---- a new label ------------------------------------------------------------------

function colourSelect(id, value) {
  var s = el('select');
  s.id = id;
  (colours.length ? colours : Object.keys(COLOUR_KEYS)).forEach(function (c) {
    var o = el('option', '', colourName(c));
    o.value = c;
    s.appendChild(o);
  });
  s.value = value || 'blue';
  return s;
}

// The "New label…" dialog: a name and a colour; resolves with the saved
// label, or null when cancelled.
export function newLabelDialog() {
  var S = window.Petrel && window.Petrel.settings;
  if (!S || !S.modal) return Promise.resolve(null);
  return new Promise(function (resolve) {
    var m = S.modal({ id: 'label-dialog', cls: 'dialog dialog-sm', title: t('L_LABELS_NEW_TITLE', 'New label'), bodyCls: 'fd-body', cancel: null }, resolve);
    var err = el('p', 'field-error');
    err.id = 'label-dialog-error';
    err.setAttribute('role', 'alert');
    err.hidden = true;
    var name = el('input');
    name.type = 'text';
    name.id = 'label-dialog-name';
    name.maxLength = 100;
    name.autocomplete = 'off';
    name.setAttribute('aria-describedby', err.id);
    var f1 = el('div', 'field');
    var l1 = el('label', 'field-label', t('L_LABELS_NAME', 'Name'));
    l1.htmlFor = name.id;
    var b1 = el('div', 'field-box');
    b1.appendChild(name);
    f1.append(l1, b1);
    var col = colourSelect('label-dialog-colour');
    var f2 = el('div', 'field');
    var l2 = el('label', 'field-label', t('L_LABELS_COLOUR', 'Colour'));
    l2.htmlFor = col.id;
    var b2 = el('div', 'field-box select-box lbl-colour-box');
    var dot = el('span', 'lbl-dot lbl-' + col.value);
    dot.setAttribute('aria-hidden', 'true');
    col.addEventListener('change', function () { dot.className = 'lbl-dot lbl-' + col.value; });
    b2.append(dot, col, icon('chevron-down', 'icon-sm select-caret'));
    f2.append(l2, b2);
    m.body.append(f1, f2, err);
    var foot = el('footer', 'dialog-foot');
    var cancel = el('button', 'btn btn-secondary', t('L_SETTINGS_CANCEL', 'Cancel'));
    cancel.type = 'button';
    var ok = el('button', 'btn btn-primary', t('L_LABELS_CREATE', 'Create'));
    ok.type = 'submit';
    ok.id = 'label-dialog-ok';
    foot.append(cancel, ok);
    m.form.appendChild(foot);
    cancel.addEventListener('click', function () { m.close(null); });
    m.form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var v = name.value.trim();
      if (!v) { err.textContent = t('L_LABELS_NAME_NEEDED', 'Give the label a name.'); err.hidden = false; name.focus(); return; }
      ok.disabled = true;
      api('LabelSave', { name: v, colour: col.value }).then(function (data) {
        takeLabels(data);
        toast(tf('L_LABELS_CREATED', 'Label “{name}” created', { name: data.label.name }));
        m.close(data.label);
      }, function (e) {
        ok.disabled = false;
        err.textContent = e.detail || e.message;
        err.hidden = false;
        name.focus();
      });
    });
    name.focus();
  });
}

// ---- the sidebar: filter by label ---------------------------------------------------

var KW_RE = /(^|\s)keyword:(\S+)/;
function filteredKeyword() {
  var m = KW_RE.exec((getRoute() && getRoute().q) || '');
  return m ? m[2] : null;
}

// list.js: the search chip's text, with "keyword:X" as "Label: Name".
export function queryText(q) {
  return String(q || '').replace(/(^|\s)(-?)keyword:(\S+)/g, function (all, sp, neg, kw) {
    return sp + neg + tf('L_LABELS_FILTER_CHIP', 'Label: {name}', { name: labelFor(kw).name });
  });
}

var nav = el('div', 'labels-nav');
nav.id = 'labels-nav';
nav.hidden = true;
function renderSidebar() {
  var row = el('div', 'sidebar-title-row');
  var title = el('p', 'sidebar-title', t('L_LABELS_TITLE', 'Labels'));
  title.id = 'labels-title';
  var manage = el('a', 'icon-btn folder-new-btn');
  manage.href = '#/settings/labels';
  manage.setAttribute('aria-label', t('L_LABELS_MANAGE', 'Manage labels'));
  manage.title = t('L_LABELS_MANAGE', 'Manage labels');
  manage.appendChild(icon('sliders'));
  row.append(title, manage);
  var ul = el('ul', 'folders labels-list');
  ul.setAttribute('aria-labelledby', title.id);
  var cur = filteredKeyword();
  labels.forEach(function (l) {
    var li = el('li');
    var a = el('a', 'folder-link label-link');
    a.href = '#';
    a.dataset.keyword = l.keyword;
    a.title = tf('L_LABELS_FILTER', 'Show messages labelled {name}', { name: l.name });
    if (cur && cur.toLowerCase() === l.keyword.toLowerCase()) a.setAttribute('aria-current', 'page');
    var dot = el('span', 'lbl-dot lbl-' + l.colour);
    dot.setAttribute('aria-hidden', 'true');
    a.append(dot, el('span', 'folder-name', l.name));
    li.appendChild(a);
    ul.appendChild(li);
  });
  nav.replaceChildren(row, ul);
  nav.hidden = !labels.length;
}
if (foldersEl) foldersEl.after(nav);
nav.addEventListener('click', function (ev) {
  var a = ev.target.closest('[data-keyword]');
  if (!a) return;
  ev.preventDefault();
  // A second click on the active label drops the filter.
  var cur = filteredKeyword();
  var q = cur && cur.toLowerCase() === a.dataset.keyword.toLowerCase() ? '' : 'keyword:' + a.dataset.keyword;
  if (window.Petrel && window.Petrel.closeDrawer) window.Petrel.closeDrawer();
  navigate({ q: q, page: 1, m: null });
});
// After app.js's onRoute() has taken the new route.
window.addEventListener('hashchange', function () { setTimeout(function () { if (labels.length) renderSidebar(); }, 0); });

// ---- Settings → Labels ------------------------------------------------------------------

function renderSettings(box) {
  var P = window.Petrel;
  var head = el('div', 'set-page-head');
  var titles = el('div', 'set-page-titles');
  var h = el('h2', 'set-page-title', t('L_LABELS_TITLE', 'Labels'));
  h.tabIndex = -1;
  titles.append(h, el('p', 'set-lead', t('L_LABELS_LEAD', '')));
  var add = P.button('btn btn-primary set-head-btn', t('L_LABELS_NEW', 'New label…'), 'plus');
  add.id = 'label-new';
  head.append(titles, add);
  var list = el('ul', 'lbl-set-list');
  list.id = 'label-list';
  box.append(head, list);

  function draw() {
    list.replaceChildren();
    if (!labels.length) list.appendChild(el('li', 'lbl-set-empty', t('L_LABELS_EMPTY', 'No labels yet.')));
    labels.forEach(function (l, i) {
      var li = el('li', 'lbl-set-row');
      li.dataset.keyword = l.keyword;
      var dot = el('span', 'lbl-dot lbl-' + l.colour);
      dot.setAttribute('aria-hidden', 'true');
      var name = el('input', 'set-input lbl-set-name');
      name.type = 'text';
      name.value = l.name;
      name.maxLength = 100;
      name.id = 'label-name-' + i;
      name.setAttribute('aria-label', tf('L_LABELS_NAME_OF', 'Name of the label “{name}”', { name: l.name }));
      var col = colourSelect('label-colour-' + i, l.colour);
      col.className = 'set-input lbl-set-colour';
      col.setAttribute('aria-label', tf('L_LABELS_COLOUR_OF', 'Colour of the label “{name}”', { name: l.name }));
      col.addEventListener('change', function () { dot.className = 'lbl-dot lbl-' + col.value; });
      var kw = el('code', 'lbl-set-kw', l.keyword);
      kw.title = t('L_LABELS_KEYWORD', 'IMAP keyword');
      var save = P.button('btn btn-secondary btn-slim lbl-set-save', t('L_LABELS_SAVE', 'Save'));
      save.setAttribute('aria-label', tf('L_LABELS_SAVE_OF', 'Save the label “{name}”', { name: l.name }));
      var del = P.iconButton('trash', tf('L_LABELS_DELETE_OF', 'Delete the label “{name}”', { name: l.name }), 'lbl-set-del');
      save.addEventListener('click', function () {
        save.disabled = true;
        api('LabelSave', { keyword: l.keyword, name: name.value.trim(), colour: col.value }).then(function (data) {
          takeLabels(data);
          toast(t('L_LABELS_SAVED', 'Label saved'));
          draw();
        }, function (e) { save.disabled = false; fail(e); });
      });
      del.addEventListener('click', function () { deleteDialog(l).then(function (done) { if (done) draw(); }); });
      li.append(dot, name, col, kw, save, del);
      list.appendChild(li);
    });
  }
  add.addEventListener('click', function () { newLabelDialog().then(function (l) { if (l) draw(); }); });
  draw();
  if (!loading) loadLabels().then(draw);
}

function deleteDialog(l) {
  var S = window.Petrel.settings;
  return new Promise(function (resolve) {
    var m = S.modal({ id: 'label-delete', cls: 'dialog dialog-sm fd-danger', role: 'alertdialog', title: t('L_LABELS_DELETE_TITLE', 'Delete label?'), bodyCls: 'fd-body', cancel: false }, resolve);
    var txt = el('p', 'fd-text', tf('L_LABELS_DELETE_TEXT', 'The label “{name}” goes from your list.', { name: l.name }));
    txt.id = 'label-delete-text';
    m.form.setAttribute('aria-describedby', txt.id);
    var lab = el('label', 'lbl-del-check');
    var cb = el('input');
    cb.type = 'checkbox';
    cb.id = 'label-delete-messages';
    lab.append(cb, el('span', '', t('L_LABELS_DELETE_MESSAGES', 'Also remove it from every message in every folder')));
    m.body.append(txt, lab);
    var foot = el('footer', 'dialog-foot');
    var cancel = el('button', 'btn btn-secondary', t('L_SETTINGS_CANCEL', 'Cancel'));
    cancel.type = 'button';
    var ok = el('button', 'btn btn-primary', t('L_LABELS_DELETE', 'Delete'));
    ok.type = 'submit';
    ok.id = 'label-delete-ok';
    foot.append(cancel, ok);
    m.form.appendChild(foot);
    cancel.addEventListener('click', function () { m.close(false); });
    m.form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      ok.disabled = true;
      api('LabelDelete', { keyword: l.keyword, removeFromMessages: cb.checked }).then(function (data) {
        if (cb.checked) {
          byUid.forEach(function (msg) {
            if (has(msg, l.keyword)) msg.keywords = msg.keywords.filter(function (k) { return k.toLowerCase() !== l.keyword.toLowerCase(); });
          });
        }
        takeLabels(data);
        toast(t('L_LABELS_DELETED', 'Label deleted'));
        m.close(true);
      }, function (e) { ok.disabled = false; fail(e); });
    });
    cb.focus();
  });
}

document.addEventListener('DOMContentLoaded', function () {
  var S = window.Petrel && window.Petrel.settings;
  if (S) S.register({ id: 'labels', title: 'L_LABELS_TITLE', icon: 'tag', order: 45, render: renderSettings });
});

loadLabels();
