/*
 * What the open message offers beyond its text (api_reading.c): an
 * "Unsubscribe" bar when it has List-Unsubscribe, and the read-receipt
 * bar when its sender asked for one (RFC 8098). view.js says which message
 * is shown ("petrel:message"); one ReadingInfo call per message.
 *
 * Nothing is sent without a click: the one-click unsubscribe is confirmed
 * in a dialog first, and a receipt goes by itself only when the user chose
 * "always" and the server found the request safe (action "auto").
 */

import { $, el, icon, trapTab } from '../lib/dom.js';
import { api, t, tf, toast } from './common.js';

var cur = { key: null };

document.addEventListener('petrel:message', function (ev) {
  var d = ev.detail;
  var box = $('msg-reading');
  if (!box) return;
  if (!d) {
    if (cur.key !== null) { cur = { key: null }; box.replaceChildren(); box.hidden = true; }
    return;
  }
  if (cur.key === d.key) return;
  var me = { key: d.key, folder: d.folder, uid: d.uid };
  cur = me;
  box.replaceChildren();
  box.hidden = true;
  api('ReadingInfo', { folder: d.folder, uid: d.uid }, { quiet: true }).then(function (info) {
    if (cur !== me) return;
    me.info = info || {};
    render(me);
    var rr = me.info.readReceipt;
    if (rr && rr.action === 'auto') sendReceipt(me, true);
  }, function () { /* the message shows without the bars */ });
});

function render(me) {
  var box = $('msg-reading');
  box.replaceChildren();
  var info = me.info;
  if (info.readReceipt && !me.receiptDone) box.appendChild(receiptBar(me, info.readReceipt));
  if (info.unsubscribe) box.appendChild(unsubscribeBar(me, info.unsubscribe));
  box.hidden = !box.children.length;
}

function bar(id, iconName, text) {
  var b = el('div', 'msg-remote msg-reading-bar');
  b.id = id;
  b.setAttribute('role', 'region');
  b.appendChild(icon(iconName));
  b.appendChild(el('p', 'msg-remote-text', text));
  var actions = el('span', 'msg-remote-actions');
  b.appendChild(actions);
  return { box: b, actions: actions };
}

function btn(cls, text, id) {
  var b = el('button', cls, text);
  b.type = 'button';
  if (id) b.id = id;
  return b;
}

// ---- read receipts ----------------------------------------------------------

function receiptBar(me, rr) {
  var text = t('L_RECEIPT_ASKED', 'The sender asked for a read receipt.');
  if (rr.reason === 'returnPathDiffers' || rr.reason === 'noReturnPath' || rr.reason === 'several') {
    text += ' ' + tf('L_RECEIPT_OTHER_ADDRESS', 'It would go to {to}, which may not be the sender.', { to: rr.to });
  }
  var b = bar('msg-receipt', 'mail-open', text);
  var send = btn('btn btn-secondary btn-slim', t('L_RECEIPT_SEND', 'Send'), 'msg-receipt-send');
  var ignore = btn('link-btn', t('L_RECEIPT_IGNORE', 'Ignore'), 'msg-receipt-ignore');
  send.addEventListener('click', function () { sendReceipt(me, false, send); });
  ignore.addEventListener('click', function () {
    ignore.disabled = send.disabled = true;
    api('ReadReceiptIgnore', { folder: me.folder, uid: me.uid }).then(function () {
      me.receiptDone = true;
      if (cur === me) render(me);
    }, function (err) {
      ignore.disabled = send.disabled = false;
      toast(tf('L_RECEIPT_FAILED', 'The read receipt could not be handled: {why}', { why: err.message }), { error: true });
    });
  });
  b.actions.appendChild(send);
  b.actions.appendChild(ignore);
  return b.box;
}

function sendReceipt(me, automatic, control) {
  if (control) control.disabled = true;
  return api('ReadReceiptSend', { folder: me.folder, uid: me.uid, auto: automatic }).then(function (r) {
    me.receiptDone = true;
    if (cur === me) render(me);
    toast(tf('L_RECEIPT_SENT', 'Read receipt sent to {to}', { to: r.to || '' }));
  }, function (err) {
    if (control) control.disabled = false;
    toast(tf('L_RECEIPT_FAILED', 'The read receipt could not be handled: {why}', { why: err.message }), { error: true });
  });
}

