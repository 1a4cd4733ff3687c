/*
 * The frame around the list and the message: phone views and the folder
 * drawer, the drop-down menus, the help overlay and logout.
 */

import { $, el, icon } from '../lib/dom.js';
import { SPECIAL_ICONS, api, app, foldersEl, isPhone, isPhoneMq, listEl, searchInput, t } from './common.js';
import { getCursor, getFolders, getOpenMenuBtn, getPushedM, getRoute, setMenuFolder, setOpenMenuBtn, setPushedM } from './state.js';
import { inSettings, navigate } from './router.js';
import { displayName, folderMenu } from './folders.js';
import { copyMessages, moveMessages, rowFor, targetUids } from './list.js';

// ---- phone views and the drawer --------------------------------------------

var placeholders = [searchInput.placeholder, t('L_MAIL_SEARCH', 'Search mail')];
export function updateView() {
  app.dataset.view = inSettings() ? 'settings' : isPhone() && getRoute() && getRoute().m ? 'preview' : 'list';
  searchInput.placeholder = placeholders[isPhone() ? 1 : 0];
}
isPhoneMq.addEventListener('change', function () { updateView(); closeDrawer(); });

export function goBack() {
  if (getPushedM()) {
    setPushedM(false);
    history.back();
  } else {
    navigate({ m: null }, { replace: true });
  }
  var r = getCursor() !== null ? rowFor(getCursor()) : null;
  if (r) r.scrollIntoView({ block: 'nearest' });
  listEl.focus({ preventScroll: true });
}

export var drawerBtn = $('drawer-open');
function openDrawer() {
  app.classList.add('drawer-open');
  $('scrim').hidden = false;
  drawerBtn.setAttribute('aria-expanded', 'true');
  var cur = foldersEl.querySelector('[aria-current="page"]') || foldersEl.querySelector('a');
  if (cur) cur.focus();
}
export function closeDrawer() {
  if (!app.classList.contains('drawer-open')) return false;
  app.classList.remove('drawer-open');
  $('scrim').hidden = true;
  drawerBtn.setAttribute('aria-expanded', 'false');
  return true;
}
drawerBtn.addEventListener('click', openDrawer);
$('drawer-close').addEventListener('click', function () { closeDrawer(); drawerBtn.focus(); });
$('scrim').addEventListener('click', closeDrawer);

// ---- menus ----------------------------------------------------------------------

export function closeMenus(refocus) {
  if (!getOpenMenuBtn()) return false;
  var menu = $(getOpenMenuBtn().getAttribute('aria-controls'));
  menu.hidden = true;
  getOpenMenuBtn().setAttribute('aria-expanded', 'false');
  if (menu === folderMenu) {
    setMenuFolder(null);
    foldersEl.querySelectorAll('.menu-open').forEach(function (n) { n.classList.remove('menu-open'); });
  }
  if (refocus) getOpenMenuBtn().focus();
  setOpenMenuBtn(null);
  return true;
}
export function toggleMenu(btn, build) {
  var wasOpen = getOpenMenuBtn() === btn;
  closeMenus();
  if (wasOpen) return;
  if (build) build();
  var menu = $(btn.getAttribute('aria-controls'));
  menu.hidden = false;
  btn.setAttribute('aria-expanded', 'true');
  setOpenMenuBtn(btn);
  var first = menu.querySelector('.menu-item[aria-checked="true"]:not([disabled])') || menu.querySelector('.menu-item:not([disabled])');
  if (first) first.focus();
}
document.addEventListener('click', function (ev) {
  if (getOpenMenuBtn() && !ev.target.closest('.menu-wrap, #folder-menu, [data-folder-menu]')) closeMenus();
});

$('sort-btn').addEventListener('click', function () { toggleMenu($('sort-btn')); });
$('user-btn').addEventListener('click', function () { toggleMenu($('user-btn')); });
$('move-btn').addEventListener('click', function () { toggleMenu($('move-btn'), buildMoveMenu); });
$('msg-more').addEventListener('click', function () { toggleMenu($('msg-more')); });
$('msg-menu').addEventListener('click', function (ev) {
  if (ev.target.closest('a.menu-item, [data-compose]')) setTimeout(function () { closeMenus(); }, 0);
});

// ---- the list toolbar's More menu ----------------------------------------------

// The plain actions, least needed first: those that do not fit the list
// pane move into the More menu. The buttons with menus of their own (move,
// copy, label, export, snooze, sort) always stay: their menus open under
// them. A phone has its own scrolling toolbar.
var FOLDABLE = ['#all-read-btn', '[data-action="refresh"]', '#threads-btn',
  '[data-action="spam"]', '[data-action="notspam"]', '[data-action="unread"]',
  '[data-action="read"]', '[data-action="archive"]', '[data-action="flag"]',
  '[data-action="delete"]'];
