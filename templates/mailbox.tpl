{{%AUTOESCAPE context="HTML"}}
<!DOCTYPE html>
<html lang="{{LANG}}" data-theme="{{THEME}}">
<head>
{{>HEAD}}
<link rel="stylesheet" href="{{STATIC}}/css/app.css?v={{ASSET_VERSION}}">
<link rel="stylesheet" href="{{STATIC}}/css/settings.css?v={{ASSET_VERSION}}">
<link rel="stylesheet" href="{{STATIC}}/css/compose.css?v={{ASSET_VERSION}}">
<link rel="stylesheet" href="{{STATIC}}/css/contacts.css?v={{ASSET_VERSION}}">
<script type="module" src="{{STATIC}}/js/app.js?v={{ASSET_VERSION}}"></script>
<script src="{{STATIC}}/js/settings.js?v={{ASSET_VERSION}}" defer></script>
<script src="{{STATIC}}/js/filters.js?v={{ASSET_VERSION}}" defer></script>
<script src="{{STATIC}}/js/general.js?v={{ASSET_VERSION}}" defer></script>
<script src="{{STATIC}}/js/plugins.js?v={{ASSET_VERSION}}" defer></script>
<script src="{{STATIC}}/js/contacts.js?v={{ASSET_VERSION}}" defer></script>
<script src="{{STATIC}}/vendor/squire/squire.js?v={{ASSET_VERSION}}" defer></script>
<script src="{{STATIC}}/js/compose.js?v={{ASSET_VERSION}}" defer></script>
<script src="{{STATIC}}/js/scheduled.js?v={{ASSET_VERSION}}" defer></script>
</head>
<body class="page-mail" data-petrel="{{BOOT_JSON}}">
<svg class="sprite" aria-hidden="true" focusable="false" xmlns="http://www.w3.org/2000/svg">
  <symbol id="i-inbox" viewBox="0 0 24 24"><path d="M3 13h5l1.5 3h5l1.5-3h5 M5.5 5h13L21 13v6H3v-6z"/></symbol>
  <symbol id="i-drafts" viewBox="0 0 24 24"><path d="M14 3H6v18h12V7z M14 3v4h4 M9 12h6 M9 16h4"/></symbol>
  <symbol id="i-sent" viewBox="0 0 24 24"><path d="M21 3L10 14 M21 3l-7 18-4-7-7-4z"/></symbol>
  <symbol id="i-junk" viewBox="0 0 24 24"><path d="M8.2 3h7.6L21 8.2v7.6L15.8 21H8.2L3 15.8V8.2z M12 7.5v5.5 M12 16.5v.01"/></symbol>
  <symbol id="i-trash" viewBox="0 0 24 24"><path d="M4 7h16 M9.5 7V4h5v3 M6 7l1 13h10l1-13 M10 11v5.5 M14 11v5.5"/></symbol>
  <symbol id="i-archive" viewBox="0 0 24 24"><path d="M3 4h18v4H3z M5 8v12h14V8 M10 12h4"/></symbol>
  <symbol id="i-folder" viewBox="0 0 24 24"><path d="M3 6.5A1.5 1.5 0 0 1 4.5 5H9l2 2h8.5A1.5 1.5 0 0 1 21 8.5v9a1.5 1.5 0 0 1-1.5 1.5h-15A1.5 1.5 0 0 1 3 17.5z"/></symbol>
  <symbol id="i-chevron-right" viewBox="0 0 24 24"><path d="M9 6l6 6-6 6"/></symbol>
  <symbol id="i-chevron-left" viewBox="0 0 24 24"><path d="M15 6l-6 6 6 6"/></symbol>
  <symbol id="i-chevron-down" viewBox="0 0 24 24"><path d="M6 9l6 6 6-6"/></symbol>
  <symbol id="i-star" viewBox="0 0 24 24"><path d="M12 3.5l2.6 5.3 5.9.9-4.2 4.1 1 5.8-5.3-2.8-5.3 2.8 1-5.8-4.2-4.1 5.9-.9z"/></symbol>
  <symbol id="i-clip" viewBox="0 0 24 24"><path d="M20 11.5l-8.2 8.2a5 5 0 0 1-7.1-7.1l8.5-8.5a3.3 3.3 0 0 1 4.7 4.7l-8.5 8.5a1.7 1.7 0 0 1-2.4-2.4l7.8-7.8"/></symbol>
  <symbol id="i-reply" viewBox="0 0 24 24"><path d="M10 7l-5 5 5 5 M5 12h9a5 5 0 0 1 5 5v1"/></symbol>
  <symbol id="i-forward" viewBox="0 0 24 24"><path d="M14 7l5 5-5 5 M19 12h-9a5 5 0 0 0-5 5v1"/></symbol>
  <symbol id="i-search" viewBox="0 0 24 24"><path d="M11 4a7 7 0 1 0 0 14a7 7 0 1 0 0-14z M20 20l-4-4"/></symbol>
  <symbol id="i-menu" viewBox="0 0 24 24"><path d="M4 7h16 M4 12h16 M4 17h16"/></symbol>
  <symbol id="i-refresh" viewBox="0 0 24 24"><path d="M19.5 12a7.5 7.5 0 1 1-2.2-5.3 M19.5 4.5v4.5H15"/></symbol>
  <symbol id="i-mail" viewBox="0 0 24 24"><path d="M4 6h16v12H4z M4 7l8 6 8-6"/></symbol>
  <symbol id="i-mail-open" viewBox="0 0 24 24"><path d="M4 10l8-6 8 6v10H4z M4 10l8 5.5 8-5.5"/></symbol>
  <symbol id="i-move" viewBox="0 0 24 24"><path d="M3 6.5A1.5 1.5 0 0 1 4.5 5H9l2 2h8.5A1.5 1.5 0 0 1 21 8.5v9a1.5 1.5 0 0 1-1.5 1.5h-15A1.5 1.5 0 0 1 3 17.5z M9 13h6.5 M13 10.5l2.5 2.5-2.5 2.5"/></symbol>
  <symbol id="i-sort" viewBox="0 0 24 24"><path d="M7 4v16 M4 17l3 3 3-3 M13 6h8 M13 11h6 M13 16h4"/></symbol>
  <symbol id="i-threads" viewBox="0 0 24 24"><path d="M4 5h16 M8 10h12 M8 15h12 M12 20h8 M4 5v10h4 M8 15v5h4"/></symbol>
  <symbol id="i-close" viewBox="0 0 24 24"><path d="M6 6l12 12 M18 6L6 18"/></symbol>
  <symbol id="i-back" viewBox="0 0 24 24"><path d="M19 12H5 M11 6l-6 6 6 6"/></symbol>
  <symbol id="i-logout" viewBox="0 0 24 24"><path d="M10 4H5v16h5 M15 8l4 4-4 4 M19 12H9"/></symbol>
  <symbol id="i-keyboard" viewBox="0 0 24 24"><path d="M3 6.5h18v11H3z M7 10h.01 M10.5 10h.01 M14 10h.01 M17.5 10h.01 M8 14h8"/></symbol>
  <symbol id="i-pencil" viewBox="0 0 24 24"><path d="M4 20h4L19 9l-4-4L4 16z M13.5 6.5l4 4"/></symbol>
  <symbol id="i-check" viewBox="0 0 24 24"><path d="M5 12.5l4.5 4.5L19 7.5"/></symbol>
  <symbol id="i-copy" viewBox="0 0 24 24"><path d="M9 9h10v11H9z M15 9V4H5v11h4"/></symbol>
  <symbol id="i-check-all" viewBox="0 0 24 24"><path d="M2.5 12.5l4.5 4.5L16.5 7.5 M11.5 16l1 1L22 7.5"/></symbol>
  <symbol id="i-info" viewBox="0 0 24 24"><path d="M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18z M12 11v5.5 M12 7.5v.01"/></symbol>
  <symbol id="i-notjunk" viewBox="0 0 24 24"><path d="M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6z M8.5 12l2.5 2.5 4.5-4.5"/></symbol>
  <symbol id="i-layers" viewBox="0 0 24 24"><path d="M12 3l9 5-9 5-9-5z M3 13l9 5 9-5"/></symbol>
  <symbol id="i-plus" viewBox="0 0 24 24"><path d="M12 5v14 M5 12h14"/></symbol>
  <symbol id="i-more" viewBox="0 0 24 24"><path d="M6 12h.01 M12 12h.01 M18 12h.01"/></symbol>
  <symbol id="i-folder-plus" viewBox="0 0 24 24"><path d="M3 6.5A1.5 1.5 0 0 1 4.5 5H9l2 2h8.5A1.5 1.5 0 0 1 21 8.5v9a1.5 1.5 0 0 1-1.5 1.5h-15A1.5 1.5 0 0 1 3 17.5z M12 10v6 M9 13h6"/></symbol>
  <symbol id="i-eye" viewBox="0 0 24 24"><path d="M2.5 12S6 5.5 12 5.5 21.5 12 21.5 12 18 18.5 12 18.5 2.5 12 2.5 12z M12 9.5a2.5 2.5 0 1 0 0 5a2.5 2.5 0 1 0 0-5z"/></symbol>
  <symbol id="i-eye-off" viewBox="0 0 24 24"><path d="M4 4l16 16 M10 6A9.8 9.8 0 0 1 12 5.5C18 5.5 21.5 12 21.5 12a17 17 0 0 1-2.7 3.4 M6.4 7.6C3.9 9.3 2.5 12 2.5 12S6 18.5 12 18.5c1.6 0 3-.4 4.2-1.1 M9.9 10a2.5 2.5 0 0 0 3.6 3.5"/></symbol>
  <symbol id="i-sweep" viewBox="0 0 24 24"><path d="M4 7h16 M9.5 7V4h5v3 M6 7l1 13h10l1-13 M9 12l6 5 M15 12l-6 5"/></symbol>
  <symbol id="i-alert" viewBox="0 0 24 24"><path d="M12 3.5L22 20H2z M12 10v4.5 M12 17.5v.01"/></symbol>
  <symbol id="i-file" viewBox="0 0 24 24"><path d="M14 3H6v18h12V7z M14 3v4h4"/></symbol>
  <symbol id="i-image" viewBox="0 0 24 24"><path d="M4 5h16v14H4z M4 16l4.5-4.5 3.5 3.5 2.5-2.5L20 18 M15.5 8.5a1 1 0 1 0 0 .01"/></symbol>
  <symbol id="i-pdf" viewBox="0 0 24 24"><path d="M14 3H6v18h12V7z M14 3v4h4 M8.5 17v-4h1.5a1.2 1.2 0 0 1 0 2.4H8.5 M13 13v4h1a2 2 0 0 0 0-4z"/></symbol>
  <symbol id="i-zip" viewBox="0 0 24 24"><path d="M14 3H6v18h12V7z M14 3v4h4 M11 4v1.5 M11 7v1.5 M11 10v1.5 M10 13.5h2v3h-2z"/></symbol>
  <symbol id="i-calendar" viewBox="0 0 24 24"><path d="M4 6h16v14H4z M4 10h16 M8 3.5v4 M16 3.5v4"/></symbol>
  <symbol id="i-download" viewBox="0 0 24 24"><path d="M12 4v11 M7.5 10.5L12 15l4.5-4.5 M5 19.5h14"/></symbol>
  <symbol id="i-upload" viewBox="0 0 24 24"><path d="M12 15V4 M7.5 8.5L12 4l4.5 4.5 M5 19.5h14"/></symbol>
  <symbol id="i-code" viewBox="0 0 24 24"><path d="M8.5 7.5L4 12l4.5 4.5 M15.5 7.5L20 12l-4.5 4.5 M13.5 5l-3 14"/></symbol>
  <symbol id="i-printer" viewBox="0 0 24 24"><path d="M7 9V4h10v5 M7 17H4.5V9h15v8H17 M7 14h10v6H7z"/></symbol>
  <symbol id="i-filter" viewBox="0 0 24 24"><path d="M4 5h16l-6 7.5V19l-4 1.5v-8z"/></symbol>
  <symbol id="i-sun" viewBox="0 0 24 24"><path d="M12 8a4 4 0 1 0 0 8a4 4 0 1 0 0-8z M12 2.5v2 M12 19.5v2 M2.5 12h2 M19.5 12h2 M5.3 5.3l1.4 1.4 M17.3 17.3l1.4 1.4 M5.3 18.7l1.4-1.4 M17.3 6.7l1.4-1.4"/></symbol>
  <symbol id="i-grip" viewBox="0 0 24 24"><path d="M9 6h.01 M15 6h.01 M9 12h.01 M15 12h.01 M9 18h.01 M15 18h.01"/></symbol>
  <symbol id="i-arrow-up" viewBox="0 0 24 24"><path d="M12 19V5 M6 11l6-6 6 6"/></symbol>
  <symbol id="i-arrow-down" viewBox="0 0 24 24"><path d="M12 5v14 M6 13l6 6 6-6"/></symbol>
  <symbol id="i-reply-all" viewBox="0 0 24 24"><path d="M8 7l-5 5 5 5 M13 7l-5 5 5 5 M8 12h7a5 5 0 0 1 5 5v1"/></symbol>
  <symbol id="i-bold" viewBox="0 0 24 24"><path d="M7 5h6a3.5 3.5 0 0 1 0 7H7z M7 12h7a3.5 3.5 0 0 1 0 7H7z"/></symbol>
  <symbol id="i-italic" viewBox="0 0 24 24"><path d="M10 5h8 M6 19h8 M14 5l-4 14"/></symbol>
  <symbol id="i-underline" viewBox="0 0 24 24"><path d="M7 4v7a5 5 0 0 0 10 0V4 M5 20h14"/></symbol>
  <symbol id="i-list-ul" viewBox="0 0 24 24"><path d="M9 6h11 M9 12h11 M9 18h11 M4.5 6h.01 M4.5 12h.01 M4.5 18h.01"/></symbol>
  <symbol id="i-list-ol" viewBox="0 0 24 24"><path d="M10 6h10 M10 12h10 M10 18h10 M4 5l1.5-1v5 M3.5 14.5a1.5 1.5 0 1 1 2.5 1.2L3.5 19H6.5"/></symbol>
  <symbol id="i-quote" viewBox="0 0 24 24"><path d="M5 6v12 M9 8h10 M9 12h10 M9 16h7"/></symbol>
  <symbol id="i-link" viewBox="0 0 24 24"><path d="M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1 M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1"/></symbol>
  <symbol id="i-clear-format" viewBox="0 0 24 24"><path d="M6 5h12 M12 5l-3 14 M4 4l16 16"/></symbol>
  <symbol id="i-undo" viewBox="0 0 24 24"><path d="M9 14L4 9l5-5 M4 9h10.5a5.5 5.5 0 0 1 0 11H11"/></symbol>
  <symbol id="i-redo" viewBox="0 0 24 24"><path d="M15 14l5-5-5-5 M20 9H9.5a5.5 5.5 0 0 0 0 11H13"/></symbol>
  <symbol id="i-minimise" viewBox="0 0 24 24"><path d="M6 18h12"/></symbol>
  <symbol id="i-maximise" viewBox="0 0 24 24"><path d="M4 9V4h5 M20 9V4h-5 M4 15v5h5 M20 15v5h-5"/></symbol>
  <symbol id="i-restore" viewBox="0 0 24 24"><path d="M9 4v5H4 M15 4v5h5 M9 20v-5H4 M15 20v-5h5"/></symbol>
  <symbol id="i-sliders" viewBox="0 0 24 24"><path d="M4 6h9 M17 6h3 M4 12h3 M11 12h9 M4 18h11 M19 18h1 M15 4v4 M9 10v4 M17 16v4"/></symbol>
  <symbol id="i-user" viewBox="0 0 24 24"><path d="M12 4a4 4 0 1 0 0 8a4 4 0 1 0 0-8z M4.5 20a7.5 7.5 0 0 1 15 0"/></symbol>
  <symbol id="i-text" viewBox="0 0 24 24"><path d="M5 6V4h14v2 M12 4v16 M9 20h6"/></symbol>
  <symbol id="i-external" viewBox="0 0 24 24"><path d="M14 4h6v6 M20 4l-9 9 M18 14v6H4V6h6"/></symbol>
  <symbol id="i-tag" viewBox="0 0 24 24"><path d="M3 12V4h8l10 10-7 7z"/><circle cx="7.5" cy="8.5" r="1.5"/></symbol>
  <symbol id="i-clock" viewBox="0 0 24 24"><circle cx="12" cy="13" r="8"/><path d="M12 9v4l2.5 2.5 M5 4L2.5 6.5 M19 4l2.5 2.5"/></symbol>
