/*
 * The address book (#/settings/contacts): a settings section with search,
 * add/edit in a dialog, multi-select delete, "write to" into compose,
 * .vcf import and export; plus the "add sender to contacts" button in the
 * message header (app.js announces the sender with a petrel:sender event).
 * API: docs/API.md "Contacts". Like the rest, no HTML from strings.
 */
(function () {
  'use strict';

  var P = window.Petrel = window.Petrel || {};
  var PAGE = 100;

  function t(key, fallback) { return P.t ? P.t(key, fallback) : (fallback || key); }
  function tf(key, fallback, vars) { return P.tf ? P.tf(key, fallback, vars) : t(key, fallback); }
  // The shared DOM helpers (static/js/lib/dom.js, handed over by app.js).
  var el = P.el, icon = P.icon, button = P.button, iconButton = P.iconButton;
  function errText(err) {
    if (!err) return '';
    var s = err.message || String(err);
    if (err.detail && String(err.detail) !== s) s += ' — ' + err.detail;
    return s;
  }

  function displayName(c) { return c.name || c.emails[0] || ''; }
  function initials(c) {
    var s = (c.name || c.emails[0] || '?').trim();
    var words = s.split(/[\s@._-]+/).filter(Boolean);
    var out = words.length > 1 ? words[0][0] + words[1][0] : s.slice(0, 2);
    return Array.from(out).slice(0, 2).join('').toUpperCase();
  }
  function hue(s) {
    var h = 0;
    for (var i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
    return Math.abs(h) % 8;
  }
  function avatar(c) {
    return el('span', 'avatar ct-avatar av-' + hue((c.emails[0] || c.name || '').toLowerCase()), initials(c));
  }
  // "Name <a@b>" the way compose parses it back (quotes for specials).
  function address(name, email) {
    if (!name) return email;
    var n = name.replace(/["\\\r\n]/g, '');
    return (/[,;<>()@:."]/.test(n) ? '"' + n + '"' : n) + ' <' + email + '>';
  }
  function writeTo(list) {
    var to = [];
    list.forEach(function (c) { if (c.emails[0]) to.push(address(c.name, c.emails[0])); });
    if (!to.length) { P.toast(t('L_CONTACTS_NO_ADDRESS', 'This contact has no address.'), { error: true }); return; }
    if (window.PetrelCompose) window.PetrelCompose.open({ mode: 'new', query: { to: to.join(', ') } });
  }

  // ---- the edit dialog --------------------------------------------------------

  // edit(contact or null, prefill) → Promise of the saved id or null.
  function edit(c, prefill) {
    return new Promise(function (resolve) {
      c = c || { name: '', emails: [], phone: '', organization: '', notes: '' };
      prefill = prefill || {};
      var m = P.settings.modal({ id: 'contact-dialog', cls: 'dialog ct-dialog', bodyCls: 'ct-form',
        title: c.id ? t('L_CONTACTS_EDIT', 'Edit contact') : t('L_CONTACTS_NEW', 'New contact'), cancel: null }, resolve);
      var form = m.form;
      var body = m.body;
      var done = m.close;
      var alert = el('div', 'alert alert-error set-alert');
      alert.setAttribute('role', 'alert');
      alert.id = 'contact-error';
      alert.hidden = true;
      body.appendChild(alert);

      function field(id, label, input) {
        var f = el('div', 'ct-field');
        var l = el('label', 'field-label', label);
        l.htmlFor = id;
        input.id = id;
        f.append(l, input);
        body.appendChild(f);
        return input;
      }
      function text(id, label, value, max, type) {
        var i = el('input', 'set-input');
        i.type = type || 'text';
        i.maxLength = max;
        i.value = value || '';
        i.autocomplete = 'off';
        return field(id, label, i);
      }
      var name = text('contact-name', t('L_CONTACTS_NAME', 'Name'), prefill.name || c.name, 256);

      var emailsBox = el('div', 'ct-emails');
      emailsBox.id = 'contact-emails';
      var emailsField = el('div', 'ct-field');
      var emailsLabel = el('span', 'field-label', t('L_CONTACTS_EMAILS', 'Email addresses'));
      emailsLabel.id = 'contact-emails-label';
      var addEmail = button('link-btn ct-add-email', t('L_CONTACTS_ADD_EMAIL', 'Add another address'), 'plus');
      emailsField.append(emailsLabel, emailsBox, addEmail);
      body.appendChild(emailsField);
      function emailRow(v) {
        var row = el('div', 'ct-email-row');
        var i = el('input', 'set-input ct-email');
        i.type = 'email';
        i.maxLength = 254;
        i.value = v || '';
        i.autocomplete = 'off';
        i.spellcheck = false;
        i.setAttribute('aria-labelledby', emailsLabel.id);
        var rm = iconButton('close', t('L_CONTACTS_REMOVE_EMAIL', 'Remove this address'), 'ct-email-remove');
        rm.addEventListener('click', function () {
          if (emailsBox.children.length > 1) row.remove(); else i.value = '';
          primaryMarks();
        });
        row.append(i, rm);
        emailsBox.appendChild(row);
        primaryMarks();
        return i;
      }
      function primaryMarks() {
        Array.from(emailsBox.children).forEach(function (row, n) {
          row.classList.toggle('is-primary', n === 0);
          row.title = n === 0 && emailsBox.children.length > 1 ? t('L_CONTACTS_PRIMARY', 'Primary address') : '';
        });
      }
      var emails = c.emails.slice();
      if (prefill.email && emails.indexOf(prefill.email) < 0) emails.push(prefill.email);
      if (!emails.length) emails.push('');
      emails.forEach(emailRow);
      addEmail.addEventListener('click', function () {
        if (emailsBox.children.length >= 16) return;
        emailRow('').focus();
      });

      var phone = text('contact-phone', t('L_CONTACTS_PHONE', 'Phone'), c.phone, 64, 'tel');
      var org = text('contact-org', t('L_CONTACTS_ORG', 'Organization'), c.organization, 256);
      var notes = el('textarea', 'set-textarea');
      notes.rows = 3;
      notes.maxLength = 4096;
      notes.value = c.notes || '';
      field('contact-notes', t('L_CONTACTS_NOTES', 'Notes'), notes);

      var foot = el('footer', 'dialog-foot');
      var cancel = button('btn btn-secondary', t('L_SETTINGS_CANCEL', 'Cancel'));
      var save = el('button', 'btn btn-primary', t('L_CONTACTS_SAVE', 'Save'));
      save.type = 'submit';
      save.id = 'contact-save';
      foot.append(cancel, save);
      form.appendChild(foot);
      cancel.addEventListener('click', function () { done(null); });
      form.addEventListener('submit', function (ev) {
        ev.preventDefault();
        var list = Array.from(emailsBox.querySelectorAll('input')).map(function (i) { return i.value.trim(); })
          .filter(Boolean);
        alert.hidden = true;
        if (!name.value.trim() && !list.length) {
          alert.textContent = t('L_CONTACTS_ERR_EMPTY', 'Give a name or an address.');
          alert.hidden = false;
          name.focus();
          return;
        }
        var req = { name: name.value.trim(), emails: list, phone: phone.value.trim(),
          organization: org.value.trim(), notes: notes.value };
        if (c.id) req.id = c.id;
        save.disabled = true;
        P.api('ContactSave', req).then(function (r) {
          P.toast(t('L_CONTACTS_SAVED', 'Contact saved.'));
          done(r.id);
        }, function (err) {
          save.disabled = false;
          if (err.silent) return;
          alert.textContent = errText(err);
          alert.hidden = false;
        });
      });
      (prefill.email ? name : name.value ? emailsBox.querySelector('input') : name).focus();
    });
  }

  // ---- the section ---------------------------------------------------------------

  function render(box) {
    var state = { q: '', list: [], total: 0, selected: {}, seq: 0 };

    var head = el('div', 'set-page-head');
    var titles = el('div', 'set-page-titles');
    var h = el('h2', 'set-page-title', t('L_CONTACTS_TITLE', 'Contacts'));
    h.tabIndex = -1;
    titles.append(h, el('p', 'set-lead', t('L_CONTACTS_LEAD', '')));
    var tools = el('div', 'ct-head-tools');
    var add = button('btn btn-primary set-head-btn', t('L_CONTACTS_NEW', 'New contact'), 'plus');
    add.id = 'contact-new';
    tools.appendChild(add);
    head.append(titles, tools);
    box.appendChild(head);

    var bar = el('div', 'ct-bar');
    var search = el('div', 'ct-search');
    search.appendChild(icon('search'));
    var q = el('input', 'set-input');
    q.type = 'search';
    q.id = 'contact-search';
    q.placeholder = t('L_CONTACTS_SEARCH', 'Search contacts');
    q.setAttribute('aria-label', t('L_CONTACTS_SEARCH', 'Search contacts'));
    q.autocomplete = 'off';
    search.appendChild(q);
    var file = el('input');
    file.type = 'file';
    file.accept = '.vcf,text/vcard,text/x-vcard';
    file.hidden = true;
    file.id = 'contact-import-file';
    var imp = button('btn btn-secondary btn-slim', t('L_CONTACTS_IMPORT', 'Import'), 'arrow-up');
    imp.id = 'contact-import';
    var exp = el('a', 'btn btn-secondary btn-slim');
    exp.href = '/contacts/export';
    exp.id = 'contact-export';
    exp.setAttribute('download', 'contacts.vcf');
    exp.append(icon('download'), el('span', '', t('L_CONTACTS_EXPORT', 'Export')));
    bar.append(search, imp, exp, file);
    box.appendChild(bar);

    var sel = el('div', 'ct-selbar');
    sel.id = 'contact-selbar';
    sel.hidden = true;
    var all = el('input');
    all.type = 'checkbox';
    all.id = 'contact-select-all';
    all.setAttribute('aria-label', t('L_CONTACTS_SELECT_ALL', 'Select all shown'));
    var count = el('span', 'ct-selcount');
    var write = button('btn btn-secondary btn-slim', t('L_CONTACTS_WRITE', 'Write'), 'pencil');
    write.id = 'contact-write-selected';
    var del = button('btn btn-secondary btn-slim ct-danger', t('L_CONTACTS_DELETE', 'Delete'), 'trash');
    del.id = 'contact-delete-selected';
    sel.append(all, count, el('span', 'tb-spacer'), write, del);
    box.appendChild(sel);

    var list = el('ul', 'ct-list');
    list.id = 'contact-list';
    list.setAttribute('aria-label', t('L_CONTACTS_TITLE', 'Contacts'));
    box.appendChild(list);
    var more = button('btn btn-secondary ct-more', t('L_CONTACTS_MORE', 'Show more'));
    more.hidden = true;
    box.appendChild(more);
    var foot = el('p', 'set-foot-note');
    foot.id = 'contact-count';
    box.appendChild(foot);

    function selectedList() {
      return state.list.filter(function (c) { return state.selected[c.id]; });
    }
    function updateSel() {
      var n = selectedList().length;
      sel.hidden = !state.list.length;
      count.textContent = n ? tf('L_CONTACTS_SELECTED', '{n} selected', { n: n }) : t('L_CONTACTS_SELECT_ALL', 'Select all shown');
      write.hidden = del.hidden = !n;
      all.checked = n > 0 && n === state.list.length;
      all.indeterminate = n > 0 && n < state.list.length;
    }

    function row(c) {
      var li = el('li', 'ct-row');
      li.dataset.id = c.id;
      var cb = el('input', 'ct-check');
      cb.type = 'checkbox';
      cb.checked = !!state.selected[c.id];
      cb.setAttribute('aria-label', tf('L_CONTACTS_SELECT', 'Select {name}', { name: displayName(c) }));
      cb.addEventListener('change', function () {
        if (cb.checked) state.selected[c.id] = true; else delete state.selected[c.id];
        li.classList.toggle('is-selected', cb.checked);
        updateSel();
      });
      var main = el('button', 'ct-main');
      main.type = 'button';
      main.appendChild(avatar(c));
      var txt = el('span', 'ct-text');
      txt.appendChild(el('span', 'ct-name', displayName(c)));
      var first = c.name ? c.emails[0] || '' : '';
      if (first && c.emails.length > 1) first += ' ' + tf('L_CONTACTS_MORE_EMAILS', '(+{n})', { n: c.emails.length - 1 });
      var sub = [first, c.organization, c.phone].filter(Boolean).join(' · ');
      txt.appendChild(el('span', 'ct-sub', sub));
      main.appendChild(txt);
      main.addEventListener('click', function () { edit(c).then(function (id) { if (id) load(); }); });
      var w = iconButton('pencil', tf('L_CONTACTS_WRITE_TO', 'Write to {name}', { name: displayName(c) }), 'ct-write');
      w.disabled = !c.emails.length;
      w.addEventListener('click', function () { writeTo([c]); });
      li.append(cb, main, w);
      return li;
    }

    function draw() {
      var frag = document.createDocumentFragment();
      if (!state.list.length) {
        var e = el('li', 'ct-empty');
        e.appendChild(el('p', 'empty-title', state.q ? t('L_CONTACTS_NONE_FOUND', 'No contacts match.')
          : t('L_CONTACTS_EMPTY', 'No contacts yet.')));
        if (!state.q) e.appendChild(el('p', 'empty-text', t('L_CONTACTS_EMPTY_HINT', '')));
        frag.appendChild(e);
      }
      state.list.forEach(function (c) { frag.appendChild(row(c)); });
      list.replaceChildren(frag);
      more.hidden = state.list.length >= state.total;
      foot.textContent = state.total ? tf('L_CONTACTS_COUNT', '{n} contacts', { n: state.total }) : '';
      updateSel();
    }

    function load(append) {
      var seq = ++state.seq;
      return P.api('Contacts', { q: state.q, offset: append ? state.list.length : 0, limit: PAGE }, { quiet: true })
        .then(function (d) {
          if (seq !== state.seq) return;
          state.list = append ? state.list.concat(d.contacts) : d.contacts;
          state.total = d.total;
          if (!append) state.selected = {};
          draw();
        }, P.fail);
    }

    var timer = null;
    q.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () { state.q = q.value.trim(); load(); }, 200);
    });
    add.addEventListener('click', function () { edit(null).then(function (id) { if (id) load(); }); });
    more.addEventListener('click', function () { load(true); });
    all.addEventListener('change', function () {
      state.selected = {};
      if (all.checked) state.list.forEach(function (c) { state.selected[c.id] = true; });
      draw();
    });
    write.addEventListener('click', function () { writeTo(selectedList()); });
    del.addEventListener('click', function () {
      var chosen = selectedList();
      if (!chosen.length) return;
      P.settings.ask({
        title: t('L_CONTACTS_DELETE_TITLE', 'Delete contacts?'),
        text: chosen.length === 1 ? tf('L_CONTACTS_DELETE_ONE', '', { name: displayName(chosen[0]) })
          : tf('L_CONTACTS_DELETE_MANY', '', { n: chosen.length }),
        ok: t('L_CONTACTS_DELETE', 'Delete'),
        danger: true
      }).then(function (ok) {
        if (!ok) return;
        P.api('ContactDelete', { ids: chosen.map(function (c) { return c.id; }) }).then(function () {
          P.toast(tf('L_CONTACTS_DELETED', '{n} deleted', { n: chosen.length }));
          load();
        }, P.fail);
      });
    });
    imp.addEventListener('click', function () { file.click(); });
    file.addEventListener('change', function () {
      var f = file.files && file.files[0];
      if (!f) return;
      var fd = new FormData();
      fd.append('file', f, f.name);
      imp.disabled = true;
      fetch('/api/ContactsImport', {
        method: 'POST', credentials: 'same-origin', body: fd,
        headers: { 'Accept': 'application/json', 'X-Petrel-Token': (P.boot && P.boot.csrf) || '' }
      }).then(function (resp) {
        return resp.json().catch(function () { return {}; }).then(function (d) {
          if (!resp.ok) throw Object.assign(new Error((d.error && d.error.message) || t('L_ERROR_INTERNAL', '')),
            { detail: d.error && d.error.detail });
          P.toast(tf('L_CONTACTS_IMPORTED', '{imported} imported, {skipped} skipped', d));
          load();
        });
      }).catch(function (err) { P.toast(errText(err), { error: true }); }).finally(function () {
        imp.disabled = false;
        file.value = '';
      });
    });
    load();
  }

  function register() {
    if (!P.settings) return;
    P.settings.register({
      id: 'contacts', title: 'L_CONTACTS_TITLE', icon: 'user', order: 50,
      render: render
    });
  }

  // ---- "add sender to contacts" in the message header -------------------------------

  function onSender(ev) {
    var old = document.getElementById('msg-add-contact');
    if (old) old.remove();
    var s = ev.detail;
    var from = document.querySelector('.msg-from');
    if (!s || !s.email || !from) return;
    var b = iconButton('user', tf('L_CONTACTS_ADD_SENDER', 'Add {sender} to contacts', { sender: s.email }), 'msg-add-contact');
    b.id = 'msg-add-contact';
    b.addEventListener('click', function () {
      // Already known: open that contact instead of making a second one.
      P.api('Contacts', { q: s.email, limit: 10 }).then(function (d) {
        var lower = s.email.toLowerCase();
        var found = (d.contacts || []).filter(function (c) {
          return c.emails.some(function (e) { return e.toLowerCase() === lower; });
        })[0];
        if (found) P.toast(tf('L_CONTACTS_ALREADY', '{sender} is in your contacts.', { sender: s.email }));
        return edit(found || null, found ? {} : { name: s.name, email: s.email });
      }).catch(P.fail);
    });
    from.appendChild(b);
  }

  // The sidebar's Contacts link is the current page here, not Settings'.
  function markNav() {
    var on = /^#\/settings\/contacts(\/|$)/.test(location.hash);
    var c = document.getElementById('nav-contacts');
    var s = document.getElementById('nav-settings');
    if (c) { if (on) c.setAttribute('aria-current', 'page'); else c.removeAttribute('aria-current'); }
    if (s && on) s.removeAttribute('aria-current');
  }

  document.addEventListener('petrel:sender', onSender);
  document.addEventListener('DOMContentLoaded', function () {
    window.addEventListener('hashchange', markNav);
    markNav();
  });
  // Now, before settings.js draws the page it may be opened on.
  register();
}());
