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

  function render(sec) {
    return function (box) {
      var prefix = 'plugin-' + sec.plugin + '-';
      ui.pageHead(box, sec.title, '');
      var note = alertBox(prefix + 'result');
      box.appendChild(note);
      var form = el('form', 'set-card plugin-form');
      form.id = prefix + 'form';
      form.noValidate = true;
      var inputs = {};
      sec.fields.forEach(function (f) {
        var row = el('label', 'plugin-field');
        row.appendChild(el('span', 'plugin-label', f.label));
        var i = ui.input(f.type === 'password' || f.type === 'email' || f.type === 'number' ? f.type : 'text', '');
        i.name = f.name;
        i.id = prefix + f.name;
        i.required = !!f.required;
        if (f.type === 'password') i.autocomplete = f.name === 'current' ? 'current-password' : 'new-password';
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
      ui.trackDirty(form);
      form.addEventListener('submit', function (ev) {
        ev.preventDefault();
        var body = {};
        Object.keys(inputs).forEach(function (k) { body[k] = inputs[k].value; });
        save.disabled = true;
        save.classList.add('is-busy');
        P.api('plugin/' + encodeURIComponent(sec.plugin) + '/' + encodeURIComponent(sec.action), body)
          .then(function (d) {
            var r = (d && d.result) || {};
            Object.keys(inputs).forEach(function (k) { inputs[k].value = ''; });
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