</svg>

<div class="progress" id="progress" role="progressbar" aria-label="{{L_MAIL_LOADING}}" hidden><span></span></div>

<header class="topbar">
  <button type="button" class="icon-btn topbar-menu" id="drawer-open" aria-label="{{L_MAIL_FOLDERS}}" aria-controls="sidebar" aria-expanded="false">
    <svg class="icon" aria-hidden="true"><use href="#i-menu"/></svg>
  </button>
  <a class="brand" href="#/folder/INBOX">
    <img class="brand-logo" src="{{LOGO_URL}}" alt="" height="32">
    <span class="brand-name">{{SITE_TITLE}}</span>
  </a>
  <form class="search" id="search-form" role="search">
    <svg class="icon search-icon" aria-hidden="true"><use href="#i-search"/></svg>
    <label class="visually-hidden" for="search-input">{{L_MAIL_SEARCH}}</label>
    <input type="search" id="search-input" name="q" autocomplete="off" spellcheck="false" enterkeyhint="search" placeholder="{{L_MAIL_SEARCH_PLACEHOLDER}}">
    <button type="button" class="icon-btn search-clear" id="search-clear" aria-label="{{L_MAIL_SEARCH_CLEAR}}" hidden>
      <svg class="icon" aria-hidden="true"><use href="#i-close"/></svg>
    </button>
    <kbd class="search-kbd" aria-hidden="true">/</kbd>
  </form>
  <div class="topbar-end">
    <button type="button" class="icon-btn" id="help-open" aria-label="{{L_MAIL_SHORTCUTS}}" title="{{L_MAIL_SHORTCUTS}} (?)">
      <svg class="icon" aria-hidden="true"><use href="#i-keyboard"/></svg>
    </button>
    <div class="menu-wrap">
      <button type="button" class="user-btn" id="user-btn" aria-haspopup="menu" aria-expanded="false" aria-controls="user-menu" aria-label="{{L_MAIL_ACCOUNT}}">
        <span class="avatar avatar-sm" id="user-avatar" aria-hidden="true"></span>
        <span class="user-email" id="user-email"></span>
        <svg class="icon icon-sm" aria-hidden="true"><use href="#i-chevron-down"/></svg>
      </button>
      <div class="menu menu-right" id="user-menu" role="menu" hidden>
        <div class="menu-head">
          <span class="menu-head-label">{{L_MAIL_SIGNED_IN_AS}}</span>
          <span class="menu-head-value" id="user-menu-email"></span>
        </div>
        <button type="button" class="menu-item" role="menuitem" data-action="help">
          <svg class="icon" aria-hidden="true"><use href="#i-keyboard"/></svg><span>{{L_MAIL_SHORTCUTS}}</span>
        </button>
        <a class="menu-item" role="menuitem" href="#/settings/general" id="menu-settings">
          <svg class="icon" aria-hidden="true"><use href="#i-sliders"/></svg><span>{{L_SETTINGS_TITLE}}</span>
        </a>
        <button type="button" class="menu-item" role="menuitem" data-action="logout" id="logout">
          <svg class="icon" aria-hidden="true"><use href="#i-logout"/></svg><span>{{L_MAIL_LOGOUT}}</span>
        </button>
      </div>
    </div>
  </div>
