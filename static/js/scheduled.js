/*
 * Undo send and send later in the mailbox page (issue 17; docs/API.md:
 * Send's undoSeconds and sendAt, SendCancel, Scheduled).
 *
 * - After a held Send: a toast with a countdown and an Undo button; Undo
 *   takes the job back (SendCancel) and reopens compose with the form as
 *   it was (PetrelCompose.restore). The hold is the server's: on a page
 *   load, held jobs still in their window get their toast again.
 * - "Send later" on compose's Send button: later today, tomorrow morning,
 *   Monday morning or a date and time of one's own, all in the time zone
 *   of the user's settings (else the browser's).
 * - A "Scheduled" entry in the sidebar, shown only while something waits,
 *   opens the list: each message can be edited (taken back and reopened)
 *   or cancelled; a message the server refused shows its reply and can be
 *   reopened so nothing is lost.
 *
 * Uses window.Petrel (app.js): api, toast, t, tf, el, icon, prefs, changed.
 * Nothing here builds HTML from strings.
 */
(function () {
  'use strict';

  var P = null;
  var t, tf, el, icon;
  var skew = 0;          // the server's clock minus this browser's, in s
  var jobs = [];         // the last answer of Scheduled
  var toasts = {};       // job id → its undo toast
  var entry = null;      // the sidebar entry
  var dialog = null;     // the open Scheduled list
  var timer = null;
  var REFRESH_MS = 60000;

  function serverNow() { return Math.floor(Date.now() / 1000) + skew; }

  // ---- time zone -----------------------------------------------------------

  function zone() {
    var z = (P.prefs && P.prefs().timeZone) || '';
    if (z) {
      try { new Intl.DateTimeFormat('en', { timeZone: z }); return z; } catch (e) { /* unknown: the browser's */ }
    }
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  }

  // The wall clock in zone z at ms: {y, m, d, h, mi, wd (0 = Sunday)}.
  function wall(ms, z) {
    var f = new Intl.DateTimeFormat('en-US', {
      timeZone: z, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
      hour: 'numeric', minute: 'numeric', second: 'numeric', weekday: 'short'
    });
    var o = {};
    f.formatToParts(new Date(ms)).forEach(function (p) { o[p.type] = p.value; });
    return {
      y: Number(o.year), m: Number(o.month), d: Number(o.day), h: Number(o.hour) % 24,
      mi: Number(o.minute), s: Number(o.second),
      wd: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(o.weekday)
    };
  }

  // Milliseconds of a wall-clock time in zone z (twice, for a DST edge).
  function fromWall(y, m, d, h, mi, z) {
    var guess = Date.UTC(y, m - 1, d, h, mi);
    function off(ms) {
      var w = wall(ms, z);
      return Date.UTC(w.y, w.m - 1, w.d, w.h, w.mi, w.s) - Math.floor(ms / 1000) * 1000;
    }
    var first = guess - off(guess);
    return guess - off(first);
  }

  // days after today (in z) at h:00, as Unix seconds.
  function dayAt(days, h, z) {
    var now = wall(serverNow() * 1000, z);
    var base = new Date(Date.UTC(now.y, now.m - 1, now.d + days));
    return Math.floor(fromWall(base.getUTCFullYear(), base.getUTCMonth() + 1, base.getUTCDate(), h, 0, z) / 1000);
  }

  function when(sec) {
    var lang = document.documentElement.lang || 'en';
    return new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : lang, {
      timeZone: zone(), weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit'
    }).format(new Date(sec * 1000));
  }

  // The preset times: [label key, fallback, Unix seconds].
  function presets() {
    var z = zone();
    var now = wall(serverNow() * 1000, z);
    var out = [];
    if (now.h < 17) out.push(['L_OUTBOX_LATER_TODAY', 'Later today', dayAt(0, 18, z)]);
    out.push(['L_OUTBOX_TOMORROW', 'Tomorrow morning', dayAt(1, 8, z)]);
    var toMonday = ((1 - now.wd + 7) % 7) || 7;
    if (toMonday > 1) out.push(['L_OUTBOX_MONDAY', 'Monday morning', dayAt(toMonday, 8, z)]);
    return out;
  }

  // ---- "Send later": the choices ---------------------------------------------

  function pickTime(anchor) {
    return new Promise(function (resolve) {
      var wrap = anchor.parentNode;
      var old = wrap.querySelector('.outbox-menu');
      if (old) { old.remove(); resolve(null); return; }
      var menu = el('div', 'menu outbox-menu');
      menu.setAttribute('role', 'menu');
      menu.appendChild(el('p', 'menu-label', t('L_OUTBOX_SEND_LATER', 'Send later')));
      var done = false;
      // v: the time chosen, null for none (undefined: focus back on the
      // button); then: a promise of the time instead (the custom dialog).
      function finish(v, then) {
        if (done) return;
        done = true;
        menu.remove();
        document.removeEventListener('mousedown', outside, true);
        anchor.setAttribute('aria-expanded', 'false');
        if (v === undefined && !then) anchor.focus();
        resolve(then || v || null);
      }
      function item(label, detail, fn) {
        var b = el('button', 'menu-item outbox-choice');
        b.type = 'button';
        b.setAttribute('role', 'menuitem');
        b.appendChild(icon('calendar'));
        var txt = el('span', 'outbox-choice-text');
        txt.appendChild(el('span', 'outbox-choice-label', label));
        if (detail) txt.appendChild(el('span', 'outbox-choice-when', detail));
        b.appendChild(txt);
        b.addEventListener('click', fn);
        menu.appendChild(b);
        return b;
      }
      presets().forEach(function (p) {
        item(t(p[0], p[1]), when(p[2]), function () { finish(p[2]); });
      });
      item(t('L_OUTBOX_PICK', 'Pick date and time…'), '', function () {
        finish(null, customTime());
      });
      function outside(ev) { if (!menu.contains(ev.target) && ev.target !== anchor) finish(undefined); }
      menu.addEventListener('keydown', function (ev) {
        var items = Array.from(menu.querySelectorAll('.menu-item'));
        var i = items.indexOf(document.activeElement);
        if (ev.key === 'Escape') { ev.preventDefault(); ev.stopPropagation(); finish(undefined); } else if (ev.key === 'ArrowDown') { ev.preventDefault(); items[(i + 1) % items.length].focus(); } else if (ev.key === 'ArrowUp') { ev.preventDefault(); items[(i - 1 + items.length) % items.length].focus(); }
      });
      wrap.appendChild(menu);
      anchor.setAttribute('aria-expanded', 'true');
      document.addEventListener('mousedown', outside, true);
      menu.querySelector('.menu-item').focus();
    });
  }

  function pad(n) { return (n < 10 ? '0' : '') + n; }

  // A dialog with a date and a time, read in the settings' zone.
  function customTime() {
    return new Promise(function (resolve) {
      var z = zone();
      var overlay = el('div', 'overlay compose-overlay');
      var box = el('form', 'dialog dialog-sm outbox-pick');
      box.setAttribute('role', 'dialog');
      box.setAttribute('aria-modal', 'true');
      box.setAttribute('aria-labelledby', 'outbox-pick-title');
      box.noValidate = true;
      var head = el('header', 'dialog-head');
      var h = el('h2', null, t('L_OUTBOX_PICK_TITLE', 'Send later'));
      h.id = 'outbox-pick-title';
      head.appendChild(h);
      box.appendChild(head);
      var body = el('div', 'dialog-body');
      var field = el('div', 'field');
      var lab = el('label', 'field-label', t('L_OUTBOX_PICK_LABEL', 'Date and time'));
      lab.htmlFor = 'outbox-pick-at';
      var input = el('input', 'outbox-pick-input');
      input.type = 'datetime-local';
      input.id = 'outbox-pick-at';
      input.required = true;
      var start = wall((serverNow() + 3600) * 1000, z);
      input.value = start.y + '-' + pad(start.m) + '-' + pad(start.d) + 'T' + pad(start.h) + ':00';
      var now = wall(serverNow() * 1000, z);
      input.min = now.y + '-' + pad(now.m) + '-' + pad(now.d) + 'T' + pad(now.h) + ':' + pad(now.mi);
      field.append(lab, input);
      body.appendChild(field);
      body.appendChild(el('p', 'field-hint', tf('L_OUTBOX_PICK_ZONE', 'Time zone: {zone}', { zone: z.replace(/_/g, ' ') })));
      var err = el('p', 'alert alert-error');
      err.setAttribute('role', 'alert');
      err.hidden = true;
      body.appendChild(err);
      box.appendChild(body);
      var foot = el('footer', 'dialog-foot');
      var cancel = el('button', 'btn btn-secondary', t('L_MAIL_FOLDER_CANCEL', 'Cancel'));
      cancel.type = 'button';
      var ok = el('button', 'btn btn-primary', t('L_OUTBOX_SCHEDULE', 'Schedule'));
      ok.type = 'submit';
      foot.append(cancel, ok);
      box.appendChild(foot);
      overlay.appendChild(box);
      var prev = document.activeElement;
      function close(v) {
        overlay.remove();
        if (prev && prev.focus) prev.focus();
        resolve(v);
      }
      cancel.addEventListener('click', function () { close(null); });
      overlay.addEventListener('click', function (ev) { if (ev.target === overlay) close(null); });
      overlay.addEventListener('keydown', function (ev) {
        if (ev.key === 'Escape') { ev.preventDefault(); ev.stopPropagation(); close(null); } else if (ev.key === 'Tab') P.trapTab(ev, box);
      });
      box.addEventListener('submit', function (ev) {
        ev.preventDefault();
        var m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)/.exec(input.value);
        var at = m ? Math.floor(fromWall(+m[1], +m[2], +m[3], +m[4], +m[5], z) / 1000) : 0;
        if (!at || at <= serverNow() + 30) {
          err.textContent = t('L_OUTBOX_PICK_PAST', 'Choose a time in the future.');
          err.hidden = false;
          input.setAttribute('aria-invalid', 'true');
          input.focus();
          return;
        }
        close(at);
      });
      document.body.appendChild(overlay);
      input.focus();
    });
  }

  // ---- the undo toast ----------------------------------------------------------

  function undoToast(id, due) {
    if (toasts[id]) return;
    var box = el('div', 'toast toast-undo');
    box.setAttribute('role', 'status');
    box.dataset.job = String(id);
    var text = el('span', 'toast-text');
    var undo = el('button', 'btn btn-slim toast-action', t('L_OUTBOX_UNDO', 'Undo'));
    undo.type = 'button';
    var close = el('button', 'icon-btn');
    close.type = 'button';
    close.setAttribute('aria-label', t('L_MAIL_CLOSE', 'Close'));
    close.appendChild(icon('close', 'icon-sm'));
    box.append(text, undo, close);
    var holder = document.getElementById('toasts');
    holder.appendChild(box);
    var tick = null;
    function gone() {
      clearInterval(tick);
      delete toasts[id];
      box.classList.add('leaving');
      setTimeout(function () { box.remove(); }, 220);
    }
    function show() {
      var left = due - serverNow();
      if (left > 0) {
        text.textContent = tf('L_OUTBOX_SENDING_IN', 'Sending in {n} s', { n: left });
        // Announced once, not every second.
        text.setAttribute('aria-live', 'off');
        return;
      }
      clearInterval(tick);
      text.setAttribute('aria-live', 'polite');
      undo.hidden = true;
      text.textContent = t('L_OUTBOX_SENDING', 'Sending…');
      follow(0);
    }
    // The worker sends at due: say what became of it once the list says.
    function follow(tries) {
      setTimeout(function () {
        refresh().then(function (list) {
          var j = list.filter(function (x) { return x.id === id; })[0];
          if (j && j.state === 'failed') {
            box.classList.add('error');
            box.setAttribute('role', 'alert');
            text.textContent = tf('L_OUTBOX_FAILED', 'Not sent: {error}', { error: j.error || '' });
            setTimeout(gone, 8000);
          } else if (j && tries < 15) {
            follow(tries + 1);
          } else {
            text.textContent = t('L_COMPOSE_SENT', 'Message sent');
            if (P.changed) P.changed();
            setTimeout(gone, 3000);
          }
        });
      }, 1500);
    }
    toasts[id] = { box: box, dismiss: gone };
    show();
    tick = setInterval(show, 1000);
    close.addEventListener('click', gone);
    undo.addEventListener('click', function () {
      undo.disabled = true;
      takeBack(id).then(function (ok) {
        if (ok) gone();
        else undo.disabled = false;
      });
    });
  }

  // SendCancel and reopen compose; resolves with whether it worked.
  function takeBack(id, discard) {
    return P.api('SendCancel', { id: id }, { quiet: true }).then(function (r) {
      refresh();
      var c = r.compose || {};
      if (discard) {
        (c.attachments || []).forEach(function (a) {
          P.api('UploadDelete', { id: a.id }, { quiet: true }).catch(function () { /* swept at logout */ });
        });
        P.toast(t('L_OUTBOX_CANCELLED', 'Not sent: the message was cancelled.'));
        return true;
      }
      // compose.js keeps a future sendAt: its Send schedules it again.
      if (window.PetrelCompose) window.PetrelCompose.restore(c);
      if (c.missingAttachments && c.missingAttachments.length) {
        P.toast(tf('L_OUTBOX_MISSING', 'These attachments could not be restored: {names}',
          { names: c.missingAttachments.join(', ') }), { error: true });
      }
      return true;
    }, function (err) {
      refresh();
      P.toast(err.status === 409 ? t('L_OUTBOX_TOO_LATE', 'Too late: the message is already being sent.') : err.message, { error: true });
      return false;
    });
  }

  // Send answered {id, state, due}: the message waits on the server.
  function queued(res) {
    if (res.state === 'held') undoToast(res.id, res.due);
    else P.toast(tf('L_OUTBOX_SCHEDULED_FOR', 'Scheduled for {when}', { when: when(res.due) }));
    refresh();
  }

  // ---- the sidebar entry and the list ---------------------------------------------

  function ensureEntry() {
    if (entry) return entry;
    var side = document.getElementById('sidebar');
    if (!side) return null;
    var wrap = el('div', 'sidebar-foot sidebar-scheduled');
    var b = el('button', 'folder-link outbox-entry');
    b.type = 'button';
    b.id = 'nav-scheduled';
    b.appendChild(icon('calendar'));
    b.appendChild(el('span', 'folder-name', t('L_OUTBOX_SCHEDULED', 'Scheduled')));
    var pill = el('span', 'pill outbox-count');
    b.appendChild(pill);
    wrap.appendChild(b);
    wrap.hidden = true;
    var before = side.querySelector('.sidebar-contacts');
    side.insertBefore(wrap, before || null);
    b.addEventListener('click', function () {
      if (P.closeDrawer) P.closeDrawer();
      if (location.hash === ROUTE) { openList(); return; }
      pushedRoute = true;
      location.hash = ROUTE; // hashchange opens the list
    });
    entry = { wrap: wrap, pill: pill };
    return entry;
  }

  function draw() {
    var e = ensureEntry();
    if (e) {
      e.wrap.hidden = !jobs.length;
      e.pill.textContent = String(jobs.length);
      // A message the server refused waits for the user: say so.
      e.pill.classList.toggle('outbox-count-failed', jobs.some(function (j) { return j.state === 'failed'; }));
    }
    if (dialog) drawList();
  }

  var loading = null;
  function refresh() {
    if (loading) return loading;
    loading = P.api('Scheduled', {}, { quiet: true }).then(function (d) {
      loading = null;
      skew = (d.now || serverNow()) - Math.floor(Date.now() / 1000);
      jobs = d.jobs || [];
      draw();
      return jobs;
    }, function () {
      loading = null;
      return jobs;
    });
    return loading;
  }

  function stateText(j) {
    if (j.state === 'failed') return tf('L_OUTBOX_FAILED', 'Not sent: {error}', { error: j.error || '' });
    if (j.state === 'sending') return t('L_OUTBOX_SENDING', 'Sending…');
    if (j.state === 'held') return tf('L_OUTBOX_SENDING_IN', 'Sending in {n} s', { n: Math.max(0, j.due - serverNow()) });
    return tf('L_OUTBOX_SCHEDULED_FOR', 'Scheduled for {when}', { when: when(j.due) });
  }

  function drawList() {
    var list = dialog.list;
    list.textContent = '';
    if (!jobs.length) {
      list.appendChild(el('li', 'outbox-empty', t('L_OUTBOX_EMPTY', 'Nothing waits to be sent.')));
      return;
    }
    jobs.forEach(function (j) {
      var li = el('li', 'outbox-row' + (j.state === 'failed' ? ' is-failed' : ''));
      li.dataset.job = String(j.id);
      var info = el('div', 'outbox-info');
      info.appendChild(el('span', 'outbox-subject', j.subject || t('L_OUTBOX_NO_SUBJECT', '(no subject)')));
      info.appendChild(el('span', 'outbox-rcpt', tf('L_OUTBOX_TO', 'To {list}', { list: (j.recipients || []).join(', ') })));
      info.appendChild(el('span', 'outbox-when', stateText(j)));
      li.appendChild(info);
      var acts = el('div', 'outbox-actions');
      var edit = el('button', 'btn btn-secondary btn-slim outbox-edit', t('L_OUTBOX_EDIT', 'Edit'));
      edit.type = 'button';
      var cancel = el('button', 'btn btn-secondary btn-slim compose-danger outbox-cancel',
        j.state === 'failed' ? t('L_OUTBOX_DISMISS', 'Discard') : t('L_OUTBOX_CANCEL', 'Cancel sending'));
      cancel.type = 'button';
      edit.disabled = cancel.disabled = j.state === 'sending';
      edit.addEventListener('click', function () {
        edit.disabled = true;
        takeBack(j.id).then(function (ok) { if (ok) closeList(); else edit.disabled = false; });
      });
      cancel.addEventListener('click', function () {
        cancel.disabled = true;
        takeBack(j.id, true).then(function () { if (toasts[j.id]) toasts[j.id].dismiss(); });
      });
      acts.append(edit, cancel);
      li.appendChild(acts);
      list.appendChild(li);
    });
  }

  // The list is a route of its own (#/scheduled): a link or a bookmark
  // opens it, Back closes it. Closed any other way, the route goes too.
  var ROUTE = '#/scheduled';
  var pushedRoute = false; // we went to ROUTE: Back returns where the user was

  function closeList() {
    if (!dialog) return;
    dialog.overlay.remove();
    if (dialog.prev && dialog.prev.focus) dialog.prev.focus();
    dialog = null;
    if (location.hash !== ROUTE) return;
    if (pushedRoute) history.back();
    else history.replaceState(null, '', '#/folder/INBOX');
    pushedRoute = false;
  }
  function onHash() {
    if (location.hash === ROUTE) openList();
    else if (dialog) { pushedRoute = false; closeList(); }
  }

  function openList() {
    if (dialog) return;
    var overlay = el('div', 'overlay compose-overlay');
    var box = el('section', 'dialog outbox-dialog');
    box.setAttribute('role', 'dialog');
    box.setAttribute('aria-modal', 'true');
    box.setAttribute('aria-labelledby', 'outbox-title');
    box.tabIndex = -1;
    var head = el('header', 'dialog-head');
    var h = el('h2', null, t('L_OUTBOX_SCHEDULED', 'Scheduled'));
    h.id = 'outbox-title';
    var x = el('button', 'icon-btn');
    x.type = 'button';
    x.setAttribute('aria-label', t('L_MAIL_CLOSE', 'Close'));
    x.appendChild(icon('close'));
    head.append(h, x);
    box.appendChild(head);
    var body = el('div', 'dialog-body');
    var list = el('ul', 'outbox-list');
    body.appendChild(list);
    box.appendChild(body);
    overlay.appendChild(box);
    dialog = { overlay: overlay, list: list, prev: document.activeElement };
    x.addEventListener('click', closeList);
    overlay.addEventListener('click', function (ev) { if (ev.target === overlay) closeList(); });
    overlay.addEventListener('keydown', function (ev) {
      if (ev.key === 'Escape') { ev.preventDefault(); ev.stopPropagation(); closeList(); } else if (ev.key === 'Tab') P.trapTab(ev, box);
    });
    document.body.appendChild(overlay);
    drawList();
    box.focus();
    refresh();
  }

  // ---- start -----------------------------------------------------------------------

  function init() {
    P = window.Petrel;
    if (!P || !P.api || !document.getElementById('toasts')) return;
    t = P.t; tf = P.tf; el = P.el; icon = P.icon;
    P.outbox = { pickTime: pickTime, queued: queued, refresh: refresh, open: openList, when: when };
    // After a reload: held messages still in their window get their toast.
    refresh().then(function (list) {
      list.forEach(function (j) {
        if (j.state === 'held' && j.due > serverNow()) undoToast(j.id, j.due);
      });
    });
    timer = setInterval(refresh, REFRESH_MS);
    window.addEventListener('hashchange', onHash);
    onHash();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
  window.addEventListener('pagehide', function () { clearInterval(timer); });
}());
