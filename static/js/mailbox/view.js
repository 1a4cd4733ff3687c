/*
 * The preview pane: the message view. One Message call per open (aborted
 * when the user moves on); the header shows at once from the list row, the
 * body is Petrel's sanitized document in a sandboxed iframe (no scripts, no
 * same-origin): nothing of the mail ever becomes markup of this page.
 */

import { $, el, icon, setIcon } from '../lib/dom.js';
import { api, dayKey, fail, fillAvatar, fmt, fullDate, num, prefs, size, t, tf, toast, wall } from './common.js';
import { byUid, getOpenUid, getRoute, pendingSeen, selection } from './state.js';
import { hashFor } from './router.js';
import { currentSpecial, specialFolder } from './folders.js';
import { bumpUnseen, refreshCounts, rowFor, setSeen, updateRowFlags } from './list.js';
import { closeMenus } from './chrome.js';

// ---- preview pane: the message view ------------------------------------------
// One Message call per open (aborted when the user moves on); the header
// shows at once from the list row, the body is Petrel's sanitized document
// in a sandboxed iframe (no scripts, no same-origin): nothing of the mail
// ever becomes markup of this page.

var view = { key: null };
var FRAME_SANDBOX = 'allow-popups allow-popups-to-escape-sandbox';
var RCPT_SHORT = 3;

export function ensureMessage() {
  var key = getRoute() && getRoute().m ? getRoute().folder + '\n' + getRoute().m + (getRoute().part ? '\n' + getRoute().part : '') : null;
  if (view.key === key) return;
  if (view.ctrl) view.ctrl.abort();
  var prev = view;
  view = { key: key };
  if (!key) return;
  var v = view;
  v.folder = getRoute().folder;
  v.uid = getRoute().m;
  v.part = getRoute().part;
  // The way back from an attached message: the one it was opened from,
  // else (a link, a reload) the message itself.
  if (v.part) {
    var same = prev.folder === v.folder && prev.uid === v.uid;
    if (same && (!prev.part || v.part.indexOf(prev.part + '.') === 0)) {
      v.parent = { part: prev.part || null, subject: prev.data ? prev.data.subject : '', up: prev.parent };
    } else if (same && prev.parent && prev.parent.part === v.part) {
      v.parent = prev.parent.up;
    }
    v.parent = v.parent || { part: null, subject: '' };
  }
  v.loading = true;
  v.ctrl = window.AbortController ? new AbortController() : null;
  api('Message', msgTarget(v), { signal: v.ctrl ? v.ctrl.signal : undefined }).then(function (data) {
    if (view !== v) return;
    v.loading = false;
    v.ctrl = null;
    v.data = data && typeof data === 'object' ? data : {};
    if (!v.part) markOpenedSeen(v);
    renderPreview();
  }, function (err) {
    if (view !== v || (err && err.aborted)) return;
    v.loading = false;
    v.ctrl = null;
    v.error = err;
    if (err && err.silent) return;
    renderPreview();
  });
}

function retryMessage() {
  view = { key: null };
  ensureMessage();
  renderPreview();
}

// The server set \Seen when it answered: show it without a reload. With
// a read delay (settings "readAfterSeconds") it did not: set it here once
// the message has been open that long.
function markOpenedSeen(v) {
  if (!getRoute() || v.folder !== getRoute().folder) return;
  var delay = Number(prefs().readAfterSeconds) || 0;
  if (delay > 0) {
    if ((v.data.flags || []).indexOf('\\Seen') >= 0) return;
    setTimeout(function () {
      var m = byUid.get(v.uid);
      if (view !== v || !getRoute() || v.folder !== getRoute().folder || !m || m.seen) return;
      setSeen([v.uid], true).catch(function () { /* the row shows it unread again */ });
    }, delay * 1000);
    return;
  }
  var m = byUid.get(v.uid);
  if (m) {
    if (m.seen) return;
    m.seen = true;
    var r = rowFor(v.uid);
    if (r) updateRowFlags(r, m);
    bumpUnseen(-1);
  } else {
    pendingSeen.add(v.uid);
    refreshCounts();
  }
}