</header>

<div class="app" id="app" data-view="list">
  <nav class="sidebar" id="sidebar" aria-label="{{L_MAIL_FOLDERS}}">
    <div class="sidebar-head">
      <button type="button" class="btn btn-primary btn-compose" id="compose" title="{{L_MAIL_COMPOSE}} (c)">
        <svg class="icon" aria-hidden="true"><use href="#i-pencil"/></svg>
        <span>{{L_MAIL_COMPOSE}}</span>
      </button>
      <button type="button" class="icon-btn drawer-close" id="drawer-close" aria-label="{{L_MAIL_CLOSE}}">
        <svg class="icon" aria-hidden="true"><use href="#i-close"/></svg>
      </button>
    </div>
    <div class="sidebar-title-row">
      <p class="sidebar-title" id="folders-title">{{L_MAIL_FOLDERS}}</p>
      <button type="button" class="icon-btn folder-new-btn" id="folder-new" aria-haspopup="dialog" aria-label="{{L_MAIL_FOLDER_NEW}}" title="{{L_MAIL_FOLDER_NEW}}">
        <svg class="icon" aria-hidden="true"><use href="#i-plus"/></svg>
      </button>
    </div>
    <ul class="folders" id="folders" aria-labelledby="folders-title">
      <li class="folder-skeleton"></li><li class="folder-skeleton"></li><li class="folder-skeleton"></li><li class="folder-skeleton"></li><li class="folder-skeleton"></li>
    </ul>
    <div class="quota" id="quota" hidden>
      <div class="quota-text"><span id="quota-label">{{L_MAIL_QUOTA}}</span><span id="quota-text"></span></div>
      <div class="quota-bar" id="quota-bar" role="meter" aria-labelledby="quota-label" aria-valuemin="0" aria-valuemax="100"><span class="quota-fill" id="quota-fill"></span></div>
    </div>
    <div class="sidebar-foot sidebar-contacts">
      <a class="folder-link settings-link" id="nav-contacts" href="#/settings/contacts">
        <svg class="icon" aria-hidden="true"><use href="#i-user"/></svg><span class="folder-name">{{L_CONTACTS_TITLE}}</span>
      </a>
    </div>
    <div class="sidebar-foot" id="sidebar-settings">
      <a class="folder-link settings-link" id="nav-settings" href="#/settings/general">
        <svg class="icon" aria-hidden="true"><use href="#i-sliders"/></svg><span class="folder-name">{{L_SETTINGS_TITLE}}</span>
      </a>
    </div>
  </nav>
  <div class="scrim" id="scrim" hidden></div>

  <section class="list-pane" id="list-pane" aria-labelledby="list-title">
    <div class="list-head">
      <div class="list-title-wrap">
        <h1 class="list-title" id="list-title">{{L_MAIL_INBOX}}</h1>
        <span class="list-count" id="list-count"></span>
      </div>
      <div class="search-chip" id="search-chip" hidden>
        <svg class="icon icon-sm" aria-hidden="true"><use href="#i-search"/></svg>
        <span id="search-chip-text"></span>
        <button type="button" class="chip-x" id="search-chip-clear" aria-label="{{L_MAIL_SEARCH_CLEAR}}"><svg class="icon icon-sm" aria-hidden="true"><use href="#i-close"/></svg></button>
      </div>
    </div>
    <div class="toolbar" id="list-toolbar" role="toolbar" aria-label="{{L_MAIL_ACTIONS}}">
      <label class="select-all" title="{{L_MAIL_SELECT_ALL}}">
        <input type="checkbox" id="select-all" aria-label="{{L_MAIL_SELECT_ALL}}">
      </label>
      <span class="tb-sep" aria-hidden="true"></span>
      <button type="button" class="icon-btn" data-action="refresh" aria-label="{{L_MAIL_REFRESH}}" title="{{L_MAIL_REFRESH}}">
        <svg class="icon" aria-hidden="true"><use href="#i-refresh"/></svg>
      </button>
      <button type="button" class="icon-btn" data-action="all-read" id="all-read-btn" aria-label="{{L_MAIL_MARK_ALL_READ}}" title="{{L_MAIL_MARK_ALL_READ}}">
        <svg class="icon" aria-hidden="true"><use href="#i-check-all"/></svg>
      </button>
      <span class="tb-group" id="sel-actions">
        <button type="button" class="icon-btn" data-action="archive" data-needs-selection aria-label="{{L_MAIL_ARCHIVE}}" title="{{L_MAIL_ARCHIVE}}">
          <svg class="icon" aria-hidden="true"><use href="#i-archive"/></svg>
        </button>
        <button type="button" class="icon-btn" data-action="spam" data-needs-selection aria-label="{{L_MAIL_SPAM}}" title="{{L_MAIL_SPAM}}">
          <svg class="icon" aria-hidden="true"><use href="#i-junk"/></svg>
        </button>
        <button type="button" class="icon-btn" data-action="notspam" data-needs-selection aria-label="{{L_MAIL_NOT_SPAM}}" title="{{L_MAIL_NOT_SPAM}}" hidden>
          <svg class="icon" aria-hidden="true"><use href="#i-notjunk"/></svg>
        </button>
        <button type="button" class="icon-btn" data-action="delete" data-needs-selection aria-label="{{L_MAIL_DELETE}}" title="{{L_MAIL_DELETE}} (Del)">
          <svg class="icon" aria-hidden="true"><use href="#i-trash"/></svg>
        </button>
        <span class="tb-sep" aria-hidden="true"></span>
        <button type="button" class="icon-btn" data-action="read" data-needs-selection aria-label="{{L_MAIL_MARK_READ}}" title="{{L_MAIL_MARK_READ}}">
          <svg class="icon" aria-hidden="true"><use href="#i-mail-open"/></svg>
        </button>
        <button type="button" class="icon-btn" data-action="unread" data-needs-selection aria-label="{{L_MAIL_MARK_UNREAD}}" title="{{L_MAIL_MARK_UNREAD}} (u)">
          <svg class="icon" aria-hidden="true"><use href="#i-mail"/></svg>
        </button>
        <button type="button" class="icon-btn" data-action="flag" data-needs-selection aria-label="{{L_MAIL_FLAG}}" title="{{L_MAIL_FLAG}} (s)">
          <svg class="icon" aria-hidden="true"><use href="#i-star"/></svg>
        </button>
        <span class="menu-wrap">
          <button type="button" class="icon-btn" id="move-btn" data-needs-selection aria-haspopup="menu" aria-expanded="false" aria-controls="move-menu" aria-label="{{L_MAIL_MOVE_TO}}" title="{{L_MAIL_MOVE_TO}}">
            <svg class="icon" aria-hidden="true"><use href="#i-move"/></svg>
          </button>
          <div class="menu menu-scroll" id="move-menu" role="menu" hidden></div>
        </span>
        <span class="menu-wrap">
          <button type="button" class="icon-btn" id="copy-btn" data-needs-selection aria-haspopup="menu" aria-expanded="false" aria-controls="copy-menu" aria-label="{{L_MAIL_COPY_TO}}" title="{{L_MAIL_COPY_TO}}">
            <svg class="icon" aria-hidden="true"><use href="#i-copy"/></svg>
          </button>
          <div class="menu menu-scroll menu-right" id="copy-menu" role="menu" hidden></div>
        </span>
        <span class="menu-wrap">
          <button type="button" class="icon-btn" id="export-sel-btn" data-needs-selection aria-haspopup="menu" aria-expanded="false" aria-controls="export-sel-menu" aria-label="{{L_MAIL_EXPORT_SELECTED}}" title="{{L_MAIL_EXPORT_SELECTED}}">
            <svg class="icon" aria-hidden="true"><use href="#i-download"/></svg>
          </button>
          <div class="menu menu-right" id="export-sel-menu" role="menu" aria-label="{{L_MAIL_EXPORT_SELECTED}}" hidden>
            <p class="menu-label">{{L_MAIL_EXPORT_SELECTED}}</p>
            <button type="button" class="menu-item" role="menuitem" data-export-format="mbox"><svg class="icon" aria-hidden="true"><use href="#i-download"/></svg><span>{{L_MAIL_FOLDER_EXPORT}}</span></button>
            <button type="button" class="menu-item" role="menuitem" data-export-format="zip"><svg class="icon" aria-hidden="true"><use href="#i-download"/></svg><span>{{L_MAIL_FOLDER_EXPORT_ZIP}}</span></button>
          </div>
        </span>
      </span>
      <span class="menu-wrap" id="list-more-wrap" hidden>
        <button type="button" class="icon-btn" id="list-more" aria-haspopup="menu" aria-expanded="false" aria-controls="list-more-menu" aria-label="{{L_MAIL_VIEW_MORE}}" title="{{L_MAIL_VIEW_MORE}}"><svg class="icon" aria-hidden="true"><use href="#i-more"/></svg></button>
        <div class="menu menu-right" id="list-more-menu" role="menu" aria-label="{{L_MAIL_VIEW_MORE}}" hidden></div>
      </span>
      <span class="tb-spacer"></span>
      <button type="button" class="icon-btn toggle-btn" id="threads-btn" aria-pressed="false" aria-label="{{L_MAIL_THREADS}}" title="{{L_MAIL_THREADS}}">
        <svg class="icon" aria-hidden="true"><use href="#i-threads"/></svg>
      </button>
      <span class="menu-wrap">
        <button type="button" class="sort-btn" id="sort-btn" aria-haspopup="menu" aria-expanded="false" aria-controls="sort-menu" title="{{L_MAIL_SORT}}">
          <svg class="icon" aria-hidden="true"><use href="#i-sort"/></svg>
          <span id="sort-label">{{L_MAIL_SORT_DATE}}</span>
          <svg class="icon icon-sm" aria-hidden="true"><use href="#i-chevron-down"/></svg>
        </button>
        <div class="menu menu-right" id="sort-menu" role="menu" aria-label="{{L_MAIL_SORT}}" hidden>
          <p class="menu-label">{{L_MAIL_SORT_BY}}</p>
          <button type="button" class="menu-item" role="menuitemradio" aria-checked="false" data-sort-field="date"><svg class="icon menu-check" aria-hidden="true"><use href="#i-check"/></svg><span>{{L_MAIL_SORT_DATE}}</span></button>
          <button type="button" class="menu-item" role="menuitemradio" aria-checked="false" data-sort-field="from"><svg class="icon menu-check" aria-hidden="true"><use href="#i-check"/></svg><span>{{L_MAIL_SORT_FROM}}</span></button>
          <button type="button" class="menu-item" role="menuitemradio" aria-checked="false" data-sort-field="subject"><svg class="icon menu-check" aria-hidden="true"><use href="#i-check"/></svg><span>{{L_MAIL_SORT_SUBJECT}}</span></button>
          <button type="button" class="menu-item" role="menuitemradio" aria-checked="false" data-sort-field="size"><svg class="icon menu-check" aria-hidden="true"><use href="#i-check"/></svg><span>{{L_MAIL_SORT_SIZE}}</span></button>
          <div class="menu-sep" role="separator"></div>
          <button type="button" class="menu-item" role="menuitemradio" aria-checked="false" data-sort-dir="desc"><svg class="icon menu-check" aria-hidden="true"><use href="#i-check"/></svg><span>{{L_MAIL_SORT_DESC}}</span></button>
          <button type="button" class="menu-item" role="menuitemradio" aria-checked="false" data-sort-dir="asc"><svg class="icon menu-check" aria-hidden="true"><use href="#i-check"/></svg><span>{{L_MAIL_SORT_ASC}}</span></button>
        </div>
      </span>
    </div>
    <button type="button" class="compose-fab" id="compose-fab" aria-label="{{L_MAIL_COMPOSE}}" title="{{L_MAIL_COMPOSE}}"><svg class="icon" aria-hidden="true"><use href="#i-pencil"/></svg></button>
    <div class="list" id="list" role="listbox" aria-multiselectable="true" aria-labelledby="list-title" tabindex="0"></div>
    <footer class="pager" id="pager">
      <span class="pager-info" id="pager-info" aria-live="polite"></span>
      <span class="pager-nav">
        <button type="button" class="icon-btn" id="page-prev" aria-label="{{L_MAIL_PAGE_PREV}}" title="{{L_MAIL_PAGE_PREV}}">
          <svg class="icon" aria-hidden="true"><use href="#i-chevron-left"/></svg>
        </button>
        <button type="button" class="icon-btn" id="page-next" aria-label="{{L_MAIL_PAGE_NEXT}}" title="{{L_MAIL_PAGE_NEXT}}">
          <svg class="icon" aria-hidden="true"><use href="#i-chevron-right"/></svg>
        </button>
      </span>
    </footer>
  </section>

  <section class="settings-pane" id="settings" aria-labelledby="settings-title" hidden></section>

  <section class="preview-pane" id="preview" aria-label="{{L_MAIL_PREVIEW}}" tabindex="-1">
    <div class="empty-state" id="preview-empty">
      <span class="empty-art" aria-hidden="true"><svg class="icon" aria-hidden="true"><use href="#i-mail-open"/></svg></span>
      <p class="empty-title">{{L_MAIL_SELECT_MESSAGE}}</p>
      <p class="empty-text">{{L_MAIL_SELECT_MESSAGE_HINT}}</p>
    </div>
    <div class="multi-state" id="preview-multi" hidden>
      <span class="empty-art" aria-hidden="true"><svg class="icon" aria-hidden="true"><use href="#i-layers"/></svg></span>
      <p class="empty-title" id="preview-multi-title"></p>
      <div class="multi-actions">
        <button type="button" class="btn btn-secondary" data-action="read"><svg class="icon" aria-hidden="true"><use href="#i-mail-open"/></svg><span>{{L_MAIL_MARK_READ}}</span></button>
        <button type="button" class="btn btn-secondary" data-action="archive"><svg class="icon" aria-hidden="true"><use href="#i-archive"/></svg><span>{{L_MAIL_ARCHIVE}}</span></button>
        <button type="button" class="btn btn-secondary" data-action="delete"><svg class="icon" aria-hidden="true"><use href="#i-trash"/></svg><span>{{L_MAIL_DELETE}}</span></button>
      </div>
      <button type="button" class="link-btn" data-action="deselect">{{L_MAIL_DESELECT}}</button>
    </div>
    <article class="message" id="message" hidden>
      <div class="toolbar msg-toolbar" role="toolbar" aria-label="{{L_MAIL_MESSAGE_ACTIONS}}">
        <button type="button" class="icon-btn msg-back" data-action="back" aria-label="{{L_MAIL_BACK}}" title="{{L_MAIL_BACK}} (Esc)">
          <svg class="icon" aria-hidden="true"><use href="#i-back"/></svg>
        </button>
        <button type="button" class="icon-btn" data-compose="reply" aria-label="{{L_COMPOSE_REPLY}}" title="{{L_COMPOSE_REPLY}} (r)"><svg class="icon" aria-hidden="true"><use href="#i-reply"/></svg></button>
        <button type="button" class="icon-btn" data-compose="replyAll" aria-label="{{L_COMPOSE_REPLY_ALL}}" title="{{L_COMPOSE_REPLY_ALL}} (a)"><svg class="icon" aria-hidden="true"><use href="#i-reply-all"/></svg></button>
        <button type="button" class="icon-btn" data-compose="forward" aria-label="{{L_COMPOSE_FORWARD}}" title="{{L_COMPOSE_FORWARD}} (f)"><svg class="icon" aria-hidden="true"><use href="#i-forward"/></svg></button>
        <span class="tb-sep" aria-hidden="true"></span>
        <button type="button" class="icon-btn" data-action="msg-archive" aria-label="{{L_MAIL_ARCHIVE}}" title="{{L_MAIL_ARCHIVE}}"><svg class="icon" aria-hidden="true"><use href="#i-archive"/></svg></button>
        <button type="button" class="icon-btn" data-action="msg-spam" aria-label="{{L_MAIL_SPAM}}" title="{{L_MAIL_SPAM}}"><svg class="icon" aria-hidden="true"><use href="#i-junk"/></svg></button>
        <button type="button" class="icon-btn" data-action="msg-delete" aria-label="{{L_MAIL_DELETE}}" title="{{L_MAIL_DELETE}}"><svg class="icon" aria-hidden="true"><use href="#i-trash"/></svg></button>
        <span class="tb-sep" aria-hidden="true"></span>
        <button type="button" class="icon-btn" data-action="msg-unread" id="msg-unread" aria-label="{{L_MAIL_MARK_UNREAD}}" title="{{L_MAIL_MARK_UNREAD}}"><svg class="icon" aria-hidden="true"><use href="#i-mail"/></svg></button>
        <button type="button" class="icon-btn" data-action="msg-flag" id="msg-flag" aria-pressed="false" aria-label="{{L_MAIL_FLAG}}" title="{{L_MAIL_FLAG}}"><svg class="icon" aria-hidden="true"><use href="#i-star"/></svg></button>
        <span class="menu-wrap">
          <button type="button" class="icon-btn" id="msg-more" aria-haspopup="menu" aria-expanded="false" aria-controls="msg-menu" aria-label="{{L_MAIL_VIEW_MORE}}" title="{{L_MAIL_VIEW_MORE}}"><svg class="icon" aria-hidden="true"><use href="#i-more"/></svg></button>
          <div class="menu" id="msg-menu" role="menu" aria-label="{{L_MAIL_VIEW_MORE}}" hidden>
            <button type="button" class="menu-item" role="menuitem" data-compose="forwardAttachment"><svg class="icon" aria-hidden="true"><use href="#i-clip"/></svg><span>{{L_COMPOSE_FORWARD_ATTACHMENT}}</span></button>
            <button type="button" class="menu-item" role="menuitem" data-compose="editAsNew"><svg class="icon" aria-hidden="true"><use href="#i-pencil"/></svg><span>{{L_COMPOSE_EDIT_AS_NEW}}</span></button>
            <div class="menu-sep" role="separator"></div>
            <a class="menu-item" role="menuitem" id="msg-source" href="#" target="_blank" rel="noopener noreferrer"><svg class="icon" aria-hidden="true"><use href="#i-code"/></svg><span>{{L_MAIL_VIEW_SOURCE}}</span></a>
            <a class="menu-item" role="menuitem" id="msg-eml" href="#" download><svg class="icon" aria-hidden="true"><use href="#i-download"/></svg><span>{{L_MAIL_VIEW_DOWNLOAD_EML}}</span></a>
            <button type="button" class="menu-item" role="menuitemcheckbox" aria-checked="false" id="msg-headers-toggle"><svg class="icon" aria-hidden="true"><use href="#i-code"/></svg><span id="msg-headers-toggle-label">{{L_MAIL_VIEW_HEADERS_SHOW}}</span></button>
            <a class="menu-item" role="menuitem" id="msg-print" href="#" target="_blank" rel="noopener noreferrer"><svg class="icon" aria-hidden="true"><use href="#i-printer"/></svg><span>{{L_MAIL_VIEW_PRINTABLE}}</span></a>
            <p class="menu-note">{{L_MAIL_VIEW_PRINTABLE_NOTE}}</p>
          </div>
        </span>
        <span class="tb-spacer"></span>
        <button type="button" class="icon-btn" data-action="msg-prev" aria-label="{{L_MAIL_PREV_MESSAGE}}" title="{{L_MAIL_PREV_MESSAGE}} (k)"><svg class="icon" aria-hidden="true"><use href="#i-chevron-left"/></svg></button>
        <button type="button" class="icon-btn" data-action="msg-next" aria-label="{{L_MAIL_NEXT_MESSAGE}}" title="{{L_MAIL_NEXT_MESSAGE}} (j)"><svg class="icon" aria-hidden="true"><use href="#i-chevron-right"/></svg></button>
      </div>
      <div class="msg-scroll" id="msg-scroll">
        <header class="msg-header">
          <h2 class="msg-subject" id="msg-subject"></h2>
          <div class="msg-badges" id="msg-badges"></div>
          <div class="msg-head">
            <span class="avatar avatar-lg" id="msg-avatar" aria-hidden="true"></span>
            <div class="msg-people">
              <p class="msg-from"><span class="msg-from-name" id="msg-from-name"></span> <span class="msg-from-email" id="msg-from-email"></span></p>
              <dl class="msg-rcpts" id="msg-rcpts"></dl>
            </div>
            <div class="msg-meta">
              <time class="msg-date" id="msg-date"></time>
              <span class="msg-size" id="msg-size"></span>
            </div>
          </div>
        </header>
        <div class="msg-state" id="msg-state" aria-live="polite"></div>
        <section class="msg-headers" id="msg-headers" aria-labelledby="msg-headers-title" hidden>
          <div class="msg-headers-bar">
            <h3 class="msg-headers-title" id="msg-headers-title">{{L_MAIL_VIEW_HEADERS_TITLE}}</h3>
            <button type="button" class="icon-btn icon-btn-sm" id="msg-headers-close" aria-label="{{L_MAIL_VIEW_HEADERS_CLOSE}}" title="{{L_MAIL_VIEW_HEADERS_CLOSE}}"><svg class="icon" aria-hidden="true"><use href="#i-close"/></svg></button>
          </div>
          <pre class="msg-headers-list" id="msg-headers-list" tabindex="0" aria-live="polite"></pre>
        </section>
        <ul class="msg-notices" id="msg-notices" hidden></ul>
        <div class="msg-reading" id="msg-reading" hidden></div>
        <div class="msg-remote" id="msg-remote" role="region" aria-label="{{L_MAIL_VIEW_REMOTE_REGION}}" hidden>
          <svg class="icon" aria-hidden="true"><use href="#i-eye-off"/></svg>
          <p class="msg-remote-text">{{L_MAIL_VIEW_REMOTE_BLOCKED}}</p>
          <span class="msg-remote-actions">
            <button type="button" class="btn btn-secondary btn-slim" id="msg-show-images">{{L_MAIL_VIEW_SHOW_IMAGES}}</button>
            <button type="button" class="link-btn" id="msg-always-images"></button>
          </span>
        </div>
        <p class="msg-images-note" id="msg-images-note" hidden>
          <svg class="icon" aria-hidden="true"><use href="#i-eye"/></svg>
          <span id="msg-images-note-text"></span>
          <span class="msg-images-note-act"><span aria-hidden="true">·</span> <button type="button" class="link-btn" id="msg-images-stop">{{L_MAIL_VIEW_IMAGES_STOP}}</button></span>
        </p>
        <section class="msg-calendar" id="msg-calendar" aria-label="{{L_MAIL_VIEW_CALENDAR}}" hidden></section>
        <section class="msg-atts" id="msg-atts" aria-labelledby="msg-atts-title" hidden>
          <div class="msg-atts-bar">
            <h3 class="msg-atts-title" id="msg-atts-title"></h3>
            <a class="link-btn msg-att-zip" id="msg-att-zip" href="#" download hidden><svg class="icon" aria-hidden="true"><use href="#i-zip"/></svg><span>{{L_MAIL_VIEW_ZIP}}</span></a>
          </div>
          <ul class="msg-att-list" id="msg-att-list"></ul>
        </section>
        <div class="msg-body" id="msg-body"></div>
      </div>
    </article>
  </section>