// ---- List-Unsubscribe ---------------------------------------------------------

function unsubscribeBar(me, u) {
  var b = bar('msg-unsub', 'mail', t('L_UNSUB_LIST', 'This message came from a mailing list.'));
  var go = btn('btn btn-secondary btn-slim', t('L_UNSUB_BUTTON', 'Unsubscribe'), 'msg-unsub-btn');
  go.addEventListener('click', function () { confirmUnsubscribe(me, u, go); });
  b.actions.appendChild(go);
  return b.box;
}

function confirmUnsubscribe(me, u, control) {
  var text = u.method === 'post'
    ? tf('L_UNSUB_CONFIRM_POST', 'Petrel will ask {host} to stop sending you these messages.', { host: u.host })
    : u.method === 'mailto'
      ? tf('L_UNSUB_CONFIRM_MAILTO', 'A message to {to} asking to unsubscribe opens in compose; send it to finish.', { to: u.to })
      : tf('L_UNSUB_CONFIRM_LINK', 'The unsubscribe page of {host} opens in a new tab.', { host: u.host });
  dialog(t('L_UNSUB_CONFIRM_TITLE', 'Unsubscribe from this list?'), text,
    t('L_UNSUB_BUTTON', 'Unsubscribe'), control, function () { unsubscribe(me, u, control); });
}

function unsubscribe(me, u, control) {
  // A link needs no server: it opens at once, inside the click.
  if (u.method === 'link') {
    window.open(u.url, '_blank', 'noopener,noreferrer');
    return;
  }
  control.disabled = true;
  api('Unsubscribe', { folder: me.folder, uid: me.uid }).then(function (r) {
    control.disabled = false;
    if (r.method === 'post') {
      toast(tf('L_UNSUB_DONE', 'Unsubscribed: {host} accepted the request.', { host: r.host || u.host }));
      control.disabled = true;
      control.textContent = t('L_UNSUB_DONE_SHORT', 'Unsubscribed');
    } else if (r.method === 'mailto' && window.PetrelCompose) {
      window.PetrelCompose.open({ mode: 'new', query: { to: r.to, cc: r.cc || '', subject: r.subject || '', body: r.body || '' } });
    } else if (r.method === 'link') {
      window.open(r.url, '_blank', 'noopener,noreferrer');
    }
  }, function (err) {
    control.disabled = false;
    // The server's own words (err.detail) say what the list did.
    toast(tf('L_UNSUB_FAILED', 'Unsubscribe failed: {why}', { why: err.detail || err.message }), { error: true });
  });
}

// A small modal: title, text, Cancel and one action; Escape cancels.
function dialog(title, text, action, returnFocus, onOk) {
  var overlay = el('div', 'overlay');
  overlay.id = 'reading-dialog';
  var box = el('section', 'dialog dialog-sm');
  box.setAttribute('role', 'dialog');
  box.setAttribute('aria-modal', 'true');
  box.setAttribute('aria-labelledby', 'reading-dialog-title');
  box.tabIndex = -1;
  var head = el('header', 'dialog-head');
  var h = el('h2', '', title);
  h.id = 'reading-dialog-title';
  head.appendChild(h);
  box.appendChild(head);
  var body = el('div', 'dialog-body');
  body.appendChild(el('p', 'fd-text', text));
  box.appendChild(body);
  var foot = el('footer', 'dialog-foot');
  var cancel = btn('btn btn-secondary', t('L_MAIL_FOLDER_CANCEL', 'Cancel'), 'reading-dialog-cancel');
  var ok = btn('btn btn-primary', action, 'reading-dialog-ok');
  foot.appendChild(cancel);
  foot.appendChild(ok);
  box.appendChild(foot);
  overlay.appendChild(box);
  document.body.appendChild(overlay);
  function close() {
    overlay.remove();
    if (returnFocus) returnFocus.focus();
  }
  cancel.addEventListener('click', close);
  overlay.addEventListener('click', function (ev) { if (ev.target === overlay) close(); });
  box.addEventListener('keydown', function (ev) {
    if (ev.key === 'Escape') { ev.preventDefault(); ev.stopPropagation(); close(); }
    else if (ev.key === 'Tab') trapTab(ev, box);
  });
  ok.addEventListener('click', function () { close(); onOk(); });
  ok.focus();
}