function senderEmail(d) { return ((d && d.from && d.from.email) || '').toLowerCase(); }

// Asks for the open message again without the loading skeleton (after the
// sender's image setting changed: the server picks the body URL), and
// loads its body frame afresh.
function reloadMessage(v) {
  return api('Message', msgTarget(v)).then(function (data) {
    if (view !== v) return;
    v.data = data && typeof data === 'object' ? data : {};
    v.images = false;
    v.rev = (v.rev || 0) + 1;
    renderPreview();
  });
}

function withParam(url, param) { return url + (url.indexOf('?') >= 0 ? '&' : '?') + param; }
function msgQuery(v) {
  return 'folder=' + encodeURIComponent(v.folder) + '&uid=' + encodeURIComponent(v.uid) +
    (v.part ? '&part=' + encodeURIComponent(v.part) : '');
}
// The API target of the open message: an attached one names its part.
function msgTarget(v) {
  var b = { folder: v.folder, uid: v.uid };
  if (v.part) b.part = v.part;
  return b;
}

function addrText(a) {
  if (!a) return '';
  return a.name && a.email ? a.name + ' <' + a.email + '>' : (a.name || a.email || '');
}

export function renderPreview() {
  if (!getRoute()) return;
  var multi = selection.size > 1;
  var show = !multi && getOpenUid() !== null && !!view.key;
  $('preview-multi').hidden = !multi;
  $('message').hidden = !show;
  $('preview-empty').hidden = multi || show;
  if (multi) {
    $('preview-multi-title').textContent = tf('L_MAIL_SELECTED_N', 'Selected: {n}', { n: num(selection.size) });
    return;
  }
  if (show) renderMessage();
}

function renderMessage() {
  var v = view;
  var d = v.data || {};
  var m = byUid.get(v.uid);
  var box = $('message');
  var known = v.data || (!v.part && m);   // something to draw the header from
  box.classList.toggle('is-loading', !!v.loading);
  box.classList.toggle('no-head', !known);
  box.setAttribute('aria-busy', String(!!v.loading));

  renderParentBar(v);
  var subject = v.data ? d.subject : !v.part && m && m.subject;
  $('msg-subject').textContent = known ? (subject || t('L_MAIL_NO_SUBJECT', '(no subject)')) : '';

  var badges = $('msg-badges');
  badges.replaceChildren();
  function badge(cls, ic, text) {
    var b = el('span', 'badge ' + cls);
    if (ic) b.appendChild(icon(ic));
    b.appendChild(document.createTextNode(text));
    badges.appendChild(b);
  }
  if (m && !v.part) {
    if (!m.seen) badge('badge-unread', 'mail', t('L_MAIL_UNREAD', 'Unread'));
    if (m.flagged) badge('badge-flag', 'star', t('L_MAIL_FLAGGED', 'Starred'));
    if (m.answered) badge('', 'reply', t('L_MAIL_ANSWERED', 'Answered'));
    if (m.forwarded) badge('', 'forward', t('L_MAIL_FORWARDED', 'Forwarded'));
    if (m.draft) badge('', 'drafts', t('L_MAIL_DRAFT', 'Draft'));
  }

  var from = (v.data ? d.from : known && m.from) || {};
  var avatar = $('msg-avatar');
  if (known) fillAvatar(avatar, from.name, from.email);
  else { avatar.textContent = ''; avatar.className = 'avatar avatar-lg'; }
  $('msg-from-name').textContent = known ? (from.name || from.email || t('L_MAIL_UNKNOWN_SENDER', '(unknown sender)')) : '';
  $('msg-from-email').textContent = from.name && from.email ? '<' + from.email + '>' : '';
  // For contacts.js ("add sender to contacts").
  document.dispatchEvent(new CustomEvent('petrel:sender', { detail: known && from.email ? { name: from.name || '', email: from.email } : null }));
  renderRecipients(v, known ? (v.data ? d : m) : null);

  var ts = v.data ? d.date : known && m.date;
  var date = $('msg-date');
  date.textContent = fullDate(ts);
  date.title = ts ? fmt.zone.format(new Date(ts * 1000)) : '';
  if (ts) date.dateTime = new Date(ts * 1000).toISOString(); else date.removeAttribute('datetime');
  // The size the server knows is the whole message's, not an attached one's.
  var bytes = v.part ? null : d.size !== undefined ? d.size : known && m.size;
  $('msg-size').textContent = bytes !== undefined && bytes !== null ? size(bytes) : '';

  renderMsgToolbar(v, m);
  renderState(v, m);
  renderRemote(v);
  renderNotices(v);
  renderImagesNote(v);
  // For reading.js (unsubscribe, read receipts): the loaded message.
  document.dispatchEvent(new CustomEvent('petrel:message', {
    detail: v.data && !v.part && !v.loading ? { key: v.key, folder: v.folder, uid: v.uid, keywords: v.data.keywords } : null
  }));
  renderHeaders(v);
  renderCalendar(v);
  renderAttachments(v);
  renderBody(v);
}

