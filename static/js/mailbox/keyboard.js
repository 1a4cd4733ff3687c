/*
 * The mailbox's keyboard shortcuts (the help overlay lists them). Dialogs,
 * menus and text fields get their keys first.
 */

import { $, trapTab } from '../lib/dom.js';
import { isPhone, listEl, searchForm, searchInput } from './common.js';
import { getCursor, getOpenMenuBtn, getOpenUid, getRoute, selection, setAnchor, setCursor } from './state.js';
import { inSettings } from './router.js';
import { closeFolderDialog, fdForm, fdOverlay } from './folders.js';
import { deleteMessages, editDraft, moveCursor, openMessage, selectOnly, targetUids, toggleFlag, toggleSeen, updateSelectionUI, visibleUids } from './list.js';
import { closeDrawer, closeHelp, closeMenus, drawerBtn, goBack, openHelp } from './chrome.js';
import { openLabelMenu } from './labels.js';

// ---- keyboard -----------------------------------------------------------------------

function typing(target) {
  return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) &&
    !(target.type === 'checkbox' || target.type === 'radio');
}

document.addEventListener('keydown', function (ev) {
  var key = ev.key;
  if (ev.target.closest && ev.target.closest('.compose, .compose-overlay')) return;
  if (!fdOverlay.hidden) {
    if (key === 'Escape') { ev.preventDefault(); closeFolderDialog(); }
    else if (key === 'Tab') trapTab(ev, fdForm);
    return;
  }
  if (!$('help').hidden) {
    if (key === 'Escape' || key === '?') { ev.preventDefault(); closeHelp(); }
    return;
  }
  if (getOpenMenuBtn()) {
    var menu = $(getOpenMenuBtn().getAttribute('aria-controls'));
    if (key === 'Escape') { ev.preventDefault(); closeMenus(true); return; }
    if (key === 'ArrowDown' || key === 'ArrowUp') {
      ev.preventDefault();
      var items = Array.from(menu.querySelectorAll('.menu-item:not([disabled]):not([hidden])'));
      var i = items.indexOf(document.activeElement);
      var n = items[(i + (key === 'ArrowDown' ? 1 : -1) + items.length) % items.length];
      if (n) n.focus();
      return;
    }
    if (key === 'Tab') closeMenus();
    return;
  }
  // The list shortcuts must not act on a hidden list behind settings.
  if (inSettings()) {
    if (key === 'Escape' && closeDrawer()) drawerBtn.focus();
    return;
  }
  if (typing(ev.target)) {
    if (key === 'Escape' && ev.target === searchInput) {
      ev.preventDefault();
      if (searchInput.value && !getRoute().q) { searchInput.value = ''; searchForm.classList.remove('has-value'); $('search-clear').hidden = true; }
      searchInput.blur();
      listEl.focus({ preventScroll: true });
    }
    return;
  }
  if (ev.altKey) return;
  if (ev.ctrlKey || ev.metaKey) {
    // Ctrl+P in the message view: Petrel's print view, not the page's.
    var pr = $('msg-print');
    if ((key === 'p' || key === 'P') && getOpenUid() !== null && !$('message').hidden && pr && !pr.hidden && pr.href) {
      ev.preventDefault();
      window.open(pr.href, '_blank', 'noopener');
      return;
    }
    if (key === 'a' || key === 'A') {
      if (ev.target.closest && ev.target.closest('.menu, .dialog')) return;
      ev.preventDefault();
      visibleUids().forEach(function (u) { selection.add(u); });
      updateSelectionUI();
    }
    return;
  }
  // Buttons and links keep Enter and Space for themselves.
  var onControl = ev.target.closest && ev.target.closest('button, a, input');
  switch (key) {
    case 'j': case 'J': case 'ArrowDown':
      ev.preventDefault(); moveCursor(1, ev.shiftKey); break;
    case 'k': case 'K': case 'ArrowUp':
      ev.preventDefault(); moveCursor(-1, ev.shiftKey); break;
    case 'Home':
      if (!onControl) { ev.preventDefault(); setCursor(null); moveCursor(1); }
      break;
    case 'End':
      if (!onControl) { ev.preventDefault(); setCursor(null); moveCursor(-1); }
      break;
    case 'Enter':
      if (onControl) return;
      if (getCursor() !== null) {
        ev.preventDefault();
        if (!selection.has(getCursor()) || selection.size > 1) { selectOnly(getCursor()); updateSelectionUI(); }
        openMessage(getCursor(), isPhone());
        editDraft(getCursor());
        if (!isPhone()) $('preview').focus({ preventScroll: true });
      }
      break;
    case 'Delete': case '#':
      ev.preventDefault(); deleteMessages(targetUids()); break;
    case 'u': case 'U':
      ev.preventDefault(); toggleSeen(targetUids()); break;
    case 's': case 'S': case 'i': case 'I':
      ev.preventDefault(); toggleFlag(targetUids()); break;
    case 'x': case 'X':
      if (getCursor() !== null) {
        ev.preventDefault();
        if (selection.has(getCursor())) selection.delete(getCursor()); else selection.add(getCursor());
        setAnchor(getCursor());
        updateSelectionUI();
      }
      break;
    case '/':
      ev.preventDefault(); closeDrawer(); searchInput.focus(); searchInput.select(); break;
    case 'l': case 'L':
      ev.preventDefault(); openLabelMenu(); break;
    case '?':
      ev.preventDefault(); openHelp(); break;
    case 'c': case 'r': case 'a': case 'f':
      if (!window.PetrelCompose) break;
      if (key === 'c') { ev.preventDefault(); window.PetrelCompose.open({ mode: 'new' }); break; }
      if (getOpenUid() === null) break;
      ev.preventDefault();
      window.PetrelCompose.open({ mode: { r: 'reply', a: 'replyAll', f: 'forward' }[key], folder: getRoute().folder, uid: getOpenUid() });
      break;
    case 'n': if (!$('page-next').disabled) $('page-next').click(); break;
    case 'p': if (!$('page-prev').disabled) $('page-prev').click(); break;
    case 'Escape':
      if (closeDrawer()) { drawerBtn.focus(); break; }
      if (isPhone() && getRoute().m) { goBack(); break; }
      if (selection.size) { selection.clear(); updateSelectionUI(); }
      break;
    default: break;
  }
});
