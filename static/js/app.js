/*
 * The mailbox screen: folders, message list, selection, actions, drag and
 * drop, keyboard, search and the preview pane. Vanilla JS, no framework;
 * talks only to the JSON API (docs/API.md). State that should survive a
 * reload or the back button lives in the URL hash:
 *   #/folder/<path>?page=2&sort=-date&q=from%3Abob&threads=1&m=42
 * (and &part=2 for a message attached to message 42).
 * Nothing here builds HTML from strings: every text goes through
 * textContent, so mail data can never become markup.
 */
(function () {
  'use strict';

  // ---- boot data, strings, helpers -------------------------------------

  var boot = {};
  try {
    boot = JSON.parse(document.body.getAttribute('data-petrel') || '{}');
  } catch (e) {
    boot = {};
  }
  var L = boot.lang || {};
  // The user's settings (Settings API); settings.js changes them through applyPrefs().
  var prefs = boot.settings || {};
  var PER_PAGE = Math.max(1, Math.min(500, Number(prefs.messagesPerPage || boot.messagesPerPage) || 25));
  var ZONE = '';
  var SITE_TITLE = (document.querySelector('.brand-name') || {}).textContent || 'Petrel';
  var LANG = document.documentElement.lang || 'en';
  var LOCALE = LANG === 'en' ? 'en-GB' : LANG;
  var SVG_NS = 'http://www.w3.org/2000/svg';
  var SPECIAL_ICONS = { inbox: 'inbox', drafts: 'drafts', sent: 'sent', junk: 'junk', trash: 'trash', archive: 'archive' };
  var SPECIAL_NAMES = {
    inbox: 'L_MAIL_INBOX', drafts: 'L_MAIL_DRAFTS', sent: 'L_MAIL_SENT',
    junk: 'L_MAIL_JUNK', trash: 'L_MAIL_TRASH', archive: 'L_MAIL_ARCHIVE_FOLDER'
  };
  var SORT_FIELDS = ['date', 'from', 'subject', 'size'];
  var SORT_LABELS = { date: 'L_MAIL_SORT_DATE', from: 'L_MAIL_SORT_FROM', subject: 'L_MAIL_SORT_SUBJECT', size: 'L_MAIL_SORT_SIZE', arrival: 'L_MAIL_SORT_DATE' };
  var POLL_MS = 60000;

  function t(key, fallback) {
    return Object.prototype.hasOwnProperty.call(L, key) ? L[key] : (fallback || key);
  }
  // t() with {name} placeholders.
  function tf(key, fallback, vars) {
    return t(key, fallback).replace(/\{(\w+)\}/g, function (m, k) {
      return Object.prototype.hasOwnProperty.call(vars, k) ? String(vars[k]) : m;
    });
  }

  function $(id) { return document.getElementById(id); }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  function icon(name, cls) {
    var svg = document.createElementNS(SVG_NS, 'svg');
    svg.setAttribute('class', 'icon' + (cls ? ' ' + cls : ''));
    svg.setAttribute('aria-hidden', 'true');
    var use = document.createElementNS(SVG_NS, 'use');
    use.setAttribute('href', '#i-' + name);
    svg.appendChild(use);
    return svg;
  }

  function setIcon(button, name) {
    var use = button.querySelector('use');
    if (use) use.setAttribute('href', '#i-' + name);
  }

  var numFmt;
  try { numFmt = new Intl.NumberFormat(LOCALE); } catch (e) { numFmt = new Intl.NumberFormat('en'); }
  function num(n) { return numFmt.format(n); }

  // Dates are shown in the user's time zone (settings "timeZone"), else the browser's.
  function zoneKnown(z) {
    try { new Intl.DateTimeFormat('en', { timeZone: z }); return true; } catch (e) { return false; }
  }
  // zone: undefined = the shown zone; 'UTC' for wall-clock times (below).
  function dtf(opts, zone) {
    var o = Object.assign({}, opts);
    if (zone || ZONE) o.timeZone = zone || ZONE;
    try { return new Intl.DateTimeFormat(LOCALE, o); } catch (e) { return new Intl.DateTimeFormat('en-GB', o); }
  }
  var fmtTime, fmtDay, fmtDate, fmtFull, fmtZone, fmtYmd;
  // A floating iCalendar time or a date without time is a wall-clock value,
  // the same in every zone: it is kept as that time in UTC and shown in UTC.
  var wall = {
    time: dtf({ hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }, 'UTC'),
    date: dtf({ day: 'numeric', month: 'short', year: 'numeric' }, 'UTC'),
    full: dtf({ weekday: 'short', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }, 'UTC'),
    ymd: dtf({ year: 'numeric', month: '2-digit', day: '2-digit' }, 'UTC')
  };
  function makeFormats() {
    ZONE = prefs.timeZone && zoneKnown(prefs.timeZone) ? prefs.timeZone : '';
    fmtTime = dtf({ hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    fmtDay = dtf({ day: 'numeric', month: 'short' });
    fmtDate = dtf({ day: 'numeric', month: 'short', year: 'numeric' });
    fmtFull = dtf({ weekday: 'short', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    fmtZone = dtf({ weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' });
    fmtYmd = dtf({ year: 'numeric', month: '2-digit', day: '2-digit' });
  }
  makeFormats();
  // "YYYY-MM-DD" of d in the shown zone: same day / same year tests.
  function dayKey(d) {
    var p = {};
    (d.wall ? wall.ymd : fmtYmd).formatToParts(d).forEach(function (x) { p[x.type] = x.value; });
    return p.year + '-' + p.month + '-' + p.day;
  }

  function shortDate(ts) {
    if (!ts) return '';
    var d = new Date(ts * 1000);
    var day = dayKey(d), today = dayKey(new Date());
    if (day === today) return fmtTime.format(d);
    if (day.slice(0, 4) === today.slice(0, 4)) return fmtDay.format(d);
    return fmtDate.format(d);
  }
  function fullDate(ts) { return ts ? fmtFull.format(new Date(ts * 1000)) : ''; }

  function size(bytes) {
    bytes = Number(bytes) || 0;
    if (bytes < 1024) return num(bytes) + ' ' + t('L_MAIL_UNIT_B', 'B');
    if (bytes < 1024 * 1024) return num(Math.round(bytes / 1024)) + ' ' + t('L_MAIL_UNIT_KB', 'KB');
    return (bytes / 1048576).toLocaleString(LOCALE, { maximumFractionDigits: 1 }) + ' ' + t('L_MAIL_UNIT_MB', 'MB');
  }

  function hashCode(s) {
    var h = 0;
    for (var i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
    return Math.abs(h);
  }
  function initials(name, email) {
    var src = (name || '').replace(/["'<>()]/g, '').trim();
    if (!src) src = (email || '?').split('@')[0];
    var parts = src.split(/[\s._-]+/).filter(Boolean);
    var s = parts.length > 1 ? parts[0][0] + parts[parts.length - 1][0] : src.slice(0, 2);
    return Array.from(s).slice(0, 2).join('').toUpperCase();
  }
  function fillAvatar(node, name, email) {
    node.textContent = initials(name, email);
    node.className = node.className.replace(/\bav-\d\b/g, '').trim() + ' av-' + (hashCode((email || name || '').toLowerCase()) % 8);
  }

  var isPhoneMq = window.matchMedia('(max-width: 700px)');
  function isPhone() { return isPhoneMq.matches; }

  function store(key, value) {
    try {
      if (value === undefined) return localStorage.getItem('petrel.' + key);
      localStorage.setItem('petrel.' + key, value);
    } catch (e) { /* private mode */ }
    return null;
  }

  // ---- elements -----------------------------------------------------------

  var app = $('app');
  var listEl = $('list');
  var listPane = $('list-pane');
  var foldersEl = $('folders');
  var searchForm = $('search-form');
  var searchInput = $('search-input');
  var selectAll = $('select-all');
  var toolbar = $('list-toolbar');
  var progress = $('progress');

  // ---- state ----------------------------------------------------------------

  var folders = [];
  var folderMap = new Map();
  var route = null;          // what the URL asks for
  var loaded = null;         // the list request whose answer is on screen
  var messages = [];
  var byUid = new Map();
  var total = 0;
  var selection = new Set();
  var cursor = null;         // uid of the keyboard row
  var anchor = null;         // uid where a shift range starts
  var openUid = null;        // uid shown in the preview
  var expanded = new Set();  // thread roots opened
  var collapsedFolders = new Set((store('collapsed') || '').split('\n').filter(Boolean));
  var listSeq = 0;
  var dragUids = null;
  var pushedM = false;       // the open message was pushed onto history (phone)
  var pendingSeen = new Set(); // opened (so \Seen on the server) before the list showed them

  // ---- API ----------------------------------------------------------------

  var busy = 0;
  var busyTimer = null;
  function setBusy(delta) {
    busy += delta;
    if (busy > 0 && !busyTimer && progress.hidden) {
      busyTimer = setTimeout(function () { busyTimer = null; if (busy > 0) progress.hidden = false; }, 120);
    } else if (busy <= 0) {
      busy = 0;
      clearTimeout(busyTimer);
      busyTimer = null;
      progress.hidden = true;
    }
  }

  function api(action, body, opts) {
    opts = opts || {};
    if (!opts.quiet) setBusy(1);
    return fetch('/api/' + action, {
      method: 'POST',
      credentials: 'same-origin',
      headers: {
        'Content-Type': 'application/json',
        'Accept': 'application/json',
        'X-Petrel-Token': boot.csrf || ''
      },
      body: JSON.stringify(body || {}),
      signal: opts.signal
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        if (resp.status === 401 && action !== 'Logout') {
          location.assign('/');
          throw Object.assign(new Error(t('L_ERROR_SESSION_EXPIRED', 'Your session has ended.')), { silent: true });
        }
        if (!resp.ok) {
          var err = (data && data.error) || {};
          throw Object.assign(new Error(err.message || t('L_ERROR_INTERNAL', 'An internal error occurred.')),
            { code: err.code, status: resp.status, detail: err.detail });
        }
        return data;
      });
    }, function (e) {
      if (e && e.name === 'AbortError') throw Object.assign(new Error('aborted'), { silent: true, aborted: true });
      throw new Error(t('L_ERROR_NETWORK', 'Petrel could not be reached.'));
    }).finally(function () {
      if (!opts.quiet) setBusy(-1);
    });
  }

  function fail(err) {
    if (err && err.silent) return;
    toast(err && err.message ? err.message : String(err), { error: true });
  }

  // ---- toasts ---------------------------------------------------------------

  function toast(text, opts) {
    opts = opts || {};
    var box = el('div', 'toast' + (opts.error ? ' error' : ''));
    box.setAttribute('role', opts.error ? 'alert' : 'status');
    box.appendChild(el('span', 'toast-text', text));
    var close = el('button', 'icon-btn');
    close.type = 'button';
    close.setAttribute('aria-label', t('L_MAIL_CLOSE', 'Close'));
    close.appendChild(icon('close', 'icon-sm'));
    box.appendChild(close);
    var toasts = $('toasts');
    while (toasts.children.length >= 3) toasts.firstChild.remove();
    toasts.appendChild(box);
    var gone = false;
    function dismiss() {
      if (gone) return;
      gone = true;
      box.classList.add('leaving');
      setTimeout(function () { box.remove(); }, 220);
    }
    close.addEventListener('click', dismiss);
    setTimeout(dismiss, opts.error ? 8000 : 4500);
  }

  // ---- routing ----------------------------------------------------------------

  function defaultRoute() {
    return { folder: boot.folder || 'INBOX', page: 1, sort: '-date', q: '', threads: !!prefs.threads, m: null, part: null };
  }

  function parseHash() {
    var r = defaultRoute();
    var h = location.hash.replace(/^#/, '');
    var qpos = h.indexOf('?');
    var pathPart = qpos >= 0 ? h.slice(0, qpos) : h;
    var query = new URLSearchParams(qpos >= 0 ? h.slice(qpos + 1) : '');
    var m = /^\/folder\/(.+)$/.exec(pathPart);
    if (m) {
      try {
        r.folder = m[1].split('/').map(decodeURIComponent).join('/');
      } catch (e) { /* keep the default */ }
    }
    var page = parseInt(query.get('page') || '1', 10);
    r.page = page > 0 ? page : 1;
    var sort = query.get('sort');
    if (sort && /^-?(date|from|subject|size|arrival)$/.test(sort)) r.sort = sort;
    r.q = query.get('q') || '';
    if (query.has('threads')) r.threads = query.get('threads') === '1';
    var uid = parseInt(query.get('m') || '', 10);
    r.m = uid > 0 ? uid : null;
    var part = query.get('part') || '';
    r.part = r.m && /^[1-9]\d{0,5}(\.[1-9]\d{0,5}){0,31}$/.test(part) ? part : null;
    return r;
  }

  function hashFor(r) {
    var q = new URLSearchParams();
    if (r.page > 1) q.set('page', String(r.page));
    if (r.sort && r.sort !== '-date') q.set('sort', r.sort);
    if (r.q) q.set('q', r.q);
    if (r.threads) q.set('threads', '1');
    if (r.m) q.set('m', String(r.m));
    if (r.m && r.part) q.set('part', r.part);
    var s = q.toString();
    return '#/folder/' + r.folder.split('/').map(encodeURIComponent).join('/') + (s ? '?' + s : '');
  }

  function navigate(changes, opts) {
    var next = Object.assign({}, route, changes);
    // Another message: none of its attached messages is open.
    if (!('part' in changes) && next.m !== route.m) next.part = null;
    var h = hashFor(next);
    if (h === location.hash) return;
    if (opts && opts.replace) {
      history.replaceState(null, '', h);
      onRoute();
    } else {
      location.hash = h;
    }
  }

  function listKey(r) {
    // Page size and zone too: a list drawn with other settings is drawn again.
    return JSON.stringify([r.folder, r.page, r.sort, r.q, r.threads, PER_PAGE, ZONE]);
  }

  // Settings pages (#/settings/...) are drawn by settings.js; the mailbox
  // keeps the folder it showed, so going back to mail costs no reload.
  var SETTINGS_HASH = /^#\/settings(\/|$)/;
  function inSettings() { return SETTINGS_HASH.test(location.hash); }

  var shownKey = null;    // listKey() of the list last asked for
  function onRoute() {
    if (/^#\/compose\b/.test(location.hash)) return;
    var prev = route;
    route = inSettings() && prev ? prev : parseHash();
    if (!prev || listKey(prev) !== listKey(route) || shownKey !== listKey(route)) {
      shownKey = listKey(route);
      var folderChanged = !prev || prev.folder !== route.folder || prev.q !== route.q;
      if (folderChanged) {
        selection.clear();
        cursor = anchor = null;
        expanded.clear();
      }
      syncControls();
      renderFolders();
      loadList({ skeleton: folderChanged || !loaded, keepScroll: false });
    }
    openUid = route.m;
    if (!route.m) pushedM = false;
    if (route.m && byUid.has(route.m)) {
      // A message opened by the URL (back, forward, a link) is the selected row.
      if (selection.size <= 1 && !selection.has(route.m)) {
        selection = new Set([route.m]);
        anchor = route.m;
      }
      cursor = route.m;
      updateSelectionUI();
    }
    if (prev && prev.folder !== route.folder) pendingSeen.clear();
    ensureMessage();
    updateView();
    renderPreview();
  }

  // ---- folders --------------------------------------------------------------

  function displayName(f) {
    if (!f) return '';
    if (f.special && SPECIAL_NAMES[f.special]) return t(SPECIAL_NAMES[f.special], f.name);
    return f.name || f.path;
  }
  function folderTitle(path) {
    var f = folderMap.get(path);
    if (f) return displayName(f);
    if (path.toUpperCase() === 'INBOX') return t('L_MAIL_INBOX', 'Inbox');
    var parts = path.split(/[/.]/);
    return parts[parts.length - 1];
  }
  function specialFolder(kind) {
    for (var i = 0; i < folders.length; i++) if (folders[i].special === kind) return folders[i];
    return null;
  }
  function currentSpecial() {
    var f = folderMap.get(route.folder);
    return f ? f.special : (route.folder.toUpperCase() === 'INBOX' ? 'inbox' : null);
  }

  function loadFolders(opts) {
    return api('Folders', {}, opts).then(function (data) {
      folders = (data && data.folders) || [];
      folderMap = new Map();
      folders.forEach(function (f) { folderMap.set(f.path, f); });
      renderFolders();
      renderHead();
      return data;
    });
  }

  function parentOf(f) {
    if (f.parent !== undefined && f.parent !== null) return f.parent;
    if (!f.delimiter) return null;
    var i = f.path.lastIndexOf(f.delimiter);
    return i > 0 ? f.path.slice(0, i) : null;
  }

  function renderFolders() {
    if (!folders.length || !route) return;
    var hasChildren = new Set();
    folders.forEach(function (f) { var p = parentOf(f); if (p) hasChildren.add(p); });
    var frag = document.createDocumentFragment();
    var lastSpecial = null;
    folders.forEach(function (f) {
      // Hide the descendants of collapsed parents.
      for (var p = parentOf(f); p; p = folderMap.has(p) ? parentOf(folderMap.get(p)) : null) {
        if (collapsedFolders.has(p)) return;
      }
      var depth = Math.min(7, f.depth !== undefined ? f.depth : 0);
      var li = el('li', 'depth-' + depth + (f.special ? ' folder-special-' + f.special : ''));
      li.dataset.path = f.path;
      if (hasChildren.has(f.path)) {
        var tw = el('button', 'twisty');
        tw.type = 'button';
        var open = !collapsedFolders.has(f.path);
        tw.setAttribute('aria-expanded', String(open));
        tw.setAttribute('aria-label', tf(open ? 'L_MAIL_COLLAPSE' : 'L_MAIL_EXPAND', open ? 'Collapse {name}' : 'Expand {name}', { name: displayName(f) }));
        tw.dataset.toggle = f.path;
        tw.appendChild(icon('chevron-right'));
        li.appendChild(tw);
      }
      var selectable = f.selectable !== false;
      var a = el(selectable ? 'a' : 'span', 'folder-link' + (selectable ? '' : ' unselectable') + (f.unseen > 0 ? ' has-unseen' : ''));
      if (selectable) {
        a.href = hashFor({ folder: f.path, page: 1, sort: route.sort, q: '', threads: route.threads, m: null });
        if (f.path === route.folder) a.setAttribute('aria-current', 'page');
      }
      a.appendChild(icon(SPECIAL_ICONS[f.special] || 'folder'));
      a.appendChild(el('span', 'folder-name', displayName(f)));
      a.title = f.path;
      if (f.subscribed === false && !f.special) {
        a.classList.add('unsubscribed');
        a.title = f.path + ' · ' + t('L_MAIL_FOLDER_UNSUBSCRIBED', 'Not subscribed');
      }
      if (f.unseen > 0) {
        var pill = el('span', 'pill', num(f.unseen));
        pill.setAttribute('aria-label', tf('L_MAIL_UNREAD_COUNT', '{n} unread', { n: num(f.unseen) }));
        a.appendChild(pill);
      }
      li.appendChild(a);
      var more = el('button', 'folder-more');
      more.type = 'button';
      more.dataset.folderMenu = f.path;
      more.setAttribute('aria-haspopup', 'menu');
      more.setAttribute('aria-expanded', 'false');
      more.setAttribute('aria-controls', 'folder-menu');
      more.setAttribute('aria-label', tf('L_MAIL_FOLDER_ACTIONS', 'Actions for {name}', { name: displayName(f) }));
      more.title = more.getAttribute('aria-label');
      more.appendChild(icon('more'));
      li.appendChild(more);
      if (f.special) lastSpecial = li;
      frag.appendChild(li);
    });
    if (lastSpecial && lastSpecial !== frag.lastChild) lastSpecial.classList.add('special-last');
    foldersEl.replaceChildren(frag);
    rebindFolderMenu();
  }

  foldersEl.addEventListener('click', function (ev) {
    var tw = ev.target.closest('[data-toggle]');
    if (tw) {
      var p = tw.dataset.toggle;
      if (collapsedFolders.has(p)) collapsedFolders.delete(p); else collapsedFolders.add(p);
      store('collapsed', Array.from(collapsedFolders).join('\n'));
      renderFolders();
      var again = foldersEl.querySelector('[data-toggle="' + CSS.escape(p) + '"]');
      if (again) again.focus();
      return;
    }
    if (ev.target.closest('a.folder-link')) closeDrawer();
  });

  // Drag and drop of messages onto folders.
  function dropTarget(ev) {
    var li = ev.target.closest && ev.target.closest('li[data-path]');
    if (!li || !dragUids) return null;
    var f = folderMap.get(li.dataset.path);
    if (!f || f.selectable === false || f.path === route.folder) return null;
    return li;
  }
  foldersEl.addEventListener('dragover', function (ev) {
    var li = dropTarget(ev);
    if (!li) return;
    ev.preventDefault();
    ev.dataTransfer.dropEffect = 'move';
    foldersEl.querySelectorAll('.drop-ok').forEach(function (n) { if (n !== li) n.classList.remove('drop-ok'); });
    li.classList.add('drop-ok');
  });
  foldersEl.addEventListener('dragleave', function (ev) {
    var li = ev.target.closest && ev.target.closest('li[data-path]');
    if (li && !li.contains(ev.relatedTarget)) li.classList.remove('drop-ok');
  });
  foldersEl.addEventListener('drop', function (ev) {
    var li = dropTarget(ev);
    foldersEl.querySelectorAll('.drop-ok').forEach(function (n) { n.classList.remove('drop-ok'); });
    if (!li) return;
    ev.preventDefault();
    var uids = dragUids;
    dragUids = null;
    moveMessages(uids, li.dataset.path);
  });

  // ---- message list -----------------------------------------------------------

  function renderSkeleton() {
    var frag = document.createDocumentFragment();
    for (var i = 0; i < 12; i++) {
      var r = el('div', 'row skeleton');
      r.setAttribute('aria-hidden', 'true');
      r.appendChild(el('span', 'sk-a'));
      r.appendChild(el('span', 'sk-b'));
      r.appendChild(el('span', 'sk-c'));
      frag.appendChild(r);
    }
    listEl.replaceChildren(frag);
    listEl.setAttribute('aria-busy', 'true');
  }

  function loadList(opts) {
    opts = opts || {};
    var seq = ++listSeq;
    var r = Object.assign({}, route);
    if (opts.skeleton) renderSkeleton();
    var body = {
      folder: r.folder,
      offset: (r.page - 1) * PER_PAGE,
      limit: PER_PAGE,
      sort: r.sort,
      threads: !!r.threads
    };
    if (r.q) body.search = r.q;
    return api('MessageList', body, { quiet: opts.quiet }).then(function (data) {
      if (seq !== listSeq) return;
      var list = (data && data.messages) || [];
      total = Number(data && data.total) || 0;
      if (!r.q && !r.threads && folderMap.has(r.folder) && folderMap.get(r.folder).total !== total) refreshCounts(); // SELECT saw mail a racing STATUS missed
      var lastPage = Math.max(1, Math.ceil(total / PER_PAGE));
      if (r.page > lastPage && total > 0) {
        navigate({ page: lastPage }, { replace: true });
        return;
      }
      loaded = r;
      setMessages(list);
      if (route.m && byUid.has(route.m) && !selection.size) {
        selection.add(route.m);
        cursor = anchor = route.m;
      }
      renderList(opts.keepScroll);
      renderHead();
      renderPreview();
      updateView();
    }).catch(function (err) {
      if (seq !== listSeq) return;
      listEl.removeAttribute('aria-busy');
      if (opts.skeleton || !loaded) {
        messages = [];
        byUid = new Map();
        total = 0;
        loaded = r;
        renderList();
        renderHead();
      }
      fail(err);
    });
  }

  function setMessages(list) {
    messages = list;
    byUid = new Map();
    var root = null;
    list.forEach(function (m) {
      if (pendingSeen.has(m.uid)) {
        pendingSeen.delete(m.uid);
        m.seen = true;
      }
      if (!m.threadDepth) root = m;
      m._root = m.threadDepth ? (root ? root.uid : m.uid) : m.uid;
      byUid.set(m.uid, m);
    });
    selection.forEach(function (uid) { if (!byUid.has(uid)) selection.delete(uid); });
    if (cursor !== null && !byUid.has(cursor)) cursor = null;
    if (anchor !== null && !byUid.has(anchor)) anchor = null;
  }

  function isHidden(m) {
    return route.threads && m.threadDepth > 0 && !expanded.has(m._root);
  }
  function visibleUids() {
    var out = [];
    messages.forEach(function (m) { if (!isHidden(m)) out.push(m.uid); });
    return out;
  }

  function rowFor(uid) { return $('msg-' + uid); }

  function senderFor(m) {
    var sp = currentSpecial();
    if ((sp === 'sent' || sp === 'drafts') && m.to && m.to.length) {
      var who = m.to.map(function (a) { return a.name || a.email; }).join(', ');
      return tf('L_MAIL_TO_PREFIX', 'To: {who}', { who: who });
    }
    var f = m.from || {};
    return f.name || f.email || t('L_MAIL_UNKNOWN_SENDER', '(unknown sender)');
  }

  function buildRow(m) {
    var row = el('div', 'row');
    row.id = 'msg-' + m.uid;
    row.dataset.uid = String(m.uid);
    row.setAttribute('role', 'option');
    row.draggable = true;
    if (m.threadDepth > 0) row.classList.add('reply', 'depth-' + Math.min(3, m.threadDepth));

    var check = el('span', 'row-check');
    var box = el('input');
    box.type = 'checkbox';
    box.tabIndex = -1;
    box.setAttribute('aria-label', t('L_MAIL_SELECT', 'Select'));
    check.appendChild(box);
    row.appendChild(check);

    var from = el('div', 'row-from');
    if (route.threads && !m.threadDepth && m.threadSize > 1) {
      var tt = el('button', 'thread-toggle');
      tt.type = 'button';
      tt.tabIndex = -1;
      tt.dataset.thread = String(m.uid);
      tt.setAttribute('aria-expanded', String(expanded.has(m.uid)));
      tt.setAttribute('aria-label', tf('L_MAIL_THREAD_TOGGLE', 'Conversation of {n}', { n: m.threadSize }));
      tt.appendChild(icon('chevron-right'));
      tt.appendChild(document.createTextNode(String(m.threadSize)));
      from.appendChild(tt);
    }
    var nameEl = el('span', 'row-from-name', senderFor(m));
    if (m.from && m.from.email) nameEl.title = m.from.email;
    from.appendChild(nameEl);
    if (m.draft) from.appendChild(el('span', 'draft-mark', t('L_MAIL_DRAFT', 'Draft')));
    row.appendChild(from);

    var date = el('time', 'row-date', shortDate(m.date));
    date.title = fullDate(m.date);
    if (m.date) date.dateTime = new Date(m.date * 1000).toISOString();
    row.appendChild(date);

    var star = el('button', 'row-star');
    star.type = 'button';
    star.tabIndex = -1;
    star.dataset.star = String(m.uid);
    star.appendChild(icon('star'));
    row.appendChild(star);

    var line2 = el('div', 'row-line2');
    var state = el('span', 'row-state');
    line2.appendChild(state);
    line2.appendChild(el('span', 'row-subject', m.subject || t('L_MAIL_NO_SUBJECT', '(no subject)')));
    if (m.preview) line2.appendChild(el('span', 'row-preview', m.preview));
    row.appendChild(line2);

    row.appendChild(el('span', 'row-size', size(m.size)));
    if (m.hasAttachments) {
      var clip = el('span', 'row-clip');
      clip.title = t('L_MAIL_HAS_ATTACHMENTS', 'Has attachments');
      clip.appendChild(icon('clip'));
      row.appendChild(clip);
    }
    updateRowFlags(row, m);
    return row;
  }

  function updateRowFlags(row, m) {
    row.classList.toggle('unread', !m.seen);
    row.classList.toggle('flagged', !!m.flagged);
    var star = row.querySelector('.row-star');
    star.setAttribute('aria-pressed', String(!!m.flagged));
    star.setAttribute('aria-label', t(m.flagged ? 'L_MAIL_UNFLAG' : 'L_MAIL_FLAG', m.flagged ? 'Remove star' : 'Star'));
    star.title = star.getAttribute('aria-label');
    var state = row.querySelector('.row-state');
    state.replaceChildren();
    if (m.answered) {
      var a = icon('reply', 'st-answered');
      state.appendChild(a);
      state.title = t('L_MAIL_ANSWERED', 'Answered');
    }
    if (m.forwarded) {
      state.appendChild(icon('forward', 'st-forwarded'));
      state.title = (state.title ? state.title + ', ' : '') + t('L_MAIL_FORWARDED', 'Forwarded');
    }
    if (!m.answered && !m.forwarded) state.removeAttribute('title');
  }

  function renderList(keepScroll) {
    var top = listEl.scrollTop;
    listEl.removeAttribute('aria-busy');
    if (!messages.length) {
      var box = el('div', 'list-empty');
      var inner = el('div', 'empty-state');
      var art = el('span', 'empty-art');
      art.appendChild(icon(route.q ? 'search' : SPECIAL_ICONS[currentSpecial()] || 'folder'));
      inner.appendChild(art);
      inner.appendChild(el('p', 'empty-title', t(route.q ? 'L_MAIL_NO_RESULTS' : 'L_MAIL_EMPTY', route.q ? 'Nothing found' : 'No messages')));
      inner.appendChild(el('p', 'empty-text', t(route.q ? 'L_MAIL_NO_RESULTS_HINT' : 'L_MAIL_EMPTY_HINT', '')));
      box.appendChild(inner);
      listEl.replaceChildren(box);
      listEl.removeAttribute('aria-activedescendant');
    } else {
      var frag = document.createDocumentFragment();
      messages.forEach(function (m) {
        var row = buildRow(m);
        if (isHidden(m)) row.hidden = true;
        frag.appendChild(row);
      });
      listEl.replaceChildren(frag);
    }
    listEl.scrollTop = keepScroll ? top : 0;
    updateSelectionUI();
    renderPager();
  }

  function renderPager() {
    var roots = route.threads ? messages.filter(function (m) { return !m.threadDepth; }).length : messages.length;
    var offset = ((loaded || route).page - 1) * PER_PAGE;
    var info = $('pager-info');
    if (!total) {
      info.textContent = '';
    } else {
      info.textContent = tf('L_MAIL_PAGER', '{from}–{to} of {total}', {
        from: num(offset + 1), to: num(offset + roots), total: num(total)
      });
    }
    $('page-prev').disabled = route.page <= 1;
    $('page-next').disabled = offset + roots >= total;
  }

  function renderHead() {
    if (!route) return;
    var name = folderTitle(route.folder);
    $('list-title').textContent = name;
    var f = folderMap.get(route.folder);
    var count = $('list-count');
    if (route.q) {
      count.textContent = loaded ? tf('L_MAIL_RESULTS', '{n} found', { n: num(total) }) : '';
    } else if (f) {
      count.textContent = f.unseen > 0
        ? tf('L_MAIL_COUNT_UNREAD', '{unseen} unread of {total}', { unseen: num(f.unseen), total: num(f.total || 0) })
        : tf('L_MAIL_COUNT', '{total} messages', { total: num(f.total || 0) });
    } else {
      count.textContent = '';
    }
    $('search-chip').hidden = !route.q;
    $('search-chip-text').textContent = route.q;
    document.title = name + (f && f.unseen > 0 ? ' (' + num(f.unseen) + ')' : '') + ' · ' + SITE_TITLE;
  }

  function syncControls() {
    if (document.activeElement !== searchInput) searchInput.value = route.q;
    searchForm.classList.toggle('has-value', !!searchInput.value);
    $('search-clear').hidden = !searchInput.value;
    var desc = route.sort.charAt(0) === '-';
    var field = route.sort.replace(/^-/, '');
    document.querySelectorAll('[data-sort-field]').forEach(function (b) {
      b.setAttribute('aria-checked', String(b.dataset.sortField === field));
    });
    document.querySelectorAll('[data-sort-dir]').forEach(function (b) {
      b.setAttribute('aria-checked', String((b.dataset.sortDir === 'desc') === desc));
    });
    $('sort-label').textContent = t(SORT_LABELS[field], field) + (desc ? ' ↓' : ' ↑');
    $('threads-btn').setAttribute('aria-pressed', String(!!route.threads));
    renderHead();
  }

  // ---- selection --------------------------------------------------------------

  function updateSelectionUI() {
    listEl.querySelectorAll('.row[data-uid]').forEach(function (row) {
      var uid = Number(row.dataset.uid);
      var sel = selection.has(uid);
      row.classList.toggle('selected', sel);
      row.setAttribute('aria-selected', String(sel));
      row.classList.toggle('cursor', uid === cursor);
      row.querySelector('input').checked = sel;
    });
    if (cursor !== null && rowFor(cursor)) listEl.setAttribute('aria-activedescendant', 'msg-' + cursor);
    else listEl.removeAttribute('aria-activedescendant');
    var vis = visibleUids();
    var n = vis.filter(function (u) { return selection.has(u); }).length;
    selectAll.checked = vis.length > 0 && n === vis.length;
    selectAll.indeterminate = n > 0 && n < vis.length;
    selectAll.disabled = !vis.length;
    var none = selection.size === 0;
    listPane.classList.toggle('no-selection', none);
    toolbar.querySelectorAll('[data-needs-selection]').forEach(function (b) { b.disabled = none; });
    var sp = currentSpecial();
    var arch = specialFolder('archive');
    var junk = specialFolder('junk');
    toolbar.querySelector('[data-action="archive"]').disabled = none || !arch || sp === 'archive';
    toolbar.querySelector('[data-action="spam"]').hidden = sp === 'junk';
    toolbar.querySelector('[data-action="spam"]').disabled = none || !junk;
    toolbar.querySelector('[data-action="notspam"]').hidden = sp !== 'junk';
    // Star button: shows what it will do.
    var targets = selectedMessages();
    var allFlagged = targets.length > 0 && targets.every(function (m) { return m.flagged; });
    var fb = toolbar.querySelector('[data-action="flag"]');
    fb.setAttribute('aria-label', t(allFlagged ? 'L_MAIL_UNFLAG' : 'L_MAIL_FLAG', 'Star'));
    fb.title = fb.getAttribute('aria-label') + ' (s)';
    renderPreview();
  }

  function selectedMessages() {
    var out = [];
    messages.forEach(function (m) { if (selection.has(m.uid)) out.push(m); });
    return out;
  }
  // What keyboard actions act on: the selection, else the cursor row.
  function targetUids() {
    if (selection.size) return messages.filter(function (m) { return selection.has(m.uid); }).map(function (m) { return m.uid; });
    if (cursor !== null && byUid.has(cursor)) return [cursor];
    return [];
  }

  function rangeUids(a, b) {
    var vis = visibleUids();
    var i = vis.indexOf(a), j = vis.indexOf(b);
    if (i < 0 || j < 0) return [b];
    if (i > j) { var x = i; i = j; j = x; }
    return vis.slice(i, j + 1);
  }

  function selectOnly(uid) {
    selection = new Set([uid]);
    cursor = anchor = uid;
  }

  function openMessage(uid, push) {
    openUid = uid;
    if (isPhone() || push) {
      pushedM = !route.m;
      navigate({ m: uid }, { replace: !!route.m });
    } else {
      navigate({ m: uid }, { replace: true });
    }
  }

  // A click or Enter on a draft also opens it for writing (compose.js).
  function editDraft(uid) {
    if (currentSpecial() === 'drafts' && window.PetrelCompose) {
      window.PetrelCompose.open({ mode: 'editAsNew', folder: route.folder, uid: uid });
    }
  }

  function moveCursor(delta, extend) {
    var vis = visibleUids();
    if (!vis.length) return;
    var i = cursor !== null ? vis.indexOf(cursor) : -1;
    var j = i < 0 ? (delta > 0 ? 0 : vis.length - 1) : Math.max(0, Math.min(vis.length - 1, i + delta));
    var uid = vis[j];
    if (extend) {
      if (anchor === null) anchor = cursor !== null ? cursor : uid;
      cursor = uid;
      selection = new Set(rangeUids(anchor, uid));
      updateSelectionUI();
    } else {
      selectOnly(uid);
      updateSelectionUI();
      if (!isPhone() || app.dataset.view === 'preview') openMessage(uid);
    }
    listEl.classList.add('kbd');
    var row = rowFor(uid);
    if (row) row.scrollIntoView({ block: 'nearest' });
  }

  listEl.addEventListener('click', function (ev) {
    var tt = ev.target.closest('[data-thread]');
    if (tt) {
      var root = Number(tt.dataset.thread);
      if (expanded.has(root)) expanded.delete(root); else expanded.add(root);
      tt.setAttribute('aria-expanded', String(expanded.has(root)));
      messages.forEach(function (m) {
        if (m._root === root && m.threadDepth > 0) {
          var r = rowFor(m.uid);
          if (r) r.hidden = isHidden(m);
          if (isHidden(m)) selection.delete(m.uid);
        }
      });
      updateSelectionUI();
      return;
    }
    var star = ev.target.closest('[data-star]');
    if (star) {
      var m = byUid.get(Number(star.dataset.star));
      if (m) setFlagged([m.uid], !m.flagged);
      return;
    }
    var row = ev.target.closest('.row[data-uid]');
    if (!row) return;
    var uid = Number(row.dataset.uid);
    var inCheck = ev.target.closest('.row-check');
    if (inCheck) {
      if (ev.shiftKey && anchor !== null) {
        rangeUids(anchor, uid).forEach(function (u) { selection.add(u); });
      } else {
        if (selection.has(uid)) selection.delete(uid); else selection.add(uid);
        anchor = uid;
      }
      cursor = uid;
      updateSelectionUI();
      return;
    }
    if (ev.shiftKey) {
      if (anchor === null) anchor = cursor !== null ? cursor : uid;
      var range = rangeUids(anchor, uid);
      if (!(ev.ctrlKey || ev.metaKey)) selection = new Set();
      range.forEach(function (u) { selection.add(u); });
      cursor = uid;
      updateSelectionUI();
    } else if (ev.ctrlKey || ev.metaKey) {
      if (selection.has(uid)) selection.delete(uid); else selection.add(uid);
      cursor = anchor = uid;
      updateSelectionUI();
    } else {
      selectOnly(uid);
      updateSelectionUI();
      openMessage(uid);
      editDraft(uid);
    }
    listEl.focus({ preventScroll: true });
  });
  // Keep shift-click from selecting text.
  listEl.addEventListener('mousedown', function (ev) {
    listEl.classList.remove('kbd');
    if (ev.shiftKey && ev.target.closest('.row')) ev.preventDefault();
  });

  listEl.addEventListener('dragstart', function (ev) {
    var row = ev.target.closest && ev.target.closest('.row[data-uid]');
    if (!row) return;
    var uid = Number(row.dataset.uid);
    if (!selection.has(uid)) {
      selectOnly(uid);
      updateSelectionUI();
    }
    dragUids = targetUids();
    var ghostText = dragUids.length === 1
      ? (byUid.get(dragUids[0]).subject || t('L_MAIL_NO_SUBJECT', '(no subject)'))
      : tf('L_MAIL_DRAG_N', '{n} messages', { n: num(dragUids.length) });
    $('drag-ghost-text').textContent = ghostText.length > 48 ? ghostText.slice(0, 47) + '…' : ghostText;
    ev.dataTransfer.effectAllowed = 'move';
    ev.dataTransfer.setData('text/plain', ghostText);
    try { ev.dataTransfer.setDragImage($('drag-ghost'), 18, 18); } catch (e) { /* old browsers */ }
    dragUids.forEach(function (u) { var r = rowFor(u); if (r) r.classList.add('dragging'); });
  });
  listEl.addEventListener('dragend', function () {
    listEl.querySelectorAll('.dragging').forEach(function (r) { r.classList.remove('dragging'); });
    foldersEl.querySelectorAll('.drop-ok').forEach(function (n) { n.classList.remove('drop-ok'); });
    setTimeout(function () { dragUids = null; }, 0);
  });

  selectAll.addEventListener('change', function () {
    if (selectAll.checked) visibleUids().forEach(function (u) { selection.add(u); });
    else selection.clear();
    updateSelectionUI();
  });

  // ---- actions ------------------------------------------------------------------

  function refreshCounts() {
    return loadFolders({ quiet: true }).catch(function () { /* the list still works */ });
  }

  function setSeen(uids, value) {
    if (!uids.length) return Promise.resolve();
    uids.forEach(function (u) { pendingSeen.delete(u); });
    var before = uids.map(function (u) { return [u, byUid.get(u).seen]; });
    uids.forEach(function (u) {
      var m = byUid.get(u);
      m.seen = value;
      var r = rowFor(u);
      if (r) updateRowFlags(r, m);
    });
    bumpUnseen(before.reduce(function (n, b) { return n + (b[1] === value ? 0 : (value ? -1 : 1)); }, 0));
    renderPreview();
    return api('MessageSetSeen', { folder: route.folder, uids: uids, value: value }).then(refreshCounts, function (err) {
      before.forEach(function (b) {
        var m = byUid.get(b[0]);
        if (!m) return;
        m.seen = b[1];
        var r = rowFor(b[0]);
        if (r) updateRowFlags(r, m);
      });
      renderPreview();
      refreshCounts();
      fail(err);
    });
  }

  // Optimistic unread count in the sidebar and the header.
  function bumpUnseen(delta) {
    var f = folderMap.get(route.folder);
    if (!f || !delta) return;
    f.unseen = Math.max(0, (f.unseen || 0) + delta);
    renderFolders();
    renderHead();
  }

  function setFlagged(uids, value) {
    if (!uids.length) return Promise.resolve();
    var before = uids.map(function (u) { return [u, byUid.get(u).flagged]; });
    uids.forEach(function (u) {
      var m = byUid.get(u);
      m.flagged = value;
      var r = rowFor(u);
      if (r) updateRowFlags(r, m);
    });
    updateSelectionUI();
    return api('MessageSetFlagged', { folder: route.folder, uids: uids, value: value }).catch(function (err) {
      before.forEach(function (b) {
        var m = byUid.get(b[0]);
        if (!m) return;
        m.flagged = b[1];
        var r = rowFor(b[0]);
        if (r) updateRowFlags(r, m);
      });
      updateSelectionUI();
      fail(err);
    });
  }

  function toggleSeen(uids) {
    var ms = uids.map(function (u) { return byUid.get(u); }).filter(Boolean);
    if (!ms.length) return;
    setSeen(uids, !ms.every(function (m) { return m.seen; }));
  }
  function toggleFlag(uids) {
    var ms = uids.map(function (u) { return byUid.get(u); }).filter(Boolean);
    if (!ms.length) return;
    setFlagged(uids, !ms.every(function (m) { return m.flagged; }));
  }

  // Rows leave the list at once; the list then reloads to refill the page.
  function removeRows(uids) {
    var gone = new Set(uids);
    var vis = visibleUids();
    var last = -1;
    vis.forEach(function (u, i) { if (gone.has(u)) last = i; });
    var next = null;
    for (var i = last + 1; i < vis.length; i++) if (!gone.has(vis[i])) { next = vis[i]; break; }
    if (next === null) for (var j = last - 1; j >= 0; j--) if (!gone.has(vis[j])) { next = vis[j]; break; }
    var wasOpen = openUid !== null && gone.has(openUid);
    uids.forEach(function (u) {
      var r = rowFor(u);
      if (r) r.classList.add('removing');
      selection.delete(u);
    });
    // The data changes now; only the rows fade out first. A list that
    // arrives in the meantime has replaced them already.
    messages = messages.filter(function (m) { return !gone.has(m.uid); });
    uids.forEach(function (u) { byUid.delete(u); });
    total = Math.max(0, total - uids.length);
    renderPager();
    var seq = listSeq;
    setTimeout(function () {
      if (seq !== listSeq) return;
      uids.forEach(function (u) { var r = rowFor(u); if (r) r.remove(); });
      if (!messages.length) renderList(true); else renderPager();
      updateSelectionUI();
    }, 180);
    cursor = anchor = next;
    if (wasOpen) {
      if (next !== null && !isPhone()) {
        selection = new Set([next]);
        openMessage(next);
      } else {
        openUid = null;
        navigate({ m: null }, { replace: true });
      }
    }
    return wasOpen;
  }

  function afterRemoval(promise, uids, okText) {
    return promise.then(function () {
      toast(okText);
      return Promise.all([refreshCounts(), loadList({ quiet: true, keepScroll: true })]);
    }, function (err) {
      fail(err);
      return Promise.all([refreshCounts(), loadList({ quiet: true, keepScroll: true })]);
    });
  }

  function moveMessages(uids, to) {
    if (!uids || !uids.length || to === route.folder) return;
    removeRows(uids);
    var p = api('MessageMove', { folder: route.folder, uids: uids, to: to });
    return afterRemoval(p, uids, tf('L_MAIL_MOVED', 'Moved to {folder}: {n}', { folder: folderTitle(to), n: num(uids.length) }));
  }

  function deleteMessages(uids) {
    if (!uids.length) return;
    var sp = currentSpecial();
    var trash = specialFolder('trash');
    var permanent = sp === 'trash' || sp === 'junk' || !trash;
    removeRows(uids);
    var p = api('MessageDelete', { folder: route.folder, uids: uids });
    return afterRemoval(p, uids, permanent
      ? tf('L_MAIL_DELETED_FOREVER', 'Deleted: {n}', { n: num(uids.length) })
      : tf('L_MAIL_MOVED', 'Moved to {folder}: {n}', { folder: displayName(trash), n: num(uids.length) }));
  }

  function archiveMessages(uids) {
    var f = specialFolder('archive');
    if (!f) { toast(t('L_MAIL_NO_ARCHIVE', 'There is no archive folder.'), { error: true }); return; }
    moveMessages(uids, f.path);
  }
  function spamMessages(uids) {
    var f = specialFolder('junk');
    if (!f) { toast(t('L_MAIL_NO_JUNK', 'There is no spam folder.'), { error: true }); return; }
    moveMessages(uids, f.path);
  }
  function notSpam(uids) {
    var f = specialFolder('inbox');
    moveMessages(uids, f ? f.path : 'INBOX');
  }

  function refresh() {
    return Promise.all([loadFolders().catch(fail), loadList({ keepScroll: true })]);
  }

  function runAction(action, uids) {
    switch (action) {
      case 'refresh': refresh(); break;
      case 'archive': archiveMessages(uids); break;
      case 'spam': spamMessages(uids); break;
      case 'notspam': notSpam(uids); break;
      case 'delete': deleteMessages(uids); break;
      case 'read': setSeen(uids, true); break;
      case 'unread': setSeen(uids, false); break;
      case 'flag': toggleFlag(uids); break;
      case 'deselect': selection.clear(); updateSelectionUI(); break;
      default: break;
    }
  }

  toolbar.addEventListener('click', function (ev) {
    var b = ev.target.closest('[data-action]');
    if (!b || b.disabled) return;
    runAction(b.dataset.action, targetUids());
  });
  $('preview-multi').addEventListener('click', function (ev) {
    var b = ev.target.closest('[data-action]');
    if (b) runAction(b.dataset.action, targetUids());
  });
  $('message').addEventListener('click', function (ev) {
    var b = ev.target.closest('[data-action]');
    if (!b || b.disabled || openUid === null) return;
    // A message opened by its URL may not be on the list's page.
    var m = byUid.get(openUid) || { uid: openUid, seen: true, flagged: false };
    switch (b.dataset.action) {
      case 'back': goBack(); break;
      case 'msg-archive': archiveMessages([m.uid]); break;
      case 'msg-spam': if (currentSpecial() === 'junk') notSpam([m.uid]); else spamMessages([m.uid]); break;
      case 'msg-delete': deleteMessages([m.uid]); break;
      case 'msg-unread': if (byUid.has(m.uid)) setSeen([m.uid], !m.seen); break;
      case 'msg-flag': if (byUid.has(m.uid)) setFlagged([m.uid], !m.flagged); break;
      case 'msg-prev': moveCursor(-1); break;
      case 'msg-next': moveCursor(1); break;
      default: break;
    }
  });

  // ---- pager, sort, threads, search ------------------------------------------------

  $('page-prev').addEventListener('click', function () { if (route.page > 1) navigate({ page: route.page - 1, m: null }); });
  $('page-next').addEventListener('click', function () { if (!$('page-next').disabled) navigate({ page: route.page + 1, m: null }); });

  $('sort-menu').addEventListener('click', function (ev) {
    var b = ev.target.closest('.menu-item');
    if (!b) return;
    var desc = route.sort.charAt(0) === '-';
    var field = route.sort.replace(/^-/, '');
    if (b.dataset.sortField) {
      field = b.dataset.sortField;
      desc = field === 'date' || field === 'size';
    } else if (b.dataset.sortDir) {
      desc = b.dataset.sortDir === 'desc';
    }
    closeMenus();
    navigate({ sort: (desc ? '-' : '') + field, page: 1, m: null });
  });

  $('threads-btn').addEventListener('click', function () {
    var on = !route.threads;
    // The toggle is the "threads" setting: the next visit starts the same way.
    prefs.threads = on;
    api('SettingsSave', { threads: on }, { quiet: true }).catch(function () { /* this view still follows the toggle */ });
    navigate({ threads: on, page: 1, m: null });
  });

  searchForm.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var q = searchInput.value.trim();
    searchInput.blur();
    navigate({ q: q, page: 1, m: null });
  });
  searchInput.addEventListener('input', function () {
    searchForm.classList.toggle('has-value', !!searchInput.value);
    $('search-clear').hidden = !searchInput.value;
  });
  function clearSearch() {
    searchInput.value = '';
    searchForm.classList.remove('has-value');
    $('search-clear').hidden = true;
    if (route.q) navigate({ q: '', page: 1, m: null });
  }
  $('search-clear').addEventListener('click', function () { clearSearch(); searchInput.focus(); });
  $('search-chip-clear').addEventListener('click', clearSearch);

  // ---- preview pane: the message view ------------------------------------------
  // One Message call per open (aborted when the user moves on); the header
  // shows at once from the list row, the body is Petrel's sanitized document
  // in a sandboxed iframe (no scripts, no same-origin): nothing of the mail
  // ever becomes markup of this page.

  var view = { key: null };
  var FRAME_SANDBOX = 'allow-popups allow-popups-to-escape-sandbox';
  var RCPT_SHORT = 3;

  function ensureMessage() {
    var key = route && route.m ? route.folder + '\n' + route.m + (route.part ? '\n' + route.part : '') : null;
    if (view.key === key) return;
    if (view.ctrl) view.ctrl.abort();
    var prev = view;
    view = { key: key };
    if (!key) return;
    var v = view;
    v.folder = route.folder;
    v.uid = route.m;
    v.part = route.part;
    // The way back from an attached message: the one it was opened from,
    // else (a link, a reload) the message itself.
    if (v.part) {
      var same = prev.folder === v.folder && prev.uid === v.uid;
      if (same && (!prev.part || v.part.indexOf(prev.part + '.') === 0)) {
        v.parent = { part: prev.part || null, subject: prev.data ? prev.data.subject : '', up: prev.parent };
      } else if (same && prev.parent && prev.parent.part === v.part) {
        v.parent = prev.parent.up;
      }
      v.parent = v.parent || { part: null, subject: '' };
    }
    v.loading = true;
    v.ctrl = window.AbortController ? new AbortController() : null;
    api('Message', msgTarget(v), { signal: v.ctrl ? v.ctrl.signal : undefined }).then(function (data) {
      if (view !== v) return;
      v.loading = false;
      v.ctrl = null;
      v.data = data && typeof data === 'object' ? data : {};
      if (!v.part) markOpenedSeen(v);
      renderPreview();
    }, function (err) {
      if (view !== v || (err && err.aborted)) return;
      v.loading = false;
      v.ctrl = null;
      v.error = err;
      if (err && err.silent) return;
      renderPreview();
    });
  }

  function retryMessage() {
    view = { key: null };
    ensureMessage();
    renderPreview();
  }

  // The server set \Seen when it answered: show it without a reload. With
  // a read delay (settings "readAfterSeconds") it did not: set it here once
  // the message has been open that long.
  function markOpenedSeen(v) {
    if (!route || v.folder !== route.folder) return;
    var delay = Number(prefs.readAfterSeconds) || 0;
    if (delay > 0) {
      if ((v.data.flags || []).indexOf('\\Seen') >= 0) return;
      setTimeout(function () {
        var m = byUid.get(v.uid);
        if (view !== v || !route || v.folder !== route.folder || !m || m.seen) return;
        setSeen([v.uid], true).catch(function () { /* the row shows it unread again */ });
      }, delay * 1000);
      return;
    }
    var m = byUid.get(v.uid);
    if (m) {
      if (m.seen) return;
      m.seen = true;
      var r = rowFor(v.uid);
      if (r) updateRowFlags(r, m);
      bumpUnseen(-1);
    } else {
      pendingSeen.add(v.uid);
      refreshCounts();
    }
  }

  function senderEmail(d) { return ((d && d.from && d.from.email) || '').toLowerCase(); }

  // Asks for the open message again without the loading skeleton (after the
  // sender's image setting changed: the server picks the body URL), and
  // loads its body frame afresh.
  function reloadMessage(v) {
    return api('Message', msgTarget(v)).then(function (data) {
      if (view !== v) return;
      v.data = data && typeof data === 'object' ? data : {};
      v.images = false;
      v.rev = (v.rev || 0) + 1;
      renderPreview();
    });
  }

  function withParam(url, param) { return url + (url.indexOf('?') >= 0 ? '&' : '?') + param; }
  function msgQuery(v) {
    return 'folder=' + encodeURIComponent(v.folder) + '&uid=' + encodeURIComponent(v.uid) +
      (v.part ? '&part=' + encodeURIComponent(v.part) : '');
  }
  // The API target of the open message: an attached one names its part.
  function msgTarget(v) {
    var b = { folder: v.folder, uid: v.uid };
    if (v.part) b.part = v.part;
    return b;
  }

  function addrText(a) {
    if (!a) return '';
    return a.name && a.email ? a.name + ' <' + a.email + '>' : (a.name || a.email || '');
  }

  function renderPreview() {
    if (!route) return;
    var multi = selection.size > 1;
    var show = !multi && openUid !== null && !!view.key;
    $('preview-multi').hidden = !multi;
    $('message').hidden = !show;
    $('preview-empty').hidden = multi || show;
    if (multi) {
      $('preview-multi-title').textContent = tf('L_MAIL_SELECTED_N', 'Selected: {n}', { n: num(selection.size) });
      return;
    }
    if (show) renderMessage();
  }

  function renderMessage() {
    var v = view;
    var d = v.data || {};
    var m = byUid.get(v.uid);
    var box = $('message');
    var known = v.data || (!v.part && m);   // something to draw the header from
    box.classList.toggle('is-loading', !!v.loading);
    box.classList.toggle('no-head', !known);
    box.setAttribute('aria-busy', String(!!v.loading));

    renderParentBar(v);
    var subject = v.data ? d.subject : !v.part && m && m.subject;
    $('msg-subject').textContent = known ? (subject || t('L_MAIL_NO_SUBJECT', '(no subject)')) : '';

    var badges = $('msg-badges');
    badges.replaceChildren();
    function badge(cls, ic, text) {
      var b = el('span', 'badge ' + cls);
      if (ic) b.appendChild(icon(ic));
      b.appendChild(document.createTextNode(text));
      badges.appendChild(b);
    }
    if (m && !v.part) {
      if (!m.seen) badge('badge-unread', 'mail', t('L_MAIL_UNREAD', 'Unread'));
      if (m.flagged) badge('badge-flag', 'star', t('L_MAIL_FLAGGED', 'Starred'));
      if (m.answered) badge('', 'reply', t('L_MAIL_ANSWERED', 'Answered'));
      if (m.forwarded) badge('', 'forward', t('L_MAIL_FORWARDED', 'Forwarded'));
      if (m.draft) badge('', 'drafts', t('L_MAIL_DRAFT', 'Draft'));
    }

    var from = (v.data ? d.from : known && m.from) || {};
    var avatar = $('msg-avatar');
    if (known) fillAvatar(avatar, from.name, from.email);
    else { avatar.textContent = ''; avatar.className = 'avatar avatar-lg'; }
    $('msg-from-name').textContent = known ? (from.name || from.email || t('L_MAIL_UNKNOWN_SENDER', '(unknown sender)')) : '';
    $('msg-from-email').textContent = from.name && from.email ? '<' + from.email + '>' : '';
    // For contacts.js ("add sender to contacts").
    document.dispatchEvent(new CustomEvent('petrel:sender', { detail: known && from.email ? { name: from.name || '', email: from.email } : null }));
    renderRecipients(v, known ? (v.data ? d : m) : null);

    var ts = v.data ? d.date : known && m.date;
    var date = $('msg-date');
    date.textContent = fullDate(ts);
    date.title = ts ? fmtZone.format(new Date(ts * 1000)) : '';
    if (ts) date.dateTime = new Date(ts * 1000).toISOString(); else date.removeAttribute('datetime');
    // The size the server knows is the whole message's, not an attached one's.
    var bytes = v.part ? null : d.size !== undefined ? d.size : known && m.size;
    $('msg-size').textContent = bytes !== undefined && bytes !== null ? size(bytes) : '';

    renderMsgToolbar(v, m);
    renderState(v, m);
    renderRemote(v);
    renderNotices(v);
    renderImagesNote(v);
    renderHeaders(v);
    renderCalendar(v);
    renderAttachments(v);
    renderBody(v);
  }

  // An attached message: what it is, and the way back to the message it
  // was opened from (a link, so the back button and the URL agree).
  function renderParentBar(v) {
    var bar = $('msg-parent');
    if (!bar) {
      bar = el('div', 'msg-parent');
      bar.id = 'msg-parent';
      var back = el('a', 'link-btn msg-parent-back');
      back.id = 'msg-parent-back';
      back.appendChild(icon('back'));
      back.appendChild(el('span', 'msg-parent-text'));
      bar.appendChild(back);
      bar.appendChild(el('span', 'msg-parent-label'));
      $('msg-scroll').insertBefore(bar, $('msg-scroll').firstChild);
    }
    bar.hidden = !v.part;
    if (!v.part) return;
    var p = v.parent || { part: null, subject: '' };
    var top = !p.part ? byUid.get(v.uid) : null;
    var subject = p.subject || (top && top.subject) || '';
    var link = $('msg-parent-back');
    link.href = hashFor(Object.assign({}, route, { part: p.part }));
    link.querySelector('.msg-parent-text').textContent = subject
      ? tf('L_MAIL_VIEW_BACK_TO', 'Back to “{subject}”', { subject: subject })
      : t('L_MAIL_VIEW_BACK_TO_MESSAGE', 'Back to the message');
    bar.querySelector('.msg-parent-label').textContent = t('L_MAIL_VIEW_ATTACHED', 'Attached message');
  }

  function sameAddr(a, b) {
    return !!(a && b && a.email && b.email && a.email.toLowerCase() === b.email.toLowerCase());
  }

  function renderRecipients(v, src) {
    var dl = $('msg-rcpts');
    dl.replaceChildren();
    if (!src) return;
    var groups = [['to', 'L_MAIL_TO', 'To'], ['cc', 'L_MAIL_VIEW_CC', 'Cc'], ['replyTo', 'L_MAIL_VIEW_REPLY_TO', 'Reply to']];
    groups.forEach(function (g) {
      var list = Array.isArray(src[g[0]]) ? src[g[0]].filter(Boolean) : [];
      // IMAP fills Reply-To with From when the header is absent: only a
      // different answer address is news.
      if (g[0] === 'replyTo' && list.every(function (a) { return sameAddr(a, src.from); })) return;
      if (!list.length && g[0] !== 'to') return;
      var row = el('div', 'msg-rcpt-row msg-rcpt-' + g[0]);
      row.appendChild(el('dt', 'msg-label', t(g[1], g[2])));
      var dd = el('dd', 'msg-rcpt-list');
      if (!list.length) dd.textContent = '—';
      var open = v.showAll && v.showAll[g[0]];
      var shown = open || list.length <= RCPT_SHORT + 1 ? list : list.slice(0, RCPT_SHORT);
      shown.forEach(function (a, i) {
        var s = el('span', 'rcpt', a.name || a.email || '');
        if (a.email) s.title = addrText(a);
        if (a.name && a.email) {
          s.appendChild(el('span', 'rcpt-email', ' <' + a.email + '>'));
        }
        dd.appendChild(s);
        if (i < shown.length - 1) dd.appendChild(document.createTextNode(', '));
      });
      if (shown.length < list.length) {
        var more = el('button', 'link-btn rcpt-more', tf('L_MAIL_VIEW_SHOW_ALL', 'and {n} more', { n: num(list.length - shown.length) }));
        more.type = 'button';
        more.dataset.rcptMore = g[0];
        more.setAttribute('aria-label', tf('L_MAIL_VIEW_SHOW_ALL_LABEL', 'Show all {n} recipients', { n: num(list.length) }));
        dd.appendChild(document.createTextNode(' '));
        dd.appendChild(more);
      }
      row.appendChild(dd);
      dl.appendChild(row);
    });
  }
  $('msg-rcpts').addEventListener('click', function (ev) {
    var b = ev.target.closest('[data-rcpt-more]');
    if (!b) return;
    view.showAll = view.showAll || {};
    view.showAll[b.dataset.rcptMore] = true;
    renderRecipients(view, view.data || byUid.get(view.uid));
  });

  function renderMsgToolbar(v, m) {
    var ub = $('msg-unread');
    var seen = m ? m.seen : true;
    ub.setAttribute('aria-label', t(seen ? 'L_MAIL_MARK_UNREAD' : 'L_MAIL_MARK_READ', 'Mark'));
    ub.title = ub.getAttribute('aria-label');
    setIcon(ub, seen ? 'mail' : 'mail-open');
    ub.disabled = !m;
    var fb = $('msg-flag');
    var flagged = !!(m && m.flagged);
    fb.setAttribute('aria-pressed', String(flagged));
    fb.setAttribute('aria-label', t(flagged ? 'L_MAIL_UNFLAG' : 'L_MAIL_FLAG', 'Star'));
    fb.title = fb.getAttribute('aria-label');
    fb.disabled = !m;
    var sp = $('message').querySelector('[data-action="msg-spam"]');
    var inJunk = currentSpecial() === 'junk';
    sp.setAttribute('aria-label', t(inJunk ? 'L_MAIL_NOT_SPAM' : 'L_MAIL_SPAM', 'Spam'));
    sp.title = sp.getAttribute('aria-label');
    setIcon(sp, inJunk ? 'notjunk' : 'junk');
    $('message').querySelector('[data-action="msg-archive"]').disabled = !specialFolder('archive') || currentSpecial() === 'archive';
    var raw = '/message/raw?' + msgQuery(v);
    $('msg-source').href = raw;
    $('msg-eml').href = raw + '&download=1';
    var pr = $('msg-print');
    var body = v.data && v.data.bodyUrl;
    pr.hidden = !body;
    if (body) pr.href = v.images ? withParam(body, 'images=1') : body;
  }

  function renderState(v, m) {
    var box = $('msg-state');
    var key = v.error ? 'error' : '';
    if (box.dataset.key === v.key + key) return;
    box.dataset.key = v.key + key;
    box.replaceChildren();
    box.hidden = !v.error;
    if (!v.error) return;
    var err = el('div', 'msg-error');
    err.setAttribute('role', 'alert');
    err.appendChild(icon('alert'));
    var txt = el('div', 'msg-error-text');
    txt.appendChild(el('p', 'msg-error-title', t('L_MAIL_VIEW_ERROR', 'This message could not be opened.')));
    var why = v.error.message || '';
    if (v.error.code === 'RemoteError' && v.error.detail) why += ' (' + v.error.detail + ')';
    txt.appendChild(el('p', 'msg-error-why', why));
    err.appendChild(txt);
    var retry = el('button', 'btn btn-secondary btn-slim', t('L_MAIL_VIEW_RETRY', 'Try again'));
    retry.type = 'button';
    retry.id = 'msg-retry';
    retry.addEventListener('click', retryMessage);
    err.appendChild(retry);
    box.appendChild(err);
    if (!m) $('msg-subject').textContent = t('L_MAIL_NO_SUBJECT', '(no subject)');
  }

  // Lines the server's plugins add above a message (plain text).
  function renderNotices(v) {
    var box = $('msg-notices');
    var list = (v.data && v.data.notices) || [];
    box.replaceChildren.apply(box, list.map(function (n) { return el('li', 'msg-notice', n); }));
    box.hidden = !list.length;
  }

  function renderRemote(v) {
    var bar = $('msg-remote');
    var d = v.data;
    bar.hidden = !(d && d.remoteBlocked && !v.images);
    if (bar.hidden) return;
    var who = senderEmail(d);
    var always = $('msg-always-images');
    always.hidden = !who;
    always.textContent = tf('L_MAIL_VIEW_ALWAYS_IMAGES', 'Always show images from {sender}', { sender: who });
    always.disabled = !!v.busyImages;
  }
  // The quiet note under the header when the server shows this sender's
  // images because the user asked so ("Always show images from …").
  function renderImagesNote(v) {
    var note = $('msg-images-note');
    var d = v.data;
    var who = senderEmail(d);
    note.hidden = !(d && d.imagesAllowedForSender && who);
    if (note.hidden) return;
    $('msg-images-note-text').textContent = tf('L_MAIL_VIEW_IMAGES_ALLOWED', 'Images from {sender} are always shown', { sender: who });
    var stop = $('msg-images-stop');
    stop.setAttribute('aria-label', tf('L_MAIL_VIEW_IMAGES_STOP_LABEL', 'Stop always showing images from {sender}', { sender: who }));
    stop.disabled = !!v.busyImages;
  }
  $('msg-show-images').addEventListener('click', function () {
    if (!view.data) return;
    view.images = true;
    renderPreview();
  });
  // The sender list lives on the server (ImagesAllow / ImagesDisallow); the
  // message is then asked for again, whose body URL loads images or not.
  function setSenderImages(allow) {
    var v = view;
    var who = senderEmail(v.data);
    if (!who || v.busyImages) return;
    v.busyImages = true;
    renderPreview();
    api(allow ? 'ImagesAllow' : 'ImagesDisallow', { sender: who }).then(function () {
      return reloadMessage(v);
    }).then(function () {
      toast(allow ? tf('L_MAIL_VIEW_ALWAYS_DONE', 'Images from {sender} will always be shown.', { sender: who })
        : tf('L_MAIL_VIEW_IMAGES_STOPPED', 'Images from {sender} will be blocked again.', { sender: who }));
    }, fail).then(function () {
      v.busyImages = false;
      if (view === v) renderPreview();
    });
  }
  $('msg-always-images').addEventListener('click', function () { setSenderImages(true); });
  $('msg-images-stop').addEventListener('click', function () { setSenderImages(false); });

  // "Show all headers": MessageHeaders on demand, shown as text (never
  // markup) in a panel above the body.
  function renderHeaders(v) {
    var sec = $('msg-headers');
    sec.hidden = !v.headers;
    $('msg-headers-toggle').setAttribute('aria-checked', String(!!v.headers));
    if (!v.headers) return;
    var pre = $('msg-headers-list');
    var key = v.key + '|' + v.headers.state;
    if (pre.dataset.key === key) return;
    pre.dataset.key = key;
    pre.replaceChildren();
    sec.classList.toggle('is-error', v.headers.state === 'error');
    if (v.headers.state !== 'ready') {
      pre.textContent = v.headers.state === 'error'
        ? t('L_MAIL_VIEW_HEADERS_ERROR', 'The headers could not be loaded.')
        : t('L_MAIL_VIEW_HEADERS_LOADING', 'Loading the headers…');
      return;
    }
    v.headers.list.forEach(function (h) {
      var line = el('span', 'hdr');
      line.appendChild(el('span', 'hdr-name', String((h && h.name) || '') + ':'));
      line.appendChild(document.createTextNode(' ' + String((h && h.value) || '').replace(/\r/g, '') + '\n'));
      pre.appendChild(line);
    });
  }
  function toggleHeaders(open) {
    var v = view;
    if (!v.key) return;
    if (!open) {
      v.headers = null;
      renderPreview();
      return;
    }
    v.headers = { state: 'loading' };
    renderPreview();
    api('MessageHeaders', msgTarget(v), { quiet: true }).then(function (data) {
      if (view !== v || !v.headers) return;
      v.headers = { state: 'ready', list: data && Array.isArray(data.headers) ? data.headers : [] };
      renderPreview();
    }, function () {
      if (view !== v || !v.headers) return;
      v.headers = { state: 'error' };
      renderPreview();
    });
  }
  $('msg-headers-toggle').addEventListener('click', function () {
    var open = !view.headers;
    closeMenus();
    toggleHeaders(open);
    if (open) $('msg-headers-list').focus({ preventScroll: true });
    else $('msg-more').focus();
  });
  $('msg-headers-close').addEventListener('click', function () {
    toggleHeaders(false);
    $('msg-more').focus();
  });

  // Start and end of an event as text; an end on the start's day is only
  // its time.
  function calRange(a, b) {
    var s = calTime(a), e = calTime(b);
    var ds = calDate(a), de = calDate(b);
    if (ds && de && !ds.wall === !de.wall && dayKey(ds) === dayKey(de) && typeof e === 'string' && e !== s) {
      e = (de.wall ? wall.time : fmtTime).format(de);
    }
    return s && e ? s + ' – ' + e : s;
  }
  function calDate(x) {
    if (typeof x === 'number') return new Date(x * 1000);
    var ic = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})?(Z)?$/.exec(String(x || '').trim());
    if (!ic) {
      var d = x ? new Date(x) : null;
      return d && !isNaN(d.getTime()) && /\d[T ]\d/.test(String(x)) ? d : null;
    }
    var parts = [+ic[1], +ic[2] - 1, +ic[3], +ic[4], +ic[5], +(ic[6] || 0)];
    var dt = new Date(Date.UTC.apply(null, parts));
    if (!ic[7]) dt.wall = true;
    return dt;
  }
  function calTime(x) {
    if (x === undefined || x === null || x === '') return '';
    if (typeof x === 'number') return fmtFull.format(new Date(x * 1000));
    // iCalendar's basic format: 20251020T100000Z (a floating time without Z
    // is shown as it is written, whatever the zone).
    var ic = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})?(Z)?)?$/.exec(String(x).trim());
    if (ic) {
      var parts = [+ic[1], +ic[2] - 1, +ic[3], +(ic[4] || 0), +(ic[5] || 0), +(ic[6] || 0)];
      var dt = new Date(Date.UTC.apply(null, parts));
      if (ic[7]) return fmtFull.format(dt);
      return ic[4] ? wall.full.format(dt) : wall.date.format(dt);
    }
    var d = new Date(x);
    return isNaN(d.getTime()) ? String(x) : fmtFull.format(d);
  }
  // Petrel's summary is "Label: value" lines (Event, Start, End, Location,
  // Organizer) plus "(Invitation)"; structured fields are used when given.
  function calendarOf(c) {
    if (!c || typeof c !== 'object') return null;
    if (typeof c.summary !== 'string' || c.start !== undefined) return c;
    var out = { method: c.method };
    var rest = [];
    c.summary.split(/\r?\n/).forEach(function (line) {
      var mm = /^(Event|Start|End|Location|Organizer):\s*(.*)$/.exec(line);
      if (mm) out[{ Event: 'summary', Start: 'start', End: 'end', Location: 'location', Organizer: 'organizer' }[mm[1]]] = mm[2];
      else if (/^\(invitation\)$/i.test(line.trim())) out.method = out.method || 'REQUEST';
      else if (/cancel/i.test(line)) out.method = 'CANCEL';
      else if (line.trim()) rest.push(line.trim());
    });
    if (!out.summary && !out.start && rest.length) out.summary = rest.join(' ');
    return out;
  }

  function renderCalendar(v) {
    var box = $('msg-calendar');
    var c = calendarOf(v.data && v.data.calendar);
    if (box.dataset.key === v.key && !box.hidden === !!c) return;
    box.dataset.key = v.key;
    box.hidden = !c;
    box.replaceChildren();
    if (box.hidden) return;
    var art = el('span', 'msg-cal-art');
    art.appendChild(icon('calendar'));
    box.appendChild(art);
    var body = el('div', 'msg-cal-body');
    var method = String(c.method || '').toUpperCase();
    body.appendChild(el('p', 'msg-cal-kind', t(method === 'CANCEL' ? 'L_MAIL_VIEW_CAL_CANCEL' : 'L_MAIL_VIEW_CAL_INVITE',
      method === 'CANCEL' ? 'Event cancelled' : 'Invitation')));
    body.appendChild(el('p', 'msg-cal-title', c.summary || c.title || t('L_MAIL_NO_SUBJECT', '(no subject)')));
    var dl = el('dl', 'msg-cal-facts');
    function fact(key, fb, val) {
      if (!val) return;
      var row = el('div');
      row.appendChild(el('dt', '', t(key, fb)));
      row.appendChild(el('dd', '', val));
      dl.appendChild(row);
    }
    fact('L_MAIL_VIEW_CAL_WHEN', 'When', calRange(c.start, c.end));
    fact('L_MAIL_VIEW_CAL_WHERE', 'Where', c.location);
    fact('L_MAIL_VIEW_CAL_ORGANIZER', 'Organizer', typeof c.organizer === 'object' ? addrText(c.organizer) : c.organizer);
    if (Array.isArray(c.attendees) && c.attendees.length) {
      fact('L_MAIL_VIEW_CAL_ATTENDEES', 'Attendees', c.attendees.map(function (a) { return typeof a === 'object' ? addrText(a) : String(a); }).join(', '));
    }
    body.appendChild(dl);
    box.appendChild(body);
  }

  function attIcon(type) {
    type = String(type || '').toLowerCase();
    if (type.indexOf('image/') === 0) return 'image';
    if (type === 'application/pdf') return 'pdf';
    if (/zip|compressed|x-tar|gzip|x-7z|x-rar/.test(type)) return 'zip';
    if (type === 'text/calendar') return 'calendar';
    if (type === 'message/rfc822') return 'mail';
    return 'file';
  }
  // Images and PDF open in a tab (Petrel serves them with their own CSP);
  // everything else only downloads.
  function attInline(type) {
    type = String(type || '').toLowerCase();
    return type === 'application/pdf' || /^image\/(png|jpe?g|gif|webp|avif|bmp)$/.test(type);
  }
  function attUrls(v, a) {
    var base = a.url || ('/message/part?' + msgQuery(v) + '&part=' + encodeURIComponent(a.part));
    base = base.replace(/([?&])download=1(&|$)/, function (all, pre, post) { return post ? pre : ''; });
    return { inline: base, download: a.downloadUrl || withParam(base, 'download=1') };
  }

  function renderAttachments(v) {
    var sec = $('msg-atts');
    var d = v.data;
    var list = d && Array.isArray(d.attachments) ? d.attachments : [];
    // Inline pictures of an HTML body are part of the body, not attachments.
    if (d && d.html !== null && d.html !== undefined) {
      list = list.filter(function (a) {
        if (a.inline !== undefined) return !a.inline;
        return !(a.cid && String(a.type || '').toLowerCase().indexOf('image/') === 0);
      });
    }
    if (sec.dataset.key === v.key + ':' + list.length) return;
    sec.dataset.key = v.key + ':' + list.length;
    sec.hidden = !list.length;
    // Two or more: all of them in one .zip as well.
    var zip = $('msg-att-zip');
    zip.hidden = list.length < 2;
    zip.href = '/message/zip?' + msgQuery(v);
    zip.setAttribute('aria-label', tf('L_MAIL_VIEW_ZIP_LABEL', 'Download all {n} attachments as one .zip file', { n: num(list.length) }));
    var ul = $('msg-att-list');
    ul.replaceChildren();
    if (!list.length) return;
    $('msg-atts-title').textContent = tf('L_MAIL_VIEW_ATTACHMENTS', 'Attachments: {n}', { n: num(list.length) });
    list.forEach(function (a) {
      var urls = attUrls(v, a);
      var name = a.name || t('L_MAIL_VIEW_UNNAMED', 'Unnamed attachment');
      var li = el('li', 'att');
      var main = el('a', 'att-main');
      var inline = attInline(a.type);
      var attached = a.message || String(a.type || '').toLowerCase() === 'message/rfc822';
      main.href = inline ? urls.inline : urls.download;
      if (attached) {
        // An attached message opens in this view, at a URL of its own.
        main.href = hashFor(Object.assign({}, route, { m: v.uid, part: a.part }));
        main.dataset.viewPart = a.part;
        main.title = tf('L_MAIL_VIEW_ATT_VIEW_LABEL', 'View the attached message {name}', { name: name });
      } else if (inline) {
        main.target = '_blank';
        main.rel = 'noopener noreferrer';
        main.title = tf('L_MAIL_VIEW_ATT_OPEN', 'Open {name} in a new tab', { name: name });
      } else {
        main.setAttribute('download', '');
        main.title = tf('L_MAIL_VIEW_ATT_DOWNLOAD', 'Download {name}', { name: name });
      }
      var ic = el('span', 'att-icon att-' + attIcon(a.type));
      ic.appendChild(icon(attIcon(a.type)));
      main.appendChild(ic);
      var txt = el('span', 'att-text');
      txt.appendChild(el('span', 'att-name', name));
      var meta = [];
      if (a.size !== undefined && a.size !== null) meta.push(size(a.size));
      if (a.type) meta.push(String(a.type).toLowerCase());
      txt.appendChild(el('span', 'att-meta', meta.join(' · ')));
      main.appendChild(txt);
      if (attached) main.appendChild(el('span', 'att-view', t('L_MAIL_VIEW_ATT_VIEW', 'View')));
      li.appendChild(main);
      var dl = el('a', 'icon-btn att-dl');
      dl.href = urls.download;
      dl.setAttribute('download', '');
      dl.setAttribute('aria-label', tf('L_MAIL_VIEW_ATT_DOWNLOAD', 'Download {name}', { name: name }));
      dl.title = dl.getAttribute('aria-label');
      dl.appendChild(icon('download'));
      li.appendChild(dl);
      ul.appendChild(li);
    });
  }

  function renderBody(v) {
    var box = $('msg-body');
    var d = v.data;
    var state = v.loading ? 'loading' : v.error ? 'error' : !d ? 'none'
      : d.bodyUrl ? 'frame:' + (v.images ? 1 : 0) + ':' + (v.rev || 0) : d.text ? 'text' : 'empty';
    if (box.dataset.key === v.key + '|' + state) return;
    box.dataset.key = v.key + '|' + state;
    box.className = 'msg-body msg-body-' + state.replace(/:.*/, '');
    if (state === 'loading') {
      var sk = el('div', 'msg-skeleton');
      sk.setAttribute('aria-label', t('L_MAIL_LOADING', 'Loading'));
      sk.setAttribute('role', 'status');
      for (var i = 0; i < 7; i++) sk.appendChild(el('span', 'sk-line'));
      box.replaceChildren(sk);
    } else if (state.indexOf('frame') === 0) {
      // A new element for every document: changing an iframe's src would
      // add entries to the page's history.
      var f = document.createElement('iframe');
      f.className = 'msg-frame';
      f.id = 'msg-frame';
      f.setAttribute('sandbox', FRAME_SANDBOX);
      f.setAttribute('referrerpolicy', 'no-referrer');
      f.title = t('L_MAIL_VIEW_BODY_TITLE', 'Message text');
      f.src = v.images ? withParam(d.bodyUrl, 'images=1') : d.bodyUrl;
      f.addEventListener('load', keepFocusOnPage);
      box.replaceChildren(f);
    } else if (state === 'text') {
      box.replaceChildren(el('div', 'msg-text', d.text));
    } else if (state === 'empty') {
      box.replaceChildren(el('p', 'msg-empty-body', t('L_MAIL_VIEW_NO_BODY', 'This message has no text.')));
    } else {
      box.replaceChildren();
    }
  }

  // The body frame is sandboxed without same-origin: keys pressed inside it
  // never reach this page, so j/k, Delete, Escape… would die after a click
  // into the mail. Whenever the frame takes the focus (a click, or the load
  // of its document), the focus comes back to the preview pane at once.
  // Selecting text with the mouse still works; copying it goes through the
  // context menu (Ctrl+C would copy from this page, not from the frame).
  function keepFocusOnPage() {
    var f = $('msg-frame');
    if (!f || document.activeElement !== f) return;
    $('preview').focus({ preventScroll: true });
  }
  window.addEventListener('blur', function () { setTimeout(keepFocusOnPage, 0); });

  // ---- phone views and the drawer --------------------------------------------

  var placeholders = [searchInput.placeholder, t('L_MAIL_SEARCH', 'Search mail')];
  function updateView() {
    app.dataset.view = inSettings() ? 'settings' : isPhone() && route && route.m ? 'preview' : 'list';
    searchInput.placeholder = placeholders[isPhone() ? 1 : 0];
  }
  isPhoneMq.addEventListener('change', function () { updateView(); closeDrawer(); });

  function goBack() {
    if (pushedM) {
      pushedM = false;
      history.back();
    } else {
      navigate({ m: null }, { replace: true });
    }
    var r = cursor !== null ? rowFor(cursor) : null;
    if (r) r.scrollIntoView({ block: 'nearest' });
    listEl.focus({ preventScroll: true });
  }

  var drawerBtn = $('drawer-open');
  function openDrawer() {
    app.classList.add('drawer-open');
    $('scrim').hidden = false;
    drawerBtn.setAttribute('aria-expanded', 'true');
    var cur = foldersEl.querySelector('[aria-current="page"]') || foldersEl.querySelector('a');
    if (cur) cur.focus();
  }
  function closeDrawer() {
    if (!app.classList.contains('drawer-open')) return false;
    app.classList.remove('drawer-open');
    $('scrim').hidden = true;
    drawerBtn.setAttribute('aria-expanded', 'false');
    return true;
  }
  drawerBtn.addEventListener('click', openDrawer);
  $('drawer-close').addEventListener('click', function () { closeDrawer(); drawerBtn.focus(); });
  $('scrim').addEventListener('click', closeDrawer);

  // ---- menus ----------------------------------------------------------------------

  var openMenuBtn = null;
  function closeMenus(refocus) {
    if (!openMenuBtn) return false;
    var menu = $(openMenuBtn.getAttribute('aria-controls'));
    menu.hidden = true;
    openMenuBtn.setAttribute('aria-expanded', 'false');
    if (menu === folderMenu) {
      menuFolder = null;
      foldersEl.querySelectorAll('.menu-open').forEach(function (n) { n.classList.remove('menu-open'); });
    }
    if (refocus) openMenuBtn.focus();
    openMenuBtn = null;
    return true;
  }
  function toggleMenu(btn, build) {
    var wasOpen = openMenuBtn === btn;
    closeMenus();
    if (wasOpen) return;
    if (build) build();
    var menu = $(btn.getAttribute('aria-controls'));
    menu.hidden = false;
    btn.setAttribute('aria-expanded', 'true');
    openMenuBtn = btn;
    var first = menu.querySelector('.menu-item[aria-checked="true"]:not([disabled])') || menu.querySelector('.menu-item:not([disabled])');
    if (first) first.focus();
  }
  document.addEventListener('click', function (ev) {
    if (openMenuBtn && !ev.target.closest('.menu-wrap, #folder-menu, [data-folder-menu]')) closeMenus();
  });

  $('sort-btn').addEventListener('click', function () { toggleMenu($('sort-btn')); });
  $('user-btn').addEventListener('click', function () { toggleMenu($('user-btn')); });
  $('move-btn').addEventListener('click', function () { toggleMenu($('move-btn'), buildMoveMenu); });
  $('msg-more').addEventListener('click', function () { toggleMenu($('msg-more')); });
  $('msg-menu').addEventListener('click', function (ev) {
    if (ev.target.closest('a.menu-item, [data-compose]')) setTimeout(function () { closeMenus(); }, 0);
  });

  function buildMoveMenu() {
    var menu = $('move-menu');
    var frag = document.createDocumentFragment();
    frag.appendChild(el('p', 'menu-label', t('L_MAIL_MOVE_TO', 'Move to')));
    folders.forEach(function (f) {
      if (f.selectable === false) return;
      var b = el('button', 'menu-item depth-' + Math.min(5, f.depth || 0));
      b.type = 'button';
      b.setAttribute('role', 'menuitem');
      b.dataset.moveTo = f.path;
      b.disabled = f.path === route.folder;
      b.appendChild(icon(SPECIAL_ICONS[f.special] || 'folder'));
      b.appendChild(el('span', '', displayName(f)));
      frag.appendChild(b);
    });
    menu.replaceChildren(frag);
  }
  $('move-menu').addEventListener('click', function (ev) {
    var b = ev.target.closest('[data-move-to]');
    if (!b || b.disabled) return;
    closeMenus();
    moveMessages(targetUids(), b.dataset.moveTo);
  });

  $('user-menu').addEventListener('click', function (ev) {
    var b = ev.target.closest('[data-action]');
    if (!b) {
      if (ev.target.closest('a.menu-item')) closeMenus();
      return;
    }
    closeMenus();
    if (b.dataset.action === 'logout') logout();
    if (b.dataset.action === 'help') openHelp();
  });

  function logout() {
    api('Logout', {}).catch(function () { /* leave anyway */ }).then(function () {
      location.assign('/');
    });
  }

  // ---- help overlay ----------------------------------------------------------------

  var helpReturn = null;
  function openHelp() {
    helpReturn = document.activeElement;
    $('help').hidden = false;
    $('help').querySelector('.dialog').focus();
  }
  function closeHelp() {
    if ($('help').hidden) return false;
    $('help').hidden = true;
    if (helpReturn && helpReturn.focus) helpReturn.focus();
    return true;
  }
  $('help-open').addEventListener('click', openHelp);
  $('help').addEventListener('click', function (ev) {
    if (ev.target === $('help') || ev.target.closest('[data-action="help-close"]')) closeHelp();
  });

  // ---- folder management: new folder, context menu, rename, delete, subscribe, empty ----
  // Every change goes through the JSON API and ends with a fresh folder list;
  // the server has the last word on names, the checks here only spare a trip.

  var folderMenu = $('folder-menu');
  var menuFolder = null;       // path the folder menu was opened for
  var PROTECTED = { inbox: true, drafts: true, sent: true, junk: true, trash: true, archive: true };
  var CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

  function delimiter() {
    var inbox = folderMap.get('INBOX');
    if (inbox && inbox.delimiter) return inbox.delimiter;
    for (var i = 0; i < folders.length; i++) if (folders[i].delimiter) return folders[i].delimiter;
    return '/';
  }
  function isProtected(f) {
    return !!f && (!!PROTECTED[f.special] || f.path.toUpperCase() === 'INBOX');
  }
  function isInside(path, ancestor) {
    return path === ancestor || path.indexOf(ancestor + delimiter()) === 0;
  }
  function folderButton(path) {
    return foldersEl.querySelector('[data-folder-menu="' + CSS.escape(path) + '"]');
  }
  function menuItem(action) { return folderMenu.querySelector('[data-folder-action="' + action + '"]'); }

  // The folder list is redrawn by polls and count updates: keep an open
  // menu tied to the new button of its folder.
  function rebindFolderMenu() {
    if (!menuFolder || folderMenu.hidden) return;
    var b = folderButton(menuFolder);
    if (!b || !folderMap.has(menuFolder)) { closeMenus(); return; }
    b.setAttribute('aria-expanded', 'true');
    b.closest('li').classList.add('menu-open');
    openMenuBtn = b;
  }

  function buildFolderMenu(f) {
    $('folder-menu-title').textContent = displayName(f);
    var prot = isProtected(f);
    menuItem('rename').disabled = prot;
    menuItem('delete').disabled = prot;
    var canEmpty = f.special === 'trash' || f.special === 'junk';
    menuItem('empty').hidden = !canEmpty;
    folderMenu.querySelector('[data-for="empty"]').hidden = !canEmpty;
    menuItem('empty').disabled = canEmpty && Number(f.total) === 0;
    var sub = menuItem('subscribe');
    var subscribed = f.subscribed !== false;
    sub.querySelector('span').textContent = subscribed ? t('L_MAIL_FOLDER_UNSUBSCRIBE', 'Unsubscribe') : t('L_MAIL_FOLDER_SUBSCRIBE', 'Subscribe');
    setIcon(sub, subscribed ? 'eye-off' : 'eye');
    sub.disabled = f.path.toUpperCase() === 'INBOX';
    $('folder-menu-note').hidden = !prot;
  }

  function placeFolderMenu(point, rect) {
    folderMenu.style.left = '0px';
    folderMenu.style.top = '0px';
    var w = folderMenu.offsetWidth;
    var h = folderMenu.offsetHeight;
    var vw = document.documentElement.clientWidth;
    var vh = document.documentElement.clientHeight;
    var x, y;
    if (point) {
      x = point.x;
      y = point.y;
      if (y + h > vh - 8) y = point.y - h;
    } else {
      x = rect.left;
      y = rect.bottom + 4;
      if (y + h > vh - 8) y = rect.top - h - 4;
    }
    x = Math.max(8, Math.min(x, vw - w - 8));
    y = Math.max(8, Math.min(y, vh - h - 8));
    folderMenu.style.left = Math.round(x) + 'px';
    folderMenu.style.top = Math.round(y) + 'px';
  }

  // point: where a right click or long press happened; without it the menu
  // hangs under the folder's ⋯ button. force: open even if already open.
  function openFolderMenu(path, point, force) {
    var f = folderMap.get(path);
    var btn = folderButton(path);
    if (!f || !btn) return;
    if (openMenuBtn === btn && !force) { closeMenus(true); return; }
    closeMenus();
    menuFolder = path;
    buildFolderMenu(f);
    folderMenu.hidden = false;
    btn.setAttribute('aria-expanded', 'true');
    var li = btn.closest('li');
    li.classList.add('menu-open');
    openMenuBtn = btn;
    placeFolderMenu(point, (li.querySelector('.folder-link') || btn).getBoundingClientRect());
    var first = folderMenu.querySelector('.menu-item:not([disabled]):not([hidden])');
    if (first) first.focus({ preventScroll: true });
  }

  foldersEl.addEventListener('click', function (ev) {
    var b = ev.target.closest('[data-folder-menu]');
    if (!b) return;
    ev.preventDefault();
    openFolderMenu(b.dataset.folderMenu);
  });
  foldersEl.addEventListener('contextmenu', function (ev) {
    var li = ev.target.closest('li[data-path]');
    if (!li) return;
    ev.preventDefault();
    // A long press already opened it (Chrome on Android fires both).
    if (menuFolder === li.dataset.path && !folderMenu.hidden && pressFired) return;
    var fromKeyboard = ev.clientX === 0 && ev.clientY === 0;
    openFolderMenu(li.dataset.path, fromKeyboard ? null : { x: ev.clientX, y: ev.clientY }, true);
  });

  // Long press on touch screens.
  var pressTimer = 0;
  var pressFired = false;
  var pressAt = null;
  foldersEl.addEventListener('touchstart', function (ev) {
    var li = ev.target.closest('li[data-path]');
    pressFired = false;
    clearTimeout(pressTimer);
    if (!li || ev.touches.length !== 1 || ev.target.closest('[data-folder-menu], [data-toggle]')) return;
    pressAt = { x: ev.touches[0].clientX, y: ev.touches[0].clientY };
    pressTimer = setTimeout(function () {
      pressFired = true;
      openFolderMenu(li.dataset.path, pressAt, true);
    }, 550);
  }, { passive: true });
  foldersEl.addEventListener('touchmove', function (ev) {
    if (!pressAt || !ev.touches.length) return;
    var dx = ev.touches[0].clientX - pressAt.x;
    var dy = ev.touches[0].clientY - pressAt.y;
    if (dx * dx + dy * dy > 100) clearTimeout(pressTimer);
  }, { passive: true });
  foldersEl.addEventListener('touchend', function (ev) {
    clearTimeout(pressTimer);
    if (pressFired) ev.preventDefault();   // no click, the menu stays
  });
  foldersEl.addEventListener('touchcancel', function () { clearTimeout(pressTimer); });
  foldersEl.addEventListener('click', function (ev) {
    if (!pressFired) return;
    pressFired = false;
    ev.preventDefault();
    ev.stopPropagation();
  }, true);

  folderMenu.addEventListener('click', function (ev) {
    var b = ev.target.closest('[data-folder-action]');
    if (!b || b.disabled) return;
    var f = folderMap.get(menuFolder);
    var ret = openMenuBtn;
    closeMenus();
    if (!f) return;
    switch (b.dataset.folderAction) {
      case 'subfolder': openFolderDialog({ mode: 'create', parent: f.path, returnTo: ret }); break;
      case 'rename': openFolderDialog({ mode: 'rename', folder: f, returnTo: ret }); break;
      case 'delete': openFolderDialog({ mode: 'delete', folder: f, returnTo: ret }); break;
      case 'empty': openFolderDialog({ mode: 'empty', folder: f, returnTo: ret }); break;
      case 'subscribe': toggleSubscribed(f); break;
      default: break;
    }
  });

  $('folder-new').addEventListener('click', function () {
    openFolderDialog({ mode: 'create', parent: '', returnTo: $('folder-new') });
  });

  // Server refusals: the localized message, plus the mail server's own
  // words when it was the one saying no.
  function folderFail(err) {
    if (err && err.silent) return;
    var text = err && err.message ? err.message : String(err);
    if (err && err.code === 'RemoteError' && err.detail) text += ' (' + err.detail + ')';
    toast(text, { error: true });
  }

  // ---- the folder dialog (create, rename, confirm delete / empty) ----

  var fdOverlay = $('folder-dialog');
  var fdForm = $('fd-form');
  var fdName = $('fd-name');
  var fdParent = $('fd-parent');
  var fdSubmit = $('fd-submit');
  var fdState = null;

  function fillParents(exclude, selected) {
    var frag = document.createDocumentFragment();
    var top = el('option', '', t('L_MAIL_FOLDER_PARENT_NONE', 'Top level'));
    top.value = '';
    frag.appendChild(top);
    folders.forEach(function (f) {
      if (exclude && isInside(f.path, exclude)) return;
      var o = el('option', '', '\u00a0\u00a0\u00a0'.repeat(Math.min(7, f.depth || 0)) + displayName(f));
      o.value = f.path;
      frag.appendChild(o);
    });
    fdParent.replaceChildren(frag);
    fdParent.value = selected && folderMap.has(selected) ? selected : '';
  }

  function showFdError(text) {
    var box = $('fd-error');
    box.textContent = text;
    box.hidden = !text;
    if (text) fdName.setAttribute('aria-invalid', 'true'); else fdName.removeAttribute('aria-invalid');
  }

  function openFolderDialog(state) {
    fdState = state;
    if (!state.returnTo) state.returnTo = document.activeElement;
    var confirm = state.mode === 'delete' || state.mode === 'empty';
    var f = state.folder;
    $('fd-confirm').hidden = !confirm;
    $('fd-name-field').hidden = confirm;
    $('fd-parent-field').hidden = confirm;
    fdForm.classList.toggle('fd-danger', confirm);
    fdForm.dataset.mode = state.mode;
    showFdError('');
    fdSubmit.disabled = false;
    fdForm.removeAttribute('aria-busy');
    var delim = delimiter();
    $('fd-hint').textContent = tf('L_MAIL_FOLDER_HINT', 'Type {delim} in the name to make subfolders in one go.', { delim: delim });
    if (state.mode === 'create') {
      $('fd-title').textContent = state.parent ? t('L_MAIL_FOLDER_NEW_SUB', 'New subfolder') : t('L_MAIL_FOLDER_NEW', 'New folder');
      fdSubmit.textContent = t('L_MAIL_FOLDER_CREATE', 'Create');
      fillParents(null, state.parent);
      fdName.value = '';
    } else if (state.mode === 'rename') {
      $('fd-title').textContent = t('L_MAIL_FOLDER_RENAME_TITLE', 'Rename folder');
      fdSubmit.textContent = t('L_MAIL_FOLDER_SAVE', 'Rename');
      var parent = parentOf(f);
      fillParents(f.path, parent);
      fdName.value = parent ? f.path.slice(parent.length + delim.length) : f.path;
    } else if (state.mode === 'delete') {
      $('fd-title').textContent = t('L_MAIL_FOLDER_DELETE_TITLE', 'Delete folder?');
      fdSubmit.textContent = t('L_MAIL_FOLDER_CONFIRM_DELETE', 'Delete');
      $('fd-text').textContent = tf('L_MAIL_FOLDER_DELETE_TEXT', 'The folder “{name}” will be deleted.', { name: displayName(f) });
      var sub = tf('L_MAIL_FOLDER_DELETE_COUNT', 'Messages in it: {n}.', { n: num(Number(f.total) || 0) });
      var hasKids = folders.some(function (x) { return x.path !== f.path && isInside(x.path, f.path); });
      if (hasKids) sub += ' ' + t('L_MAIL_FOLDER_DELETE_CHILDREN', 'Its subfolders are kept.');
      $('fd-subtext').textContent = sub;
    } else {
      $('fd-title').textContent = t('L_MAIL_FOLDER_EMPTY_TITLE', 'Empty folder?');
      fdSubmit.textContent = t('L_MAIL_FOLDER_CONFIRM_EMPTY', 'Empty');
      $('fd-text').textContent = tf('L_MAIL_FOLDER_EMPTY_TEXT', 'All messages in “{name}” will be deleted for good.', { name: displayName(f) });
      $('fd-subtext').textContent = tf('L_MAIL_FOLDER_EMPTY_COUNT', 'Messages: {n}.', { n: num(Number(f.total) || 0) });
    }
    fdForm.setAttribute('aria-describedby', confirm ? 'fd-text fd-subtext' : 'fd-hint');
    fdOverlay.hidden = false;
    if (confirm) {
      fdForm.querySelector('.dialog-foot [data-action="fd-cancel"]').focus();
    } else {
      fdName.focus();
      fdName.select();
    }
  }

  function closeFolderDialog() {
    if (fdOverlay.hidden) return false;
    fdOverlay.hidden = true;
    var st = fdState;
    fdState = null;
    var back = st && st.returnTo;
    if (back && !back.isConnected && back.dataset && back.dataset.folderMenu) back = folderButton(back.dataset.folderMenu);
    if (!back || !back.isConnected) back = $('folder-new');
    if (back && back.focus) back.focus({ preventScroll: true });
    return true;
  }

  fdOverlay.addEventListener('click', function (ev) {
    if (ev.target === fdOverlay || ev.target.closest('[data-action="fd-cancel"]')) closeFolderDialog();
  });
  fdName.addEventListener('input', function () { if (!$('fd-error').hidden) showFdError(''); });

  function trapTab(ev, box) {
    var items = Array.from(box.querySelectorAll('button, input, select')).filter(function (n) {
      return !n.disabled && n.offsetParent !== null;
    });
    if (!items.length) return;
    var i = items.indexOf(document.activeElement);
    if (ev.shiftKey && (i <= 0)) { ev.preventDefault(); items[items.length - 1].focus(); }
    else if (!ev.shiftKey && (i === items.length - 1 || i < 0)) { ev.preventDefault(); items[0].focus(); }
  }

  // The new path from the name field and the parent choice, or an error.
  function wantedPath() {
    var raw = fdName.value;
    var delim = delimiter();
    if (CONTROL_CHARS.test(raw)) return { error: t('L_MAIL_FOLDER_ERR_CONTROL', 'Folder names cannot contain control characters.') };
    var name = raw.trim();
    if (!name) return { error: t('L_MAIL_FOLDER_ERR_EMPTY', 'Please enter a folder name.') };
    var parts = name.split(delim).map(function (p) { return p.trim(); });
    if (parts.some(function (p) { return !p; })) {
      return { error: tf('L_MAIL_FOLDER_ERR_PARTS', 'A part of the name is empty.', { delim: delim }) };
    }
    var parent = fdParent.value;
    var path = (parent ? parent + delim : '') + parts.join(delim);
    var old = fdState.folder ? fdState.folder.path : null;
    if (old && path === old) return { error: t('L_MAIL_FOLDER_ERR_SAME', 'That is the current name.') };
    if (old && isInside(path, old)) return { error: t('L_MAIL_FOLDER_ERR_INSIDE', 'A folder cannot be moved into itself.') };
    var clash = folders.some(function (f) {
      return f.path === path || (path.toUpperCase() === 'INBOX' && f.path.toUpperCase() === 'INBOX');
    });
    if (clash) return { error: t('L_MAIL_FOLDER_ERR_EXISTS', 'A folder with this name already exists here.') };
    return { path: path };
  }

  function leafName(path) {
    var d = delimiter();
    var i = path.lastIndexOf(d);
    return i >= 0 ? path.slice(i + d.length) : path;
  }

  // Reload the folders; if the open folder (or one above it) was renamed or
  // deleted, follow it to its new name or go to the inbox.
  function afterFolderChange(oldPath, newPath) {
    var cur = route.folder;
    var affected = oldPath && isInside(cur, oldPath);
    if (oldPath) {
      Array.from(collapsedFolders).forEach(function (p) {
        if (!isInside(p, oldPath)) return;
        collapsedFolders.delete(p);
        if (newPath) collapsedFolders.add(newPath + p.slice(oldPath.length));
      });
      store('collapsed', Array.from(collapsedFolders).join('\n'));
    }
    return loadFolders().catch(folderFail).then(function () {
      if (!affected) return;
      var inbox = specialFolder('inbox');
      var next = newPath ? newPath + cur.slice(oldPath.length) : (inbox ? inbox.path : 'INBOX');
      navigate({ folder: next, page: 1, q: '', m: null }, { replace: true });
    });
  }

  function revealFolder(path) {
    var changed = false;
    var d = delimiter();
    for (var i = path.indexOf(d); i > 0; i = path.indexOf(d, i + d.length)) {
      if (collapsedFolders.delete(path.slice(0, i))) changed = true;
    }
    if (changed) {
      store('collapsed', Array.from(collapsedFolders).join('\n'));
      renderFolders();
    }
    var li = foldersEl.querySelector('li[data-path="' + CSS.escape(path) + '"]');
    if (!li) return;
    li.scrollIntoView({ block: 'nearest' });
    li.classList.add('just-changed');
    setTimeout(function () { li.classList.remove('just-changed'); }, 1600);
  }

  fdForm.addEventListener('submit', function (ev) {
    ev.preventDefault();
    if (!fdState || fdForm.getAttribute('aria-busy') === 'true') return;
    var st = fdState;
    var f = st.folder;
    var call;
    var done;
    if (st.mode === 'create' || st.mode === 'rename') {
      var want = wantedPath();
      if (want.error) {
        showFdError(want.error);
        fdName.focus();
        return;
      }
      if (st.mode === 'create') {
        call = api('FolderCreate', { path: want.path });
        done = function () {
          toast(tf('L_MAIL_FOLDER_CREATED', 'Folder created: {name}', { name: leafName(want.path) }));
          return afterFolderChange(null, null).then(function () { revealFolder(want.path); });
        };
      } else {
        call = api('FolderRename', { path: f.path, newPath: want.path });
        done = function () {
          toast(tf('L_MAIL_FOLDER_RENAMED', 'Folder renamed: {name}', { name: leafName(want.path) }));
          return afterFolderChange(f.path, want.path).then(function () { revealFolder(want.path); });
        };
      }
    } else if (st.mode === 'delete') {
      call = api('FolderDelete', { path: f.path });
      done = function () {
        toast(tf('L_MAIL_FOLDER_DELETED', 'Folder deleted: {name}', { name: displayName(f) }));
        return afterFolderChange(f.path, null);
      };
    } else {
      call = api('FolderEmpty', { path: f.path });
      done = function () {
        toast(tf('L_MAIL_FOLDER_EMPTIED', 'Folder emptied: {name}', { name: displayName(f) }));
        var p = loadFolders().catch(folderFail);
        if (route.folder === f.path) {
          selection.clear();
          cursor = anchor = null;
          if (route.m) navigate({ m: null }, { replace: true });
          p = Promise.all([p, loadList({ keepScroll: false })]);
        }
        return p;
      };
    }
    fdForm.setAttribute('aria-busy', 'true');
    fdSubmit.disabled = true;
    call.then(function () {
      fdForm.removeAttribute('aria-busy');
      fdSubmit.disabled = false;
      if (fdState === st) closeFolderDialog();
      return done();
    }, function (err) {
      fdForm.removeAttribute('aria-busy');
      fdSubmit.disabled = false;
      folderFail(err);
      // A name the server refused can be corrected; a failed confirmation
      // has nothing left to decide.
      if (st.mode === 'delete' || st.mode === 'empty') {
        closeFolderDialog();
        afterFolderChange(null, null);
      } else if (fdState === st) {
        fdName.focus();
      }
    });
  });

  function toggleSubscribed(f) {
    var value = f.subscribed === false;
    api('FolderSubscribe', { path: f.path, value: value }).then(function () {
      toast(tf(value ? 'L_MAIL_FOLDER_SUBSCRIBED_OK' : 'L_MAIL_FOLDER_UNSUBSCRIBED_OK', '{name}', { name: displayName(f) }));
      return loadFolders();
    }).catch(folderFail);
  }

  // ---- keyboard -----------------------------------------------------------------------

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) &&
      !(target.type === 'checkbox' || target.type === 'radio');
  }

  document.addEventListener('keydown', function (ev) {
    var key = ev.key;
    if (ev.target.closest && ev.target.closest('.compose, .compose-overlay')) return;
    if (!fdOverlay.hidden) {
      if (key === 'Escape') { ev.preventDefault(); closeFolderDialog(); }
      else if (key === 'Tab') trapTab(ev, fdForm);
      return;
    }
    if (!$('help').hidden) {
      if (key === 'Escape' || key === '?') { ev.preventDefault(); closeHelp(); }
      return;
    }
    if (openMenuBtn) {
      var menu = $(openMenuBtn.getAttribute('aria-controls'));
      if (key === 'Escape') { ev.preventDefault(); closeMenus(true); return; }
      if (key === 'ArrowDown' || key === 'ArrowUp') {
        ev.preventDefault();
        var items = Array.from(menu.querySelectorAll('.menu-item:not([disabled]):not([hidden])'));
        var i = items.indexOf(document.activeElement);
        var n = items[(i + (key === 'ArrowDown' ? 1 : -1) + items.length) % items.length];
        if (n) n.focus();
        return;
      }
      if (key === 'Tab') closeMenus();
      return;
    }
    // The list shortcuts must not act on a hidden list behind settings.
    if (inSettings()) {
      if (key === 'Escape' && closeDrawer()) drawerBtn.focus();
      return;
    }
    if (typing(ev.target)) {
      if (key === 'Escape' && ev.target === searchInput) {
        ev.preventDefault();
        if (searchInput.value && !route.q) { searchInput.value = ''; searchForm.classList.remove('has-value'); $('search-clear').hidden = true; }
        searchInput.blur();
        listEl.focus({ preventScroll: true });
      }
      return;
    }
    if (ev.altKey) return;
    if (ev.ctrlKey || ev.metaKey) {
      if (key === 'a' || key === 'A') {
        if (ev.target.closest && ev.target.closest('.menu, .dialog')) return;
        ev.preventDefault();
        visibleUids().forEach(function (u) { selection.add(u); });
        updateSelectionUI();
      }
      return;
    }
    // Buttons and links keep Enter and Space for themselves.
    var onControl = ev.target.closest && ev.target.closest('button, a, input');
    switch (key) {
      case 'j': case 'J': case 'ArrowDown':
        ev.preventDefault(); moveCursor(1, ev.shiftKey); break;
      case 'k': case 'K': case 'ArrowUp':
        ev.preventDefault(); moveCursor(-1, ev.shiftKey); break;
      case 'Home':
        if (!onControl) { ev.preventDefault(); cursor = null; moveCursor(1); }
        break;
      case 'End':
        if (!onControl) { ev.preventDefault(); cursor = null; moveCursor(-1); }
        break;
      case 'Enter':
        if (onControl) return;
        if (cursor !== null) {
          ev.preventDefault();
          if (!selection.has(cursor) || selection.size > 1) { selectOnly(cursor); updateSelectionUI(); }
          openMessage(cursor, isPhone());
          editDraft(cursor);
          if (!isPhone()) $('preview').focus({ preventScroll: true });
        }
        break;
      case 'Delete': case '#':
        ev.preventDefault(); deleteMessages(targetUids()); break;
      case 'u': case 'U':
        ev.preventDefault(); toggleSeen(targetUids()); break;
      case 's': case 'S': case 'i': case 'I':
        ev.preventDefault(); toggleFlag(targetUids()); break;
      case 'x': case 'X':
        if (cursor !== null) {
          ev.preventDefault();
          if (selection.has(cursor)) selection.delete(cursor); else selection.add(cursor);
          anchor = cursor;
          updateSelectionUI();
        }
        break;
      case '/':
        ev.preventDefault(); closeDrawer(); searchInput.focus(); searchInput.select(); break;
      case '?':
        ev.preventDefault(); openHelp(); break;
      case 'c': case 'r': case 'a': case 'f':
        if (!window.PetrelCompose) break;
        if (key === 'c') { ev.preventDefault(); window.PetrelCompose.open({ mode: 'new' }); break; }
        if (openUid === null) break;
        ev.preventDefault();
        window.PetrelCompose.open({ mode: { r: 'reply', a: 'replyAll', f: 'forward' }[key], folder: route.folder, uid: openUid });
        break;
      case 'n': if (!$('page-next').disabled) $('page-next').click(); break;
      case 'p': if (!$('page-prev').disabled) $('page-prev').click(); break;
      case 'Escape':
        if (closeDrawer()) { drawerBtn.focus(); break; }
        if (isPhone() && route.m) { goBack(); break; }
        if (selection.size) { selection.clear(); updateSelectionUI(); }
        break;
      default: break;
    }
  });

  // ---- live-ish updates: poll the counts; reload the list when they move ----------

  function countsKey() {
    var f = folderMap.get(route.folder);
    return f ? f.path + ':' + f.unseen + ':' + f.total : '';
  }
  function poll() {
    if (document.hidden || !route) return;
    var before = countsKey();
    refreshCounts().then(function () {
      var after = countsKey();
      if (before && after && before !== after) loadList({ quiet: true, keepScroll: true });
    });
  }
  setInterval(poll, POLL_MS);
  document.addEventListener('visibilitychange', function () { if (!document.hidden) poll(); });

  // ---- live updates: Petrel's event server pushes "change" when the open ---------
  // folder changes on the IMAP server (IDLE). The slow poll above stays as
  // the fallback for servers or proxies without /events.

  var events = null;
  var watchedFolder = null;
  var changeTimer = 0;
  function onFolderChange() {
    clearTimeout(changeTimer);
    // Changes come in bursts (a move is EXPUNGE + EXISTS): fetch once.
    changeTimer = setTimeout(function () {
      refreshCounts().catch(function () {});
      loadList({ quiet: true, keepScroll: true });
    }, 300);
  }
  function ensureWatch() {
    if (!route || !window.EventSource || route.folder === watchedFolder) return;
    if (events) events.close();
    watchedFolder = route.folder;
    events = new EventSource('/events?folder=' + encodeURIComponent(route.folder));
    events.addEventListener('change', onFolderChange);
    events.addEventListener('failed', function () { events.close(); });
  }
  window.addEventListener('hashchange', function () { setTimeout(ensureWatch, 0); });
  setInterval(ensureWatch, 2000);

  // ---- start ---------------------------------------------------------------------------

  var email = boot.email || '';
  $('user-email').textContent = email;
  $('user-menu-email').textContent = email;
  fillAvatar($('user-avatar'), '', email);

  if (/^#\/compose\b/.test(location.hash)) window.petrelComposeHash = location.hash;
  if (!/^#\/folder\//.test(location.hash) && !inSettings()) {
    history.replaceState(null, '', hashFor(defaultRoute()));
  }
  // What settings.js, filters.js and compose.js build on (see settings.js).
  window.Petrel = Object.assign(window.Petrel || {}, {
    api: api, fail: fail, toast: toast, t: t, tf: tf, el: el, icon: icon, size: size,
    isPhone: isPhone, trapTab: trapTab, boot: boot, store: store,
    fmtTime: { format: function (d) { return fmtTime.format(d); } },
    prefs: function () { return prefs; },
    zoneKnown: zoneKnown,
    // After SettingsSave: take the new values at once (the language needs a reload).
    applyPrefs: function (s) {
      prefs = s || prefs;
      PER_PAGE = Math.max(1, Math.min(500, Number(prefs.messagesPerPage) || PER_PAGE));
      document.documentElement.dataset.theme = prefs.theme || 'auto';
      makeFormats();
    },
    closeDrawer: closeDrawer, folderName: displayName, loadFolders: loadFolders,
    folders: function () { return folders; },
    specialFolder: specialFolder,
    current: function () { return { folder: route.folder, uid: openUid, special: currentSpecial() }; },
    mailboxHash: function () { return hashFor(route); },
    // After a send or a draft save: new counts, and the list (a new row in
    // Sent or Drafts, the answered mark on the original).
    changed: function () {
      return refreshCounts().then(function () { loadList({ quiet: true, keepScroll: true }); });
    }
  });
  window.addEventListener('hashchange', onRoute);
  loadFolders().catch(fail);
  onRoute();
  listEl.focus({ preventScroll: true });
})();
