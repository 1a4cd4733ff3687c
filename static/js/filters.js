/*
 * Settings → Filters, Vacation and (when the domain allows it) the raw
 * Sieve scripts: issue #6's UI over the Filters* JSON calls
 * (docs/API.md). Rules and the vacation reply are one Sieve script on the
 * server, so every change here sends the whole set with one FiltersSave;
 * what the server's SIEVE capabilities cannot do is simply not offered.
 * DOM is built with textContent only: rule values are mail data.
 */
(function () {
  'use strict';

  var P = window.Petrel;
  if (!P || !P.settings) return;
  var conf = (P.boot && P.boot.filters) || {};
  if (!conf.enabled) return;

  var t = P.t, tf = P.tf, el = P.el, icon = P.icon, button = P.button, iconButton = P.iconButton;
  var S = P.settings;
  // The form pieces every settings section shares (settings.js).
  var input = S.ui.input, select = S.ui.select, switchBox = S.ui.switchBox;
  var trackDirty = S.ui.trackDirty, saved = S.ui.saved, focusTitle = S.ui.focusTitle;
  function pageHead(box, title, lead, backHref) {
    return S.ui.pageHead(box, title, lead, backHref && { href: backHref, text: t('L_FILTERS_BACK_TO_LIST', 'All rules') });
  }

  // ---- data -----------------------------------------------------------------

  var data = null;          // the last Filters answer, kept in step with saves
  var loading = null;
  var saving = Promise.resolve();

  function load(force) {
    if (data && !force) return Promise.resolve(data);
    if (loading) return loading;
    loading = P.api('Filters', {}).then(function (d) {
      d.rules = Array.isArray(d.rules) ? d.rules : [];
      d.vacation = d.vacation || {};
      d.capabilities = Array.isArray(d.capabilities) ? d.capabilities : [];
      data = d;
      S.refresh();
      return d;
    }).finally(function () { loading = null; });
    return loading;
  }

  function has(cap) { return !!data && data.capabilities.indexOf(cap) >= 0; }
  function allowRaw() { return data ? !!data.allowRaw : !!conf.allowRaw; }
  function clone(x) { return JSON.parse(JSON.stringify(x)); }

  function errText(err) {
    if (!err) return '';
    var s = err.message || String(err);
    if (err.detail && String(err.detail) !== s) s += ' — ' + err.detail;
    return s;
  }

  // Saving rules replaces a script another tool wrote: say so once.
  function confirmForeign() {
    if (!data.foreign) return Promise.resolve(true);
    return S.ask({
      title: t('L_FILTERS_FOREIGN_TITLE', 'Replace the current script?'),
      text: tf('L_FILTERS_FOREIGN_CONFIRM', '', { name: data.scriptName || '' }),
      ok: t('L_FILTERS_FOREIGN_REPLACE', 'Replace it'),
      danger: true
    });
  }

  // One FiltersSave at a time; resolves with true when saved, false when
  // the user backed out, and rejects with the server's error.
  function save(rules, vacation) {
    var run = saving.then(function () {
      return confirmForeign().then(function (ok) {
        if (!ok) return false;
        return P.api('FiltersSave', { rules: rules, vacation: vacation }).then(function (res) {
          data.rules = clone(rules);
          data.vacation = clone(vacation);
          data.foreign = false;
          if (res && res.scriptName) data.scriptName = res.scriptName;
          return true;
        });
      });
    });
    saving = run.catch(function () {});
    return run;
  }


  // ---- small DOM helpers --------------------------------------------------------

  var uid = 0;
  function nextId(p) { uid += 1; return 'flt-' + p + '-' + uid; }

  function check(label, checked) {
    var l = el('label', 'check set-check');
    var cb = el('input');
    cb.type = 'checkbox';
    cb.checked = !!checked;
    l.append(cb, el('span', '', label));
    return { wrap: l, input: cb };
  }
  function fieldError(owner) {
    var p = el('p', 'field-error');
    p.id = nextId('err');
    p.hidden = true;
    p.setAttribute('aria-live', 'polite');
    owner.appendChild(p);
    return p;
  }
  function setError(inputEl, errEl, text) {
    errEl.textContent = text || '';
    errEl.hidden = !text;
    if (text) {
      inputEl.setAttribute('aria-invalid', 'true');
      inputEl.setAttribute('aria-describedby', errEl.id);
    } else {
      inputEl.removeAttribute('aria-invalid');
    }
  }
  function alertBox(cls) {
    var a = el('div', 'alert alert-error set-alert' + (cls ? ' ' + cls : ''));
    a.setAttribute('role', 'alert');
    a.hidden = true;
    return a;
  }
  // A form that checks itself, opened by the place its server errors go.
  function alertForm(id, alertId) {
    var form = el('form', id);
    form.noValidate = true;
    form.id = id;
    trackDirty(form);
    var alert = alertBox();
    alert.id = alertId;
    form.appendChild(alert);
    return { form: form, alert: alert };
  }
  function showAlert(box, text) {
    box.replaceChildren(icon('alert'), el('span', '', text));
    box.hidden = !text;
  }
  function loadingState(box) {
    var s = el('div', 'set-loading');
    s.setAttribute('aria-busy', 'true');
    for (var i = 0; i < 3; i++) s.appendChild(el('div', 'set-skeleton'));
    box.replaceChildren(s);
  }
  function errorState(box, err, retry) {
    var s = el('div', 'empty-state set-empty');
    var art = el('span', 'empty-art');
    art.appendChild(icon('alert'));
    s.appendChild(art);
    var disabled = err && err.code === 'filters_disabled';
    s.appendChild(el('p', 'empty-title', disabled ? t('L_FILTERS_UNAVAILABLE', 'Filters are not available') :
      t('L_FILTERS_LOAD_FAILED', 'The filters could not be loaded')));
    s.appendChild(el('p', 'empty-text', errText(err)));
    if (!disabled) {
      var b = button('btn btn-secondary', t('L_FILTERS_RETRY', 'Try again'), 'refresh');
      b.addEventListener('click', retry);
      s.appendChild(b);
    }
    box.replaceChildren(s);
  }
  // Draw a section once its data is there.
  function withData(box, draw) {
    loadingState(box);
    // The folder picker needs the folder list too (a deep link may beat it).
    var folders = (P.folders() || []).length ? null : P.loadFolders({ quiet: true }).catch(function () {});
    Promise.all([load(), folders]).then(function () {
      if (!box.isConnected) return;
      box.replaceChildren();
      draw();
    }, function (err) {
      if (!box.isConnected) return;
      errorState(box, err, function () { withData(box, draw); });
    });
  }

  // ---- rule vocabulary ---------------------------------------------------------

  function fieldOptions() {
    var o = [
      ['from', t('L_FILTERS_F_FROM', 'From')],
      ['to', t('L_FILTERS_F_TO', 'To or Cc')],
      ['subject', t('L_FILTERS_F_SUBJECT', 'Subject')],
      ['header', t('L_FILTERS_F_HEADER', 'Header…')]
    ];
    if (has('body')) o.push(['body', t('L_FILTERS_F_BODY', 'Body')]);
    o.push(['size', t('L_FILTERS_F_SIZE', 'Size')]);
    return o;
  }
  var TEXT_OPS = ['contains', 'is', 'begins', 'matches', 'regex'];
  function opOptions(field) {
    if (field === 'size') {
      return [['over', t('L_FILTERS_OP_OVER', 'is over')], ['under', t('L_FILTERS_OP_UNDER', 'is under')]];
    }
    var o = [];
    TEXT_OPS.forEach(function (op) {
      if (op === 'regex' && !has('regex')) return;
      var k = op.toUpperCase();
      o.push([op, t('L_FILTERS_OP_' + k)]);
      o.push(['!' + op, t('L_FILTERS_OP_NOT_' + k)]);
    });
    return o;
  }
  function actionOptions(current) {
    var o = [];
    function add(type, key, ok) { if (ok || type === current) o.push([type, t(key)]); }
    add('move', 'L_FILTERS_A_MOVE', has('fileinto'));
    add('copy', 'L_FILTERS_A_COPY', has('fileinto') && has('copy'));
    add('read', 'L_FILTERS_A_READ', has('imap4flags'));
    add('flag', 'L_FILTERS_A_FLAG', has('imap4flags'));
    add('redirect', 'L_FILTERS_A_REDIRECT', true);
    add('reject', 'L_FILTERS_A_REJECT', has('reject'));
    add('discard', 'L_FILTERS_A_DISCARD', true);
    add('stop', 'L_FILTERS_A_STOP', true);
    return o;
  }

  function folderLabel(path) {
    var f = (P.folders() || []).find(function (x) { return x.path === path; });
    return f ? P.folderName(f) : path;
  }

  function quote(s) { return tf('L_FILTERS_QUOTED', '“{text}”', { text: s }); }

  function condSummary(c) {
    var field = c.field || '';
    var name = /^header:/.test(field) ? field.slice(7) :
      t('L_FILTERS_S_' + field.toUpperCase(), field);
    var op = c.op === 'over' || c.op === 'under' ? t('L_FILTERS_OP_' + c.op.toUpperCase()) :
      t('L_FILTERS_OP_' + (c.not ? 'NOT_' : '') + String(c.op || '').toUpperCase(), c.op);
    return name + ' ' + op + ' ' + (field === 'size' ? c.value : quote(c.value));
  }
  function actSummary(a) {
    switch (a.type) {
      case 'move': return tf('L_FILTERS_S_MOVE', '', { folder: folderLabel(a.folder || '') });
      case 'copy': return tf('L_FILTERS_S_COPY', '', { folder: folderLabel(a.folder || '') });
      case 'redirect': return tf(a.keepCopy ? 'L_FILTERS_S_REDIRECT_KEEP' : 'L_FILTERS_S_REDIRECT', '', { address: a.address || '' });
      default: return t('L_FILTERS_S_' + String(a.type).toUpperCase(), a.type);
    }
  }
  function summary(rule) {
    var conds = (rule.conditions || []).map(condSummary);
    var joiner = ' ' + t(rule.match === 'any' ? 'L_FILTERS_S_OR' : 'L_FILTERS_S_AND') + ' ';
    var when = conds.length ? tf('L_FILTERS_S_IF', '', { conditions: conds.join(joiner) }) :
      t('L_FILTERS_S_ALWAYS');
    var acts = (rule.actions || []).map(actSummary).join(', ');
    return when + ' → ' + acts;
  }

  // ---- validation ------------------------------------------------------------------

  var ADDRESS = /^[^\s@<>(),;:"\\[\]]+@[^\s@<>(),;:"\\[\]]+\.[^\s@<>(),;:"\\[\]]+$/;
  var SIZE = /^\s*(\d{1,12})\s*([KMG]?)B?\s*$/i;
  var HEADER = /^[!-9;-~]+$/;
  function normalSize(v) {
    var m = SIZE.exec(v);
    return m ? m[1] + m[2].toUpperCase() : null;
  }

  // ---- the rules list -----------------------------------------------------------------

  function drawList(box) {
    var list = el('ol', 'rules');
    var head = pageHead(box, t('L_FILTERS_TITLE', 'Filters'), t('L_FILTERS_LEAD', ''));
    var add = el('a', 'btn btn-primary set-head-btn');
    add.href = S.href('filters', ['new']);
    add.id = 'rule-new';
    add.appendChild(icon('plus'));
    add.appendChild(el('span', '', t('L_FILTERS_NEW', 'New rule')));
    head.appendChild(add);

    if (data.foreign) box.appendChild(foreignBanner());
    if (has('vacation') && data.vacation && data.vacation.enabled) {
      var vac = el('a', 'set-note set-note-info');
      vac.href = S.href('vacation');
      vac.appendChild(icon('sun'));
      vac.appendChild(el('span', '', t('L_FILTERS_VACATION_ON', 'Your vacation reply is on.')));
      box.appendChild(vac);
    }

    var status = el('p', 'visually-hidden');
    status.setAttribute('aria-live', 'polite');
    box.appendChild(status);

    var rules = data.rules;
    if (!rules.length) {
      var empty = el('div', 'empty-state set-empty');
      var art = el('span', 'empty-art');
      art.appendChild(icon('filter'));
      empty.append(art, el('p', 'empty-title', t('L_FILTERS_EMPTY', 'No rules yet')),
        el('p', 'empty-text', t('L_FILTERS_EMPTY_HINT', '')));
      box.appendChild(empty);
      return;
    }

    var dragFrom = null;
    function commit(next, announce) {
      var before = data.rules;
      data.rules = next;           // show it at once, undo on failure
      redraw();
      list.classList.add('is-saving');
      save(next, data.vacation).then(function (ok) {
        if (!ok) { data.rules = before; redraw(); return; }
        if (announce) status.textContent = announce;
        P.toast(t('L_FILTERS_SAVED', 'Filters saved'));
      }, function (err) {
        data.rules = before;
        redraw();
        P.toast(errText(err), { error: true });
      }).finally(function () { list.classList.remove('is-saving'); });
    }
    function move(from, to, focusSel) {
      if (to < 0 || to >= data.rules.length || from === to) return;
      var next = data.rules.slice();
      var r = next.splice(from, 1)[0];
      next.splice(to, 0, r);
      commit(next, tf('L_FILTERS_MOVED', '', { name: r.name, pos: to + 1, total: next.length }));
      if (focusSel) {
        var b = list.querySelector('[data-index="' + to + '"] ' + focusSel);
        if (b && !b.disabled) b.focus(); else {
          var other = list.querySelector('[data-index="' + to + '"] .rule-up, [data-index="' + to + '"] .rule-down');
          if (other) other.focus();
        }
      }
    }

    function redraw() {
      var frag = document.createDocumentFragment();
      data.rules.forEach(function (r, i) {
        var li = el('li', 'rule' + (r.enabled === false ? ' is-off' : ''));
        li.dataset.index = String(i);
        var grip = el('span', 'rule-grip');
        grip.title = t('L_FILTERS_DRAG', 'Drag to reorder');
        grip.appendChild(icon('grip'));
        li.draggable = true;
        var sw = switchBox(r.enabled !== false, tf('L_FILTERS_RULE_ON', '', { name: r.name }));
        sw.input.className = 'rule-toggle';
        sw.input.addEventListener('change', function () {
          var next = clone(data.rules);
          next[i].enabled = sw.input.checked;
          commit(next, sw.input.checked ? tf('L_FILTERS_TURNED_ON', '', { name: r.name }) : tf('L_FILTERS_TURNED_OFF', '', { name: r.name }));
          var again = list.querySelector('[data-index="' + i + '"] .rule-toggle');
          if (again) again.focus();
        });
        var main = el('a', 'rule-main');
        main.href = S.href('filters', ['edit', String(i)]);
        main.draggable = false;
        var name = el('span', 'rule-name', r.name || t('L_FILTERS_UNNAMED', 'Unnamed rule'));
        if (r.enabled === false) name.appendChild(el('span', 'rule-badge', t('L_FILTERS_OFF', 'Off')));
        main.append(name, el('span', 'rule-summary', summary(r)));
        var tools = el('span', 'rule-tools');
        var up = iconButton('arrow-up', tf('L_FILTERS_MOVE_UP', '', { name: r.name }), 'rule-up');
        up.disabled = i === 0;
        up.addEventListener('click', function () { move(i, i - 1, '.rule-up'); });
        var down = iconButton('arrow-down', tf('L_FILTERS_MOVE_DOWN', '', { name: r.name }), 'rule-down');
        down.disabled = i === data.rules.length - 1;
        down.addEventListener('click', function () { move(i, i + 1, '.rule-down'); });
        var del = iconButton('trash', tf('L_FILTERS_DELETE', '', { name: r.name }), 'rule-delete');
        del.addEventListener('click', function () {
          S.ask({
            title: t('L_FILTERS_DELETE_TITLE', 'Delete rule?'),
            text: tf('L_FILTERS_DELETE_CONFIRM', '', { name: r.name }),
            ok: t('L_FILTERS_DELETE_OK', 'Delete'),
            danger: true
          }).then(function (ok) {
            if (!ok) return;
            var next = data.rules.slice();
            next.splice(i, 1);
            commit(next, tf('L_FILTERS_DELETED', '', { name: r.name }));
          });
        });
        tools.append(up, down, del);
        li.append(grip, sw.wrap, main, tools);

        li.addEventListener('dragstart', function (ev) {
          dragFrom = i;
          li.classList.add('dragging');
          ev.dataTransfer.effectAllowed = 'move';
          ev.dataTransfer.setData('text/plain', r.name || '');
        });
        li.addEventListener('dragend', function () {
          dragFrom = null;
          li.classList.remove('dragging');
          list.querySelectorAll('.drop-before, .drop-after').forEach(function (n) { n.classList.remove('drop-before', 'drop-after'); });
        });
        li.addEventListener('dragover', function (ev) {
          if (dragFrom === null) return;
          ev.preventDefault();
          ev.dataTransfer.dropEffect = 'move';
          var rect = li.getBoundingClientRect();
          var after = ev.clientY > rect.top + rect.height / 2;
          li.classList.toggle('drop-after', after);
          li.classList.toggle('drop-before', !after);
        });
        li.addEventListener('dragleave', function () { li.classList.remove('drop-before', 'drop-after'); });
        li.addEventListener('drop', function (ev) {
          if (dragFrom === null) return;
          ev.preventDefault();
          var after = li.classList.contains('drop-after');
          var to = i + (after ? 1 : 0);
          if (dragFrom < to) to -= 1;
          var from = dragFrom;
          dragFrom = null;
          move(from, to);
        });
        frag.appendChild(li);
      });
      list.replaceChildren(frag);
    }
    redraw();
    box.appendChild(list);
    box.appendChild(el('p', 'set-foot-note', t('L_FILTERS_ORDER_NOTE', '')));
  }

  function foreignBanner() {
    var b = el('div', 'set-note set-note-warn');
    b.id = 'filters-foreign';
    b.setAttribute('role', 'note');
    b.appendChild(icon('alert'));
    var txt = el('div', 'set-note-text');
    txt.appendChild(el('p', '', tf('L_FILTERS_FOREIGN', '', { name: data.scriptName || '' })));
    if (allowRaw()) {
      var a = el('a', 'set-note-link', t('L_FILTERS_FOREIGN_RAW', 'Open it in the script editor'));
      a.href = data.scriptName ? S.href('sieve', ['edit', data.scriptName]) : S.href('sieve');
      txt.appendChild(a);
    }
    b.appendChild(txt);
    return b;
  }

  // ---- the rule editor -------------------------------------------------------------------

  function drawEditor(box, index) {
    var isNew = index === null;
    var rule = isNew ? {
      name: '', enabled: true, match: 'all',
      conditions: [{ field: 'from', op: 'contains', value: '' }],
      actions: [{ type: has('fileinto') ? 'move' : 'redirect', folder: '' }]
    } : clone(data.rules[index]);
    rule.conditions = Array.isArray(rule.conditions) ? rule.conditions : [];
    rule.actions = Array.isArray(rule.actions) ? rule.actions : [];
    var back = S.href('filters');
    pageHead(box, isNew ? t('L_FILTERS_NEW_TITLE', 'New rule') : t('L_FILTERS_EDIT_TITLE', 'Edit rule'), null, back);

    var ruleForm = alertForm('rule-form', 'rule-server-error');
    var form = ruleForm.form;
    var serverError = ruleForm.alert;
    if (data.foreign) form.appendChild(foreignBanner());

    // name + on/off
    var top = el('div', 'set-card rule-top');
    var nameField = el('div', 'field rule-name-field');
    var nameLabel = el('label', 'field-label', t('L_FILTERS_NAME', 'Rule name'));
    var nameInput = input('text', rule.name);
    nameInput.className = '';
    nameInput.id = 'rule-name';
    nameInput.maxLength = 200;
    nameInput.placeholder = t('L_FILTERS_NAME_PLACEHOLDER', '');
    nameLabel.htmlFor = nameInput.id;
    var nameBox = el('div', 'field-box');
    nameBox.appendChild(nameInput);
    nameField.append(nameLabel, nameBox);
    var nameErr = fieldError(nameField);
    var onWrap = el('div', 'rule-on');
    var on = switchBox(rule.enabled !== false, null, 'rule-enabled');
    var onLabel = el('label', 'rule-on-label', t('L_FILTERS_ENABLED', 'Active'));
    onLabel.htmlFor = 'rule-enabled';
    onWrap.append(on.wrap, onLabel);
    top.append(nameField, onWrap);
    form.appendChild(top);

    // A card with a heading, its rows and an "add" button under them.
    function rowsCard(titleKey, listId, addKey, addId) {
      var card = el('section', 'set-card');
      var head = el('div', 'rule-sec-head');
      var title = el('h3', 'rule-sec-title', t(titleKey));
      title.id = nextId('sec');
      card.setAttribute('aria-labelledby', title.id);
      head.appendChild(title);
      var rows = el('div', 'rule-rows');
      rows.id = listId;
      var addBtn = button('link-btn rule-add', t(addKey), 'plus');
      addBtn.id = addId;
      card.append(head, rows, addBtn);
      form.appendChild(card);
      return { head: head, list: rows, add: addBtn };
    }

    // conditions
    var conds = rowsCard('L_FILTERS_WHEN', 'rule-conditions', 'L_FILTERS_ADD_CONDITION', 'rule-add-condition');
    var condList = conds.list;
    var addCond = conds.add;
    var matchGroup = el('div', 'segmented');
    matchGroup.setAttribute('role', 'radiogroup');
    matchGroup.setAttribute('aria-label', t('L_FILTERS_MATCH', 'Match'));
    var matchName = nextId('match');
    ['all', 'any'].forEach(function (m) {
      var l = el('label', 'seg');
      var r = el('input');
      r.type = 'radio';
      r.name = matchName;
      r.value = m;
      r.id = 'rule-match-' + m;
      r.checked = (rule.match || 'all') === m;
      l.append(r, el('span', '', t(m === 'all' ? 'L_FILTERS_MATCH_ALL' : 'L_FILTERS_MATCH_ANY')));
      matchGroup.appendChild(l);
    });
    conds.head.appendChild(matchGroup);

    // actions
    var acts = rowsCard('L_FILTERS_THEN', 'rule-actions', 'L_FILTERS_ADD_ACTION', 'rule-add-action');
    var actList = acts.list;
    var addAct = acts.add;

    var foot = el('div', 'set-actions');
    var cancel = el('a', 'btn btn-secondary', t('L_SETTINGS_CANCEL', 'Cancel'));
    cancel.href = back;
    var submit = el('button', 'btn btn-primary', t('L_FILTERS_SAVE_RULE', 'Save rule'));
    submit.type = 'submit';
    submit.id = 'rule-save';
    foot.append(cancel, submit);
    form.appendChild(foot);
    box.appendChild(form);

    var condRows = [];
    var actRows = [];

    function removeRow(rows, row, listEl) {
      var i = rows.indexOf(row);
      rows.splice(i, 1);
      row.node.remove();
      renumber(rows, listEl);
      var next = rows[Math.min(i, rows.length - 1)];
      if (next) next.focusFirst(); else (listEl === condList ? addCond : addAct).focus();
    }
    function renumber(rows) {
      rows.forEach(function (r) { r.remove.disabled = rows.length === 1; });
    }

    function condRow(c) {
      var node = el('div', 'rule-row cond-row');
      var grid = el('div', 'rule-row-grid');
      var isHeader = /^header:/.test(c.field || '');
      var fieldKey = isHeader ? 'header' : (c.field || 'from');
      var fieldSel = select(fieldOptions(), fieldKey, t('L_FILTERS_FIELD', 'Field'));
      fieldSel.className += ' cond-field';
      var hdr = input('text', isHeader ? c.field.slice(7) : '', t('L_FILTERS_HEADER_NAME', 'Header name'),
        t('L_FILTERS_HEADER_PLACEHOLDER', 'X-Mailer'));
      hdr.className += ' cond-header';
      var opSel = select([], undefined, t('L_FILTERS_OPERATOR', 'Comparison'));
      opSel.className += ' cond-op';
      var value = input('text', c.value, t('L_FILTERS_VALUE', 'Value'));
      value.className += ' cond-value';
      value.maxLength = 1000;
      var rm = iconButton('close', t('L_FILTERS_REMOVE_CONDITION', 'Remove condition'), 'row-remove');
      grid.append(fieldSel, hdr, opSel, value, rm);
      node.appendChild(grid);
      var err = fieldError(node);
      var row = { node: node, remove: rm };
      function syncOps(keep) {
        var f = fieldSel.value;
        var ops = opOptions(f);
        var cur = keep || opSel.value;
        opSel.replaceChildren();
        ops.forEach(function (o) {
          var opt = el('option', '', o[1]);
          opt.value = o[0];
          opSel.appendChild(opt);
        });
        if (ops.some(function (o) { return o[0] === cur; })) opSel.value = cur;
        hdr.hidden = f !== 'header';
        node.classList.toggle('has-header', f === 'header');
        value.placeholder = f === 'size' ? t('L_FILTERS_SIZE_PLACEHOLDER', '100K') :
          opSel.value.replace('!', '') === 'matches' ? t('L_FILTERS_MATCHES_PLACEHOLDER', '*@example.com') : '';
        value.inputMode = f === 'size' ? 'text' : '';
      }
      syncOps((c.not ? '!' : '') + (c.op || 'contains'));
      fieldSel.addEventListener('change', function () { syncOps(); clear(); });
      opSel.addEventListener('change', function () { syncOps(opSel.value); });
      function clear() { setError(value, err, ''); setError(hdr, err, ''); }
      value.addEventListener('input', clear);
      hdr.addEventListener('input', clear);
      rm.addEventListener('click', function () { removeRow(condRows, row, condList); });
      row.focusFirst = function () { fieldSel.focus(); };
      row.read = function (report) {
        var f = fieldSel.value;
        var op = opSel.value;
        var out = { field: f, op: op.replace('!', ''), value: value.value.trim() };
        if (op.charAt(0) === '!') out.not = true;
        if (f === 'header') {
          var h = hdr.value.trim();
          if (!h) return report(hdr, err, t('L_FILTERS_ERR_HEADER', 'Enter a header name.'));
          if (!HEADER.test(h)) return report(hdr, err, t('L_FILTERS_ERR_HEADER_BAD', ''));
          out.field = 'header:' + h;
        }
        if (!out.value) return report(value, err, t('L_FILTERS_ERR_VALUE', 'Enter a value.'));
        if (f === 'size') {
          var s = normalSize(out.value);
          if (!s) return report(value, err, t('L_FILTERS_ERR_SIZE', ''));
          out.value = s;
        }
        if (out.op === 'regex') {
          try { new RegExp(out.value); } catch (e) { return report(value, err, t('L_FILTERS_ERR_REGEX', '')); }
        }
        return out;
      };
      row.fail = function (text, what) {
        var n = { field: f2(), op: opSel, value: value }[what] || value;
        function f2() { return fieldSel.value === 'header' ? hdr : fieldSel; }
        report(n, err, text);
      };
      return row;
    }

    function folderOptions(sel, current) {
      var list = (P.folders() || []).filter(function (f) { return f.selectable !== false; });
      sel.replaceChildren();
      var ph = el('option', '', t('L_FILTERS_PICK_FOLDER', 'Choose a folder…'));
      ph.value = '';
      sel.appendChild(ph);
      list.forEach(function (f) {
        var o = el('option', '', '\u00a0\u00a0'.repeat(Math.min(5, f.depth || 0)) + P.folderName(f));
        o.value = f.path;
        sel.appendChild(o);
      });
      var n = el('option', '', t('L_FILTERS_NEW_FOLDER', 'New folder…'));
      n.value = '\u0000new';
      sel.appendChild(n);
      var known = list.some(function (f) { return f.path === current; });
      sel.value = current && !known ? '\u0000new' : (current || '');
      return current && !known;
    }

    function actRow(a) {
      var node = el('div', 'rule-row act-row');
      var grid = el('div', 'rule-row-grid');
      var typeSel = select(actionOptions(a.type), a.type, t('L_FILTERS_ACTION', 'Action'));
      typeSel.className += ' act-type';
      var folderSel = el('select', 'set-select act-folder');
      folderSel.setAttribute('aria-label', t('L_FILTERS_FOLDER', 'Folder'));
      var newFolder = input('text', '', t('L_FILTERS_NEW_FOLDER_NAME', 'New folder name'), t('L_FILTERS_NEW_FOLDER_NAME', 'New folder name'));
      newFolder.className += ' act-new-folder';
      var address = input('email', a.address, t('L_FILTERS_ADDRESS', 'Address'), t('L_FILTERS_ADDRESS_PLACEHOLDER', 'name@example.com'));
      address.className += ' act-address';
      var rm = iconButton('close', t('L_FILTERS_REMOVE_ACTION', 'Remove action'), 'row-remove');
      grid.append(typeSel, folderSel, newFolder, address, rm);
      node.appendChild(grid);
      var extra = el('div', 'rule-row-extra');
      var keep = check(t('L_FILTERS_KEEP_COPY', 'Keep a copy here'), a.keepCopy);
      keep.input.className = 'act-keep';
      var create = check(t('L_FILTERS_CREATE', 'Create the folder if it is missing'), a.create !== false);
      create.input.className = 'act-create';
      var text = el('textarea', 'set-textarea act-text');
      text.rows = 3;
      text.value = a.text || '';
      text.setAttribute('aria-label', t('L_FILTERS_REJECT_TEXT', 'Message sent back'));
      text.placeholder = t('L_FILTERS_REJECT_PLACEHOLDER', '');
      extra.append(keep.wrap, create.wrap, text);
      node.appendChild(extra);
      var err = fieldError(node);
      var row = { node: node, remove: rm };
      var missing = folderOptions(folderSel, a.folder || '');
      if (missing) newFolder.value = a.folder;
      function sync() {
        var ty = typeSel.value;
        var folderish = ty === 'move' || ty === 'copy';
        var isNewFolder = folderish && folderSel.value === '\u0000new';
        folderSel.hidden = !folderish;
        newFolder.hidden = !isNewFolder;
        create.wrap.hidden = !isNewFolder || !has('mailbox');
        address.hidden = ty !== 'redirect';
        keep.wrap.hidden = ty !== 'redirect';
        text.hidden = ty !== 'reject';
        extra.hidden = create.wrap.hidden && keep.wrap.hidden && text.hidden;
        node.dataset.type = ty;
        clear();
      }
      function clear() { [folderSel, newFolder, address, text].forEach(function (n) { setError(n, err, ''); }); }
      typeSel.addEventListener('change', sync);
      folderSel.addEventListener('change', function () {
        sync();
        if (folderSel.value === '\u0000new') newFolder.focus();
      });
      [newFolder, address, text].forEach(function (n) { n.addEventListener('input', clear); });
      rm.addEventListener('click', function () { removeRow(actRows, row, actList); });
      sync();
      row.focusFirst = function () { typeSel.focus(); };
      row.read = function (report) {
        var ty = typeSel.value;
        var out = { type: ty };
        if (ty === 'move' || ty === 'copy') {
          if (folderSel.value === '\u0000new') {
            var nf = newFolder.value.trim();
            if (!nf) return report(newFolder, err, t('L_FILTERS_ERR_FOLDER_NAME', 'Enter a folder name.'));
            if (/[\u0000-\u001f\u007f]/.test(nf)) return report(newFolder, err, t('L_FILTERS_ERR_FOLDER_CHARS', ''));
            out.folder = nf;
            out.create = has('mailbox') ? create.input.checked : true;
          } else {
            if (!folderSel.value) return report(folderSel, err, t('L_FILTERS_ERR_FOLDER', 'Choose a folder.'));
            out.folder = folderSel.value;
          }
        } else if (ty === 'redirect') {
          var ad = address.value.trim();
          if (!ad) return report(address, err, t('L_FILTERS_ERR_ADDRESS_EMPTY', 'Enter an address.'));
          if (!ADDRESS.test(ad)) return report(address, err, t('L_FILTERS_ERR_ADDRESS', ''));
          out.address = ad;
          out.keepCopy = keep.input.checked;
        } else if (ty === 'reject') {
          var tx = text.value.trim();
          if (!tx) return report(text, err, t('L_FILTERS_ERR_REJECT', 'Write the message to send back.'));
          out.text = tx;
        }
        return out;
      };
      row.fail = function (text2, what) {
        var isNewF = folderSel.value === '\u0000new';
        var n = { address: address, text: text, folder: isNewF ? newFolder : folderSel }[what] || typeSel;
        report(n, err, text2);
      };
      return row;
    }

    function addCondRow(c, focus) {
      var r = condRow(c);
      condRows.push(r);
      condList.appendChild(r.node);
      renumber(condRows);
      if (focus) r.focusFirst();
    }
    function addActRow(a, focus) {
      var r = actRow(a);
      actRows.push(r);
      actList.appendChild(r.node);
      renumber(actRows);
      if (focus) r.focusFirst();
    }
    (rule.conditions.length ? rule.conditions : [{ field: 'from', op: 'contains', value: '' }]).forEach(function (c) { addCondRow(c); });
    (rule.actions.length ? rule.actions : [{ type: 'move' }]).forEach(function (a) { addActRow(a); });
    addCond.addEventListener('click', function () { addCondRow({ field: 'subject', op: 'contains', value: '' }, true); });
    addAct.addEventListener('click', function () {
      addActRow({ type: has('imap4flags') ? 'read' : 'stop' }, true);
    });
    nameInput.addEventListener('input', function () { setError(nameInput, nameErr, ''); });

    // A server "invalid_rule" names the place, as a path counted from 0
    // ("rules[2].actions[0].address") or in words counted from 1 ("rule 3:
    // action 1: address: …"). Put it next to that row of this rule.
    function place(text, word) {
      var m = new RegExp(word + 's\\[(\\d+)\\]').exec(text);
      if (m) return Number(m[1]);
      m = new RegExp('\\b' + word + ' (\\d+)').exec(text);
      return m ? Number(m[1]) - 1 : -1;
    }
    function placeServerError(err, at) {
      var text = (err.detail || '') + ' ' + (err.message || '');
      var ri = place(text, 'rule');
      if (ri !== at) return;
      var ci = place(text, 'condition');
      var ai = place(text, 'action');
      // "….address: why" → the field and the why.
      var re = /(?:conditions?|actions?)(?:\[\d+\]| \d+)[.:]\s*(\w+):\s*([^\n]*)/;
      var m = re.exec(err.detail || '') || re.exec(err.message || '');
      var what = m ? m[1] : '';
      var why = m && m[2] ? m[2].replace(/\s+$/, '') : errText(err);
      if (condRows[ci]) condRows[ci].fail(why, what);
      else if (actRows[ai]) actRows[ai].fail(why, what);
      else if (/\bname\b/i.test(text)) setError(nameInput, nameErr, errText(err));
    }

    var firstBad = null;
    function report(inputEl, errEl, text) {
      setError(inputEl, errEl, text);
      if (!firstBad) firstBad = inputEl;
      return null;
    }

    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      showAlert(serverError, '');
      firstBad = null;
      var out = {
        name: nameInput.value.trim(),
        enabled: on.input.checked,
        match: form.querySelector('input[name="' + matchName + '"]:checked').value,
        conditions: [],
        actions: []
      };
      if (!out.name) report(nameInput, nameErr, t('L_FILTERS_ERR_NAME', 'Give the rule a name.'));
      condRows.forEach(function (r) { var c = r.read(report); if (c) out.conditions.push(c); });
      actRows.forEach(function (r) { var a = r.read(report); if (a) out.actions.push(a); });
      if (firstBad) { firstBad.focus(); return; }
      var next = data.rules.slice();
      if (isNew) next.push(out); else next[index] = out;
      // A new folder is made (and subscribed) over IMAP at once, so it is
      // in the folder list before the first message arrives; the Sieve
      // ":create" stays as the fallback when the server has "mailbox"
      // (without it the script cannot create folders at all).
      var known = (P.folders() || []).map(function (f) { return f.path; });
      var creates = out.actions.filter(function (a) {
        return (a.type === 'move' || a.type === 'copy') && known.indexOf(a.folder) < 0;
      });
      if (!has('mailbox')) out.actions.forEach(function (a) { delete a.create; });
      submit.disabled = true;
      submit.classList.add('is-busy');
      Promise.all(creates.map(function (a) {
        return P.api('FolderCreate', { path: a.folder }).catch(function (err) {
          if (!has('mailbox')) throw err;
        });
      })).then(function () {
        if (creates.length) P.loadFolders({ quiet: true }).catch(function () {});
        return save(next, data.vacation);
      }).then(function (ok) {
        if (!ok) return;
        saved(form);
        P.toast(isNew ? tf('L_FILTERS_CREATED', '', { name: out.name }) : tf('L_FILTERS_UPDATED', '', { name: out.name }));
        S.go('filters');
      }, function (err) {
        showAlert(serverError, errText(err));
        if (err.code === 'invalid_rule') placeServerError(err, isNew ? next.length - 1 : index);
        serverError.scrollIntoView({ block: 'nearest' });
      }).finally(function () {
        submit.disabled = false;
        submit.classList.remove('is-busy');
      });
    });

    nameInput.focus();
  }

  // ---- vacation ----------------------------------------------------------------------------

  function drawVacation(box) {
    pageHead(box, t('L_VACATION_TITLE', 'Vacation reply'), t('L_VACATION_LEAD', ''));
    if (!has('vacation')) {
      box.appendChild(el('p', 'set-note set-note-info', t('L_VACATION_UNSUPPORTED', '')));
      return;
    }
    var v = clone(data.vacation || {});
    var vacForm = alertForm('vacation-form', 'vacation-server-error');
    var form = vacForm.form;
    var serverError = vacForm.alert;
    if (data.foreign) form.appendChild(foreignBanner());

    var card = el('section', 'set-card');
    var onRow = el('div', 'vac-on');
    var sw = switchBox(v.enabled, null, 'vacation-enabled');
    var onText = el('div', 'vac-on-text');
    var onLabel = el('label', 'vac-on-label', t('L_VACATION_ENABLED', 'Send an automatic reply'));
    onLabel.htmlFor = 'vacation-enabled';
    onText.append(onLabel, el('span', 'field-hint', t('L_VACATION_ENABLED_HINT', '')));
    onRow.append(sw.wrap, onText);
    card.appendChild(onRow);

    var fields = el('div', 'vac-fields');
    function field(labelKey, control, hintKey, id) {
      var f = el('div', 'field');
      control.id = id;
      var l = el('label', 'field-label', t(labelKey));
      l.htmlFor = id;
      f.appendChild(l);
      f.appendChild(control);
      if (hintKey) {
        var h = el('p', 'field-hint', t(hintKey));
        h.id = id + '-hint';
        control.setAttribute('aria-describedby', h.id);
        f.appendChild(h);
      }
      var e = fieldError(f);
      fields.appendChild(f);
      return { field: f, err: e };
    }
    var subject = input('text', v.subject);
    subject.maxLength = 300;
    subject.placeholder = t('L_VACATION_SUBJECT_PLACEHOLDER', '');
    var fSubject = field('L_VACATION_SUBJECT', subject, null, 'vacation-subject');
    var text = el('textarea', 'set-textarea');
    text.rows = 6;
    text.value = v.text || '';
    text.placeholder = t('L_VACATION_TEXT_PLACEHOLDER', '');
    var fText = field('L_VACATION_TEXT', text, null, 'vacation-text');
    var row = el('div', 'vac-row');
    fields.appendChild(row);
    var days = input('number', v.days || 7);
    days.min = '1';
    days.max = '365';
    days.inputMode = 'numeric';
    var fDays = field('L_VACATION_DAYS', days, 'L_VACATION_DAYS_HINT', 'vacation-days');
    row.appendChild(fDays.field);
    var fFrom = null, fTo = null, from = null, to = null;
    if (has('date') && has('relational')) {
      from = input('date', v.from || '');
      to = input('date', v.to || '');
      fFrom = field('L_VACATION_FROM', from, null, 'vacation-from');
      fTo = field('L_VACATION_TO', to, null, 'vacation-to');
      row.append(fFrom.field, fTo.field);
    }
    var addrs = input('text', (v.addresses || []).join(', '));
    addrs.placeholder = t('L_VACATION_ADDRESSES_PLACEHOLDER', '');
    var fAddrs = field('L_VACATION_ADDRESSES', addrs, 'L_VACATION_ADDRESSES_HINT', 'vacation-addresses');
    card.appendChild(fields);
    form.appendChild(card);

    function syncOn() { fields.classList.toggle('is-off', !sw.input.checked); }
    sw.input.addEventListener('change', syncOn);
    syncOn();

    var foot = el('div', 'set-actions');
    var submit = el('button', 'btn btn-primary', t('L_VACATION_SAVE', 'Save'));
    submit.type = 'submit';
    submit.id = 'vacation-save';
    foot.appendChild(submit);
    form.appendChild(foot);
    box.appendChild(form);

    [subject, text, days, addrs, from, to].forEach(function (n) {
      if (n) n.addEventListener('input', function () { n.removeAttribute('aria-invalid'); });
    });

    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      showAlert(serverError, '');
      var bad = null;
      function report(n, f, msg) { setError(n, f.err, msg); if (!bad) bad = n; }
      [[subject, fSubject], [text, fText], [days, fDays], [addrs, fAddrs], [from, fFrom], [to, fTo]].forEach(function (p) {
        if (p[0]) setError(p[0], p[1].err, '');
      });
      var on = sw.input.checked;
      var out = {
        enabled: on,
        subject: subject.value.trim(),
        text: text.value.replace(/\s+$/, ''),
        days: Number(days.value),
        addresses: addrs.value.split(/[\s,;]+/).filter(Boolean)
      };
      if (on && !out.text.trim()) report(text, fText, t('L_VACATION_ERR_TEXT', ''));
      if (!/^\d+$/.test(days.value.trim()) || out.days < 1 || out.days > 365) report(days, fDays, t('L_VACATION_ERR_DAYS', ''));
      var badAddr = out.addresses.filter(function (a) { return !ADDRESS.test(a); });
      if (badAddr.length) report(addrs, fAddrs, tf('L_VACATION_ERR_ADDRESS', '', { address: badAddr[0] }));
      if (from) {
        if (from.value) out.from = from.value;
        if (to.value) out.to = to.value;
        if (out.from && out.to && out.from > out.to) report(to, fTo, t('L_VACATION_ERR_DATES', ''));
      }
      if (bad) { bad.focus(); return; }
      submit.disabled = true;
      save(data.rules, out).then(function (ok) {
        if (!ok) return;
        saved(form);
        P.toast(on ? t('L_VACATION_SAVED_ON', '') : t('L_VACATION_SAVED_OFF', ''));
      }, function (err) {
        showAlert(serverError, errText(err));
      }).finally(function () { submit.disabled = false; });
    });
  }

  // ---- raw scripts ---------------------------------------------------------------------------

  var freshScripts = {};    // names made with "New script", not on the server yet

  function scriptName(check) {
    return function (v) {
      if (!v) return t('L_SIEVE_ERR_NAME', 'Enter a name.');
      if (/[\u0000-\u001f\u007f/]/.test(v) || v.length > 128) return t('L_SIEVE_ERR_NAME_BAD', '');
      return check ? check(v) : '';
    };
  }

  function drawScripts(box) {
    var head = pageHead(box, t('L_SIEVE_TITLE', 'Sieve scripts'), t('L_SIEVE_LEAD', ''));
    var add = button('btn btn-primary set-head-btn', t('L_SIEVE_NEW', 'New script'), 'plus');
    add.id = 'script-new';
    head.appendChild(add);
    var alert = alertBox();
    box.appendChild(alert);
    var list = el('ul', 'scripts');
    list.id = 'scripts';
    box.appendChild(list);
    var names = [];

    function act(call, body, okText) {
      showAlert(alert, '');
      return P.api(call, body).then(function () {
        if (okText) P.toast(okText);
        data = null;           // the active script may have changed
        return refresh();
      }, function (err) { showAlert(alert, errText(err)); });
    }

    function refresh() {
      return P.api('FiltersScripts', {}).then(function (d) {
        var scripts = (d && d.scripts) || [];
        names = scripts.map(function (s) { return s.name; });
        if (!scripts.length) {
          var e = el('li', 'scripts-empty', t('L_SIEVE_EMPTY', 'No scripts on the server.'));
          list.replaceChildren(e);
          return;
        }
        var frag = document.createDocumentFragment();
        scripts.forEach(function (s) {
          var li = el('li', 'script' + (s.active ? ' is-active' : ''));
          li.dataset.name = s.name;
          var a = el('a', 'script-name');
          a.href = S.href('sieve', ['edit', s.name]);
          a.appendChild(icon('code'));
          a.appendChild(el('span', '', s.name));
          if (s.active) a.appendChild(el('span', 'rule-badge badge-active', t('L_SIEVE_ACTIVE', 'Active')));
          var tools = el('span', 'script-tools');
          var toggle = button('btn btn-secondary btn-slim script-activate',
            s.active ? t('L_SIEVE_DEACTIVATE', 'Deactivate') : t('L_SIEVE_ACTIVATE', 'Activate'));
          toggle.addEventListener('click', function () {
            act('FiltersScriptActivate', { name: s.active ? '' : s.name },
              s.active ? t('L_SIEVE_DEACTIVATED', '') : tf('L_SIEVE_ACTIVATED', '', { name: s.name }));
          });
          var ren = iconButton('pencil', tf('L_SIEVE_RENAME', '', { name: s.name }), 'script-rename');
          ren.addEventListener('click', function () {
            S.ask({
              title: t('L_SIEVE_RENAME_TITLE', 'Rename script'),
              ok: t('L_SIEVE_RENAME_OK', 'Rename'),
              input: {
                label: t('L_SIEVE_NAME', 'Name'), value: s.name,
                check: scriptName(function (v) { return v !== s.name && names.indexOf(v) >= 0 ? t('L_SIEVE_ERR_EXISTS', '') : ''; })
              }
            }).then(function (v) {
              if (v && v !== s.name) act('FiltersScriptRename', { name: s.name, newName: v });
            });
          });
          var del = iconButton('trash', tf('L_SIEVE_DELETE', '', { name: s.name }), 'script-delete');
          del.addEventListener('click', function () {
            S.ask({
              title: t('L_SIEVE_DELETE_TITLE', 'Delete script?'),
              text: tf(s.active ? 'L_SIEVE_DELETE_ACTIVE_CONFIRM' : 'L_SIEVE_DELETE_CONFIRM', '', { name: s.name }),
              ok: t('L_FILTERS_DELETE_OK', 'Delete'),
              danger: true
            }).then(function (ok) {
              if (ok) act('FiltersScriptDelete', { name: s.name }, tf('L_SIEVE_DELETED', '', { name: s.name }));
            });
          });
          tools.append(toggle, ren, del);
          li.append(a, tools);
          frag.appendChild(li);
        });
        list.replaceChildren(frag);
      }, function (err) { showAlert(alert, errText(err)); });
    }

    add.addEventListener('click', function () {
      S.ask({
        title: t('L_SIEVE_NEW', 'New script'),
        ok: t('L_SIEVE_CREATE', 'Create'),
        input: { label: t('L_SIEVE_NAME', 'Name'), value: '', check: scriptName(function (v) { return names.indexOf(v) >= 0 ? t('L_SIEVE_ERR_EXISTS', '') : ''; }) }
      }).then(function (v) {
        if (!v) return;
        freshScripts[v] = true;
        S.go('sieve', ['edit', v]);
      });
    });
    list.appendChild(el('li', 'set-skeleton'));
    refresh();
  }

  function drawScriptEditor(box, name) {
    pageHead(box, name, null, S.href('sieve'));
    box.querySelector('.set-crumb span').textContent = t('L_SIEVE_BACK', 'All scripts');
    var scriptForm = alertForm('script-form', 'script-error');
    var form = scriptForm.form;
    var alert = scriptForm.alert;

    var editor = el('div', 'code-editor');
    var gutter = el('div', 'code-gutter');
    gutter.setAttribute('aria-hidden', 'true');
    var area = el('textarea', 'code-area');
    area.id = 'script-text';
    area.spellcheck = false;
    area.wrap = 'off';
    area.setAttribute('autocapitalize', 'off');
    area.setAttribute('aria-label', tf('L_SIEVE_EDITOR', '', { name: name }));
    area.setAttribute('aria-describedby', alert.id);
    var bubble = el('div', 'code-bubble');
    bubble.id = 'script-line-error';
    bubble.hidden = true;
    editor.append(gutter, area, bubble);
    form.appendChild(editor);

    var foot = el('div', 'set-actions');
    var cancel = el('a', 'btn btn-secondary', t('L_SETTINGS_CANCEL', 'Cancel'));
    cancel.href = S.href('sieve');
    var submit = el('button', 'btn btn-primary', t('L_SIEVE_SAVE', 'Check and save'));
    submit.type = 'submit';
    submit.id = 'script-save';
    foot.append(cancel, submit);
    form.appendChild(foot);
    box.appendChild(form);

    var errLine = 0;
    function lines() {
      var n = area.value.split('\n').length;
      if (gutter.children.length !== n) {
        var frag = document.createDocumentFragment();
        for (var i = 1; i <= n; i++) frag.appendChild(el('span', i === errLine ? 'is-error' : '', String(i)));
        gutter.replaceChildren(frag);
      }
      area.rows = Math.max(n + 1, 12);
    }
    function markLine(n, text) {
      errLine = n;
      gutter.replaceChildren();
      lines();
      if (!n) { bubble.hidden = true; return; }
      bubble.replaceChildren(icon('alert', 'icon-sm'), el('span', '', text));
      bubble.hidden = false;
      // Under the named line: the editor area grows with the text, so a
      // line's place is its number times the line height.
      var lh = parseFloat(getComputedStyle(area).lineHeight) || 20;
      var pad = parseFloat(getComputedStyle(area).paddingTop) || 0;
      bubble.style.top = (pad + n * lh + 2) + 'px';
      var ln = gutter.children[n - 1];
      if (ln) ln.scrollIntoView({ block: 'center' });
    }
    area.addEventListener('input', function () {
      if (errLine) { markLine(0); showAlert(alert, ''); }
      lines();
    });
    area.addEventListener('keydown', function (ev) {
      if (ev.key === 'Tab' && !ev.shiftKey && !ev.ctrlKey && !ev.altKey && !ev.metaKey && ev.target.dataset.tabs === 'on') {
        ev.preventDefault();
        area.setRangeText('  ', area.selectionStart, area.selectionEnd, 'end');
        lines();
      }
    });
    area.addEventListener('focus', function () { area.dataset.tabs = 'on'; });
    area.addEventListener('keyup', function (ev) { if (ev.key === 'Escape') area.dataset.tabs = 'off'; });

    var fresh = !!freshScripts[name];
    if (fresh) {
      area.value = 'require ["fileinto"];\n\n';
      lines();
      area.focus();
    } else {
      area.disabled = true;
      lines();
      P.api('FiltersScriptGet', { name: name }).then(function (d) {
        area.value = (d && d.script) || '';
        area.disabled = false;
        lines();
        if (d && d.active) box.querySelector('.set-page-title').appendChild(el('span', 'rule-badge badge-active', t('L_SIEVE_ACTIVE', 'Active')));
        area.focus();
        area.setSelectionRange(0, 0);
      }, function (err) { showAlert(alert, errText(err)); });
    }

    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      showAlert(alert, '');
      markLine(0);
      submit.disabled = true;
      P.api('FiltersScriptSave', { name: name, script: area.value }).then(function () {
        delete freshScripts[name];
        saved(form);
        data = null;
        P.toast(tf('L_SIEVE_SAVED', '', { name: name }));
      }, function (err) {
        var line = Number(err.line) || 0;
        if (!line) {
          var m = /line (\d+)/i.exec(err.detail || err.message || '');
          line = m ? Number(m[1]) : 0;
        }
        // "line 5: unknown command" in detail: the number goes once, in front.
        var why = String(err.detail || '').replace(/^\s*line\s+\d+\s*[:,-]?\s*/i, '');
        if (!line) { showAlert(alert, errText(err)); return; }
        why = why || String(err.message || '').replace(/^\s*line\s+\d+\s*[:,-]?\s*/i, '');
        showAlert(alert, tf('L_SIEVE_ERROR_AT', '', { line: line, error: why }));
        // Next to the line, only its first sentence: Pigeonhole adds
        // "error: validation failed." after every real error.
        var first = why.split('\n')[0].replace(/^\s*error:\s*/i, '');
        markLine(line, tf('L_SIEVE_ERROR_AT', '', { line: line, error: first || why }));
      }).finally(function () { submit.disabled = false; });
    });
  }

  // ---- sections ---------------------------------------------------------------------------------

  S.register({
    id: 'filters', title: 'L_FILTERS_TITLE', icon: 'filter', order: 10,
    render: function (box, args) {
      withData(box, function () {
        if (args[0] === 'new') drawEditor(box, null);
        else if (args[0] === 'edit' && data.rules[Number(args[1])]) drawEditor(box, Number(args[1]));
        else drawList(box);
        focusTitle(box);
      });
    }
  });
  S.register({
    id: 'vacation', title: 'L_VACATION_TITLE', icon: 'sun', order: 20,
    // Unknown until the capabilities are in; hidden once they say no.
    available: function () { return !data || has('vacation'); },
    render: function (box) { withData(box, function () { drawVacation(box); focusTitle(box); }); }
  });
  S.register({
    id: 'sieve', title: 'L_SIEVE_TITLE', icon: 'code', order: 30,
    available: allowRaw,
    render: function (box, args) {
      load().catch(function () {});     // for the section list
      if (args[0] === 'edit' && args[1]) drawScriptEditor(box, args[1]);
      else drawScripts(box);
      focusTitle(box);
    }
  });
})();