</div>

<div class="menu folder-menu" id="folder-menu" role="menu" aria-labelledby="folder-menu-title" hidden>
  <p class="menu-label folder-menu-title" id="folder-menu-title"></p>
  <button type="button" class="menu-item" role="menuitem" data-folder-action="subfolder"><svg class="icon" aria-hidden="true"><use href="#i-folder-plus"/></svg><span>{{L_MAIL_FOLDER_NEW_SUB}}</span></button>
  <button type="button" class="menu-item" role="menuitem" data-folder-action="rename"><svg class="icon" aria-hidden="true"><use href="#i-pencil"/></svg><span>{{L_MAIL_FOLDER_RENAME}}</span></button>
  <button type="button" class="menu-item" role="menuitem" data-folder-action="read"><svg class="icon" aria-hidden="true"><use href="#i-check-all"/></svg><span>{{L_MAIL_MARK_ALL_READ}}</span></button>
  <button type="button" class="menu-item" role="menuitem" data-folder-action="subscribe"><svg class="icon" aria-hidden="true"><use href="#i-eye-off"/></svg><span class="folder-menu-sub">{{L_MAIL_FOLDER_UNSUBSCRIBE}}</span></button>
  <button type="button" class="menu-item" role="menuitem" data-folder-action="import"><svg class="icon" aria-hidden="true"><use href="#i-upload"/></svg><span>{{L_MAIL_FOLDER_IMPORT}}</span></button>
  <button type="button" class="menu-item" role="menuitem" data-folder-action="export"><svg class="icon" aria-hidden="true"><use href="#i-download"/></svg><span>{{L_MAIL_FOLDER_EXPORT}}</span></button>
  <button type="button" class="menu-item" role="menuitem" data-folder-action="export-zip"><svg class="icon" aria-hidden="true"><use href="#i-download"/></svg><span>{{L_MAIL_FOLDER_EXPORT_ZIP}}</span></button>
  <div class="menu-sep" role="separator" data-for="empty"></div>
  <button type="button" class="menu-item menu-danger" role="menuitem" data-folder-action="empty"><svg class="icon" aria-hidden="true"><use href="#i-sweep"/></svg><span>{{L_MAIL_FOLDER_EMPTY}}</span></button>
  <div class="menu-sep" role="separator" data-for="delete"></div>
  <button type="button" class="menu-item menu-danger" role="menuitem" data-folder-action="delete"><svg class="icon" aria-hidden="true"><use href="#i-trash"/></svg><span>{{L_MAIL_FOLDER_DELETE}}</span></button>
  <p class="menu-note" id="folder-menu-note" hidden>{{L_MAIL_FOLDER_SPECIAL_NOTE}}</p>
