/*
 * Settings → General (the user's preferences: Settings / SettingsSave in
 * docs/API.md) and Settings → Identities (the compose dialog's identity
 * editor, PetrelCompose.identityEditor). Both are always available, so
 * the settings entry is always in the menu.
 *
 * Each control saves itself when changed and takes effect at once
 * (Petrel.applyPrefs): there is no form to lose. A new language needs
 * the page again, since the catalog comes with it.
 */
(function () {
  'use strict';

  var P = window.Petrel;
  if (!P || !P.settings) return;
  var t = P.t, el = P.el;
  var S = P.settings;
  var ui = S.ui;
  var PAGE_SIZES = [10, 20, 25, 50, 100, 200];
  var READ_DELAYS = [0, 3, 5, 10, 30];

  function errText(err) {
    var s = err.message || String(err);
    if (err.detail && String(err.detail) !== s) s += ' — ' + err.detail;
    return s;
  }

  // A labelled row of a card: label and hint on the left, control on the right.
  function row(card, id, labelKey, hintKey, control) {
    var r = el('div', 'gen-row');
    var text = el('div', 'gen-row-text');
    var l = el('label', 'gen-label', t(labelKey));
    l.htmlFor = id;
    text.appendChild(l);
    if (hintKey) {
      var h = el('p', 'field-hint', t(hintKey));
      h.id = id + '-hint';
      text.appendChild(h);
    }
    r.append(text, control);
    card.appendChild(r);
    return r;
  }
  function card(box, titleKey) {
    var c = el('section', 'set-card gen-card');
    var h = el('h3', 'gen-card-title', t(titleKey));
    c.appendChild(h);
    box.appendChild(c);
    return c;
  }
  // A radio group drawn as a segmented control; choices: [[value, textKey]].
  function segmented(id, choices, value, labelKey) {
    var g = el('div', 'segmented');
    g.id = id;
    g.setAttribute('role', 'radiogroup');
    g.setAttribute('aria-label', t(labelKey));
    choices.forEach(function (c) {
      var l = el('label', 'seg');
      var r = el('input');
      r.type = 'radio';
      r.name = id;
      r.value = c[0];
      r.id = id + '-' + c[0];
      r.checked = String(value) === c[0];
      l.append(r, el('span', '', t(c[1])));
      g.appendChild(l);
    });
    return g;
  }
  function segValue(g) {
    var r = g.querySelector('input:checked');
    return r ? r.value : null;
  }

  function zones() {
    try { return Intl.supportedValuesOf('timeZone'); } catch (e) { return ['UTC']; }
  }
  function browserZone() {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'; } catch (e) { return 'UTC'; }
  }
  // "14:05" now in zone z ('' = the browser's): the picker shows what it means.
  function nowIn(z) {
    var o = { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' };
    if (z) o.timeZone = z;
    try { return new Intl.DateTimeFormat(document.documentElement.lang || 'en', o).format(new Date()); } catch (e) { return ''; }
  }

  function drawGeneral(box, d) {
    var s = d.settings;
    ui.pageHead(box, t('L_GENERAL_TITLE', 'General'), t('L_GENERAL_LEAD', ''));
    var alert = el('div', 'set-alert');
    alert.setAttribute('role', 'alert');
    alert.id = 'general-error';
    alert.hidden = true;
    box.appendChild(alert);

    // ---- language and time ----
    var region = card(box, 'L_GENERAL_REGION');
    var lang = ui.select(d.languages.map(function (l) { return [l.code, l.name]; }), s.lang);
    lang.id = 'set-lang';
    row(region, 'set-lang', 'L_GENERAL_LANGUAGE', null, lang);
    var here = browserZone();
    var zoneOpts = [['', t('L_GENERAL_ZONE_BROWSER', 'This device’s zone') + ' (' + here + ')']];
    var list = zones();
    if (s.timeZone && list.indexOf(s.timeZone) < 0) list = [s.timeZone].concat(list);
    list.forEach(function (z) { zoneOpts.push([z, z.replace(/_/g, ' ')]); });
    var zone = ui.select(zoneOpts, s.timeZone || '');
    zone.id = 'set-zone';
    var zoneRow = row(region, 'set-zone', 'L_GENERAL_ZONE', 'L_GENERAL_ZONE_HINT', zone);
    var zoneNow = el('p', 'field-hint gen-now');
    zoneNow.id = 'set-zone-now';
    zoneRow.querySelector('.gen-row-text').appendChild(zoneNow);
    function showNow() { zoneNow.textContent = t('L_GENERAL_ZONE_NOW', 'Now:') + ' ' + nowIn(zone.value); }
    showNow();

    // ---- mail list ----
    var mail = card(box, 'L_GENERAL_MAIL');
    var sizes = PAGE_SIZES.slice();
    if (sizes.indexOf(s.messagesPerPage) < 0) sizes.push(s.messagesPerPage);
    sizes.sort(function (a, b) { return a - b; });
    var perPage = ui.select(sizes.map(function (n) { return [String(n), String(n)]; }), String(s.messagesPerPage));
    perPage.id = 'set-per-page';
    row(mail, 'set-per-page', 'L_GENERAL_PER_PAGE', null, perPage);
    var threads = ui.switchBox(s.threads, null, 'set-threads');
    row(mail, 'set-threads', 'L_GENERAL_THREADS', 'L_GENERAL_THREADS_HINT', threads.wrap);
    var delays = READ_DELAYS.slice();
    if (delays.indexOf(s.readAfterSeconds) < 0) delays.push(s.readAfterSeconds);
    delays.sort(function (a, b) { return a - b; });
    var readAfter = ui.select(delays.map(function (n) {
      return [String(n), n ? P.tf('L_GENERAL_READ_AFTER_N', 'After {n} s', { n: n }) : t('L_GENERAL_READ_AT_ONCE', 'When opened')];
    }), String(s.readAfterSeconds));
    readAfter.id = 'set-read-after';
    row(mail, 'set-read-after', 'L_GENERAL_READ_AFTER', 'L_GENERAL_READ_AFTER_HINT', readAfter);
    var images = segmented('set-images', [['ask', 'L_GENERAL_IMAGES_ASK'], ['always', 'L_GENERAL_IMAGES_ALWAYS']],
      s.showImages, 'L_GENERAL_IMAGES');
    row(mail, 'set-images', 'L_GENERAL_IMAGES', 'L_GENERAL_IMAGES_HINT', images);
    // Issue 17: read receipts (RFC 8098), never sent silently by default.
    var receipts = segmented('set-receipts', [['ask', 'L_GENERAL_RECEIPTS_ASK'], ['never', 'L_GENERAL_RECEIPTS_NEVER'], ['always', 'L_GENERAL_RECEIPTS_ALWAYS']],
      s.readReceipts || 'ask', 'L_GENERAL_RECEIPTS');
    row(mail, 'set-receipts', 'L_GENERAL_RECEIPTS', 'L_GENERAL_RECEIPTS_HINT', receipts);
    receipts.addEventListener('change', function () { save({ readReceipts: segValue(receipts) }); });
    // Petrel as the browser's handler of mailto: links (GET /mailto?uri=).
    var handler = el('button', 'btn btn-secondary btn-slim', t('L_GENERAL_MAILTO_BUTTON', 'Use Petrel'));
    handler.type = 'button';
    handler.id = 'set-mailto';
    row(mail, 'set-mailto', 'L_GENERAL_MAILTO', 'L_GENERAL_MAILTO_HINT', handler);
    handler.addEventListener('click', function () {
      try {
        navigator.registerProtocolHandler('mailto', location.origin + '/mailto?uri=%s');
        P.toast(t('L_GENERAL_MAILTO_ASKED', 'Your browser asks you to confirm.'));
      } catch (e) {
        P.toast(t('L_GENERAL_MAILTO_UNSUPPORTED', 'This browser does not let Petrel open mail links.'), { error: true });
      }
    });
    if (!navigator.registerProtocolHandler) handler.disabled = true;
    // Issue 17: desktop notifications for new mail in INBOX. Kept per
    // browser (localStorage), as the permission is the browser's: switching
    // them on here asks for it, and a refusal switches them off again.
    var notifyOn = window.Notification && Notification.permission === 'granted' &&
      localStorage.getItem('petrel.notify') === '1';
    var notify = ui.switchBox(!!notifyOn, null, 'set-notify');
    row(mail, 'set-notify', 'L_GENERAL_NOTIFY', 'L_GENERAL_NOTIFY_HINT', notify.wrap);
    if (!window.Notification) notify.input.disabled = true;
    notify.input.addEventListener('change', function () {
      if (!notify.input.checked) {
        localStorage.removeItem('petrel.notify');
        return;
      }
      Promise.resolve(Notification.requestPermission()).then(function (perm) {
        if (perm === 'granted') {
          localStorage.setItem('petrel.notify', '1');
          P.toast(t('L_GENERAL_NOTIFY_ON', 'New mail in your inbox will show on your desktop.'));
        } else {
          notify.input.checked = false;
          localStorage.removeItem('petrel.notify');
          P.toast(t('L_GENERAL_NOTIFY_DENIED', 'The browser does not allow notifications for this site.'), { error: true });
        }
      });
    });

    // ---- appearance and writing ----
    var look = card(box, 'L_GENERAL_LOOK');
    var theme = segmented('set-theme', [['auto', 'L_GENERAL_THEME_AUTO'], ['light', 'L_GENERAL_THEME_LIGHT'], ['dark', 'L_GENERAL_THEME_DARK']],
      s.theme, 'L_GENERAL_THEME');
    row(look, 'set-theme', 'L_GENERAL_THEME', null, theme);
    var fmt = segmented('set-compose', [['plain', 'L_GENERAL_COMPOSE_PLAIN'], ['html', 'L_GENERAL_COMPOSE_HTML']],
      s.composeHtml ? 'html' : 'plain', 'L_GENERAL_COMPOSE');
    row(look, 'set-compose', 'L_GENERAL_COMPOSE', 'L_GENERAL_COMPOSE_HINT', fmt);
    // Issue 17: undo send, how long Send waits before it goes (0: at once).
    var undoChoices = [0, 5, 10, 20, 30];
    var undoNow = typeof s.undoSeconds === 'number' ? s.undoSeconds : 5;
    if (undoChoices.indexOf(undoNow) < 0) undoChoices.push(undoNow);
    undoChoices.sort(function (a, b) { return a - b; });
    var undo = ui.select(undoChoices.map(function (n) {
      return [String(n), n ? P.tf('L_GENERAL_UNDO_N', '{n} seconds', { n: n }) : t('L_GENERAL_UNDO_OFF', 'Off')];
    }), String(undoNow));
    undo.id = 'set-undo';
    row(look, 'set-undo', 'L_GENERAL_UNDO', 'L_GENERAL_UNDO_HINT', undo);
    undo.addEventListener('change', function () { save({ undoSeconds: Number(undo.value) }, undo); });

    var pending = Promise.resolve();
    // Save one change; the server's answer is what the page then follows.
    function save(change, control) {
      alert.hidden = true;
      pending = pending.then(function () {
        return P.api('SettingsSave', change, { quiet: true });
      }).then(function (r) {
        P.applyPrefs(r.settings);
        if (change.lang) { location.reload(); return; }
        P.toast(t('L_GENERAL_SAVED', 'Saved'));
      }, function (err) {
        alert.replaceChildren(P.icon('alert'), el('span', '', errText(err)));
        alert.hidden = false;
        if (control) control.setAttribute('aria-invalid', 'true');
      });
      return pending;
    }
    lang.addEventListener('change', function () { save({ lang: lang.value }, lang); });
    zone.addEventListener('change', function () { showNow(); save({ timeZone: zone.value }, zone); });
    perPage.addEventListener('change', function () { save({ messagesPerPage: Number(perPage.value) }, perPage); });
    readAfter.addEventListener('change', function () { save({ readAfterSeconds: Number(readAfter.value) }, readAfter); });
    threads.input.addEventListener('change', function () { save({ threads: threads.input.checked }); });
    images.addEventListener('change', function () { save({ showImages: segValue(images) }); });
    theme.addEventListener('change', function () {
      // At once, before the server answers: the user sees the choice.
      document.documentElement.dataset.theme = segValue(theme);
      save({ theme: segValue(theme) });
    });
    fmt.addEventListener('change', function () { save({ composeHtml: segValue(fmt) === 'html' }); });
  }

  function loading(box) {
    var s = el('div', 'set-loading');
    s.setAttribute('aria-busy', 'true');
    for (var i = 0; i < 3; i++) s.appendChild(el('div', 'set-skeleton'));
    box.replaceChildren(s);
  }
  function failed(box, err, retry) {
    var s = el('div', 'empty-state set-empty');
    s.appendChild(el('p', 'empty-title', t('L_GENERAL_LOAD_FAILED', 'The settings could not be loaded')));
    s.appendChild(el('p', 'empty-text', errText(err)));
    var b = el('button', 'btn btn-secondary', t('L_FILTERS_RETRY', 'Try again'));
    b.type = 'button';
    b.addEventListener('click', retry);
    s.appendChild(b);
    box.replaceChildren(s);
  }

  function renderGeneral(box) {
    loading(box);
    P.api('Settings', {}, { quiet: true }).then(function (d) {
      if (!box.isConnected) return;
      box.replaceChildren();
      drawGeneral(box, d);
      ui.focusTitle(box);
    }, function (err) {
      if (box.isConnected) failed(box, err, function () { renderGeneral(box); });
    });
  }

  function renderIdentities(box) {
    loading(box);
    // The sent-folder picker needs the folder list (a deep link may beat it).
    var folders = (P.folders() || []).length ? null : P.loadFolders({ quiet: true }).catch(function () {});
    var form = el('form', 'set-card ids-settings');
    form.id = 'identities-form';
    Promise.resolve(folders).then(function () {
      if (!window.PetrelCompose) throw new Error(t('L_GENERAL_LOAD_FAILED', 'The settings could not be loaded'));
      return window.PetrelCompose.identityEditor(form, { prefix: 'set-ids-', focus: false });
    }).then(function () {
      if (!box.isConnected) return;
      box.replaceChildren();
      ui.pageHead(box, t('L_COMPOSE_IDENTITIES', 'Identities'), t('L_IDENTITIES_LEAD', ''));
      box.appendChild(form);
      ui.focusTitle(box);
    }, function (err) {
      if (box.isConnected) failed(box, err, function () { renderIdentities(box); });
    });
  }

  S.register({ id: 'general', title: 'L_GENERAL_TITLE', icon: 'sliders', order: 0, render: renderGeneral });
  S.register({ id: 'identities', title: 'L_COMPOSE_IDENTITIES', icon: 'user', order: 5, render: renderIdentities });
})();