// An attached message: what it is, and the way back to the message it
// was opened from (a link, so the back button and the URL agree).
function renderParentBar(v) {
  var bar = $('msg-parent');
  if (!bar) {
    bar = el('div', 'msg-parent');
    bar.id = 'msg-parent';
    var back = el('a', 'link-btn msg-parent-back');
    back.id = 'msg-parent-back';
    back.appendChild(icon('back'));
    back.appendChild(el('span', 'msg-parent-text'));
    bar.appendChild(back);
    bar.appendChild(el('span', 'msg-parent-label'));
    $('msg-scroll').insertBefore(bar, $('msg-scroll').firstChild);
  }
  bar.hidden = !v.part;
  if (!v.part) return;
  var p = v.parent || { part: null, subject: '' };
  var top = !p.part ? byUid.get(v.uid) : null;
  var subject = p.subject || (top && top.subject) || '';
  var link = $('msg-parent-back');
  link.href = hashFor(Object.assign({}, getRoute(), { part: p.part }));
  link.querySelector('.msg-parent-text').textContent = subject
    ? tf('L_MAIL_VIEW_BACK_TO', 'Back to “{subject}”', { subject: subject })
    : t('L_MAIL_VIEW_BACK_TO_MESSAGE', 'Back to the message');
  bar.querySelector('.msg-parent-label').textContent = t('L_MAIL_VIEW_ATTACHED', 'Attached message');
}

function sameAddr(a, b) {
  return !!(a && b && a.email && b.email && a.email.toLowerCase() === b.email.toLowerCase());
}

function renderRecipients(v, src) {
  var dl = $('msg-rcpts');
  dl.replaceChildren();
  if (!src) return;
  var groups = [['to', 'L_MAIL_TO', 'To'], ['cc', 'L_MAIL_VIEW_CC', 'Cc'], ['replyTo', 'L_MAIL_VIEW_REPLY_TO', 'Reply to']];
  groups.forEach(function (g) {
    var list = Array.isArray(src[g[0]]) ? src[g[0]].filter(Boolean) : [];
    // IMAP fills Reply-To with From when the header is absent: only a
    // different answer address is news.
    if (g[0] === 'replyTo' && list.every(function (a) { return sameAddr(a, src.from); })) return;
    if (!list.length && g[0] !== 'to') return;
    var row = el('div', 'msg-rcpt-row msg-rcpt-' + g[0]);
    row.appendChild(el('dt', 'msg-label', t(g[1], g[2])));
    var dd = el('dd', 'msg-rcpt-list');
    if (!list.length) dd.textContent = '—';
    var open = v.showAll && v.showAll[g[0]];
    var shown = open || list.length <= RCPT_SHORT + 1 ? list : list.slice(0, RCPT_SHORT);
    shown.forEach(function (a, i) {
      var s = el('span', 'rcpt', a.name || a.email || '');
      if (a.email) s.title = addrText(a);
      if (a.name && a.email) {
        s.appendChild(el('span', 'rcpt-email', ' <' + a.email + '>'));
      }
      dd.appendChild(s);
      if (i < shown.length - 1) dd.appendChild(document.createTextNode(', '));
    });
    if (shown.length < list.length) {
      var more = el('button', 'link-btn rcpt-more', tf('L_MAIL_VIEW_SHOW_ALL', 'and {n} more', { n: num(list.length - shown.length) }));
      more.type = 'button';
      more.dataset.rcptMore = g[0];
      more.setAttribute('aria-label', tf('L_MAIL_VIEW_SHOW_ALL_LABEL', 'Show all {n} recipients', { n: num(list.length) }));
      dd.appendChild(document.createTextNode(' '));
      dd.appendChild(more);
    }
    row.appendChild(dd);
    dl.appendChild(row);
  });
}
$('msg-rcpts').addEventListener('click', function (ev) {
  var b = ev.target.closest('[data-rcpt-more]');
  if (!b) return;
  view.showAll = view.showAll || {};
  view.showAll[b.dataset.rcptMore] = true;
  renderRecipients(view, view.data || byUid.get(view.uid));
});