</div>

<div class="drag-ghost" id="drag-ghost" aria-hidden="true"><svg class="icon" aria-hidden="true"><use href="#i-mail"/></svg><span id="drag-ghost-text"></span></div>

<div class="toasts" id="toasts" aria-live="polite"></div>

<div class="overlay" id="help" hidden>
  <section class="dialog" role="dialog" aria-modal="true" aria-labelledby="help-title" tabindex="-1">
    <header class="dialog-head">
      <h2 id="help-title">{{L_MAIL_SHORTCUTS}}</h2>
      <button type="button" class="icon-btn" data-action="help-close" aria-label="{{L_MAIL_CLOSE}}"><svg class="icon" aria-hidden="true"><use href="#i-close"/></svg></button>
    </header>
    <div class="dialog-body help-grid">
      <dl class="keys">
        <div><dt><kbd>j</kbd> <kbd>↓</kbd></dt><dd>{{L_MAIL_KEY_NEXT}}</dd></div>
        <div><dt><kbd>k</kbd> <kbd>↑</kbd></dt><dd>{{L_MAIL_KEY_PREV}}</dd></div>
        <div><dt><kbd>Enter</kbd></dt><dd>{{L_MAIL_KEY_OPEN}}</dd></div>
        <div><dt><kbd>x</kbd></dt><dd>{{L_MAIL_KEY_SELECT}}</dd></div>
        <div><dt><kbd>Shift</kbd> + <kbd>j</kbd> <kbd>k</kbd></dt><dd>{{L_MAIL_KEY_EXTEND}}</dd></div>
        <div><dt><kbd>Ctrl</kbd> + <kbd>a</kbd></dt><dd>{{L_MAIL_SELECT_ALL}}</dd></div>
        <div><dt><kbd>u</kbd></dt><dd>{{L_MAIL_KEY_UNREAD}}</dd></div>
        <div><dt><kbd>s</kbd> <kbd>i</kbd></dt><dd>{{L_MAIL_KEY_FLAG}}</dd></div>
        <div><dt><kbd>Del</kbd></dt><dd>{{L_MAIL_KEY_DELETE}}</dd></div>
        <div><dt><kbd>/</kbd></dt><dd>{{L_MAIL_KEY_SEARCH}}</dd></div>
        <div><dt><kbd>n</kbd> <kbd>p</kbd></dt><dd>{{L_MAIL_KEY_PAGES}}</dd></div>
        <div><dt><kbd>c</kbd></dt><dd>{{L_COMPOSE_KEY_NEW}}</dd></div>
        <div><dt><kbd>r</kbd> <kbd>a</kbd> <kbd>f</kbd></dt><dd>{{L_COMPOSE_KEY_REPLY}}</dd></div>
        <div><dt><kbd>Ctrl</kbd> + <kbd>Enter</kbd></dt><dd>{{L_COMPOSE_KEY_SEND}}</dd></div>
        <div><dt><kbd>Ctrl</kbd> + <kbd>p</kbd></dt><dd>{{L_MAIL_KEY_PRINT}}</dd></div>
        <div><dt><kbd>l</kbd></dt><dd>{{L_LABELS_KEY}}</dd></div>
        <div><dt><kbd>b</kbd></dt><dd>{{L_SNOOZE_KEY}}</dd></div>
        <div><dt><kbd>?</kbd></dt><dd>{{L_MAIL_KEY_HELP}}</dd></div>
        <div><dt><kbd>Esc</kbd></dt><dd>{{L_MAIL_KEY_ESCAPE}}</dd></div>
      </dl>
      <div class="search-help">
        <h3>{{L_MAIL_SEARCH_SYNTAX}}</h3>
        <dl class="keys">
          <div><dt><code>from:bob</code></dt><dd>{{L_MAIL_SEARCH_FROM}}</dd></div>
          <div><dt><code>to:alice</code></dt><dd>{{L_MAIL_SEARCH_TO}}</dd></div>
          <div><dt><code>subject:report</code></dt><dd>{{L_MAIL_SEARCH_SUBJECT}}</dd></div>
          <div><dt><code>has:attachment</code></dt><dd>{{L_MAIL_SEARCH_HAS_ATT}}</dd></div>
          <div><dt><code>is:unread</code></dt><dd>{{L_MAIL_SEARCH_IS}}</dd></div>
          <div><dt><code>after:2026-01-31</code></dt><dd>{{L_MAIL_SEARCH_DATES}}</dd></div>
          <div><dt><code>"exact words"</code></dt><dd>{{L_MAIL_SEARCH_PHRASE}}</dd></div>
          <div><dt><code>keyword:$label1</code></dt><dd>{{L_LABELS_SEARCH_KEYWORD}}</dd></div>
          <div><dt><code>in:anywhere</code></dt><dd>{{L_MAIL_SEARCH_IN}}</dd></div>
        </dl>
      </div>
    </div>
  </section>
