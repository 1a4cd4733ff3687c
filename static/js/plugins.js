/*
 * What the enabled plugins add to the pages (PluginSettings in
 * docs/API.md), all built from data: nothing a plugin sends becomes
 * HTML, every text goes in with textContent.
 *
 * Settings sections: a form whose fields the plugin declared; saving
 * posts them as one JSON object to /api/plugin/<name>/<action>, where
 * Petrel checks the session and the token before the plugin runs. A
 * plugin's refusal comes back as the error message and is shown above
 * the form; success clears the form and says so (the answer's "message"
 * when the plugin gave one). A list section (listAction) shows the
 * plugin's items beside that form: choosing one fills the form to edit
 * it, and Delete removes it.
 *
 * Compose menus: compose.js calls Petrel.pluginCompose(slot, editor)
 * for each window; every plugin menu becomes a button in the slot whose
 * menu lists the plugin's items and inserts the chosen one's text.
 */
(function () {
  'use strict';

  var P = window.Petrel;
  if (!P) return;
  var t = P.t, el = P.el;
  var loaded = null;
  // Settings waits on this before it calls a plugin-* link unknown: a deep
  // link may come before PluginSettings has answered.
  var sectionsReady;
  P.pluginSectionsReady = new Promise(function (res) { sectionsReady = res; });
  P.pluginSectionsReady.then(function () { P.pluginSectionsDone = true; });

  // One PluginSettings call per page, shared by settings and compose.
  function pluginData() {
    if (!loaded) loaded = P.api('PluginSettings', {}, { quiet: true }).catch(function () { return {}; });
    return loaded;
  }
  function actionUrl(plugin, action) {
    return 'plugin/' + encodeURIComponent(plugin) + '/' + encodeURIComponent(action);
  }

  // ---- compose -------------------------------------------------------------

  var menuSeq = 0;

  function composeMenu(m, ed) {
    var wrap = el('span', 'menu-wrap compose-plugin');
    var b = el('button', 'compose-mode compose-plugin-btn');
    b.type = 'button';
    b.appendChild(P.icon('layers', 'icon-sm'));
    b.appendChild(el('span', 'compose-mode-label', m.label));
    b.title = m.label;
    b.setAttribute('aria-label', m.label);
    b.setAttribute('aria-haspopup', 'menu');
    b.setAttribute('aria-expanded', 'false');
    var menu = el('div', 'menu menu-up compose-plugin-menu');
    menu.id = 'compose-plugin-menu-' + (++menuSeq);
    menu.setAttribute('role', 'menu');
    menu.setAttribute('aria-label', m.label);
    menu.hidden = true;
    b.setAttribute('aria-controls', menu.id);
    wrap.appendChild(b);
    wrap.appendChild(menu);

    function items() { return Array.from(menu.querySelectorAll('.menu-item')); }
    function close(refocus) {
      if (menu.hidden) return;
      menu.hidden = true;
      b.setAttribute('aria-expanded', 'false');
      document.removeEventListener('mousedown', outside, true);
      if (refocus) b.focus();
    }
    function outside(ev) { if (!wrap.contains(ev.target)) close(false); }
    // Anchored at the button's left edge unless that runs off screen
    // (a phone's footer), then at its right edge.
    function place() {
      menu.classList.remove('menu-right');
      if (menu.getBoundingClientRect().right > document.documentElement.clientWidth - 8) menu.classList.add('menu-right');
    }
    function note(text) {
      menu.replaceChildren(el('p', 'menu-note', text));
      place();
    }
    function fill(list) {
      var frag = document.createDocumentFragment();
      list.forEach(function (it) {
        var label = typeof it[m.labelKey] === 'string' ? it[m.labelKey] : '';
        var text = typeof it[m.textKey] === 'string' ? it[m.textKey] : '';
        var mi = el('button', 'menu-item');
        mi.type = 'button';
        mi.setAttribute('role', 'menuitem');
        mi.appendChild(el('span', 'menu-item-text', label));
        mi.title = text.length > 200 ? text.slice(0, 200) + '…' : text;
        mi.addEventListener('click', function () {
          close(false);
          ed.insertText(text);
        });
        frag.appendChild(mi);
      });
      if (!list.length) frag.appendChild(el('p', 'menu-note', t('L_PLUGIN_MENU_EMPTY', 'Nothing saved yet.')));
      if (m.settings) {
        frag.appendChild(el('div', 'menu-sep'));
        var a = el('a', 'menu-item');
        a.href = '#/settings/plugin-' + m.plugin;
        a.setAttribute('role', 'menuitem');
        a.appendChild(P.icon('sliders'));
        a.appendChild(el('span', 'menu-item-text', t('L_PLUGIN_MENU_MANAGE', 'Manage…')));
        a.addEventListener('click', function () { close(false); });
        frag.appendChild(a);
      }
      menu.replaceChildren(frag);
      place();
      var first = items()[0];
      if (first) first.focus();
    }
    function open() {
      menu.hidden = false;
      b.setAttribute('aria-expanded', 'true');
      document.addEventListener('mousedown', outside, true);
      note(t('L_PLUGIN_MENU_LOADING', 'Loading…'));
      P.api(actionUrl(m.plugin, m.action), {}, { quiet: true }).then(function (d) {
        if (menu.hidden) return;
        var r = (d && d.result) || {};
        fill(Array.isArray(r.items) ? r.items : []);
      }, function (err) {
        if (!menu.hidden) note(err.message || t('L_PLUGIN_MENU_FAILED', 'Could not load the list.'));
      });
    }
    b.addEventListener('click', function () { if (menu.hidden) open(); else close(true); });
    b.addEventListener('keydown', function (ev) {
      if ((ev.key === 'ArrowUp' || ev.key === 'ArrowDown') && menu.hidden) { ev.preventDefault(); open(); }
    });
    menu.addEventListener('keydown', function (ev) {
      var list = items(), i = list.indexOf(document.activeElement);
      if (ev.key === 'Escape') { ev.preventDefault(); ev.stopPropagation(); close(true); }
      else if (ev.key === 'ArrowDown') { ev.preventDefault(); if (list.length) list[(i + 1) % list.length].focus(); }
      else if (ev.key === 'ArrowUp') { ev.preventDefault(); if (list.length) list[(i - 1 + list.length) % list.length].focus(); }
      else if (ev.key === 'Home') { ev.preventDefault(); if (list.length) list[0].focus(); }
      else if (ev.key === 'End') { ev.preventDefault(); if (list.length) list[list.length - 1].focus(); }
      else if (ev.key === 'Tab') close(false);
    });
    return wrap;
  }

  /*
   * The compose seam: slot is an element of the compose window's footer,
   * ed.insertText(text) puts plain text at the cursor (or into an empty
   * body).
   */
  P.pluginCompose = function (slot, ed) {
    pluginData().then(function (d) {
      var have = {};
      (d.sections || []).forEach(function (s) { have[s.plugin] = true; });
      (d.compose || []).forEach(function (m) {
        m.settings = !!have[m.plugin];
        slot.appendChild(composeMenu(m, ed));
      });
    });
  };

  // ---- settings ------------------------------------------------------------

  if (!P.settings) return;
  var S = P.settings;
  var ui = S.ui;

  function alertBox(id) {
    var a = el('div', 'alert set-alert');
    a.id = id;
    a.hidden = true;
    return a;
  }
  function show(a, ok, text) {
    a.className = 'alert set-alert ' + (ok ? 'alert-ok' : 'alert-error');
    a.setAttribute('role', ok ? 'status' : 'alert');
    a.replaceChildren(P.icon(ok ? 'check' : 'alert'), el('span', '', text));
    a.hidden = false;
  }

  // ABI 1.1: a section with a load action, or an answer that names the
  // next action, steers the form (docs/PLUGINS.md): an intro, a QR image,
  // a key and codes to copy, which fields show, what the button runs.
  function copyButton(text) {
    var b = el('button', 'btn btn-secondary btn-sm plugin-copy', t('L_SETTINGS_PLUGIN_COPY', 'Copy'));
    b.type = 'button';
    b.addEventListener('click', function () {
      if (!navigator.clipboard) return;
      navigator.clipboard.writeText(text).then(function () {
        b.textContent = t('L_SETTINGS_PLUGIN_COPIED', 'Copied');
      }, function () { /* the text stays selectable */ });
    });
    return b;
  }

  function steer(st, r) {
    var p = st.panel;
    p.replaceChildren();
    if (typeof r.status === 'string' && r.status) {
      var badge = el('span', 'plugin-status' + (r.enabled === true ? ' is-on' : ''));
      badge.appendChild(P.icon(r.enabled === true ? 'check' : 'notjunk'));
      badge.appendChild(el('span', '', r.status));
      p.appendChild(badge);
    }
    if (typeof r.intro === 'string' && r.intro) p.appendChild(el('p', 'plugin-intro', r.intro));
    if (typeof r.qr_svg === 'string' && r.qr_svg) {
      var img = el('img', 'plugin-qr');
      img.alt = t('L_SETTINGS_PLUGIN_QR', 'QR code for your authenticator app');
      img.src = 'data:image/svg+xml;base64,' + btoa(r.qr_svg);
      p.appendChild(img);
    }
    if (typeof r.secret === 'string' && r.secret) {
      var sec = el('div', 'plugin-secret');
      sec.appendChild(el('span', 'plugin-label', t('L_SETTINGS_PLUGIN_SECRET', 'Key for typing in by hand')));
      var row = el('div', 'plugin-copy-row');
      var code = el('code', 'plugin-secret-text', r.secret);
      code.id = st.prefix + 'secret';
      row.appendChild(code);
      row.appendChild(copyButton(r.secret.replace(/ /g, '')));
      sec.appendChild(row);
      p.appendChild(sec);
    }
    if (typeof r.codes === 'string' && r.codes) {
      var box = el('div', 'plugin-codes');
      var head = el('div', 'plugin-copy-row');
      head.appendChild(el('span', 'plugin-label', t('L_SETTINGS_PLUGIN_CODES', 'Recovery codes')));
      head.appendChild(copyButton(r.codes));
      box.appendChild(head);
      var list = el('ol', 'plugin-code-list');
      list.id = st.prefix + 'codes';
      r.codes.split('\n').forEach(function (c) { list.appendChild(el('li', '', c)); });
      box.appendChild(list);
      p.appendChild(box);
    }
    p.hidden = !p.firstChild;
    var show = typeof r.fields === 'string' ? r.fields.split(',').filter(Boolean) : null;
    Object.keys(st.rows).forEach(function (k) {
      var on = !show || show.indexOf(k) >= 0;
      st.rows[k].hidden = !on;
      st.inputs[k].required = on && st.required[k];
      st.inputs[k].value = '';
    });
    if (typeof r.action === 'string' && r.action) st.action = r.action;
    if (typeof r.button === 'string' && r.button) st.save.textContent = r.button;
    st.save.className = 'btn ' + (r.danger === true ? 'btn-danger' : 'btn-primary');
    var first = show && show.length ? st.inputs[show[0]] : null;
    if (first && document.activeElement && document.activeElement !== document.body) first.focus();
  }

  function render(sec) {
    if (sec.listAction) return renderList(sec);
    return function (box) {
      var prefix = 'plugin-' + sec.plugin + '-';
      ui.pageHead(box, sec.title, '');
      var note = alertBox(prefix + 'result');
      box.appendChild(note);
      var form = el('form', 'set-card plugin-form');
      form.id = prefix + 'form';
      form.noValidate = true;
      var inputs = {}, rows = {}, required = {};
      var panel = el('div', 'plugin-panel');
      panel.id = prefix + 'panel';
      panel.hidden = true;
      form.appendChild(panel);
      sec.fields.forEach(function (f) {
        var row = el('label', 'plugin-field');
        rows[f.name] = row;
        required[f.name] = !!f.required;
        row.appendChild(el('span', 'plugin-label', f.label));
        var i = ui.input(f.type === 'password' || f.type === 'email' || f.type === 'number' ? f.type : 'text', '');
        i.name = f.name;
        i.id = prefix + f.name;
        i.required = !!f.required;
        if (f.type === 'password') i.autocomplete = f.name === 'current' ? 'current-password' : 'new-password';
        // A field named "code" takes a one-time code (two-factor).
        if (f.name === 'code') {
          i.autocomplete = 'one-time-code';
          i.spellcheck = false;
          i.classList.add('plugin-code-input');
        }
        row.appendChild(i);
        form.appendChild(row);
        inputs[f.name] = i;
      });
      var actions = el('div', 'set-actions');
      var save = el('button', 'btn btn-primary', t('L_SETTINGS_PLUGIN_SAVE', 'Save'));
      save.type = 'submit';
      save.id = prefix + 'save';
      actions.appendChild(save);
      form.appendChild(actions);
      var st = { prefix: prefix, panel: panel, rows: rows, inputs: inputs, required: required, save: save, action: sec.action };
      if (!sec.load) ui.trackDirty(form);
      form.addEventListener('submit', function (ev) {
        ev.preventDefault();
        var body = {};
        Object.keys(inputs).forEach(function (k) { if (!rows[k].hidden) body[k] = inputs[k].value; });
        save.disabled = true;
        save.classList.add('is-busy');
        P.api('plugin/' + encodeURIComponent(sec.plugin) + '/' + encodeURIComponent(st.action), body)
          .then(function (d) {
            var r = (d && d.result) || {};
            Object.keys(inputs).forEach(function (k) { inputs[k].value = ''; });
            if (sec.load || typeof r.action === 'string') {
              steer(st, r);
              if (typeof r.message === 'string') show(note, true, r.message);
              else note.hidden = true;
              return;
            }
            ui.saved(form);
            show(note, true, typeof r.message === 'string' ? r.message : t('L_SETTINGS_PLUGIN_DONE', 'Saved.'));
          }, function (err) {
            if (!err.silent) show(note, false, err.message);
          })
          .finally(function () {
            save.disabled = false;
            save.classList.remove('is-busy');
          });
      });
      box.appendChild(form);
      if (sec.load) {
        form.classList.add('is-loading');
        P.api('plugin/' + encodeURIComponent(sec.plugin) + '/' + encodeURIComponent(sec.load), {})
          .then(function (d) { steer(st, (d && d.result) || {}); }, function (err) {
            if (!err.silent) show(note, false, err.message);
          })
          .finally(function () { form.classList.remove('is-loading'); });
      }
      ui.focusTitle(box);
    };
  }

  function fieldInput(f, prefix) {
    var i;
    if (f.type === 'textarea') {
      i = el('textarea', 'set-textarea plugin-textarea');
      i.rows = 8;
    } else {
      i = ui.input(f.type === 'password' || f.type === 'email' || f.type === 'number' ? f.type : 'text', '');
    }
    i.name = f.name;
    i.id = prefix + f.name;
    i.required = !!f.required;
    return i;
  }

  /*
   * A list section: the items (named by the first field) with a New
   * button, and one form that edits the chosen item or a new one.
   */
  function renderList(sec) {
    return function (box) {
      var prefix = 'plugin-' + sec.plugin + '-';
      var nameKey = sec.fields[0].name;
      var items = [], current = '';
      var phead = ui.pageHead(box, sec.title, '');
      var note = alertBox(prefix + 'result');
      box.appendChild(note);

      var card = el('div', 'set-card plugin-list-card');
      var head = el('div', 'plugin-list-head');
      var listEl = el('ul', 'plugin-list');
      listEl.id = prefix + 'list';
      listEl.setAttribute('aria-label', sec.title);
      var add = el('button', 'btn btn-primary set-head-btn plugin-new');
      add.type = 'button';
      add.id = prefix + 'new';
      add.appendChild(P.icon('plus'));
      add.appendChild(el('span', '', t('L_SETTINGS_PLUGIN_NEW', 'New')));
      head.appendChild(listEl);
      card.appendChild(head);

      var form = el('form', 'plugin-form plugin-edit');
      form.id = prefix + 'form';
      form.noValidate = true;
      var formTitle = el('h3', 'plugin-edit-title');
      form.appendChild(formTitle);
      var inputs = {};
      sec.fields.forEach(function (f) {
        var row = el('label', 'plugin-field');
        row.appendChild(el('span', 'plugin-label', f.label));
        var i = fieldInput(f, prefix);
        row.appendChild(i);
        form.appendChild(row);
        inputs[f.name] = i;
      });
      var actions = el('div', 'set-actions');
      var save = el('button', 'btn btn-primary', t('L_SETTINGS_PLUGIN_SAVE', 'Save'));
      save.type = 'submit';
      save.id = prefix + 'save';
      actions.appendChild(save);
      var del = null;
      if (sec.deleteAction) {
        del = el('button', 'btn btn-secondary plugin-delete', t('L_SETTINGS_PLUGIN_DELETE', 'Delete'));
        del.type = 'button';
        del.id = prefix + 'delete';
        actions.appendChild(del);
      }
      form.appendChild(actions);
      card.appendChild(form);
      phead.appendChild(add);
      box.appendChild(card);

      function edit(id) {
        var it = items.filter(function (x) { return x.id === id; })[0];
        current = it ? id : '';
        Object.keys(inputs).forEach(function (k) {
          inputs[k].value = it && typeof it[k] === 'string' ? it[k] : '';
        });
        formTitle.textContent = it ? it[nameKey] : t('L_SETTINGS_PLUGIN_NEW_ITEM', 'New');
        if (del) del.hidden = !it;
        listEl.querySelectorAll('.plugin-item').forEach(function (li) {
          var on = li.dataset.id === current;
          li.classList.toggle('is-current', on);
          li.querySelector('.plugin-item-btn').setAttribute('aria-current', on ? 'true' : 'false');
        });
        ui.saved(form);
      }
      function show_list(list) {
        items = list;
        var frag = document.createDocumentFragment();
        items.forEach(function (it) {
          var li = el('li', 'plugin-item');
          li.dataset.id = it.id;
          var pick = el('button', 'plugin-item-btn');
          pick.type = 'button';
          pick.appendChild(el('span', 'plugin-item-name', typeof it[nameKey] === 'string' ? it[nameKey] : ''));
          pick.addEventListener('click', function () { edit(it.id); inputs[nameKey].focus(); });
          li.appendChild(pick);
          frag.appendChild(li);
        });
        if (!items.length) frag.appendChild(el('li', 'plugin-empty', t('L_SETTINGS_PLUGIN_EMPTY', 'Nothing saved yet.')));
        listEl.replaceChildren(frag);
      }
      function call(action, body, button) {
        button.disabled = true;
        button.classList.add('is-busy');
        return P.api(actionUrl(sec.plugin, action), body).then(function (d) {
          var r = (d && d.result) || {};
          show_list(Array.isArray(r.items) ? r.items : []);
          show(note, true, typeof r.message === 'string' ? r.message : t('L_SETTINGS_PLUGIN_DONE', 'Saved.'));
          return r;
        }, function (err) {
          if (!err.silent) show(note, false, err.message);
          throw err;
        }).finally(function () {
          button.disabled = false;
          button.classList.remove('is-busy');
        });
      }
      add.addEventListener('click', function () { edit(''); note.hidden = true; inputs[nameKey].focus(); });
      form.addEventListener('submit', function (ev) {
        ev.preventDefault();
        var body = { id: current };
        Object.keys(inputs).forEach(function (k) { body[k] = inputs[k].value; });
        call(sec.action, body, save).then(function (r) { edit(typeof r.id === 'string' ? r.id : current); }, function () {});
      });
      if (del) {
        del.addEventListener('click', function () {
          if (!current) return;
          call(sec.deleteAction, { id: current }, del).then(function () { edit(''); }, function () {});
        });
      }
      ui.trackDirty(form);
      edit('');
      P.api(actionUrl(sec.plugin, sec.listAction), {}, { quiet: true }).then(function (d) {
        var r = (d && d.result) || {};
        show_list(Array.isArray(r.items) ? r.items : []);
        edit('');
      }, function (err) { show(note, false, err.message); });
      ui.focusTitle(box);
    };
  }

  document.addEventListener('DOMContentLoaded', function () {
    pluginData().then(function (d) {
      (d.sections || []).forEach(function (sec, i) {
        S.register({ id: 'plugin-' + sec.plugin, title: sec.title, icon: 'notjunk', order: 50 + i, render: render(sec) });
      });
      sectionsReady();
    }, function () { sectionsReady(); /* no plugin sections: nothing to add */ });
  });
})();