function renderMsgToolbar(v, m) {
  var ub = $('msg-unread');
  var seen = m ? m.seen : true;
  ub.setAttribute('aria-label', t(seen ? 'L_MAIL_MARK_UNREAD' : 'L_MAIL_MARK_READ', 'Mark'));
  ub.title = ub.getAttribute('aria-label');
  setIcon(ub, seen ? 'mail' : 'mail-open');
  ub.disabled = !m;
  var fb = $('msg-flag');
  var flagged = !!(m && m.flagged);
  fb.setAttribute('aria-pressed', String(flagged));
  fb.setAttribute('aria-label', t(flagged ? 'L_MAIL_UNFLAG' : 'L_MAIL_FLAG', 'Star'));
  fb.title = fb.getAttribute('aria-label');
  fb.disabled = !m;
  var sp = $('message').querySelector('[data-action="msg-spam"]');
  var inJunk = currentSpecial() === 'junk';
  sp.setAttribute('aria-label', t(inJunk ? 'L_MAIL_NOT_SPAM' : 'L_MAIL_SPAM', 'Spam'));
  sp.title = sp.getAttribute('aria-label');
  setIcon(sp, inJunk ? 'notjunk' : 'junk');
  $('message').querySelector('[data-action="msg-archive"]').disabled = !specialFolder('archive') || currentSpecial() === 'archive';
  var raw = '/message/raw?' + msgQuery(v);
  $('msg-source').href = raw;
  $('msg-eml').href = raw + '&download=1';
  var pr = $('msg-print');
  var body = v.data && v.data.bodyUrl && !v.part;
  pr.hidden = !body;
  // The print view (api_reading.c): headers, attachments and the body.
  if (body) pr.href = '/message/print?' + msgQuery(v) + (v.images ? '&images=1' : '');
}

function renderState(v, m) {
  var box = $('msg-state');
  var key = v.error ? 'error' : '';
  if (box.dataset.key === v.key + key) return;
  box.dataset.key = v.key + key;
  box.replaceChildren();
  box.hidden = !v.error;
  if (!v.error) return;
  var err = el('div', 'msg-error');
  err.setAttribute('role', 'alert');
  err.appendChild(icon('alert'));
  var txt = el('div', 'msg-error-text');
  txt.appendChild(el('p', 'msg-error-title', t('L_MAIL_VIEW_ERROR', 'This message could not be opened.')));
  var why = v.error.message || '';
  if (v.error.code === 'RemoteError' && v.error.detail) why += ' (' + v.error.detail + ')';
  txt.appendChild(el('p', 'msg-error-why', why));
  err.appendChild(txt);
  var retry = el('button', 'btn btn-secondary btn-slim', t('L_MAIL_VIEW_RETRY', 'Try again'));
  retry.type = 'button';
  retry.id = 'msg-retry';
  retry.addEventListener('click', retryMessage);
  err.appendChild(retry);
  box.appendChild(err);
  if (!m) $('msg-subject').textContent = t('L_MAIL_NO_SUBJECT', '(no subject)');
}

// Lines the server's plugins add above a message (plain text).
function renderNotices(v) {
  var box = $('msg-notices');
  var list = (v.data && v.data.notices) || [];
  box.replaceChildren.apply(box, list.map(function (n) { return el('li', 'msg-notice', n); }));
  box.hidden = !list.length;
}

