{{%AUTOESCAPE context="HTML"}}
<aside class="admin-side">
  <div class="admin-brand">
    <img src="{{LOGO_URL}}" alt="" height="32">
    <div>
      <strong>{{SITE_TITLE}}</strong>
      <span class="admin-badge">{{L_ADMIN_BADGE}}</span>
    </div>
  </div>
  <nav class="admin-nav" aria-label="{{L_ADMIN_BADGE}}">
    <a href="/admin/"{{#NAV_DASHBOARD}} class="active" aria-current="page"{{/NAV_DASHBOARD}}><svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 13h7V4H4z M13 20h7v-9h-7z M4 20h7v-5H4z M13 9h7V4h-7z"/></svg>{{L_ADMIN_NAV_DASHBOARD}}</a>
    <a href="/admin/domains"{{#NAV_DOMAINS}} class="active" aria-current="page"{{/NAV_DOMAINS}}><svg viewBox="0 0 24 24" aria-hidden="true"><path d="M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18z M3 12h18 M12 3c3 3 3 15 0 18 M12 3c-3 3-3 15 0 18"/></svg>{{L_ADMIN_NAV_DOMAINS}}</a>
    <a href="/admin/health"{{#NAV_HEALTH}} class="active" aria-current="page"{{/NAV_HEALTH}}><svg viewBox="0 0 24 24" aria-hidden="true"><path d="M3 12h4l2-5l4 10l2-5h6"/></svg>{{L_ADMIN_NAV_HEALTH}}</a>
    <a href="/admin/settings"{{#NAV_SETTINGS}} class="active" aria-current="page"{{/NAV_SETTINGS}}><svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 6h16 M4 12h16 M4 18h16 M8 4v4 M16 10v4 M10 16v4"/></svg>{{L_ADMIN_NAV_SETTINGS}}</a>
    <a href="/admin/security"{{#NAV_SECURITY}} class="active" aria-current="page"{{/NAV_SECURITY}}><svg viewBox="0 0 24 24" aria-hidden="true"><path d="M12 3l8 3v6c0 5-3.5 8-8 9c-4.5-1-8-4-8-9V6z"/></svg>{{L_ADMIN_NAV_SECURITY}}</a>
    <a href="/admin/plugins"{{#NAV_PLUGINS}} class="active" aria-current="page"{{/NAV_PLUGINS}}><svg viewBox="0 0 24 24" aria-hidden="true"><path d="M9 3v5 M15 3v5 M6 8h12v4a6 6 0 0 1-12 0z M12 18v3"/></svg>{{L_ADMIN_NAV_PLUGINS}}</a>
    <a href="/admin/logs"{{#NAV_LOGS}} class="active" aria-current="page"{{/NAV_LOGS}}><svg viewBox="0 0 24 24" aria-hidden="true"><path d="M6 3h9l4 4v14H6z M9 10h7 M9 14h7 M9 18h4"/></svg>{{L_ADMIN_NAV_LOGS}}</a>
  </nav>
  <div class="admin-side-foot">
    <span class="admin-user" title="{{ADMIN_USER}}">{{ADMIN_USER}}</span>
    <form method="post" action="/admin/logout">
      <input type="hidden" name="csrf" value="{{CSRF}}">
      <button type="submit" class="btn btn-secondary btn-sm" id="admin-logout">{{L_ADMIN_LOGOUT}}</button>
    </form>
  </div>
</aside>
