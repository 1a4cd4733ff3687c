/*
 * The settings area of the mailbox page (#/settings/<section>/<more…>).
 * A tiny registry: a feature script calls Petrel.settings.register() with
 * a section (id, title key, icon, order, available(), render(box, args)),
 * and this file draws the frame: the section list, the content area, the
 * sidebar and user-menu entries (only when some section is available) and
 * small confirm/prompt dialogs the sections share. app.js keeps the
 * mailbox behind it and gives us its helpers through window.Petrel.
 * Like app.js, nothing here builds HTML from strings.
 */
(function () {
  'use strict';

  var P = window.Petrel = window.Petrel || {};
  var sections = [];
  var current = null;     // { section, key } on screen
  var pane = null;
  var mailTitle = null;   // the page title to give back when leaving

  function t(key, fallback) { return P.t ? P.t(key, fallback) : (fallback || key); }
  // The shared DOM helpers (static/js/lib/dom.js, handed over by app.js).
  var el = P.el, icon = P.icon;

  function available() {
    return sections.filter(function (s) { return !s.available || s.available(); })
      .sort(function (a, b) { return (a.order || 0) - (b.order || 0); });
  }

  function parse(hash) {
    var m = /^#\/settings(?:\/(.*))?$/.exec(hash);
    if (!m) return null;
    var parts = (m[1] || '').split('/').filter(Boolean).map(function (p) {
      try { return decodeURIComponent(p); } catch (e) { return p; }
    });
    return { id: parts[0] || '', args: parts.slice(1) };
  }

  // "#/settings/sieve/My script" with every part escaped.
  function href(id, args) {
    return '#/settings/' + [id].concat(args || []).map(encodeURIComponent).join('/');
  }

  function go(id, args, opts) {
    var h = href(id, args);
    if (opts && opts.replace) {
      history.replaceState(null, '', h);
      render();
    } else if (location.hash !== h) {
      location.hash = h;
    } else {
      render();
    }
  }

  function buildFrame() {
    pane = document.getElementById('settings');
    var head = el('header', 'set-head');
    var back = el('a', 'icon-btn set-back');
    back.href = '#/folder/INBOX';
    back.setAttribute('aria-label', t('L_SETTINGS_BACK', 'Back to mail'));
    back.title = t('L_SETTINGS_BACK', 'Back to mail');
    back.appendChild(icon('back'));
    back.addEventListener('click', function (ev) {
      // Back to the folder the user came from, not always INBOX.
      if (P.lastMailHash) { ev.preventDefault(); location.hash = P.lastMailHash; }
    });
    var title = el('h1', 'set-title', t('L_SETTINGS_TITLE', 'Settings'));
    title.id = 'settings-title';
    head.append(back, title);
    var nav = el('nav', 'set-nav');
    nav.setAttribute('aria-label', t('L_SETTINGS_SECTIONS', 'Settings sections'));
    nav.id = 'settings-nav';
    var body = el('div', 'set-body');
    body.id = 'settings-body';
    var grid = el('div', 'set-grid');
    grid.append(nav, body);
    pane.append(head, grid);
  }

  function renderNav(activeId) {
    var nav = document.getElementById('settings-nav');
    var list = el('ul', 'set-nav-list');
    available().forEach(function (s) {
      var li = el('li');
      var a = el('a', 'set-nav-link');
      a.href = href(s.id);
      a.dataset.section = s.id;
      a.appendChild(icon(s.icon || 'folder'));
      a.appendChild(el('span', '', t(s.title)));
      if (s.id === activeId) a.setAttribute('aria-current', 'page');
      li.appendChild(a);
      list.appendChild(li);
    });
    nav.replaceChildren(list);
  }

  function render() {
    var r = parse(location.hash);
    if (!pane) return;
    if (!r) {
      if (current && current.section.leave) current.section.leave();
      current = null;
      pane.hidden = true;
      if (mailTitle !== null) { document.title = mailTitle; mailTitle = null; }
      return;
    }
    if (mailTitle === null) mailTitle = document.title;
    var list = available();
    var section = list.find(function (s) { return s.id === r.id; });
    if (!section && /^plugin-/.test(r.id) && P.pluginSectionsReady && !P.pluginSectionsDone) {
      // A plugin's section before the plugins have answered: wait for them.
      P.pluginSectionsReady.then(render);
      return;
    }
    if (!section) {
      if (!list.length) { location.replace('#/folder/INBOX'); return; }
      go(list[0].id, [], { replace: true });
      return;
    }
    pane.hidden = false;
    if (P.closeDrawer) P.closeDrawer();
    renderNav(section.id);
    var key = section.id + '/' + r.args.join('/');
    if (current && current.key === key) return;
    if (current && current.section.leave) current.section.leave();
    current = { section: section, key: key };
    var body = document.getElementById('settings-body');
    var box = el('div', 'set-section set-section-' + section.id);
    body.replaceChildren(box);
    body.scrollTop = 0;
    document.title = t(section.title) + ' · ' + (document.querySelector('.brand-name') || {}).textContent;
    section.render(box, r.args);
  }

  // Some section says its data changed what is available (e.g. the server
  // has no vacation): redraw the list and entries.
  function refresh() {
    updateEntries();
    var r = parse(location.hash);
    if (r && pane) renderNav(r.id);
  }

  function updateEntries() {
    var list = available();
    var first = list.length ? href(list[0].id) : null;
    ['sidebar-settings', 'menu-settings'].forEach(function (id) {
      var n = document.getElementById(id);
      if (n) n.hidden = !first;
    });
    var link = document.getElementById('nav-settings');
    if (link && first) link.href = first;
    var menu = document.getElementById('menu-settings');
    if (menu && first) menu.href = first;
    if (link) {
      if (parse(location.hash)) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
  }

  // ---- shared dialogs: confirm and a one-line prompt ------------------------

  // ask({ title, text, ok, danger, input: { label, value } }) → Promise of
  // false (cancelled), true (confirmed) or the text typed.
  // modal({ id, cls, role, title, bodyCls, cancel }, resolve) → { form, body, close }
  // The frame the settings dialogs share: an overlay with a form, a heading
  // with a close button and a body. The close button, Escape and a click on
  // the backdrop call close(o.cancel); Tab stays inside; close(v) removes
  // the dialog, gives focus back to where it was and resolves with v. The
  // caller appends its footer and wires submit.
  function modal(o, resolve) {
    var back = document.activeElement;
    var overlay = el('div', 'overlay');
    overlay.id = o.id;
    var form = el('form', o.cls);
    form.setAttribute('role', o.role || 'dialog');
    form.setAttribute('aria-modal', 'true');
    form.tabIndex = -1;
    form.noValidate = true;
    var head = el('header', 'dialog-head');
    var h = el('h2', '', o.title);
    h.id = o.id + '-title';
    form.setAttribute('aria-labelledby', h.id);
    var x = el('button', 'icon-btn');
    x.type = 'button';
    x.setAttribute('aria-label', t('L_MAIL_CLOSE', 'Close'));
    x.title = t('L_MAIL_CLOSE', 'Close');
    x.appendChild(icon('close'));
    head.append(h, x);
    var body = el('div', 'dialog-body ' + o.bodyCls);
    form.append(head, body);
    overlay.appendChild(form);
    function close(v) {
      overlay.remove();
      document.removeEventListener('keydown', onKey, true);
      if (back && back.focus && document.contains(back)) back.focus();
      resolve(v);
    }
    function onKey(ev) {
      if (ev.key === 'Escape') { ev.preventDefault(); close(o.cancel); }
      else if (ev.key === 'Tab' && P.trapTab) P.trapTab(ev, form);
      ev.stopPropagation();
    }
    document.addEventListener('keydown', onKey, true);
    x.addEventListener('click', function () { close(o.cancel); });
    overlay.addEventListener('mousedown', function (ev) { if (ev.target === overlay) close(o.cancel); });
    document.body.appendChild(overlay);
    return { form: form, body: body, close: close };
  }

  function ask(o) {
    return new Promise(function (resolve) {
      var m = modal({ id: 'set-ask', cls: 'dialog dialog-sm' + (o.danger ? ' fd-danger' : ''),
        role: o.input ? 'dialog' : 'alertdialog', title: o.title, bodyCls: 'fd-body', cancel: false }, resolve);
      var form = m.form;
      var body = m.body;
      var done = m.close;
      var input = null;
      var err = el('p', 'field-error');
      err.id = 'set-ask-error';
      err.hidden = true;
      if (o.text) {
        var row = el('div', 'fd-confirm');
        var art = el('span', 'fd-confirm-art');
        art.appendChild(icon(o.danger ? 'alert' : 'info'));
        var txt = el('p', 'fd-text', o.text);
        txt.id = 'set-ask-text';
        form.setAttribute('aria-describedby', txt.id);
        row.append(art, txt);
        body.appendChild(row);
      }
      if (o.input) {
        var field = el('div', 'field');
        var label = el('label', 'field-label', o.input.label);
        label.htmlFor = 'set-ask-input';
        var fb = el('div', 'field-box');
        input = el('input');
        input.type = 'text';
        input.id = 'set-ask-input';
        input.autocomplete = 'off';
        input.spellcheck = false;
        input.maxLength = 200;
        input.value = o.input.value || '';
        input.setAttribute('aria-describedby', err.id);
        fb.appendChild(input);
        field.append(label, fb, err);
        body.appendChild(field);
      }
      var foot = el('footer', 'dialog-foot');
      var cancel = el('button', 'btn btn-secondary', t('L_SETTINGS_CANCEL', 'Cancel'));
      cancel.type = 'button';
      var ok = el('button', 'btn btn-primary', o.ok || t('L_SETTINGS_OK', 'OK'));
      ok.type = 'submit';
      ok.id = 'set-ask-ok';
      foot.append(cancel, ok);
      form.appendChild(foot);
      cancel.addEventListener('click', function () { done(false); });
      form.addEventListener('submit', function (ev) {
        ev.preventDefault();
        if (!input) { done(true); return; }
        var v = input.value.trim();
        var problem = o.input.check ? o.input.check(v) : (v ? '' : t('L_FILTERS_ERR_REQUIRED', 'Fill this in.'));
        if (problem) {
          err.textContent = problem;
          err.hidden = false;
          input.setAttribute('aria-invalid', 'true');
          input.focus();
          return;
        }
        done(v);
      });
      if (input) { input.focus(); input.select(); } else ok.focus();
    });
  }

  // ---- form pieces the sections share ------------------------------------------

  function input(type, value, label, placeholder) {
    var i = el('input', 'set-input');
    i.type = type;
    i.value = value === undefined || value === null ? '' : String(value);
    if (label) i.setAttribute('aria-label', label);
    if (placeholder) i.placeholder = placeholder;
    i.autocomplete = 'off';
    i.spellcheck = false;
    return i;
  }
  function switchBox(checked, label, id) {
    var wrap = el('label', 'switch');
    var cb = el('input');
    cb.type = 'checkbox';
    cb.setAttribute('role', 'switch');
    cb.checked = !!checked;
    if (id) cb.id = id;
    if (label) cb.setAttribute('aria-label', label);
    wrap.append(cb, el('span', 'switch-track'));
    return { wrap: wrap, input: cb };
  }
  // options: [[value, text], ...]
  function select(options, value, label) {
    var s = el('select', 'set-select');
    options.forEach(function (o) {
      var opt = el('option', '', o[1]);
      opt.value = o[0];
      s.appendChild(opt);
    });
    if (value !== undefined) s.value = value;
    if (label) s.setAttribute('aria-label', label);
    return s;
  }
  // The section's title (focusable, see focusTitle) and lead; back: {href, text}.
  function pageHead(box, title, lead, back) {
    var head = el('div', 'set-page-head');
    var titles = el('div', 'set-page-titles');
    if (back) {
      var a = el('a', 'set-crumb');
      a.href = back.href;
      a.appendChild(icon('chevron-left', 'icon-sm'));
      a.appendChild(el('span', '', back.text));
      titles.appendChild(a);
    }
    var h = el('h2', 'set-page-title', title);
    h.tabIndex = -1;
    titles.appendChild(h);
    if (lead) titles.appendChild(el('p', 'set-lead', lead));
    head.appendChild(titles);
    box.appendChild(head);
    return head;
  }
  function focusTitle(box) {
    var h = box.querySelector('.set-page-title');
    if (h) h.focus({ preventScroll: true });
  }
  // A form with unsaved edits asks before the page goes away (reload,
  // close); leaving it inside the app keeps the server's state, which is
  // the undo.
  function trackDirty(form) {
    form.addEventListener('input', function () { form.dataset.dirty = '1'; });
    form.addEventListener('change', function () { form.dataset.dirty = '1'; });
  }
  function saved(form) { delete form.dataset.dirty; }
  window.addEventListener('beforeunload', function (ev) {
    var f = document.querySelector('#settings form[data-dirty]');
    if (f && f.isConnected && !document.getElementById('settings').hidden) ev.preventDefault();
  });

  P.settings = {
    register: function (section) {
      sections = sections.filter(function (s) { return s.id !== section.id; });
      sections.push(section);
      updateEntries();
    },
    href: href,
    go: go,
    refresh: refresh,
    ask: ask,
    modal: modal,
    ui: { input: input, select: select, switchBox: switchBox, pageHead: pageHead, focusTitle: focusTitle, trackDirty: trackDirty, saved: saved }
  };

  // A link out of a form with unsaved edits (marked data-dirty by its
  // section) asks first. The browser's back button is not asked about:
  // the saved state on the server is still there to come back to.
  document.addEventListener('click', function (ev) {
    var a = ev.target.closest && ev.target.closest('a[href^="#"]');
    if (!a || !pane || pane.hidden || ev.defaultPrevented) return;
    var dirty = pane.querySelector('form[data-dirty]');
    if (!dirty || a.getAttribute('href') === location.hash) return;
    ev.preventDefault();
    ev.stopPropagation();
    var to = a.classList.contains('set-back') && P.lastMailHash ? P.lastMailHash : a.getAttribute('href');
    ask({
      title: t('L_SETTINGS_DISCARD_TITLE', 'Discard changes?'),
      text: t('L_SETTINGS_DISCARD_TEXT', ''),
      ok: t('L_SETTINGS_DISCARD_OK', 'Discard'),
      danger: true
    }).then(function (ok) {
      if (!ok) return;
      delete dirty.dataset.dirty;
      location.hash = to;
    });
  }, true);

  // Remember the mail view to go back to.
  function onHash() {
    if (/^#\/folder\//.test(location.hash)) P.lastMailHash = location.hash;
    updateEntries();
    render();
  }

  document.addEventListener('DOMContentLoaded', function () {
    buildFrame();
    if (/^#\/folder\//.test(location.hash)) P.lastMailHash = location.hash;
    window.addEventListener('hashchange', onHash);
    updateEntries();
    render();
  });
})();