function renderRemote(v) {
  var bar = $('msg-remote');
  var d = v.data;
  bar.hidden = !(d && d.remoteBlocked && !v.images);
  if (bar.hidden) return;
  var who = senderEmail(d);
  var always = $('msg-always-images');
  always.hidden = !who;
  always.textContent = tf('L_MAIL_VIEW_ALWAYS_IMAGES', 'Always show images from {sender}', { sender: who });
  always.disabled = !!v.busyImages;
}
// The quiet note under the header when the server shows this sender's
// images because the user asked so ("Always show images from …").
function renderImagesNote(v) {
  var note = $('msg-images-note');
  var d = v.data;
  var who = senderEmail(d);
  note.hidden = !(d && d.imagesAllowedForSender && who);
  if (note.hidden) return;
  $('msg-images-note-text').textContent = tf('L_MAIL_VIEW_IMAGES_ALLOWED', 'Images from {sender} are always shown', { sender: who });
  var stop = $('msg-images-stop');
  stop.setAttribute('aria-label', tf('L_MAIL_VIEW_IMAGES_STOP_LABEL', 'Stop always showing images from {sender}', { sender: who }));
  stop.disabled = !!v.busyImages;
}
$('msg-show-images').addEventListener('click', function () {
  if (!view.data) return;
  view.images = true;
  renderPreview();
});
// The sender list lives on the server (ImagesAllow / ImagesDisallow); the
// message is then asked for again, whose body URL loads images or not.
function setSenderImages(allow) {
  var v = view;
  var who = senderEmail(v.data);
  if (!who || v.busyImages) return;
  v.busyImages = true;
  renderPreview();
  api(allow ? 'ImagesAllow' : 'ImagesDisallow', { sender: who }).then(function () {
    return reloadMessage(v);
  }).then(function () {
    toast(allow ? tf('L_MAIL_VIEW_ALWAYS_DONE', 'Images from {sender} will always be shown.', { sender: who })
      : tf('L_MAIL_VIEW_IMAGES_STOPPED', 'Images from {sender} will be blocked again.', { sender: who }));
  }, fail).then(function () {
    v.busyImages = false;
    if (view === v) renderPreview();
  });
}
$('msg-always-images').addEventListener('click', function () { setSenderImages(true); });
$('msg-images-stop').addEventListener('click', function () { setSenderImages(false); });

// "Show all headers": MessageHeaders on demand, shown as text (never
// markup) in a panel above the body.
function renderHeaders(v) {
  var sec = $('msg-headers');
  sec.hidden = !v.headers;
  $('msg-headers-toggle').setAttribute('aria-checked', String(!!v.headers));
  if (!v.headers) return;
  var pre = $('msg-headers-list');
  var key = v.key + '|' + v.headers.state;
  if (pre.dataset.key === key) return;
  pre.dataset.key = key;
  pre.replaceChildren();
  sec.classList.toggle('is-error', v.headers.state === 'error');
  if (v.headers.state !== 'ready') {
    pre.textContent = v.headers.state === 'error'
      ? t('L_MAIL_VIEW_HEADERS_ERROR', 'The headers could not be getLoaded().')
      : t('L_MAIL_VIEW_HEADERS_LOADING', 'Loading the headers…');
    return;
  }
  v.headers.list.forEach(function (h) {
    var line = el('span', 'hdr');
    line.appendChild(el('span', 'hdr-name', String((h && h.name) || '') + ':'));
    line.appendChild(document.createTextNode(' ' + String((h && h.value) || '').replace(/\r/g, '') + '\n'));
    pre.appendChild(line);
  });
}
function toggleHeaders(open) {
  var v = view;
  if (!v.key) return;
  if (!open) {
    v.headers = null;
    renderPreview();
    return;
  }
  v.headers = { state: 'loading' };
  renderPreview();
  api('MessageHeaders', msgTarget(v), { quiet: true }).then(function (data) {
    if (view !== v || !v.headers) return;
    v.headers = { state: 'ready', list: data && Array.isArray(data.headers) ? data.headers : [] };
    renderPreview();
  }, function () {
    if (view !== v || !v.headers) return;
    v.headers = { state: 'error' };
    renderPreview();
  });
}
$('msg-headers-toggle').addEventListener('click', function () {
  var open = !view.headers;
  closeMenus();
  toggleHeaders(open);
  if (open) $('msg-headers-list').focus({ preventScroll: true });
  else $('msg-more').focus();
});
$('msg-headers-close').addEventListener('click', function () {
  toggleHeaders(false);
  $('msg-more').focus();
});