</div>
<div class="overlay" id="folder-dialog" hidden>
  <form class="dialog dialog-sm" id="fd-form" role="dialog" aria-modal="true" aria-labelledby="fd-title" tabindex="-1" novalidate>
    <header class="dialog-head">
      <h2 id="fd-title"></h2>
      <button type="button" class="icon-btn" data-action="fd-cancel" aria-label="{{L_MAIL_CLOSE}}"><svg class="icon" aria-hidden="true"><use href="#i-close"/></svg></button>
    </header>
    <div class="dialog-body fd-body">
      <div class="fd-confirm" id="fd-confirm">
        <span class="fd-confirm-art" aria-hidden="true"><svg class="icon" aria-hidden="true"><use href="#i-alert"/></svg></span>
        <div>
          <p class="fd-text" id="fd-text"></p>
          <p class="fd-subtext" id="fd-subtext"></p>
        </div>
      </div>
      <div class="field" id="fd-name-field">
        <label class="field-label" for="fd-name">{{L_MAIL_FOLDER_NAME}}</label>
        <div class="field-box">
          <svg class="field-icon" aria-hidden="true"><use href="#i-folder"/></svg>
          <input type="text" id="fd-name" name="name" autocomplete="off" spellcheck="false" maxlength="200" enterkeyhint="done" aria-describedby="fd-hint fd-error">
        </div>
        <p class="field-hint" id="fd-hint"></p>
      </div>
      <div class="field" id="fd-parent-field">
        <label class="field-label" for="fd-parent">{{L_MAIL_FOLDER_PARENT}}</label>
        <div class="field-box select-box">
          <svg class="field-icon" aria-hidden="true"><use href="#i-layers"/></svg>
          <select id="fd-parent" name="parent"></select>
          <svg class="icon icon-sm select-caret" aria-hidden="true"><use href="#i-chevron-down"/></svg>
        </div>
      </div>
      <p class="alert alert-error fd-error" id="fd-error" role="alert" hidden></p>
    </div>
    <footer class="dialog-foot">
      <button type="button" class="btn btn-secondary" data-action="fd-cancel">{{L_MAIL_FOLDER_CANCEL}}</button>
      <button type="submit" class="btn btn-primary" id="fd-submit"></button>
    </footer>
  </form>
</div>
</body>
</html>
