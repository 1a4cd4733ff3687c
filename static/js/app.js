/*
 * The mailbox screen, an ES module: this file starts it and hands its
 * helpers to the page's other scripts; the work is done by the modules in
 * mailbox/, one per job:
 *   common.js    boot data, strings, settings, formats, api(), toasts
 *   state.js     the shared mutable state, behind getters and setters
 *   router.js    the URL hash and onRoute()
 *   folders.js   the folder list, folder menu and folder dialog
 *   list.js      the message list, selection and actions on messages
 *   view.js      the preview pane (the message view)
 *   chrome.js    phone views, drawer, menus, help
 *   keyboard.js  shortcuts
 *   live.js      the event stream and the counts poll
 *   labels.js    labels: chips, Label menus, sidebar filter, settings
 * and ../lib/dom.js holds the DOM helpers every script shares. Vanilla JS,
 * no framework; talks only to the JSON API (docs/API.md). Nothing here
 * builds HTML from strings: every text goes through textContent, so mail
 * data can never become markup.
 */
import { $, el, icon, button, iconButton, trapTab } from './lib/dom.js';
import {
  api, applyPrefs, boot, fail, fillAvatar, fmt, isPhone, listEl, prefs, size,
  store, t, tf, toast, zoneKnown
} from './mailbox/common.js';
import { getFolders, getOpenUid, getRoute } from './mailbox/state.js';
import { defaultRoute, hashFor, inSettings, onRoute } from './mailbox/router.js';
import { currentSpecial, displayName, loadFolders, specialFolder } from './mailbox/folders.js';
import { loadList, refreshCounts } from './mailbox/list.js';
import './mailbox/view.js';
import { closeDrawer } from './mailbox/chrome.js';
import './mailbox/keyboard.js';
import './mailbox/live.js';
import './mailbox/reading.js';
import './mailbox/transfer.js';
import './mailbox/badge.js';
import './mailbox/notify.js';
import './mailbox/labels.js';
import './mailbox/searchall.js';
import './mailbox/snooze.js';

var email = boot.email || '';
$('user-email').textContent = email;
$('user-menu-email').textContent = email;
fillAvatar($('user-avatar'), '', email);

if (/^#\/compose\b/.test(location.hash)) window.petrelComposeHash = location.hash;
if (!/^#\/folder\//.test(location.hash) && !inSettings() && location.hash !== '#/scheduled') {
  history.replaceState(null, '', hashFor(defaultRoute()));
}
// What settings.js, filters.js, general.js, contacts.js and compose.js
// build on (see settings.js).
window.Petrel = Object.assign(window.Petrel || {}, {
  api: api, fail: fail, toast: toast, t: t, tf: tf, size: size,
  el: el, icon: icon, button: button, iconButton: iconButton, trapTab: trapTab,
  isPhone: isPhone, boot: boot, store: store,
  fmtTime: { format: function (d) { return fmt.time.format(d); } },
  prefs: prefs,
  zoneKnown: zoneKnown,
  // After SettingsSave: take the new values at once (the language needs a reload).
  applyPrefs: applyPrefs,
  closeDrawer: closeDrawer, folderName: displayName, loadFolders: loadFolders,
  folders: getFolders,
  specialFolder: specialFolder,
  current: function () { return { folder: getRoute().folder, uid: getOpenUid(), special: currentSpecial() }; },
  mailboxHash: function () { return hashFor(getRoute()); },
  // After a send or a draft save: new counts, and the list (a new row in
  // Sent or Drafts, the answered mark on the original).
  changed: function () {
    return refreshCounts().then(function () { loadList({ quiet: true, keepScroll: true }); });
  }
});
window.addEventListener('hashchange', onRoute);
loadFolders().catch(fail);
onRoute();
listEl.focus({ preventScroll: true });
