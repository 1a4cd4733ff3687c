{{%AUTOESCAPE context="HTML"}}
<!DOCTYPE html>
<html lang="{{LANG}}">
<head>
{{>HEAD}}
<link rel="stylesheet" href="{{STATIC}}/css/admin.css?v={{ASSET_VERSION}}">
<script src="{{STATIC}}/js/admin.js?v={{ASSET_VERSION}}" defer></script>
</head>
<body class="page-admin">
{{>ADMIN_NAV}}
<main class="admin-main">
  <header class="admin-head">
    <h1>{{L_ADMIN_NAV_DASHBOARD}}</h1>
    <p class="admin-sub">{{L_ADMIN_DASH_SUB}}</p>
  </header>
  <section class="stats">
    <div class="stat"><span class="stat-label">{{L_ADMIN_DASH_VERSION}}</span><span class="stat-value" id="dash-version">{{ADMIN_VERSION}}</span></div>
    <div class="stat"><span class="stat-label">{{L_ADMIN_DASH_UPTIME}}</span><span class="stat-value">{{UPTIME}}</span><span class="stat-note">{{L_ADMIN_DASH_SINCE}} {{STARTED}}</span></div>
    <div class="stat"><span class="stat-label">{{L_ADMIN_DASH_SESSIONS}}</span><span class="stat-value" id="dash-sessions">{{SESSIONS}}</span></div>
    <div class="stat"><span class="stat-label">{{L_ADMIN_DASH_POOL}}</span><span class="stat-value">{{POOL_OPEN}}</span><span class="stat-note">{{POOL_BUSY}} {{L_ADMIN_DASH_BUSY}} · {{POOL_CONNECTS}} {{L_ADMIN_DASH_CONNECTS}} · {{POOL_REUSES}} {{L_ADMIN_DASH_REUSES}}</span></div>
    <div class="stat"><span class="stat-label">{{L_ADMIN_NAV_DOMAINS}}</span><span class="stat-value">{{DOMAINS}}</span><span class="stat-note"><a href="/admin/domains">{{L_ADMIN_DASH_MANAGE}}</a></span></div>
  </section>
  <div class="admin-grid">
    <section class="card" id="dash-warnings">
      <h2>{{L_ADMIN_DASH_WARNINGS}}</h2>
      {{#NO_WARNINGS}}<p class="muted ok-text">{{L_ADMIN_DASH_NO_WARNINGS}}</p>{{/NO_WARNINGS}}
      <ul class="warnings">
        {{#CRED_FILE}}<li class="warning severe" id="cred-file-warning">{{L_ADMIN_WARN_CREDENTIALS_RECORD}} <code>{{PATH}}</code> ({{L_ADMIN_CRED_WRITTEN}} {{WRITTEN}})
          <form method="post" action="/admin/credentials-file/deleted" class="inline">
            <input type="hidden" name="csrf" value="{{CSRF}}">
            <button type="submit" class="btn btn-secondary btn-sm">{{L_ADMIN_CRED_CONFIRM_DELETED}}</button>
          </form></li>{{/CRED_FILE}}
        {{#WARNINGS}}<li class="warning{{#SEVERE}} severe{{/SEVERE}}">{{TEXT}}</li>{{/WARNINGS}}
      </ul>
    </section>
    <section class="card" id="dash-errors">
      <h2>{{L_ADMIN_DASH_ERRORS}}</h2>
      {{#NO_ERRORS}}<p class="muted ok-text">{{L_ADMIN_DASH_NO_ERRORS}}</p>{{/NO_ERRORS}}
      {{#ERRORS}}<pre class="logline error">{{LINE}}</pre>{{/ERRORS}}
      <p><a href="/admin/logs">{{L_ADMIN_DASH_ALL_LOGS}}</a></p>
    </section>
  </div>
  <section class="card">
    <h2>{{L_ADMIN_AUDIT}}</h2>
    {{#AUDIT_EMPTY}}<p class="muted">{{L_ADMIN_AUDIT_EMPTY}}</p>{{/AUDIT_EMPTY}}
    <div class="table-wrap">
    <table class="table">
      <tbody>
      {{#AUDIT}}<tr><td class="nowrap">{{TIME}}</td><td>{{ACTOR}}</td><td><code>{{ACTION}}</code></td><td class="wrap">{{DETAIL}}</td></tr>{{/AUDIT}}
      </tbody>
    </table>
    </div>
  </section>
</main>
</body>
</html>