// Start and end of an event as text; an end on the start's day is only
// its time.
function calRange(a, b) {
  var s = calTime(a), e = calTime(b);
  var ds = calDate(a), de = calDate(b);
  if (ds && de && !ds.wall === !de.wall && dayKey(ds) === dayKey(de) && typeof e === 'string' && e !== s) {
    e = (de.wall ? wall.time : fmt.time).format(de);
  }
  return s && e ? s + ' – ' + e : s;
}
function calDate(x) {
  if (typeof x === 'number') return new Date(x * 1000);
  var ic = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})?(Z)?$/.exec(String(x || '').trim());
  if (!ic) {
    var d = x ? new Date(x) : null;
    return d && !isNaN(d.getTime()) && /\d[T ]\d/.test(String(x)) ? d : null;
  }
  var parts = [+ic[1], +ic[2] - 1, +ic[3], +ic[4], +ic[5], +(ic[6] || 0)];
  var dt = new Date(Date.UTC.apply(null, parts));
  if (!ic[7]) dt.wall = true;
  return dt;
}
function calTime(x) {
  if (x === undefined || x === null || x === '') return '';
  if (typeof x === 'number') return fmt.full.format(new Date(x * 1000));
  // iCalendar's basic format: 20251020T100000Z (a floating time without Z
  // is shown as it is written, whatever the zone).
  var ic = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})?(Z)?)?$/.exec(String(x).trim());
  if (ic) {
    var parts = [+ic[1], +ic[2] - 1, +ic[3], +(ic[4] || 0), +(ic[5] || 0), +(ic[6] || 0)];
    var dt = new Date(Date.UTC.apply(null, parts));
    if (ic[7]) return fmt.full.format(dt);
    return ic[4] ? wall.full.format(dt) : wall.date.format(dt);
  }
  var d = new Date(x);
  return isNaN(d.getTime()) ? String(x) : fmt.full.format(d);
}
// Petrel's summary is "Label: value" lines (Event, Start, End, Location,
// Organizer) plus "(Invitation)"; structured fields are used when given.
function calendarOf(c) {
  if (!c || typeof c !== 'object') return null;
  if (typeof c.summary !== 'string' || c.start !== undefined) return c;
  var out = { method: c.method };
  var rest = [];
  c.summary.split(/\r?\n/).forEach(function (line) {
    var mm = /^(Event|Start|End|Location|Organizer):\s*(.*)$/.exec(line);
    if (mm) out[{ Event: 'summary', Start: 'start', End: 'end', Location: 'location', Organizer: 'organizer' }[mm[1]]] = mm[2];
    else if (/^\(invitation\)$/i.test(line.trim())) out.method = out.method || 'REQUEST';
    else if (/cancel/i.test(line)) out.method = 'CANCEL';
    else if (line.trim()) rest.push(line.trim());
  });
  if (!out.summary && !out.start && rest.length) out.summary = rest.join(' ');
  return out;
}

