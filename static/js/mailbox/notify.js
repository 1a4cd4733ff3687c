// Desktop notifications for new mail in INBOX (issue 17). Opt-in per
// browser in Settings → General (localStorage "petrel.notify" and the
// browser's Notification permission). A stream of its own on INBOX
// (/events) says when INBOX changes; the newest rows are fetched, and the
// unread ones with a UID above the highest seen so far are announced in
// one notification (sender and subject as plain text). Nothing is shown
// while this tab has the focus and shows INBOX: the list shows it already.
// A click focuses the tab and opens the message (or INBOX, for several).
import { api, t, tf } from './common.js';
import { getRoute } from './state.js';
import { navigate } from './router.js';

var stream = null;
var lastUid = -1; // -1: not known yet (the first look only remembers)
var timer = 0;

function enabled() {
  return !!window.Notification && Notification.permission === 'granted' &&
    localStorage.getItem('petrel.notify') === '1';
}

function inboxInView() {
  var r = getRoute();
  return document.hasFocus() && !document.hidden && r && r.folder === 'INBOX';
}

function show(fresh) {
  var one = fresh.length === 1 ? fresh[0] : null;
  var from = one ? (one.from && (one.from.name || one.from.email)) || '' : '';
  var title = one ? from : tf('L_MAIL_NOTIFY_MANY', '{n} new messages', { n: fresh.length });
  var body = one ? one.subject || t('L_MAIL_NO_SUBJECT', '(no subject)')
    : fresh.slice(0, 3).map(function (m) { return (m.from && (m.from.name || m.from.email)) + ': ' + m.subject; }).join('\n');
  var n = new Notification(title, { body: body, tag: 'petrel-inbox' });
  n.addEventListener('click', function () {
    window.focus();
    navigate(one ? { folder: 'INBOX', page: 1, q: '', m: one.uid } : { folder: 'INBOX', page: 1, q: '', m: null });
    n.close();
  });
}

function look() {
  return api('MessageList', { folder: 'INBOX', sort: '-arrival', limit: 20 }, { quiet: true }).then(function (data) {
    var rows = (data && data.messages) || [];
    var top = rows.reduce(function (mx, m) { return Math.max(mx, m.uid); }, 0);
    var fresh = lastUid < 0 ? [] : rows.filter(function (m) { return m.uid > lastUid && !m.seen; });
    if (top > lastUid) lastUid = top;
    if (fresh.length && !inboxInView()) show(fresh);
  }).catch(function () {});
}

function onChange() {
  clearTimeout(timer);
  // A delivery is several IDLE events: look once.
  timer = setTimeout(look, 400);
}

function ensure() {
  var want = enabled() && !!window.EventSource;
  if (want && !stream) {
    stream = new EventSource('/events?folder=INBOX');
    stream.addEventListener('change', onChange);
    stream.addEventListener('failed', function () { stream.close(); stream = null; });
    look();
  } else if (!want && stream) {
    stream.close();
    stream = null;
    lastUid = -1;
  }
}

ensure();
// Switched on or off in Settings: in another tab (storage event) or in
// this page's own settings view (a cheap look every two seconds).
window.addEventListener('storage', function (ev) { if (ev.key === 'petrel.notify') ensure(); });
setInterval(ensure, 2000);
