/*
 * Settings sections of the enabled plugins (PluginSettings in
 * docs/API.md). Each section is a form whose fields the plugin declared;
 * saving posts them as one JSON object to /api/plugin/<name>/<action>,
 * where Petrel checks the session and the token before the plugin runs.
 * A plugin's refusal comes back as the error message and is shown above
 * the form; success clears the form and says so (the answer's "message"
 * when the plugin gave one).
 */
(function () {
  'use strict';

  var P = window.Petrel;
  if (!P || !P.settings) return;
  var t = P.t, el = P.el;
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

  document.addEventListener('DOMContentLoaded', function () {
    P.api('PluginSettings', {}, { quiet: true }).then(function (d) {
      (d.sections || []).forEach(function (sec, i) {
        S.register({ id: 'plugin-' + sec.plugin, title: sec.title, icon: 'notjunk', order: 50 + i, render: render(sec) });
      });
      // A deep link to a plugin's section may have come before its data.
      if (/^#\/settings\/plugin-/.test(location.hash)) window.dispatchEvent(new HashChangeEvent('hashchange'));
    }, function () { /* no plugin sections: nothing to add */ });
  });
})();