function renderCalendar(v) {
  var box = $('msg-calendar');
  var c = calendarOf(v.data && v.data.calendar);
  if (box.dataset.key === v.key && !box.hidden === !!c) return;
  box.dataset.key = v.key;
  box.hidden = !c;
  box.replaceChildren();
  if (box.hidden) return;
  var art = el('span', 'msg-cal-art');
  art.appendChild(icon('calendar'));
  box.appendChild(art);
  var body = el('div', 'msg-cal-body');
  var method = String(c.method || '').toUpperCase();
  body.appendChild(el('p', 'msg-cal-kind', t(method === 'CANCEL' ? 'L_MAIL_VIEW_CAL_CANCEL' : 'L_MAIL_VIEW_CAL_INVITE',
    method === 'CANCEL' ? 'Event cancelled' : 'Invitation')));
  body.appendChild(el('p', 'msg-cal-title', c.summary || c.title || t('L_MAIL_NO_SUBJECT', '(no subject)')));
  var dl = el('dl', 'msg-cal-facts');
  function fact(key, fb, val) {
    if (!val) return;
    var row = el('div');
    row.appendChild(el('dt', '', t(key, fb)));
    row.appendChild(el('dd', '', val));
    dl.appendChild(row);
  }
  fact('L_MAIL_VIEW_CAL_WHEN', 'When', calRange(c.start, c.end));
  fact('L_MAIL_VIEW_CAL_WHERE', 'Where', c.location);
  fact('L_MAIL_VIEW_CAL_ORGANIZER', 'Organizer', typeof c.organizer === 'object' ? addrText(c.organizer) : c.organizer);
  if (Array.isArray(c.attendees) && c.attendees.length) {
    fact('L_MAIL_VIEW_CAL_ATTENDEES', 'Attendees', c.attendees.map(function (a) { return typeof a === 'object' ? addrText(a) : String(a); }).join(', '));
  }
  body.appendChild(dl);
  box.appendChild(body);
}

function attIcon(type) {
  type = String(type || '').toLowerCase();
  if (type.indexOf('image/') === 0) return 'image';
  if (type === 'application/pdf') return 'pdf';
  if (/zip|compressed|x-tar|gzip|x-7z|x-rar/.test(type)) return 'zip';
  if (type === 'text/calendar') return 'calendar';
  if (type === 'message/rfc822') return 'mail';
  return 'file';
}
// Images and PDF open in a tab (Petrel serves them with their own CSP);
// everything else only downloads.
function attInline(type) {
  type = String(type || '').toLowerCase();
  return type === 'application/pdf' || /^image\/(png|jpe?g|gif|webp|avif|bmp)$/.test(type);
}
function attUrls(v, a) {
  var base = a.url || ('/message/part?' + msgQuery(v) + '&part=' + encodeURIComponent(a.part));
  base = base.replace(/([?&])download=1(&|$)/, function (all, pre, post) { return post ? pre : ''; });
  return { inline: base, download: a.downloadUrl || withParam(base, 'download=1') };
}

function renderAttachments(v) {
  var sec = $('msg-atts');
  var d = v.data;
  var list = d && Array.isArray(d.attachments) ? d.attachments : [];
  // Inline pictures of an HTML body are part of the body, not attachments.
  if (d && d.html !== null && d.html !== undefined) {
    list = list.filter(function (a) {
      if (a.inline !== undefined) return !a.inline;
      return !(a.cid && String(a.type || '').toLowerCase().indexOf('image/') === 0);
    });
  }
  if (sec.dataset.key === v.key + ':' + list.length) return;
  sec.dataset.key = v.key + ':' + list.length;
  sec.hidden = !list.length;
  // Two or more: all of them in one .zip as well.
  var zip = $('msg-att-zip');
  zip.hidden = list.length < 2;
  zip.href = '/message/zip?' + msgQuery(v);
  zip.setAttribute('aria-label', tf('L_MAIL_VIEW_ZIP_LABEL', 'Download all {n} attachments as one .zip file', { n: num(list.length) }));
  var ul = $('msg-att-list');
  ul.replaceChildren();
  if (!list.length) return;
  $('msg-atts-title').textContent = tf('L_MAIL_VIEW_ATTACHMENTS', 'Attachments: {n}', { n: num(list.length) });
  list.forEach(function (a) {
    var urls = attUrls(v, a);
    var name = a.name || t('L_MAIL_VIEW_UNNAMED', 'Unnamed attachment');
    var li = el('li', 'att');
    var main = el('a', 'att-main');
    var inline = attInline(a.type);
    var attached = a.message || String(a.type || '').toLowerCase() === 'message/rfc822';
    main.href = inline ? urls.inline : urls.download;
    if (attached) {
      // An attached message opens in this view, at a URL of its own.
      main.href = hashFor(Object.assign({}, getRoute(), { m: v.uid, part: a.part }));
      main.dataset.viewPart = a.part;
      main.title = tf('L_MAIL_VIEW_ATT_VIEW_LABEL', 'View the attached message {name}', { name: name });
    } else if (inline) {
      main.target = '_blank';
      main.rel = 'noopener noreferrer';
      main.title = tf('L_MAIL_VIEW_ATT_OPEN', 'Open {name} in a new tab', { name: name });
    } else {
      main.setAttribute('download', '');
      main.title = tf('L_MAIL_VIEW_ATT_DOWNLOAD', 'Download {name}', { name: name });
    }
    var ic = el('span', 'att-icon att-' + attIcon(a.type));
    ic.appendChild(icon(attIcon(a.type)));
    main.appendChild(ic);
    var txt = el('span', 'att-text');
    txt.appendChild(el('span', 'att-name', name));
    var meta = [];
    if (a.size !== undefined && a.size !== null) meta.push(size(a.size));
    if (a.type) meta.push(String(a.type).toLowerCase());
    txt.appendChild(el('span', 'att-meta', meta.join(' · ')));
    main.appendChild(txt);
    if (attached) main.appendChild(el('span', 'att-view', t('L_MAIL_VIEW_ATT_VIEW', 'View')));
    li.appendChild(main);
    var dl = el('a', 'icon-btn att-dl');
    dl.href = urls.download;
    dl.setAttribute('download', '');
    dl.setAttribute('aria-label', tf('L_MAIL_VIEW_ATT_DOWNLOAD', 'Download {name}', { name: name }));
    dl.title = dl.getAttribute('aria-label');
    dl.appendChild(icon('download'));
    li.appendChild(dl);
    ul.appendChild(li);
  });
}

