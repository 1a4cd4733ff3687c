/*
 * Keeping the list current: Petrel's event server pushes "change" when the
 * open folder changes on the IMAP server (IDLE); a slow poll of the counts
 * stays as the fallback for servers or proxies without /events.
 */

import { POLL_MS } from './common.js';
import { folderMap, getRoute } from './state.js';
import { loadList, refreshCounts } from './list.js';

// ---- live-ish updates: poll the counts; reload the list when they move ----------

function countsKey() {
  var f = folderMap.get(getRoute().folder);
  return f ? f.path + ':' + f.unseen + ':' + f.total : '';
}
function poll() {
  if (document.hidden || !getRoute()) return;
  var before = countsKey();
  refreshCounts().then(function () {
    var after = countsKey();
    if (before && after && before !== after) loadList({ quiet: true, keepScroll: true });
  });
}
setInterval(poll, POLL_MS);
document.addEventListener('visibilitychange', function () { if (!document.hidden) poll(); });

// ---- live updates: Petrel's event server pushes "change" when the open ---------
// folder changes on the IMAP server (IDLE). The slow poll above stays as
// the fallback for servers or proxies without /events.

var events = null;
var watchedFolder = null;
var changeTimer = 0;
function onFolderChange() {
  clearTimeout(changeTimer);
  // Changes come in bursts (a move is EXPUNGE + EXISTS): fetch once.
  changeTimer = setTimeout(function () {
    refreshCounts().catch(function () {});
    loadList({ quiet: true, keepScroll: true });
  }, 300);
}
function ensureWatch() {
  if (!getRoute() || !window.EventSource || getRoute().folder === watchedFolder) return;
  if (events) events.close();
  watchedFolder = getRoute().folder;
  events = new EventSource('/events?folder=' + encodeURIComponent(getRoute().folder));
  events.addEventListener('change', onFolderChange);
  events.addEventListener('failed', function () { events.close(); });
}
window.addEventListener('hashchange', function () { setTimeout(ensureWatch, 0); });
setInterval(ensureWatch, 2000);