var listToolbar = $('list-toolbar');
var moreWrap = $('list-more-wrap');
var moreBtn = $('list-more');

function foldable() {
  return FOLDABLE.map(function (q) { return listToolbar.querySelector(q); }).filter(Boolean);
}
function toolbarOverflows() { return listToolbar.scrollWidth > listToolbar.clientWidth + 1; }

export function fitListToolbar() {
  var bs = foldable();
  bs.forEach(function (b) { b.classList.remove('tb-folded'); });
  listToolbar.classList.remove('is-folded');
  moreWrap.hidden = true;
  if (isPhoneMq.matches || listToolbar.offsetParent === null || !toolbarOverflows()) return;
  listToolbar.classList.add('is-folded');
  moreWrap.hidden = false;
  for (var i = 0; i < bs.length && toolbarOverflows(); i++) {
    if (!bs[i].hidden) bs[i].classList.add('tb-folded');
  }
  if (getOpenMenuBtn() === moreBtn) buildMoreMenu();
}

function buildMoreMenu() {
  var items = foldable().filter(function (b) { return b.classList.contains('tb-folded') && !b.hidden; });
  $('list-more-menu').replaceChildren.apply($('list-more-menu'), items.map(function (b) {
    var item = el('button', 'menu-item');
    var pressed = b.getAttribute('aria-pressed');
    var use = b.querySelector('use');
    item.type = 'button';
    item.setAttribute('role', pressed === null ? 'menuitem' : 'menuitemcheckbox');
    if (pressed !== null) item.setAttribute('aria-checked', pressed);
    item.disabled = b.disabled;
    item.appendChild(icon(use ? use.getAttribute('href').replace('#i-', '') : 'more'));
    item.appendChild(el('span', '', b.getAttribute('aria-label')));
    item.addEventListener('click', function () { closeMenus(); b.click(); });
    return item;
  }));
}
moreBtn.addEventListener('click', function () { toggleMenu(moreBtn, buildMoreMenu); });
// The pane's width and the sort label's length decide what fits.
new ResizeObserver(function () { fitListToolbar(); }).observe(listToolbar);
new ResizeObserver(function () { fitListToolbar(); }).observe($('sort-btn'));
isPhoneMq.addEventListener('change', fitListToolbar);

function buildMoveMenu() { buildFolderTargets($('move-menu'), t('L_MAIL_MOVE_TO', 'Move to')); }
function buildCopyMenu() { buildFolderTargets($('copy-menu'), t('L_MAIL_COPY_TO', 'Copy to')); }

// The folders a selection can go to, as menu items (the current one off).
function buildFolderTargets(menu, label) {
  var frag = document.createDocumentFragment();
  frag.appendChild(el('p', 'menu-label', label));
  getFolders().forEach(function (f) {
    if (f.selectable === false) return;
    var b = el('button', 'menu-item depth-' + Math.min(5, f.depth || 0));
    b.type = 'button';
    b.setAttribute('role', 'menuitem');
    b.dataset.moveTo = f.path;
    b.disabled = f.path === getRoute().folder;
    b.appendChild(icon(SPECIAL_ICONS[f.special] || 'folder'));
    b.appendChild(el('span', '', displayName(f)));
    frag.appendChild(b);
  });
  menu.replaceChildren(frag);
}
$('move-menu').addEventListener('click', function (ev) {
  var b = ev.target.closest('[data-move-to]');
  if (!b || b.disabled) return;
  closeMenus();
  moveMessages(targetUids(), b.dataset.moveTo);
});
$('copy-btn').addEventListener('click', function () { toggleMenu($('copy-btn'), buildCopyMenu); });
$('copy-menu').addEventListener('click', function (ev) {
  var b = ev.target.closest('[data-move-to]');
  if (!b || b.disabled) return;
  closeMenus();
  copyMessages(targetUids(), b.dataset.moveTo);
});

$('user-menu').addEventListener('click', function (ev) {
  var b = ev.target.closest('[data-action]');
  if (!b) {
    if (ev.target.closest('a.menu-item')) closeMenus();
    return;
  }
  closeMenus();
  if (b.dataset.action === 'logout') logout();
  if (b.dataset.action === 'help') openHelp();
});

function logout() {
  api('Logout', {}).catch(function () { /* leave anyway */ }).then(function () {
    location.assign('/');
  });
}

// ---- help overlay ----------------------------------------------------------------

var helpReturn = null;
export function openHelp() {
  helpReturn = document.activeElement;
  $('help').hidden = false;
  $('help').querySelector('.dialog').focus();
}
export function closeHelp() {
  if ($('help').hidden) return false;
  $('help').hidden = true;
  if (helpReturn && helpReturn.focus) helpReturn.focus();
  return true;
}
$('help-open').addEventListener('click', openHelp);
$('help').addEventListener('click', function (ev) {
  if (ev.target === $('help') || ev.target.closest('[data-action="help-close"]')) closeHelp();
});
