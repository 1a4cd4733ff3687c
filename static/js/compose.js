/*
 * The compose window: new message, reply, reply all, forward (inline or
 * as an attachment), edit as new and drafts, over the compose API
 * (docs/API.md: ComposeFrom, Upload, UploadDelete, SaveDraft, Send,
 * Identities, IdentitySave, IdentityDelete, AddressSuggest).
 *
 * One window at a time: a large panel on a desktop that can be minimised
 * to a bar while reading mail, full screen on a phone. The HTML editor is
 * Squire (static/vendor/squire/, copied there from web/node_modules by
 * scripts/install-deps.sh); without it the window offers plain text only.
 *
 * Mail data never becomes markup through a string built here: fields and
 * chips are filled with textContent, and HTML given to the editor (the
 * server's sanitized quote, a paste) first goes through sanitizeFragment,
 * which parses it in an inert document and keeps an allow-list of
 * elements and attributes. Style attributes are dropped: the page's CSP
 * (style-src 'self') refuses them, and Squire's undo restores its HTML
 * through innerHTML, so keeping them through the CSSOM would not last.
 *
 * Uses window.Petrel, the hooks app.js exposes (api, toast, strings…).
 */
(function () {
  'use strict';

  var P = null;
  var t, tf, el, icon;
  var cfg = { autosaveSeconds: 60, attachmentLimit: 0, uploadTotalLimit: 0 };
  var win = null;           // the open compose window (state + nodes)
  var identities = null;    // cached answer of Identities
  var identitiesLoading = null;

  var FIELDS = ['to', 'cc', 'bcc'];
  var ADDR_RE = /^[^\s@<>()",;:\\[\]]+@[^\s@<>()",;:\\[\].]+(\.[^\s@<>()",;:\\[\].]+)*$/;

  // ---- addresses ----------------------------------------------------------

  // "Name <a@b>", "<a@b>" or "a@b" → {name, email}.
  function parseAddress(s) {
    s = String(s || '').trim();
    var m = /^(.*?)\s*<([^<>]*)>$/.exec(s);
    if (m) {
      var name = m[1].trim();
      if (/^".*"$/.test(name)) name = name.slice(1, -1).replace(/\\(.)/g, '$1');
      return { name: name, email: m[2].trim() };
    }
    return { name: '', email: s };
  }

  // Split what was typed or pasted on commas and semicolons outside quotes
  // and angle brackets.
  function splitAddresses(s) {
    var out = [];
    var cur = '';
    var quoted = false;
    var angle = false;
    for (var i = 0; i < s.length; i++) {
      var c = s[i];
      if (c === '"' && s[i - 1] !== '\\') quoted = !quoted;
      else if (c === '<' && !quoted) angle = true;
      else if (c === '>' && !quoted) angle = false;
      if ((c === ',' || c === ';' || c === '\n') && !quoted && !angle) {
        if (cur.trim()) out.push(cur.trim());
        cur = '';
      } else {
        cur += c;
      }
    }
    if (cur.trim()) out.push(cur.trim());
    return out;
  }

  function validEmail(email) { return ADDR_RE.test(email); }

  function formatAddress(a) {
    if (!a.name) return a.email;
    var name = /[()<>@,;:\\".[\]]/.test(a.name) ? '"' + a.name.replace(/(["\\])/g, '\\$1') + '"' : a.name;
    return name + ' <' + a.email + '>';
  }

  // ---- HTML: sanitizing for the editor, conversions --------------------------

  var KEEP = {
    A: ['href', 'title'], B: [], STRONG: [], I: [], EM: [], U: [], S: [], STRIKE: [], SUB: [], SUP: [],
    P: [], DIV: ['data-signature'], SPAN: [], BR: [], HR: [], BLOCKQUOTE: ['type'], PRE: [], CODE: [],
    UL: [], OL: ['start'], LI: [], H1: [], H2: [], H3: [], H4: [], H5: [], H6: [], FONT: ['color', 'face'],
    TABLE: ['border', 'cellpadding', 'cellspacing', 'width'], THEAD: [], TBODY: [], TFOOT: [], TR: [],
    TD: ['colspan', 'rowspan', 'width', 'align', 'valign'], TH: ['colspan', 'rowspan', 'width', 'align'],
    CENTER: [], SMALL: [], BIG: [], DL: [], DT: [], DD: [], CAPTION: []
  };
  var DROP_WITH_CONTENT = { SCRIPT: 1, STYLE: 1, TITLE: 1, HEAD: 1, TEMPLATE: 1, IFRAME: 1, OBJECT: 1, EMBED: 1, SVG: 1, MATH: 1, NOSCRIPT: 1, TEXTAREA: 1, SELECT: 1 };

  // Rebuild src (a node of an inert document) as nodes of this document,
  // keeping only what KEEP allows.
  function cleanInto(src, dst) {
    for (var n = src.firstChild; n; n = n.nextSibling) {
      if (n.nodeType === 3) { dst.appendChild(document.createTextNode(n.data)); continue; }
      if (n.nodeType !== 1) continue;
      var tag = n.nodeName.toUpperCase();
      if (DROP_WITH_CONTENT[tag]) continue;
      if (!KEEP[tag]) { cleanInto(n, dst); continue; }
      var e = document.createElement(tag);
      KEEP[tag].forEach(function (a) {
        var v = n.getAttribute(a);
        if (v === null) return;
        if (a === 'href') {
          if (!/^(https?:|mailto:)/i.test(v.trim())) return;
          e.setAttribute('rel', 'noopener noreferrer');
          e.setAttribute('target', '_blank');
        }
        e.setAttribute(a, v);
      });
      cleanInto(n, e);
      dst.appendChild(e);
    }
    return dst;
  }
  function sanitizeFragment(html) {
    var doc = new DOMParser().parseFromString('<!DOCTYPE html><html><body>' + String(html || '') + '</body></html>', 'text/html');
    return cleanInto(doc.body, document.createDocumentFragment());
  }
  function sanitizeToHtml(html) {
    var box = document.createElement('div');
    box.appendChild(sanitizeFragment(html));
    return box.innerHTML;
  }

  // Plain text → HTML for the editor, built as DOM: a paragraph per line,
  // "> " lines as blockquotes.
  function textToFragment(text) {
    var frag = document.createDocumentFragment();
    var lines = String(text || '').replace(/\r\n?/g, '\n').split('\n');
    var i = 0;
    function block(depth) {
      var out = document.createDocumentFragment();
      while (i < lines.length) {
        var line = lines[i];
        var d = 0;
        var m;
        var rest = line;
        while ((m = /^> ?/.exec(rest))) { d++; rest = rest.slice(m[0].length); }
        if (d > depth) {
          var q = document.createElement('blockquote');
          q.setAttribute('type', 'cite');
          q.appendChild(block(depth + 1));
          out.appendChild(q);
          continue;
        }
        if (d < depth) break;
        var div = document.createElement('div');
        // The editor trims a trailing space; the signature separator keeps it as NBSP.
        if (rest === '-- ') rest = '--\u00a0';
        if (rest) div.textContent = rest; else div.appendChild(document.createElement('br'));
        out.appendChild(div);
        i++;
      }
      return out;
    }
    frag.appendChild(block(0));
    return frag;
  }
  function textToHtml(text) {
    var box = document.createElement('div');
    box.appendChild(textToFragment(text));
    return box.innerHTML;
  }

  var BLOCKS = /^(P|DIV|H[1-6]|UL|OL|LI|BLOCKQUOTE|PRE|TABLE|TR|HR|DL|DT|DD|CENTER)$/;
  // HTML → readable plain text: paragraphs, "> " quotes, list markers, link targets.
  function htmlToText(html) {
    var root = typeof html === 'string' ? sanitizeFragment(html) : html;
    var lines = [''];
    function newline() { lines.push(''); }
    function ensureBreak() { if (lines[lines.length - 1] !== '') newline(); }
    function walk(node, prefix, list) {
      for (var n = node.firstChild; n; n = n.nextSibling) {
        if (n.nodeType === 3) {
          // Squire parks the caret in zero-width spaces; they are not text.
          var s = n.data.replace(/\u200b/g, '').replace(/[ \t\r\n]+/g, ' ');
          if (lines[lines.length - 1] === '' && s === ' ') continue;
          if (lines[lines.length - 1] === '') lines[lines.length - 1] = prefix;
          lines[lines.length - 1] += s;
          continue;
        }
        if (n.nodeType !== 1) continue;
        var tag = n.nodeName;
        if (tag === 'BR') { if (lines[lines.length - 1] === '') lines[lines.length - 1] = prefix; newline(); continue; }
        if (tag === 'HR') { ensureBreak(); lines[lines.length - 1] = prefix + '----'; newline(); continue; }
        var block = BLOCKS.test(tag);
        if (block) ensureBreak();
        if (tag === 'BLOCKQUOTE') { walk(n, prefix + '> ', null); ensureBreak(); continue; }
        if (tag === 'UL' || tag === 'OL') { walk(n, prefix, { ordered: tag === 'OL', n: 0 }); ensureBreak(); continue; }
        if (tag === 'LI' && list) {
          list.n++;
          lines[lines.length - 1] = prefix + (list.ordered ? list.n + '. ' : '- ');
          walk(n, prefix + '   ', null);
          ensureBreak();
          continue;
        }
        walk(n, prefix, list);
        if (tag === 'A') {
          var href = n.getAttribute('href') || '';
          var txt = n.textContent.trim();
          if (href && txt !== href && 'mailto:' + txt !== href) lines[lines.length - 1] += ' <' + href + '>';
        }
        if (block) ensureBreak();
        // A paragraph is followed by an empty line; Squire's DIV lines are not.
        if (tag === 'P') { lines[lines.length - 1] = prefix.replace(/ $/, ''); newline(); }
      }
    }
    walk(root, '', null);
    // A "> " prefix on an empty line is ">"; trailing spaces go.
    var out = lines.map(function (l) {
      // "-- " is the signature separator (RFC 3676): its space stays.
      if (/^(> )*--[ \u00a0]$/.test(l)) return l.slice(0, -1) + ' ';
      return l.replace(/^((?:> )+)$/, function (m) { return m.replace(/ /g, ''); }).replace(/[ \t]+$/, '');
    });
    return out.join('\n').replace(/\n{3,}/g, '\n\n').replace(/^\n+|\n+$/g, '');
  }

  // Formatting that plain text would lose.
  function hasFormatting(root) {
    return !!root.querySelector('b, strong, i, em, u, s, strike, a, ul, ol, h1, h2, h3, h4, h5, h6, table, pre, code, font, sub, sup, img, [style]');
  }

  // ---- small helpers --------------------------------------------------------

  function btn(cls, label, iconName, attrs) {
    var b = el('button', cls);
    b.type = 'button';
    if (iconName) b.appendChild(icon(iconName));
    if (attrs && attrs.text) b.appendChild(el('span', null, label));
    else if (label) { b.setAttribute('aria-label', label); b.title = attrs && attrs.title ? attrs.title : label; }
    return b;
  }

  function randomToken() {
    var a = new Uint8Array(16);
    crypto.getRandomValues(a);
    return Array.from(a, function (x) { return (x < 16 ? '0' : '') + x.toString(16); }).join('');
  }

  function mb(bytes) { return P.size(bytes); }

  var askSeq = 0;
  // A small modal question; resolves with the chosen button's value, or
  // null for Escape / outside click.
  function ask(title, text, buttons) {
    return new Promise(function (resolve) {
      var id = 'compose-ask-' + (++askSeq);
      var overlay = el('div', 'overlay compose-overlay');
      var box = el('section', 'dialog dialog-sm');
      box.setAttribute('role', 'alertdialog');
      box.setAttribute('aria-modal', 'true');
      box.setAttribute('aria-labelledby', id);
      box.tabIndex = -1;
      var head = el('header', 'dialog-head');
      var h = el('h2', null, title);
      h.id = id;
      head.appendChild(h);
      box.appendChild(head);
      if (text) box.appendChild(el('p', 'dialog-body compose-ask-text', text));
      var foot = el('footer', 'dialog-foot');
      var prev = document.activeElement;
      function done(v) {
        overlay.remove();
        if (prev && prev.focus) prev.focus();
        resolve(v);
      }
      buttons.forEach(function (b) {
        var x = el('button', 'btn ' + (b.primary ? 'btn-primary' : b.danger ? 'btn-secondary compose-danger' : 'btn-secondary'), b.label);
        x.type = 'button';
        x.dataset.value = b.value;
        x.addEventListener('click', function () { done(b.value); });
        foot.appendChild(x);
      });
      box.appendChild(foot);
      overlay.appendChild(box);
      overlay.addEventListener('click', function (ev) { if (ev.target === overlay) done(null); });
      overlay.addEventListener('keydown', function (ev) {
        if (ev.key === 'Escape') { ev.preventDefault(); ev.stopPropagation(); done(null); }
        else if (ev.key === 'Tab') P.trapTab(ev, box);
      });
      document.body.appendChild(overlay);
      var primary = foot.querySelector('.btn-primary') || foot.querySelector('button');
      primary.focus();
    });
  }

  // ---- identities -----------------------------------------------------------

  function loadIdentities(force) {
    if (identities && !force) return Promise.resolve(identities);
    if (identitiesLoading && !force) return identitiesLoading;
    identitiesLoading = P.api('Identities', {}, { quiet: true }).then(function (d) {
      identities = (d && d.identities) || [];
      identitiesLoading = null;
      return identities;
    }, function (err) {
      identitiesLoading = null;
      throw err;
    });
    return identitiesLoading;
  }
  function identityById(id) {
    var list = identities || [];
    for (var i = 0; i < list.length; i++) if (list[i].id === id) return list[i];
    return null;
  }
  function defaultIdentity() {
    var list = identities || [];
    for (var i = 0; i < list.length; i++) if (list[i].isDefault) return list[i];
    return list[0] || null;
  }
  function identityLabel(idn) {
    var label = idn.name ? idn.name + ' <' + idn.email + '>' : idn.email;
    // Sending from it is refused until the address is confirmed.
    if (idn.verified === false) label += ' (' + t('L_COMPOSE_IDENTITY_UNVERIFIED', 'Not verified') + ')';
    return label;
  }

  // ---- the window -----------------------------------------------------------

  function open(opts) {
    opts = opts || {};
    if (!P) return;
    if (win) {
      // One window at a time: the one open keeps its work as a draft.
      var w = win;
      if (!w.dirty && !w.sending && !w.uploading()) { destroy(w); return open(opts); }
      w.minimised = false;
      w.root.classList.remove('minimised');
      P.toast(t('L_COMPOSE_ONE_AT_A_TIME', 'Finish or close the message you are writing first.'));
      focusFirst(w);
      return;
    }
    win = build(opts);
    var mode = opts.mode || 'new';
    var prefill;
    if (opts.data) {
      // A form given back (SendCancel): everything as it was sent.
      prefill = Promise.resolve(opts.data);
    } else if (mode !== 'new' && opts.folder && opts.uid) {
      win.setLoading(true);
      prefill = P.api('ComposeFrom', { mode: mode, folder: opts.folder, uid: Number(opts.uid) });
    } else {
      prefill = Promise.resolve(null);
    }
    var w0 = win;
    Promise.all([loadIdentities().catch(function () { identities = []; return []; }), prefill]).then(function (r) {
      if (win !== w0) return;
      w0.setLoading(false);
      fill(w0, mode, r[1], opts);
    }, function (err) {
      if (win !== w0) return;
      w0.setLoading(false);
      P.fail(err);
      destroy(w0);
    });
  }

  function build(opts) {
    var w = {
      mode: opts.mode || 'new', dirty: false, sending: false, saving: null, draftUid: null,
      ownDraft: false, editor: null, format: 'plain', atts: [], inReplyTo: null, forwardOf: null,
      sendToken: randomToken(), minimised: false, maximised: false, chips: {}, sigText: null
    };
    var root = el('section', 'compose');
    root.setAttribute('role', 'dialog');
    root.setAttribute('aria-modal', 'false');
    root.setAttribute('aria-labelledby', 'compose-title');
    w.root = root;

    // header: title, draft status, minimise, maximise, close
    var head = el('header', 'compose-head');
    var title = el('h2', 'compose-title', t('L_COMPOSE_TITLE_NEW', 'New message'));
    title.id = 'compose-title';
    w.title = title;
    var status = el('span', 'compose-status');
    status.setAttribute('aria-live', 'polite');
    w.status = status;
    var bMin = btn('icon-btn compose-min', t('L_COMPOSE_MINIMISE', 'Minimise'), 'minimise');
    var bMax = btn('icon-btn compose-max', t('L_COMPOSE_MAXIMISE', 'Full size'), 'maximise');
    var bClose = btn('icon-btn compose-close', t('L_COMPOSE_CLOSE', 'Close'), 'close');
    head.appendChild(title);
    head.appendChild(status);
    head.appendChild(bMin);
    head.appendChild(bMax);
    head.appendChild(bClose);
    root.appendChild(head);

    var body = el('div', 'compose-body');
    root.appendChild(body);

    // From
    var fields = el('div', 'compose-fields');
    body.appendChild(fields);
    var fromRow = el('div', 'compose-row');
    var fromLabel = el('label', 'compose-label', t('L_COMPOSE_FROM', 'From'));
    fromLabel.htmlFor = 'compose-from';
    var fromSel = el('select', 'compose-from');
    fromSel.id = 'compose-from';
    w.from = fromSel;
    var bIds = btn('icon-btn icon-btn-sm compose-ids', t('L_COMPOSE_IDENTITIES_EDIT', 'Edit identities'), 'user');
    fromRow.appendChild(fromLabel);
    var fromBox = el('div', 'compose-from-box');
    fromBox.appendChild(fromSel);
    fromBox.appendChild(el('span', 'compose-caret')).appendChild(icon('chevron-down', 'icon-sm'));
    fromRow.appendChild(fromBox);
    fromRow.appendChild(bIds);
    fields.appendChild(fromRow);

    // To, Cc, Bcc
    var toggles = el('span', 'compose-toggles');
    var labels = { to: t('L_COMPOSE_TO', 'To'), cc: t('L_COMPOSE_CC', 'Cc'), bcc: t('L_COMPOSE_BCC', 'Bcc') };
    FIELDS.forEach(function (f) {
      var row = el('div', 'compose-row compose-row-' + f);
      var c = chipInput(w, f, labels[f]);
      row.appendChild(c.label);
      row.appendChild(c.box);
      if (f === 'to') row.appendChild(toggles);
      if (f !== 'to') row.hidden = true;
      w.chips[f] = c;
      c.row = row;
      fields.appendChild(row);
    });
    // Reply-To: one address
    var rtRow = el('div', 'compose-row compose-row-replyto');
    rtRow.hidden = true;
    var rtLabel = el('label', 'compose-label', t('L_COMPOSE_REPLY_TO', 'Reply-To'));
    rtLabel.htmlFor = 'compose-replyto';
    var rt = el('input', 'compose-input');
    rt.id = 'compose-replyto';
    rt.type = 'text';
    rt.autocomplete = 'off';
    rt.spellcheck = false;
    rtRow.appendChild(rtLabel);
    rtRow.appendChild(rt);
    fields.appendChild(rtRow);
    w.replyTo = rt;
    w.replyToRow = rtRow;
    [['cc', t('L_COMPOSE_CC', 'Cc')], ['bcc', t('L_COMPOSE_BCC', 'Bcc')], ['replyto', t('L_COMPOSE_REPLY_TO', 'Reply-To')]].forEach(function (p) {
      var b = el('button', 'link-btn compose-toggle', p[1]);
      b.type = 'button';
      b.dataset.show = p[0];
      toggles.appendChild(b);
    });
    w.toggles = toggles;

    // Subject
    var subRow = el('div', 'compose-row');
    var subLabel = el('label', 'compose-label', t('L_COMPOSE_SUBJECT', 'Subject'));
    subLabel.htmlFor = 'compose-subject';
    var sub = el('input', 'compose-input compose-subject');
    sub.id = 'compose-subject';
    sub.type = 'text';
    sub.maxLength = 998;
    subRow.appendChild(subLabel);
    subRow.appendChild(sub);
    fields.appendChild(subRow);
    w.subject = sub;

    // Editor toolbar
    var tb = el('div', 'compose-toolbar');
    tb.setAttribute('role', 'toolbar');
    tb.setAttribute('aria-label', t('L_COMPOSE_FORMATTING', 'Formatting'));
    var fmt = el('span', 'compose-fmt');
    [['bold', 'L_COMPOSE_BOLD', 'Bold', 'bold'], ['italic', 'L_COMPOSE_ITALIC', 'Italic', 'italic'],
      ['underline', 'L_COMPOSE_UNDERLINE', 'Underline', 'underline'], null,
      ['ul', 'L_COMPOSE_LIST_UL', 'Bulleted list', 'list-ul'], ['ol', 'L_COMPOSE_LIST_OL', 'Numbered list', 'list-ol'],
      ['quote', 'L_COMPOSE_QUOTE', 'Quote', 'quote'], ['link', 'L_COMPOSE_LINK', 'Link', 'link'],
      ['clear', 'L_COMPOSE_CLEAR', 'Clear formatting', 'clear-format'], null,
      ['undo', 'L_COMPOSE_UNDO', 'Undo', 'undo'], ['redo', 'L_COMPOSE_REDO', 'Redo', 'redo']].forEach(function (d) {
      if (!d) { fmt.appendChild(el('span', 'tb-sep')); return; }
      var b = btn('icon-btn icon-btn-sm compose-fmt-btn', t(d[1], d[2]), d[3]);
      b.dataset.fmt = d[0];
      if (/^(bold|italic|underline|ul|ol|quote)$/.test(d[0])) b.setAttribute('aria-pressed', 'false');
      fmt.appendChild(b);
    });
    tb.appendChild(fmt);
    w.fmtBar = fmt;
    body.appendChild(tb);
    w.toolbar = tb;

    // Link bar (URL for the selection)
    var linkBar = el('form', 'compose-linkbar');
    linkBar.hidden = true;
    var linkInput = el('input', 'compose-input');
    // Text, not url: "example.com" is fine here and gets its https://.
    linkInput.type = 'text';
    linkInput.inputMode = 'url';
    linkInput.placeholder = 'https://';
    linkInput.setAttribute('aria-label', t('L_COMPOSE_LINK_URL', 'Link address'));
    var linkOk = el('button', 'btn btn-primary btn-slim', t('L_COMPOSE_LINK_APPLY', 'Apply'));
    linkOk.type = 'submit';
    var linkRemove = el('button', 'btn btn-secondary btn-slim', t('L_COMPOSE_LINK_REMOVE', 'Remove link'));
    linkRemove.type = 'button';
    linkBar.appendChild(linkInput);
    linkBar.appendChild(linkOk);
    linkBar.appendChild(linkRemove);
    body.appendChild(linkBar);

    // Editor area
    var area = el('div', 'compose-area');
    var text = el('textarea', 'compose-text');
    text.setAttribute('aria-label', t('L_COMPOSE_BODY', 'Message'));
    text.spellcheck = true;
    var html = el('div', 'compose-html');
    html.setAttribute('aria-label', t('L_COMPOSE_BODY', 'Message'));
    html.setAttribute('role', 'textbox');
    html.setAttribute('aria-multiline', 'true');
    html.hidden = true;
    area.appendChild(text);
    area.appendChild(html);
    body.appendChild(area);
    w.text = text;
    w.html = html;

    // Attachments
    var atts = el('ul', 'compose-atts');
    atts.setAttribute('aria-label', t('L_COMPOSE_ATTACHMENTS', 'Attachments'));
    atts.hidden = true;
    body.appendChild(atts);
    w.attList = atts;

    var error = el('div', 'alert alert-error compose-error');
    error.setAttribute('role', 'alert');
    error.hidden = true;
    body.appendChild(error);
    w.error = error;

    // Footer
    var foot = el('footer', 'compose-foot');
    var send = el('button', 'btn btn-primary compose-send');
    send.type = 'button';
    send.appendChild(icon('sent'));
    send.appendChild(el('span', 'compose-send-label', t('L_COMPOSE_SEND', 'Send')));
    send.title = t('L_COMPOSE_SEND', 'Send') + ' (Ctrl+Enter)';
    w.sendBtn = send;
    // Issue 17: "Send later" (scheduled.js draws the time choices).
    var later = btn('btn btn-primary compose-later', t('L_OUTBOX_SEND_LATER', 'Send later'), 'chevron-down');
    later.setAttribute('aria-haspopup', 'menu');
    later.hidden = !(P.outbox && P.outbox.pickTime);
    w.laterBtn = later;
    var file = el('input', 'visually-hidden');
    file.type = 'file';
    file.multiple = true;
    file.tabIndex = -1;
    file.setAttribute('aria-hidden', 'true');
    var attach = btn('icon-btn compose-attach', t('L_COMPOSE_ATTACH', 'Attach files'), 'clip');
    var save = btn('btn btn-secondary btn-slim compose-save', t('L_COMPOSE_SAVE', 'Save draft'), 'drafts', { text: true });
    save.title = t('L_COMPOSE_SAVE', 'Save draft');
    var discard = btn('icon-btn compose-discard', t('L_COMPOSE_DISCARD', 'Discard'), 'trash');
    var limits = el('span', 'compose-limits');
    if (cfg.attachmentLimit) limits.textContent = tf('L_COMPOSE_LIMIT_HINT', 'Up to {size} a file', { size: mb(cfg.attachmentLimit) });
    var modeBtn = el('button', 'compose-mode');
    modeBtn.type = 'button';
    modeBtn.appendChild(icon('text', 'icon-sm'));
    modeBtn.appendChild(el('span', 'compose-mode-label'));
    w.modeBtn = modeBtn;
    var sendGroup = el('span', 'compose-send-group');
    sendGroup.appendChild(send);
    sendGroup.appendChild(later);
    foot.appendChild(sendGroup);
    foot.appendChild(attach);
    foot.appendChild(modeBtn);
    // RFC 8098: ask for a read receipt (Send's readReceipt); a toggle.
    var receipt = btn('icon-btn compose-receipt', t('L_RECEIPT_REQUEST', 'Request a read receipt'), 'mail-open');
    receipt.setAttribute('aria-pressed', 'false');
    w.receiptBtn = receipt;
    receipt.addEventListener('click', function () {
      w.readReceipt = !w.readReceipt;
      receipt.setAttribute('aria-pressed', String(w.readReceipt));
    });
    foot.appendChild(receipt);
    // Plugins' compose menus (plugins.js) go here, beside the format toggle.
    var pluginSlot = el('span', 'compose-plugins');
    foot.appendChild(pluginSlot);
    foot.appendChild(file);
    foot.appendChild(save);
    foot.appendChild(limits);
    foot.appendChild(el('span', 'tb-spacer'));
    foot.appendChild(discard);
    // A scheduled message taken back to edit keeps its time (setScheduled).
    var sched = el('div', 'compose-scheduled');
    sched.setAttribute('role', 'status');
    sched.hidden = true;
    sched.appendChild(icon('clock', 'icon-sm'));
    var schedText = el('span', 'compose-scheduled-text');
    var schedNow = el('button', 'link-btn compose-send-now', t('L_COMPOSE_SEND_NOW_INSTEAD', 'Send now instead'));
    schedNow.type = 'button';
    schedNow.addEventListener('click', function () { setScheduled(w, 0); });
    sched.append(schedText, schedNow);
    w.sched = sched;
    w.schedText = schedText;
    root.appendChild(sched);
    root.appendChild(foot);

    var drop = el('div', 'compose-drop');
    drop.appendChild(icon('clip'));
    drop.appendChild(el('span', null, t('L_COMPOSE_DROP', 'Drop files to attach them')));
    drop.hidden = true;
    root.appendChild(drop);

    var loading = el('div', 'compose-loading');
    loading.appendChild(el('span', 'compose-spinner'));
    loading.hidden = true;
    root.appendChild(loading);
    if (P.pluginCompose) P.pluginCompose(pluginSlot, { insertText: function (s) { insertText(w, s); } });
    w.setLoading = function (on) { loading.hidden = !on; root.setAttribute('aria-busy', String(!!on)); };
    w.uploading = function () { return w.atts.some(function (a) { return !a.id && !a.error; }); };

    // ---- events ----
    function changed() { markDirty(w); }
    sub.addEventListener('input', function () { changed(); updateTitle(w); });
    rt.addEventListener('input', changed);
    rt.addEventListener('blur', function () { validateReplyTo(w); });
    text.addEventListener('input', changed);
    fromSel.addEventListener('change', function () { switchIdentity(w, fromSel.value); changed(); });
    bIds.addEventListener('click', function () { openIdentities(w); });
    toggles.addEventListener('click', function (ev) {
      var b = ev.target.closest('[data-show]');
      if (!b) return;
      var row = b.dataset.show === 'replyto' ? rtRow : w.chips[b.dataset.show].row;
      row.hidden = false;
      b.hidden = true;
      (b.dataset.show === 'replyto' ? rt : w.chips[b.dataset.show].input).focus();
    });
    bMin.addEventListener('click', function () { minimise(w, !w.minimised); });
    head.addEventListener('click', function (ev) {
      if (w.minimised && !ev.target.closest('button')) minimise(w, false);
    });
    bMax.addEventListener('click', function () {
      w.maximised = !w.maximised;
      root.classList.toggle('maximised', w.maximised);
      bMax.querySelector('use').setAttribute('href', '#i-' + (w.maximised ? 'restore' : 'maximise'));
      var l = w.maximised ? t('L_COMPOSE_RESTORE', 'Smaller') : t('L_COMPOSE_MAXIMISE', 'Full size');
      bMax.setAttribute('aria-label', l);
      bMax.title = l;
    });
    bClose.addEventListener('click', function () { requestClose(w); });
    discard.addEventListener('click', function () { discardDraft(w); });
    save.addEventListener('click', function () { saveDraft(w, { manual: true }); });
    send.addEventListener('click', function () { doSend(w); });
    later.addEventListener('click', function () {
      if (w.sending || !P.outbox) return;
      P.outbox.pickTime(later).then(function (at) { if (at) doSend(w, { sendAt: at }); });
    });
    attach.addEventListener('click', function () { file.click(); });
    file.addEventListener('change', function () {
      addFiles(w, Array.from(file.files || []));
      file.value = '';
    });
    modeBtn.addEventListener('click', function () { switchFormat(w, w.format === 'html' ? 'plain' : 'html'); });
    fmt.addEventListener('mousedown', function (ev) { if (ev.target.closest('button')) ev.preventDefault(); });
    fmt.addEventListener('click', function (ev) {
      var b = ev.target.closest('[data-fmt]');
      if (b && w.editor) format(w, b.dataset.fmt);
    });
    linkBar.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var url = linkInput.value.trim();
      linkBar.hidden = true;
      if (!w.editor) return;
      if (w.linkRange) w.editor.setSelection(w.linkRange);
      if (url) {
        if (!/^(https?:|mailto:)/i.test(url)) url = (/@/.test(url) && !/\//.test(url) ? 'mailto:' : 'https://') + url;
        w.editor.makeLink(url, { target: '_blank', rel: 'noopener noreferrer' });
      }
      w.editor.focus();
    });
    linkRemove.addEventListener('click', function () {
      linkBar.hidden = true;
      if (!w.editor) return;
      if (w.linkRange) w.editor.setSelection(w.linkRange);
      w.editor.removeLink();
      w.editor.focus();
    });
    linkInput.addEventListener('keydown', function (ev) {
      if (ev.key === 'Escape') { ev.preventDefault(); ev.stopPropagation(); linkBar.hidden = true; if (w.editor) w.editor.focus(); }
    });
    w.linkBar = linkBar;
    w.linkInput = linkInput;

    root.addEventListener('keydown', function (ev) {
      if ((ev.ctrlKey || ev.metaKey) && ev.key === 'Enter') { ev.preventDefault(); doSend(w); return; }
      if (ev.key === 'Escape' && !ev.defaultPrevented) {
        ev.preventDefault();
        if (P.isPhone()) requestClose(w); else minimise(w, true);
      }
    });

    // Files dragged from the desktop onto the window.
    var dragDepth = 0;
    function isFiles(ev) { return ev.dataTransfer && Array.prototype.indexOf.call(ev.dataTransfer.types || [], 'Files') >= 0; }
    root.addEventListener('dragenter', function (ev) {
      if (!isFiles(ev)) return;
      ev.preventDefault();
      dragDepth++;
      drop.hidden = false;
    });
    root.addEventListener('dragover', function (ev) {
      if (!isFiles(ev)) return;
      ev.preventDefault();
      ev.dataTransfer.dropEffect = 'copy';
    });
    root.addEventListener('dragleave', function (ev) {
      if (!isFiles(ev)) return;
      dragDepth = Math.max(0, dragDepth - 1);
      if (!dragDepth) drop.hidden = true;
    });
    root.addEventListener('drop', function (ev) {
      if (!isFiles(ev)) return;
      ev.preventDefault();
      dragDepth = 0;
      drop.hidden = true;
      if (w.minimised) minimise(w, false);
      addFiles(w, Array.from(ev.dataTransfer.files || []));
    });

    // Autosave: every autosaveSeconds while something changed.
    w.timer = setInterval(function () {
      if (w.dirty && !w.sending && !w.saving) saveDraft(w, {});
    }, Math.max(5, Number(cfg.autosaveSeconds) || 60) * 1000);

    document.body.appendChild(root);
    document.body.classList.add('composing');
    setFormat(w, 'plain');
    return w;
  }

  function updateTitle(w) {
    var s = w.subject.value.trim();
    w.title.textContent = s || t('L_COMPOSE_TITLE_NEW', 'New message');
  }

  function focusFirst(w) {
    if (!w.chips.to.count()) w.chips.to.input.focus();
    else focusBodyStart(w);
  }

  function focusBodyStart(w) {
    if (w.format === 'html' && w.editor) {
      var r = document.createRange();
      var first = w.html.firstChild;
      r.setStart(first && first.nodeType === 1 ? first : w.html, 0);
      r.collapse(true);
      w.editor.focus();
      w.editor.setSelection(r);
      w.html.scrollTop = 0;
    } else {
      w.text.focus();
      w.text.setSelectionRange(0, 0);
      w.text.scrollTop = 0;
    }
  }

  // Plain text from a plugin's menu: at the cursor, or in place of an
  // empty body; in HTML mode Squire inserts it as text, never as markup.
  function insertText(w, s) {
    s = String(s || '');
    if (w.format === 'html' && w.editor) {
      w.editor.focus();
      if (!htmlToText(w.editor.getHTML()).trim()) w.editor.setHTML('');
      w.editor.insertPlainText(s, false);
    } else {
      var ta = w.text;
      ta.focus();
      if (!ta.value.trim()) ta.value = '';
      ta.setRangeText(s, ta.selectionStart, ta.selectionEnd, 'end');
    }
    markDirty(w);
  }

  function markDirty(w) {
    if (!w.filling) w.dirty = true;
  }

  function minimise(w, on) {
    w.minimised = on;
    w.root.classList.toggle('minimised', on);
    document.body.classList.toggle('composing', !on);
    var b = w.root.querySelector('.compose-min');
    var l = on ? t('L_COMPOSE_RESTORE_WINDOW', 'Open') : t('L_COMPOSE_MINIMISE', 'Minimise');
    b.setAttribute('aria-label', l);
    b.title = l;
    b.querySelector('use').setAttribute('href', '#i-' + (on ? 'chevron-down' : 'minimise'));
    b.classList.toggle('flip', on);
    if (on) {
      if (w.dirty) saveDraft(w, {});
      if (w.root.contains(document.activeElement)) document.activeElement.blur();
    } else {
      focusFirst(w);
    }
  }

  function destroy(w) {
    clearInterval(w.timer);
    w.closed = true;
    w.atts.forEach(function (a) { if (a.xhr) a.xhr.abort(); });
    if (w.editor) { try { w.editor.destroy(); } catch (e) { /* gone */ } }
    w.root.remove();
    document.body.classList.remove('composing');
    if (win === w) win = null;
  }

  // ---- fields ----------------------------------------------------------------

  var chipSeq = 0;
  function chipInput(w, field, labelText) {
    var id = 'compose-' + field;
    var label = el('label', 'compose-label', labelText);
    label.htmlFor = id;
    var box = el('div', 'chips');
    var input = el('input', 'chips-input');
    input.id = id;
    input.type = 'text';
    input.autocomplete = 'off';
    input.spellcheck = false;
    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-expanded', 'false');
    var listId = id + '-suggest';
    input.setAttribute('aria-controls', listId);
    var sugg = el('ul', 'suggest');
    sugg.id = listId;
    sugg.setAttribute('role', 'listbox');
    sugg.hidden = true;
    box.appendChild(input);
    box.appendChild(sugg);
    var c = { box: box, input: input, label: label, list: [] };
    var active = -1;
    var items = [];
    var seq = 0;
    var timer = 0;

    function chip(a) {
      var ok = validEmail(a.email);
      var node = el('span', 'chip' + (ok ? '' : ' chip-invalid'));
      node.dataset.email = a.email;
      var txt = el('span', 'chip-text', a.name || a.email);
      node.title = ok ? formatAddress(a) : tf('L_COMPOSE_INVALID_ADDRESS', '"{addr}" is not a valid address', { addr: formatAddress(a) });
      if (!ok) node.setAttribute('aria-invalid', 'true');
      node.appendChild(txt);
      var x = el('button', 'chip-x');
      x.type = 'button';
      x.tabIndex = -1;
      x.setAttribute('aria-label', tf('L_COMPOSE_REMOVE_ADDRESS', 'Remove {addr}', { addr: a.email }));
      x.appendChild(icon('close', 'icon-sm'));
      node.appendChild(x);
      a.node = node;
      x.addEventListener('click', function () { remove(a); input.focus(); });
      node.addEventListener('dblclick', function () {
        // Edit a chip: back into the input.
        remove(a);
        commit();
        input.value = formatAddress(a);
        input.focus();
      });
      return node;
    }
    function add(a) {
      if (!a.email) return;
      var lower = a.email.toLowerCase();
      if (c.list.some(function (x) { return x.email.toLowerCase() === lower; })) return;
      c.list.push(a);
      box.insertBefore(chip(a), input);
      markDirty(w);
    }
    function remove(a) {
      c.list = c.list.filter(function (x) { return x !== a; });
      if (a.node) a.node.remove();
      markDirty(w);
    }
    function commit() {
      var v = input.value;
      if (!v.trim()) return;
      splitAddresses(v).forEach(function (s) { add(parseAddress(s)); });
      input.value = '';
      hide();
    }
    function hide() {
      sugg.hidden = true;
      input.setAttribute('aria-expanded', 'false');
      input.removeAttribute('aria-activedescendant');
      active = -1;
    }
    function highlight(i) {
      active = i;
      Array.from(sugg.children).forEach(function (li, j) { li.setAttribute('aria-selected', String(j === i)); });
      if (i >= 0 && sugg.children[i]) input.setAttribute('aria-activedescendant', sugg.children[i].id);
      else input.removeAttribute('aria-activedescendant');
    }
    function pick(i) {
      var a = items[i];
      if (!a) return;
      input.value = '';
      add({ name: a.name || '', email: a.email });
      hide();
      input.focus();
    }
    function suggest() {
      var q = input.value.trim();
      if (!q || /[,;]/.test(q)) { hide(); return; }
      var my = ++seq;
      P.api('AddressSuggest', { q: q, limit: 8 }, { quiet: true }).then(function (d) {
        if (my !== seq || document.activeElement !== input) return;
        var have = new Set(c.list.map(function (x) { return x.email.toLowerCase(); }));
        items = ((d && d.addresses) || []).filter(function (a) { return !have.has(String(a.email).toLowerCase()); });
        sugg.textContent = '';
        if (!items.length) { hide(); return; }
        items.forEach(function (a, i) {
          var li = el('li', 'suggest-item');
          li.id = listId + '-' + (++chipSeq);
          li.setAttribute('role', 'option');
          li.setAttribute('aria-selected', 'false');
          li.appendChild(el('span', 'suggest-name', a.name || a.email));
          if (a.name) li.appendChild(el('span', 'suggest-email', a.email));
          li.addEventListener('mousedown', function (ev) { ev.preventDefault(); pick(i); });
          sugg.appendChild(li);
        });
        sugg.hidden = false;
        input.setAttribute('aria-expanded', 'true');
        highlight(0);
      }, function () { hide(); });
    }

    input.addEventListener('input', function () {
      var v = input.value;
      if (/[,;]\s*$/.test(v)) { commit(); return; }
      markDirty(w);
      clearTimeout(timer);
      timer = setTimeout(suggest, 150);
    });
    input.addEventListener('keydown', function (ev) {
      var open = !sugg.hidden && items.length;
      if (ev.key === 'ArrowDown' && open) { ev.preventDefault(); highlight((active + 1) % items.length); return; }
      if (ev.key === 'ArrowUp' && open) { ev.preventDefault(); highlight((active - 1 + items.length) % items.length); return; }
      if (ev.key === 'Escape' && open) { ev.preventDefault(); ev.stopPropagation(); hide(); return; }
      if (ev.key === 'Enter' && !(ev.ctrlKey || ev.metaKey)) {
        if (open && active >= 0) { ev.preventDefault(); pick(active); return; }
        if (input.value.trim()) { ev.preventDefault(); commit(); }
        return;
      }
      if (ev.key === 'Tab' && input.value.trim()) {
        if (open && active >= 0) { ev.preventDefault(); pick(active); return; }
        commit();
        return;
      }
      if (ev.key === 'Backspace' && !input.value && c.list.length) {
        ev.preventDefault();
        remove(c.list[c.list.length - 1]);
      }
    });
    input.addEventListener('blur', function () { commit(); hide(); });
    input.addEventListener('paste', function (ev) {
      var s = ev.clipboardData && ev.clipboardData.getData('text');
      if (s && /[,;\n]/.test(s)) {
        ev.preventDefault();
        input.value += s;
        commit();
      }
    });
    box.addEventListener('click', function (ev) { if (ev.target === box) input.focus(); });

    c.set = function (addrs) {
      c.list.slice().forEach(function (a) { if (a.node) a.node.remove(); });
      c.list = [];
      (addrs || []).forEach(function (s) { add(typeof s === 'string' ? parseAddress(s) : { name: s.name || '', email: s.email || '' }); });
    };
    c.values = function () { commit(); return c.list.map(formatAddress); };
    c.invalid = function () { commit(); return c.list.filter(function (a) { return !validEmail(a.email); }); };
    c.count = function () { return c.list.length + (input.value.trim() ? 1 : 0); };
    c.flag = function (email) {
      var lower = String(email || '').toLowerCase();
      var hit = false;
      c.list.forEach(function (a) {
        if (lower && (a.email.toLowerCase() === lower || lower.indexOf(a.email.toLowerCase()) >= 0)) {
          a.node.classList.add('chip-invalid');
          a.node.setAttribute('aria-invalid', 'true');
          hit = true;
        }
      });
      return hit;
    };
    return c;
  }

  function validateReplyTo(w) {
    var v = w.replyTo.value.trim();
    var bad = !!v && !validEmail(parseAddress(v).email);
    w.replyTo.classList.toggle('invalid', bad);
    if (bad) w.replyTo.setAttribute('aria-invalid', 'true'); else w.replyTo.removeAttribute('aria-invalid');
    return !bad;
  }

  // ---- identities in the window --------------------------------------------

  function fillFrom(w, selected) {
    w.from.textContent = '';
    (identities || []).forEach(function (idn) {
      var o = el('option', null, identityLabel(idn));
      o.value = idn.id;
      w.from.appendChild(o);
    });
    if (!w.from.options.length) {
      var o = el('option', null, P.boot.email || '');
      o.value = '';
      w.from.appendChild(o);
    }
    var want = selected && identityById(selected) ? selected : (defaultIdentity() || {}).id;
    if (want) w.from.value = want;
    w.identityId = w.from.value;
  }

  function signatureOf(idn) {
    return idn && idn.signature ? idn.signature : '';
  }

  // Put the identity's signature into a body: above or below the quote.
  function placeSignature(w, idn, quoteText, quoteHtml) {
    var sig = signatureOf(idn);
    // Our own empty lines go above the quote; the server's leading ones would add to them.
    quoteText = String(quoteText || '').replace(/^\s*\n/, '');
    var above = !!(idn && idn.signatureAbove);
    if (w.format === 'html') {
      var frag = document.createDocumentFragment();
      frag.appendChild(el('div')).appendChild(document.createElement('br'));
      var sigNode = null;
      if (sig) {
        sigNode = document.createElement('div');
        sigNode.setAttribute('data-signature', '1');
        if (idn.signatureHtml) sigNode.appendChild(sanitizeFragment(sig));
        else sigNode.appendChild(textToFragment('-- \n' + sig));
      }
      var quote = quoteHtml !== null && quoteHtml !== undefined ? sanitizeFragment(quoteHtml) : (quoteText ? textToFragment(quoteText) : null);
      if (sigNode && (above || !quote)) { frag.appendChild(el('div')).appendChild(document.createElement('br')); frag.appendChild(sigNode); }
      if (quote) { frag.appendChild(el('div')).appendChild(document.createElement('br')); frag.appendChild(quote); }
      if (sigNode && !above && quote) { frag.appendChild(el('div')).appendChild(document.createElement('br')); frag.appendChild(sigNode); }
      var box = document.createElement('div');
      box.appendChild(frag);
      w.editor.setHTML(box.innerHTML);
    } else {
      var s = sig ? '-- \n' + (idn.signatureHtml ? htmlToText(sig) : sig) : '';
      w.sigText = s || null;
      var parts = [''];
      if (s && (above || !quoteText)) parts.push(s);
      if (quoteText) parts.push(quoteText);
      if (s && !above && quoteText) parts.push(s);
      w.text.value = parts.join('\n\n').replace(/^\n\n/, '\n\n');
    }
  }

  // A different identity: swap the signature that the previous one put in.
  function switchIdentity(w, id) {
    var prev = identityById(w.identityId);
    var next = identityById(id);
    w.identityId = id;
    var oldSig = signatureOf(prev);
    var newSig = signatureOf(next);
    if (w.format === 'html' && w.editor) {
      var node = w.html.querySelector('[data-signature]');
      var html = '';
      if (newSig) {
        var d = document.createElement('div');
        d.setAttribute('data-signature', '1');
        d.appendChild(next.signatureHtml ? sanitizeFragment(newSig) : textToFragment('-- \n' + newSig));
        html = d.outerHTML;
      }
      if (node) {
        var box = document.createElement('div');
        box.appendChild(w.editor.getRoot().cloneNode(true));
        var n2 = box.querySelector('[data-signature]');
        if (html) { var tmp = document.createElement('div'); tmp.innerHTML = html; n2.replaceWith(tmp.firstChild); } else n2.remove();
        w.editor.setHTML(box.firstChild.innerHTML);
      } else if (html) {
        w.editor.setHTML(w.editor.getHTML() + '<div><br></div>' + html);
      }
    } else {
      var oldText = oldSig ? '-- \n' + (prev.signatureHtml ? htmlToText(oldSig) : oldSig) : '';
      var newText = newSig ? '-- \n' + (next.signatureHtml ? htmlToText(newSig) : newSig) : '';
      var v = w.text.value;
      if (oldText && v.indexOf(oldText) >= 0) w.text.value = v.replace(oldText, newText);
      else if (newText) w.text.value = v.replace(/\s*$/, '') + '\n\n' + newText;
    }
    if (next && next.replyTo && !w.replyTo.value) {
      w.replyTo.value = next.replyTo;
    }
  }

  // ---- filling a new window ------------------------------------------------------

  function fill(w, mode, d, opts) {
    w.filling = true;
    d = d || {};
    var q = opts.query || {};
    fillFrom(w, d.identityId);
    var idn = identityById(w.identityId);
    w.chips.to.set(d.to || splitAddresses(q.to || ''));
    w.chips.cc.set(d.cc || splitAddresses(q.cc || ''));
    w.chips.bcc.set(d.bcc || splitAddresses(q.bcc || ''));
    if (w.chips.cc.count()) { w.chips.cc.row.hidden = false; w.toggles.querySelector('[data-show="cc"]').hidden = true; }
    if (w.chips.bcc.count()) { w.chips.bcc.row.hidden = false; w.toggles.querySelector('[data-show="bcc"]').hidden = true; }
    var rt = d.replyTo || (mode === 'new' && idn && idn.replyTo) || '';
    if (rt) { w.replyTo.value = rt; w.replyToRow.hidden = false; w.toggles.querySelector('[data-show="replyto"]').hidden = true; }
    w.subject.value = d.subject || q.subject || '';
    updateTitle(w);
    w.inReplyTo = d.inReplyTo || null;
    w.forwardOf = d.forwardOf || null;
    if (d.draftUid) { w.draftUid = d.draftUid; w.ownDraft = false; }
    // A reopened draft that asked for a read receipt still asks.
    if (d.readReceipt) { w.readReceipt = true; w.receiptBtn.setAttribute('aria-pressed', 'true'); }
    // Taken back from Scheduled: Send schedules it for the same time.
    if (mode === 'editAsNew' && d.sendAt && d.sendAt * 1000 > Date.now() + 60e3) setScheduled(w, d.sendAt);
    (d.attachments || []).forEach(function (a) { addServerAttachment(w, a); });

    var useHtml = !!(window.Squire && (d.html !== null && d.html !== undefined ? true : !!(P.prefs && P.prefs().composeHtml)));
    setFormat(w, useHtml ? 'html' : 'plain');
    if (mode === 'editAsNew') {
      // The message as it was: no signature added again.
      if (w.format === 'html') w.editor.setHTML(sanitizeToHtml(d.html || ''));
      else w.text.value = d.text || '';
    } else if (mode === 'new') {
      placeSignature(w, idn, '', null);
      // A body from #/compose?body=… goes where the cursor would be.
      if (q.body && w.format === 'html') w.editor.setHTML(textToHtml(q.body) + w.editor.getHTML());
      else if (q.body) w.text.value = q.body + w.text.value;
    } else {
      placeSignature(w, idn, d.text || '', w.format === 'html' ? d.html : null);
    }
    if (w.editor) w.editor.saveUndoState && w.editor.saveUndoState();
    w.filling = false;
    // A form given back by Undo is unsent work: closing keeps it as a draft.
    w.dirty = !!opts.data;
    if (mode === 'forward' || mode === 'forwardAttachment' || !w.chips.to.count()) w.chips.to.input.focus();
    else focusBodyStart(w);
  }

  // ---- the editor -----------------------------------------------------------------

  function setFormat(w, fmtName) {
    if (fmtName === 'html' && !window.Squire) fmtName = 'plain';
    w.format = fmtName;
    var html = fmtName === 'html';
    w.text.hidden = html;
    w.html.hidden = !html;
    w.toolbar.hidden = !html;
    w.root.classList.toggle('is-html', html);
    if (html && !w.editor) {
      w.editor = new window.Squire(w.html, {
        blockTag: 'DIV',
        sanitizeToDOMFragment: function (s) { return sanitizeFragment(s); },
        addLinks: true
      });
      w.editor.addEventListener('input', function () { markDirty(w); });
      w.editor.addEventListener('pathChange', function () { updateFmtState(w); });
      w.editor.addEventListener('undoStateChange', function (ev) {
        var d = ev.detail || {};
        w.fmtBar.querySelector('[data-fmt="undo"]').disabled = !d.canUndo;
        w.fmtBar.querySelector('[data-fmt="redo"]').disabled = !d.canRedo;
      });
      w.fmtBar.querySelector('[data-fmt="undo"]').disabled = true;
      w.fmtBar.querySelector('[data-fmt="redo"]').disabled = true;
    }
    var label = w.modeBtn.querySelector('.compose-mode-label');
    label.textContent = html ? t('L_COMPOSE_TO_PLAIN', 'Plain text') : t('L_COMPOSE_TO_HTML', 'Formatting');
    w.modeBtn.title = html ? t('L_COMPOSE_TO_PLAIN_HINT', 'Switch to plain text') : t('L_COMPOSE_TO_HTML_HINT', 'Switch to formatted text (HTML)');
    w.modeBtn.hidden = !window.Squire;
    w.linkBar.hidden = true;
  }

  function switchFormat(w, to) {
    if (to === w.format) return Promise.resolve();
    if (to === 'plain') {
      var go = hasFormatting(w.editor.getRoot())
        ? ask(t('L_COMPOSE_LOSE_FORMAT_TITLE', 'Switch to plain text?'), t('L_COMPOSE_LOSE_FORMAT', 'Bold, links, lists and other formatting will be lost.'),
          [{ label: t('L_MAIL_FOLDER_CANCEL', 'Cancel'), value: 'no' }, { label: t('L_COMPOSE_TO_PLAIN_HINT', 'Switch to plain text'), value: 'yes', primary: true }])
        : Promise.resolve('yes');
      return go.then(function (v) {
        if (v !== 'yes') return;
        var text = htmlToText(w.editor.getRoot());
        setFormat(w, 'plain');
        w.text.value = text;
        markDirty(w);
        w.text.focus();
      });
    }
    var v = w.text.value;
    setFormat(w, 'html');
    w.editor.setHTML(textToHtml(v));
    markDirty(w);
    w.editor.focus();
    return Promise.resolve();
  }

  function updateFmtState(w) {
    var ed = w.editor;
    var st = {
      bold: ed.hasFormat('B') || ed.hasFormat('STRONG'), italic: ed.hasFormat('I') || ed.hasFormat('EM'), underline: ed.hasFormat('U'),
      ul: ed.hasFormat('UL'), ol: ed.hasFormat('OL'), quote: ed.hasFormat('BLOCKQUOTE')
    };
    Object.keys(st).forEach(function (k) {
      var b = w.fmtBar.querySelector('[data-fmt="' + k + '"]');
      if (b) b.setAttribute('aria-pressed', String(!!st[k]));
    });
  }

  function format(w, what) {
    var ed = w.editor;
    switch (what) {
      case 'bold': if (ed.hasFormat('B')) ed.removeBold(); else ed.bold(); break;
      case 'italic': if (ed.hasFormat('I')) ed.removeItalic(); else ed.italic(); break;
      case 'underline': if (ed.hasFormat('U')) ed.removeUnderline(); else ed.underline(); break;
      case 'ul': if (ed.hasFormat('UL')) ed.removeList(); else ed.makeUnorderedList(); break;
      case 'ol': if (ed.hasFormat('OL')) ed.removeList(); else ed.makeOrderedList(); break;
      case 'quote': if (ed.hasFormat('BLOCKQUOTE')) ed.decreaseQuoteLevel(); else ed.increaseQuoteLevel(); break;
      case 'clear': ed.removeAllFormatting(); break;
      case 'undo': ed.undo(); break;
      case 'redo': ed.redo(); break;
      case 'link': {
        w.linkRange = ed.getSelection();
        var a = ed.hasFormat('A') ? (function () {
          var n = w.linkRange.startContainer;
          while (n && n !== w.html && n.nodeName !== 'A') n = n.parentNode;
          return n && n.nodeName === 'A' ? n : null;
        })() : null;
        w.linkInput.value = a ? a.getAttribute('href') : '';
        w.linkBar.hidden = false;
        w.linkInput.focus();
        return;
      }
      default: break;
    }
    updateFmtState(w);
    // The toolbar does not take the focus (mousedown is cancelled); focusing
    // again would move the caret and lose a pending format change.
    if (!w.html.contains(document.activeElement)) ed.focus();
  }

  // ---- attachments --------------------------------------------------------------

  function attTotal(w) {
    return w.atts.reduce(function (n, a) { return n + (a.error ? 0 : (a.size || 0)); }, 0);
  }

  function renderAtt(w, a) {
    var li = a.node || el('li', 'compose-att');
    li.textContent = '';
    li.classList.toggle('is-error', !!a.error);
    li.classList.toggle('is-uploading', !a.id && !a.error);
    var ic = /^image\//.test(a.type || '') ? 'image' : /pdf/.test(a.type || '') ? 'pdf' : /zip|compressed/.test(a.type || '') ? 'zip' : 'file';
    li.appendChild(icon(a.error ? 'alert' : ic));
    var info = el('span', 'compose-att-info');
    info.appendChild(el('span', 'compose-att-name', a.name));
    var meta = el('span', 'compose-att-meta', a.error ? a.error : mb(a.size));
    info.appendChild(meta);
    if (!a.id && !a.error) {
      var bar = el('progress', 'compose-att-bar');
      bar.max = 100;
      bar.value = a.progress || 0;
      bar.setAttribute('aria-label', tf('L_COMPOSE_UPLOADING', 'Uploading {name}', { name: a.name }));
      info.appendChild(bar);
      a.bar = bar;
      a.meta = meta;
    }
    li.appendChild(info);
    var x = btn('icon-btn icon-btn-sm compose-att-x', tf('L_COMPOSE_REMOVE_ATTACHMENT', 'Remove {name}', { name: a.name }), 'close');
    x.addEventListener('click', function () { removeAtt(w, a); });
    li.appendChild(x);
    if (!a.node) { a.node = li; w.attList.appendChild(li); }
    w.attList.hidden = !w.atts.length;
  }

  function addServerAttachment(w, a) {
    var x = { id: a.id, name: a.name, type: a.type, size: a.size };
    w.atts.push(x);
    renderAtt(w, x);
  }

  function removeAtt(w, a) {
    if (a.xhr) a.xhr.abort();
    w.atts = w.atts.filter(function (x) { return x !== a; });
    if (a.node) a.node.remove();
    w.attList.hidden = !w.atts.length;
    if (a.id) P.api('UploadDelete', { id: a.id }, { quiet: true }).catch(function () { /* spool is cleared at logout */ });
    if (!a.error) markDirty(w);
  }

  function addFiles(w, files) {
    if (!files.length) return;
    var total = attTotal(w);
    var refused = [];
    files.forEach(function (f) {
      if (cfg.attachmentLimit && f.size > cfg.attachmentLimit) {
        refused.push(tf('L_COMPOSE_FILE_TOO_LARGE', '{name} is larger than the limit of {limit} a file.', { name: f.name, limit: mb(cfg.attachmentLimit) }));
        return;
      }
      if (cfg.uploadTotalLimit && total + f.size > cfg.uploadTotalLimit) {
        refused.push(tf('L_COMPOSE_TOTAL_TOO_LARGE', '{name} would take the attachments past the limit of {limit} a message.', { name: f.name, limit: mb(cfg.uploadTotalLimit) }));
        return;
      }
      total += f.size;
      upload(w, f);
    });
    if (refused.length) showError(w, refused.join(' '));
  }

  function upload(w, f) {
    var a = { name: f.name, type: f.type, size: f.size, progress: 0 };
    w.atts.push(a);
    renderAtt(w, a);
    markDirty(w);
    var xhr = new XMLHttpRequest();
    a.xhr = xhr;
    xhr.open('POST', '/api/Upload');
    xhr.setRequestHeader('X-Petrel-Token', P.boot.csrf || '');
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.responseType = 'json';
    xhr.upload.addEventListener('progress', function (ev) {
      if (!ev.lengthComputable || !a.bar) return;
      a.progress = Math.round(ev.loaded * 100 / ev.total);
      a.bar.value = a.progress;
      a.meta.textContent = tf('L_COMPOSE_UPLOAD_PROGRESS', '{done} of {size}', { done: mb(Math.min(ev.loaded, f.size)), size: mb(f.size) });
    });
    xhr.addEventListener('load', function () {
      a.xhr = null;
      var d = xhr.response || {};
      if (xhr.status === 401) { location.assign('/'); return; }
      if (xhr.status >= 200 && xhr.status < 300 && d.id) {
        a.id = d.id;
        a.name = d.name || a.name;
        a.type = d.type || a.type;
        a.size = typeof d.size === 'number' ? d.size : a.size;
      } else {
        var e = (d && d.error) || {};
        a.error = e.message || (xhr.status === 413 ? t('L_COMPOSE_UPLOAD_TOO_LARGE', 'The file is too large.') : t('L_ERROR_INTERNAL', 'An internal error occurred.'));
      }
      if (!w.closed) renderAtt(w, a);
    });
    xhr.addEventListener('error', function () {
      a.xhr = null;
      a.error = t('L_ERROR_NETWORK', 'Petrel could not be reached.');
      if (!w.closed) renderAtt(w, a);
    });
    var fd = new FormData();
    fd.append('file', f, f.name);
    xhr.send(fd);
  }

  // ---- draft and send -----------------------------------------------------------------

  function payload(w) {
    var body = {
      to: w.chips.to.values(), cc: w.chips.cc.values(), bcc: w.chips.bcc.values(),
      subject: w.subject.value,
      attachments: w.atts.filter(function (a) { return a.id; }).map(function (a) { return a.id; })
    };
    if (w.identityId) body.identityId = w.identityId;
    var rt = w.replyTo.value.trim();
    if (rt) body.replyTo = rt;
    if (w.format === 'html' && w.editor) {
      var root = w.editor.getRoot();
      body.html = w.editor.getHTML().replace(/\u200b/g, '');
      body.text = htmlToText(root);
    } else {
      body.text = w.text.value;
    }
    if (w.inReplyTo) body.inReplyTo = w.inReplyTo;
    if (w.forwardOf) body.forwardOf = w.forwardOf;
    if (w.draftUid) body.draftUid = w.draftUid;
    if (w.readReceipt) body.readReceipt = true;
    return body;
  }

  function showStatus(w, text) { w.status.textContent = text; }
  function showError(w, text, detail) {
    w.error.textContent = '';
    w.error.appendChild(el('span', 'compose-error-text', text));
    if (detail) w.error.appendChild(el('span', 'compose-error-detail', detail));
    w.error.hidden = false;
    if (w.minimised) minimise(w, false);
  }
  function clearError(w) { w.error.hidden = true; w.error.textContent = ''; }

  function saveDraft(w, opts) {
    opts = opts || {};
    if (w.saving) return w.saving.then(function () { return w.dirty ? saveDraft(w, opts) : null; });
    if (w.sending || w.closed && !opts.closing) return Promise.resolve();
    var body = payload(w);
    var rev = w.dirty;
    w.dirty = false;
    showStatus(w, t('L_COMPOSE_SAVING', 'Saving…'));
    var req = opts.keepalive ? keepaliveApi('SaveDraft', body) : P.api('SaveDraft', body, { quiet: true });
    w.saving = req.then(function (d) {
      w.saving = null;
      if (d && d.draftUid) {
        if (!w.draftUid) w.ownDraft = true;
        w.draftUid = d.draftUid;
      } else if (d && 'draftUid' in d) {
        // No UIDPLUS: the new version has no UID we know, the old one is gone.
        w.draftUid = null;
      }
      showStatus(w, tf('L_COMPOSE_SAVED_AT', 'Draft saved {time}', { time: P.fmtTime.format(new Date()) }));
      if (opts.manual) P.toast(t('L_COMPOSE_SAVED', 'Draft saved'));
      P.changed();
      return d;
    }, function (err) {
      w.saving = null;
      if (rev) w.dirty = true;
      showStatus(w, t('L_COMPOSE_NOT_SAVED', 'Draft not saved'));
      if (opts.manual || opts.closing) showError(w, err.message, err.detail);
      throw err;
    });
    return w.saving.catch(function (err) { if (opts.closing) throw err; });
  }

  // A request that outlives the page (pagehide): fetch with keepalive,
  // because it carries the CSRF header and sendBeacon cannot.
  function keepaliveApi(action, body) {
    return fetch('/api/' + action, {
      method: 'POST', credentials: 'same-origin', keepalive: true,
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json', 'X-Petrel-Token': P.boot.csrf || '' },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (d) {
        if (!r.ok) throw Object.assign(new Error((d.error && d.error.message) || t('L_ERROR_INTERNAL', 'An internal error occurred.')), { code: d.error && d.error.code });
        return d;
      });
    });
  }

  function saveOnLeave() {
    var w = win;
    if (!w || !w.dirty || w.sending || w.saving) return;
    saveDraft(w, { keepalive: true });
  }

  function requestClose(w) {
    if (w.sending) return;
    if (!w.dirty && !w.uploading()) { cleanUp(w); destroy(w); return; }
    if (w.minimised) minimise(w, false);
    ask(t('L_COMPOSE_CLOSE_TITLE', 'Save this message as a draft?'), t('L_COMPOSE_CLOSE_TEXT', 'You have changes that are not saved yet.'), [
      { label: t('L_COMPOSE_DISCARD', 'Discard'), value: 'discard', danger: true },
      { label: t('L_MAIL_FOLDER_CANCEL', 'Cancel'), value: 'cancel' },
      { label: t('L_COMPOSE_SAVE', 'Save draft'), value: 'save', primary: true }
    ]).then(function (v) {
      if (v === 'save') {
        saveDraft(w, { closing: true }).then(function () { P.toast(t('L_COMPOSE_SAVED', 'Draft saved')); cleanUp(w); destroy(w); }, function () { /* error shown; stays open */ });
      } else if (v === 'discard') {
        dropDraft(w);
        cleanUp(w);
        destroy(w);
      }
    });
  }

  function discardDraft(w) {
    if (w.sending) return;
    var empty = !w.dirty && !w.draftUid;
    (empty ? Promise.resolve('discard') : ask(t('L_COMPOSE_DISCARD_TITLE', 'Discard this message?'), w.ownDraft ? t('L_COMPOSE_DISCARD_TEXT', 'Its saved draft goes to the trash.') : '', [
      { label: t('L_MAIL_FOLDER_CANCEL', 'Cancel'), value: 'cancel' },
      { label: t('L_COMPOSE_DISCARD', 'Discard'), value: 'discard', primary: true }
    ])).then(function (v) {
      if (v !== 'discard') return;
      dropDraft(w);
      cleanUp(w);
      destroy(w);
    });
  }

  // A draft this window saved by itself goes when the message is discarded;
  // a draft that was opened to continue stays.
  function dropDraft(w) {
    if (!w.ownDraft || !w.draftUid) return;
    var drafts = P.specialFolder('drafts');
    if (!drafts) return;
    var uid = w.draftUid;
    (w.saving || Promise.resolve()).then(function () {
      return P.api('MessageDelete', { folder: drafts.path, uids: [w.draftUid || uid] }, { quiet: true });
    }).then(P.changed, function () { /* stays in Drafts */ });
  }

  function cleanUp(w) {
    w.atts.forEach(function (a) {
      if (a.xhr) a.xhr.abort();
      if (a.id) P.api('UploadDelete', { id: a.id }, { quiet: true }).catch(function () { /* cleared at logout */ });
    });
  }

  // The send time a scheduled message keeps when taken back to edit
  // (0: none); the Send button then schedules it again.
  function setScheduled(w, at) {
    w.scheduledAt = at || 0;
    w.sched.hidden = !w.scheduledAt;
    if (w.scheduledAt) {
      var when = P.outbox && P.outbox.when ? P.outbox.when(at) : new Date(at * 1000).toLocaleString();
      w.schedText.textContent = tf('L_OUTBOX_SCHEDULED_FOR', 'Scheduled for {when}', { when: when });
    }
    w.sendBtn.querySelector('.compose-send-label').textContent = sendLabel(w);
  }
  function sendLabel(w) {
    return w.scheduledAt ? t('L_COMPOSE_SCHEDULE', 'Schedule') : t('L_COMPOSE_SEND', 'Send');
  }

  // opts.sendAt: send later (Unix seconds); else now, after the user's
  // undo window (Settings: undoSeconds), or at the time a scheduled
  // message kept (setScheduled) while that is still ahead.
  function doSend(w, opts) {
    if (w.sending) return;
    if (!(opts && opts.sendAt) && w.scheduledAt && w.scheduledAt * 1000 > Date.now()) opts = { sendAt: w.scheduledAt };
    clearError(w);
    var invalid = [];
    FIELDS.forEach(function (f) { w.chips[f].invalid().forEach(function (a) { invalid.push(a.email || a.name); }); });
    if (!validateReplyTo(w)) invalid.push(w.replyTo.value.trim());
    if (invalid.length) {
      showError(w, tf('L_COMPOSE_FIX_ADDRESSES', 'Check these addresses: {list}', { list: invalid.join(', ') }));
      return;
    }
    var n = FIELDS.reduce(function (k, f) { return k + w.chips[f].count(); }, 0);
    if (!n) {
      showError(w, t('L_COMPOSE_NO_RECIPIENTS', 'Add at least one recipient.'));
      w.chips.to.input.focus();
      return;
    }
    if (w.uploading()) {
      showError(w, t('L_COMPOSE_WAIT_UPLOADS', 'Wait until the attachments have finished uploading.'));
      return;
    }
    if (w.atts.some(function (a) { return a.error; })) {
      showError(w, t('L_COMPOSE_FAILED_UPLOADS', 'Remove the attachments that could not be uploaded first.'));
      return;
    }
    // Taken at once: a second click before the request starts is a no-op.
    w.sending = true;
    w.sendBtn.disabled = true;
    var ready = w.subject.value.trim() ? Promise.resolve('send') : ask(t('L_COMPOSE_NO_SUBJECT_TITLE', 'Send without a subject?'), '', [
      { label: t('L_MAIL_FOLDER_CANCEL', 'Cancel'), value: 'cancel' },
      { label: t('L_COMPOSE_SEND', 'Send'), value: 'send', primary: true }
    ]);
    ready.then(function (v) {
      if (v !== 'send') {
        w.sending = false;
        w.sendBtn.disabled = false;
        if (v === 'cancel') w.subject.focus();
        return;
      }
      // A save still running would race the send over the draft UID.
      return (w.saving || Promise.resolve()).catch(function () {}).then(function () { return reallySend(w, opts || {}); });
    });
  }

  function reallySend(w, opts) {
    w.root.classList.add('is-sending');
    w.sendBtn.querySelector('.compose-send-label').textContent = t('L_COMPOSE_SENDING', 'Sending…');
    var body = payload(w);
    body.sendToken = w.sendToken;
    // Issue 17: held for the undo window, or scheduled (the server keeps it).
    var undo = P.prefs ? P.prefs().undoSeconds : 0;
    if (opts.sendAt) body.sendAt = opts.sendAt;
    else if (typeof undo === 'number' && undo > 0 && P.outbox) body.undoSeconds = undo;
    function attempt(tries) {
      return P.api('Send', body).catch(function (err) {
        // The first request with this token is still running: ask again.
        if (err.code === 'in_progress' && tries < 30) {
          return new Promise(function (r) { setTimeout(r, 1000); }).then(function () { return attempt(tries + 1); });
        }
        throw err;
      });
    }
    return attempt(0).then(function (res) {
      w.sending = false;
      w.dirty = false;
      destroy(w);
      if (res && res.id && P.outbox) { P.outbox.queued(res); return; }
      if (res && res.sentSaved === false) {
        P.toast(t('L_COMPOSE_SENT_NOT_SAVED', 'Message sent, but its copy could not be saved to the Sent folder'), { error: true });
      } else {
        P.toast(t('L_COMPOSE_SENT', 'Message sent'));
      }
      P.changed();
    }, function (err) {
      w.sending = false;
      w.root.classList.remove('is-sending');
      w.sendBtn.disabled = false;
      w.sendBtn.querySelector('.compose-send-label').textContent = sendLabel(w);
      if (err.silent) return;
      if (err.code === 'invalid_address' && err.detail) {
        FIELDS.forEach(function (f) { w.chips[f].flag(err.detail); });
      }
      if (err.code === 'smtp_rejected' && err.detail) {
        var m = /[\w.+-]+@[\w.-]+/.exec(err.detail) || /[\w.+-]+@[\w.-]+/.exec(err.message);
        if (m) FIELDS.forEach(function (f) { w.chips[f].flag(m[0]); });
      }
      showError(w, err.message, err.detail && err.detail !== err.message ? err.detail : '');
    });
  }

  // ---- identities editor ----------------------------------------------------------------

  function openIdentities(w) {
    var overlay = el('div', 'overlay compose-overlay');
    var box = el('form', 'dialog ids-dialog');
    box.setAttribute('role', 'dialog');
    box.setAttribute('aria-modal', 'true');
    box.setAttribute('aria-labelledby', 'ids-title');
    box.tabIndex = -1;
    var head = el('header', 'dialog-head');
    var h = el('h2', null, t('L_COMPOSE_IDENTITIES', 'Identities'));
    h.id = 'ids-title';
    head.appendChild(h);
    var x = btn('icon-btn', t('L_MAIL_CLOSE', 'Close'), 'close');
    head.appendChild(x);
    box.appendChild(head);
    overlay.appendChild(box);
    document.body.appendChild(overlay);
    identityEditor(box, {
      prefix: 'ids-', selected: w.identityId,
      onDelete: function (id) { if (w.identityId === id) w.identityId = null; }
    });
    function close() {
      overlay.remove();
      if (!w.closed) { fillFrom(w, w.identityId); w.from.focus(); }
    }
    x.addEventListener('click', close);
    overlay.addEventListener('click', function (ev) { if (ev.target === overlay) close(); });
    overlay.addEventListener('keydown', function (ev) {
      if (ev.key === 'Escape') { ev.preventDefault(); ev.stopPropagation(); close(); } else if (ev.key === 'Tab') P.trapTab(ev, box);
    });
  }

  /*
   * The identities editor: the list, the form and its Save/Delete footer,
   * appended to box (a <form>). The compose dialog above and Settings →
   * Identities (PetrelCompose.identityEditor) both use it. opts: prefix
   * for element ids, selected (an identity id), onDelete(id), focus
   * (false: do not move the focus on the first draw).
   */
  function identityEditor(box, opts) {
    opts = opts || {};
    var pre = opts.prefix || 'ids-';
    box.noValidate = true;
    var bodyEl = el('div', 'dialog-body ids-body');
    var side = el('div', 'ids-side');
    var list = el('ul', 'ids-list');
    list.setAttribute('role', 'listbox');
    list.setAttribute('aria-label', t('L_COMPOSE_IDENTITIES', 'Identities'));
    var add = btn('btn btn-secondary btn-slim ids-add', t('L_COMPOSE_IDENTITY_NEW', 'New identity'), 'plus', { text: true });
    side.appendChild(list);
    side.appendChild(add);
    bodyEl.appendChild(side);
    var form = el('div', 'ids-form');
    function field(key, labelKey, fallback, type) {
      var f = el('div', 'field');
      var lab = el('label', 'field-label', t(labelKey, fallback));
      lab.htmlFor = pre + key;
      var tag = type === 'textarea' || type === 'select' ? type : 'input';
      var input = el(tag, type === 'textarea' ? 'ids-textarea' : 'ids-input');
      input.id = pre + key;
      if (tag === 'input') input.type = type || 'text';
      input.name = key;
      f.appendChild(lab);
      f.appendChild(input);
      form.appendChild(f);
      return input;
    }
    function check(key, labelKey, fallback) {
      var lab = el('label', 'check');
      var input = el('input');
      input.type = 'checkbox';
      input.name = key;
      lab.appendChild(input);
      lab.appendChild(el('span', null, t(labelKey, fallback)));
      form.appendChild(lab);
      return input;
    }
    var fName = field('name', 'L_COMPOSE_IDENTITY_NAME', 'Name');
    var fEmail = field('email', 'L_COMPOSE_IDENTITY_EMAIL', 'Address', 'email');
    var fReply = field('replyTo', 'L_COMPOSE_REPLY_TO', 'Reply-To', 'email');
    var fSig = field('signature', 'L_COMPOSE_IDENTITY_SIGNATURE', 'Signature', 'textarea');
    var fSent = field('sentFolder', 'L_COMPOSE_IDENTITY_SENT_FOLDER', 'Keep sent messages in', 'select');
    var sentDefault = el('option', null, t('L_COMPOSE_IDENTITY_SENT_DEFAULT', 'The Sent folder'));
    sentDefault.value = '';
    fSent.appendChild(sentDefault);
    P.folders().forEach(function (f) {
      if (f.selectable === false) return;
      var o = el('option', null, f.path);
      o.value = f.path;
      fSent.appendChild(o);
    });
    var fSigHtml = check('signatureHtml', 'L_COMPOSE_IDENTITY_SIG_HTML', 'The signature is HTML');
    var fAbove = check('signatureAbove', 'L_COMPOSE_IDENTITY_SIG_ABOVE', 'Signature above the quoted text when replying');
    var fDefault = check('isDefault', 'L_COMPOSE_IDENTITY_DEFAULT', 'Use by default');
    // An unverified address: say so, and offer the confirmation link.
    var unv = el('div', 'ids-unverified');
    unv.appendChild(el('p', 'field-hint', t('L_COMPOSE_IDENTITY_UNVERIFIED_HELP', 'Mail cannot be sent from this address until its owner follows the confirmation link mailed to it.')));
    var sendLink = el('button', 'btn btn-secondary btn-slim', t('L_COMPOSE_IDENTITY_SEND_LINK', 'Send confirmation link'));
    sendLink.type = 'button';
    unv.appendChild(sendLink);
    unv.hidden = true;
    form.appendChild(unv);
    var err = el('p', 'alert alert-error');
    err.setAttribute('role', 'alert');
    err.hidden = true;
    form.appendChild(err);
    bodyEl.appendChild(form);
    box.appendChild(bodyEl);
    var foot = el('footer', 'dialog-foot');
    var del = el('button', 'btn btn-secondary compose-danger', t('L_COMPOSE_IDENTITY_DELETE', 'Delete'));
    del.type = 'button';
    var saveB = el('button', 'btn btn-primary', t('L_COMPOSE_IDENTITY_SAVE', 'Save'));
    saveB.type = 'submit';
    foot.appendChild(del);
    foot.appendChild(el('span', 'tb-spacer'));
    foot.appendChild(saveB);
    box.appendChild(foot);

    var current = null; // identity being edited; {} for a new one
    function select(idn, quiet) {
      current = idn || {};
      err.hidden = true;
      fName.value = current.name || '';
      fEmail.value = current.email || '';
      fReply.value = current.replyTo || '';
      fSig.value = current.signature || '';
      fSigHtml.checked = !!current.signatureHtml;
      fAbove.checked = !!current.signatureAbove;
      fDefault.checked = !!current.isDefault;
      fSent.value = current.sentFolder || '';
      if (fSent.value !== (current.sentFolder || '')) {
        // A folder that is not in the list any more: keep it selectable.
        var o = el('option', null, current.sentFolder);
        o.value = current.sentFolder;
        fSent.appendChild(o);
        fSent.value = current.sentFolder;
      }
      del.hidden = !current.id || current.id === 'default';
      unv.hidden = !current.id || current.verified !== false;
      Array.from(list.children).forEach(function (li) { li.setAttribute('aria-selected', String(li.dataset.id === (current.id || ''))); });
      if (!quiet) fName.focus();
    }
    function renderList() {
      list.textContent = '';
      (identities || []).forEach(function (idn) {
        var li = el('li', 'ids-item');
        li.setAttribute('role', 'option');
        li.dataset.id = idn.id;
        li.tabIndex = 0;
        li.appendChild(el('span', 'ids-item-name', idn.name || idn.email));
        li.appendChild(el('span', 'ids-item-email', idn.email));
        if (idn.isDefault) li.appendChild(el('span', 'ids-item-default', t('L_COMPOSE_IDENTITY_IS_DEFAULT', 'Default')));
        if (idn.verified === false) li.appendChild(el('span', 'ids-item-unverified', t('L_COMPOSE_IDENTITY_UNVERIFIED', 'Not verified')));
        li.addEventListener('click', function () { select(idn); });
        li.addEventListener('keydown', function (ev) { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); select(idn); } });
        list.appendChild(li);
      });
    }
    function reload(selectId) {
      return loadIdentities(true).then(function () {
        renderList();
        select(identityById(selectId) || defaultIdentity());
      });
    }
    renderList();
    select(identityById(opts.selected) || defaultIdentity(), opts.focus === false);
    add.addEventListener('click', function () { select({}); });
    box.addEventListener('submit', function (ev) {
      ev.preventDefault();
      err.hidden = true;
      var email = fEmail.value.trim();
      if (!validEmail(email)) {
        err.textContent = tf('L_COMPOSE_INVALID_ADDRESS', '"{addr}" is not a valid address', { addr: email });
        err.hidden = false;
        fEmail.focus();
        return;
      }
      var body = {
        name: fName.value.trim(), email: email, replyTo: fReply.value.trim(), signature: fSig.value,
        signatureHtml: fSigHtml.checked, signatureAbove: fAbove.checked, sentFolder: fSent.value, isDefault: fDefault.checked
      };
      if (current.id) body.id = current.id;
      saveB.disabled = true;
      P.api('IdentitySave', body).then(function (d) {
        saveB.disabled = false;
        P.toast(t('L_COMPOSE_IDENTITY_SAVED', 'Identity saved'));
        return reload(d && d.id);
      }, function (e) {
        saveB.disabled = false;
        err.textContent = e.message;
        err.hidden = false;
      });
    });
    sendLink.addEventListener('click', function () {
      if (!current.id) return;
      err.hidden = true;
      sendLink.disabled = true;
      P.api('IdentityConfirm', { id: current.id }).then(function (d) {
        sendLink.disabled = false;
        P.toast(tf('L_COMPOSE_IDENTITY_LINK_SENT', 'A confirmation link was sent to {email}', { email: (d && d.email) || current.email }));
      }, function (e) {
        sendLink.disabled = false;
        err.textContent = e.message;
        err.hidden = false;
      });
    });
    del.addEventListener('click', function () {
      if (!current.id) return;
      var id = current.id;
      P.api('IdentityDelete', { id: id }).then(function () {
        if (opts.onDelete) opts.onDelete(id);
        return reload(null);
      }, function (e) { err.textContent = e.message; err.hidden = false; });
    });
  }

  // ---- #/compose?to=…&cc=…&subject=…&body=… and mailto-like links -----------------

  function fromHash(hash) {
    var m = /^#\/compose\b\??(.*)$/.exec(hash || '');
    if (!m) return false;
    var q = new URLSearchParams(m[1]);
    var o = { mode: q.get('mode') || 'new', folder: q.get('folder'), uid: q.get('uid'), query: {} };
    ['to', 'cc', 'bcc', 'subject', 'body'].forEach(function (k) { if (q.has(k)) o.query[k] = q.get(k); });
    if (o.mode !== 'new' && !(o.folder && o.uid)) o.mode = 'new';
    open(o);
    return true;
  }

  // ---- start ------------------------------------------------------------------------

  function init() {
    if (P) return;    // already started by identityEditor below
    P = window.Petrel;
    if (!P) return;
    t = P.t; tf = P.tf; el = P.el; icon = P.icon;
    var c = P.boot.compose || {};
    if (c.autosaveSeconds > 0) cfg.autosaveSeconds = c.autosaveSeconds;
    if (c.attachmentLimit > 0) cfg.attachmentLimit = c.attachmentLimit;
    if (c.uploadTotalLimit > 0) cfg.uploadTotalLimit = c.uploadTotalLimit;

    ['compose', 'compose-fab'].forEach(function (id) {
      var b = document.getElementById(id);
      if (b) b.addEventListener('click', function () { open({ mode: 'new' }); });
    });
    document.addEventListener('click', function (ev) {
      var b = ev.target.closest('[data-compose]');
      if (!b || b.disabled) return;
      var cur = P.current();
      if (cur.uid === null || cur.uid === undefined) return;
      open({ mode: b.dataset.compose, folder: cur.folder, uid: cur.uid });
    });
    window.addEventListener('hashchange', function (ev) {
      if (!/^#\/compose\b/.test(location.hash)) return;
      var back = ev.oldURL && ev.oldURL.indexOf('#/folder/') >= 0 ? ev.oldURL.slice(ev.oldURL.indexOf('#')) : P.mailboxHash();
      var h = location.hash;
      history.replaceState(null, '', back);
      fromHash(h);
    });
    window.addEventListener('pagehide', saveOnLeave);
    document.addEventListener('visibilitychange', function () { if (document.hidden) saveOnLeave(); });
    window.addEventListener('beforeunload', function (ev) {
      if (win && (win.sending || win.uploading())) { ev.preventDefault(); ev.returnValue = ''; }
    });
    if (window.petrelComposeHash) fromHash(window.petrelComposeHash);
  }

  window.PetrelCompose = {
    open: function (o) { open(o); },
    // Undo send / edit a scheduled message: the form SendCancel gave back.
    restore: function (data) { open({ mode: 'editAsNew', data: data }); },
    // Settings → Identities: the editor of the compose dialog, drawn into box (a <form>).
    identityEditor: function (box, opts) {
      init();    // Settings may draw first on a deep link
      return loadIdentities(true).then(function () { identityEditor(box, opts); });
    },
    // For tests and the console: the helpers with no DOM of their own.
    _text: { htmlToText: htmlToText, parseAddress: parseAddress, splitAddresses: splitAddresses, validEmail: validEmail }
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
}());