function renderBody(v) {
  var box = $('msg-body');
  var d = v.data;
  var state = v.loading ? 'loading' : v.error ? 'error' : !d ? 'none'
    : d.bodyUrl ? 'frame:' + (v.images ? 1 : 0) + ':' + (v.rev || 0) : d.text ? 'text' : 'empty';
  if (box.dataset.key === v.key + '|' + state) return;
  box.dataset.key = v.key + '|' + state;
  box.className = 'msg-body msg-body-' + state.replace(/:.*/, '');
  if (state === 'loading') {
    var sk = el('div', 'msg-skeleton');
    sk.setAttribute('aria-label', t('L_MAIL_LOADING', 'Loading'));
    sk.setAttribute('role', 'status');
    for (var i = 0; i < 7; i++) sk.appendChild(el('span', 'sk-line'));
    box.replaceChildren(sk);
  } else if (state.indexOf('frame') === 0) {
    // A new element for every document: changing an iframe's src would
    // add entries to the page's history.
    var f = document.createElement('iframe');
    f.className = 'msg-frame';
    f.id = 'msg-frame';
    f.setAttribute('sandbox', FRAME_SANDBOX);
    f.setAttribute('referrerpolicy', 'no-referrer');
    f.title = t('L_MAIL_VIEW_BODY_TITLE', 'Message text');
    f.src = v.images ? withParam(d.bodyUrl, 'images=1') : d.bodyUrl;
    f.addEventListener('load', keepFocusOnPage);
    box.replaceChildren(f);
  } else if (state === 'text') {
    box.replaceChildren(el('div', 'msg-text', d.text));
  } else if (state === 'empty') {
    box.replaceChildren(el('p', 'msg-empty-body', t('L_MAIL_VIEW_NO_BODY', 'This message has no text.')));
  } else {
    box.replaceChildren();
  }
}

// The body frame is sandboxed without same-origin: keys pressed inside it
// never reach this page, so j/k, Delete, Escape… would die after a click
// into the mail. Whenever the frame takes the focus (a click, or the load
// of its document), the focus comes back to the preview pane at once.
// Selecting text with the mouse still works; copying it goes through the
// context menu (Ctrl+C would copy from this page, not from the frame).
function keepFocusOnPage() {
  var f = $('msg-frame');
  if (!f || document.activeElement !== f) return;
  $('preview').focus({ preventScroll: true });
}
window.addEventListener('blur', function () { setTimeout(keepFocusOnPage, 0); });
