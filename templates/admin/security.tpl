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
    <h1>{{L_ADMIN_NAV_SECURITY}}</h1>
    <p class="admin-sub">{{L_ADMIN_SECURITY_SUB}}</p>
  </header>
  {{#SAVED}}<p class="alert alert-ok" role="status">{{L_ADMIN_SAVED}}</p>{{/SAVED}}
  <div class="admin-grid">
    <section class="card">
      <h2>{{L_ADMIN_SEC_CREDENTIALS}}</h2>
      <p class="muted">{{L_ADMIN_SEC_CREDENTIALS_SUB}}</p>
      <form method="post" action="/admin/security/password" id="password-form" class="stack" novalidate>
        <input type="hidden" name="csrf" value="{{CSRF}}">
        <label class="f{{#ERR_LOGIN}} has-error{{/ERR_LOGIN}}"><span class="f-label">{{L_ADMIN_LOGIN_USER}}</span>
          <input type="text" name="new_login" value="{{CUR_LOGIN}}" autocomplete="username">
          {{#ERR_LOGIN}}<span class="f-error" role="alert">{{TEXT}}</span>{{/ERR_LOGIN}}</label>
        <label class="f{{#ERR_PASSWORD}} has-error{{/ERR_PASSWORD}}"><span class="f-label">{{L_ADMIN_SEC_NEW_PASSWORD}}</span>
          <input type="password" name="new_password" autocomplete="new-password">
          <span class="f-help">{{L_ADMIN_SEC_PASSWORD_HELP}}</span>
          {{#ERR_PASSWORD}}<span class="f-error" role="alert">{{TEXT}}</span>{{/ERR_PASSWORD}}</label>
        <label class="f{{#ERR_CONFIRM}} has-error{{/ERR_CONFIRM}}"><span class="f-label">{{L_ADMIN_SEC_CONFIRM}}</span>
          <input type="password" name="confirm" autocomplete="new-password">
          {{#ERR_CONFIRM}}<span class="f-error" role="alert">{{TEXT}}</span>{{/ERR_CONFIRM}}</label>
        <label class="f{{#ERR_CURRENT}} has-error{{/ERR_CURRENT}}"><span class="f-label">{{L_ADMIN_SEC_CURRENT}}</span>
          <input type="password" name="current" autocomplete="current-password">
          {{#ERR_CURRENT}}<span class="f-error" role="alert">{{TEXT}}</span>{{/ERR_CURRENT}}</label>
        <div><button type="submit" class="btn btn-primary">{{L_ADMIN_SAVE}}</button></div>
      </form>
    </section>
    <section class="card" id="totp-card">
      <h2>{{L_ADMIN_SEC_TOTP}}</h2>
      {{#TOTP_ON}}<p><span class="pill pill-ok">{{L_ADMIN_ENABLED}}</span> {{L_ADMIN_SEC_TOTP_ON}}</p>
      <form method="post" action="/admin/security/totp" class="stack" id="totp-disable-form">
        <input type="hidden" name="csrf" value="{{CSRF}}">
        <input type="hidden" name="action" value="disable">
        <label class="f{{#ERR_TOTP}} has-error{{/ERR_TOTP}}"><span class="f-label">{{L_ADMIN_LOGIN_TOTP}}</span>
          <input type="text" name="code" inputmode="numeric" maxlength="6" autocomplete="one-time-code">
          {{#ERR_TOTP}}<span class="f-error" role="alert">{{TEXT}}</span>{{/ERR_TOTP}}</label>
        <div><button type="submit" class="btn btn-danger">{{L_ADMIN_SEC_TOTP_DISABLE}}</button></div>
      </form>{{/TOTP_ON}}
      {{#TOTP_OFF}}<p class="muted">{{L_ADMIN_SEC_TOTP_OFF}}</p>
      <div class="totp-enrol">
        {{#QR}}<img class="qr" id="totp-qr" src="data:image/svg+xml;base64,{{QR_DATA}}" alt="{{L_ADMIN_SEC_TOTP_QR}}" width="176" height="176">{{/QR}}
        <div>
          <p class="small muted">{{L_ADMIN_SEC_TOTP_SECRET}}</p>
          <p><code class="secret" id="totp-secret">{{SECRET}}</code></p>
          <p class="small muted">{{L_ADMIN_SEC_TOTP_URI}}</p>
          <p><code class="uri" id="totp-uri">{{URI}}</code></p>
        </div>
      </div>
      <form method="post" action="/admin/security/totp" class="stack" id="totp-enable-form">
        <input type="hidden" name="csrf" value="{{CSRF}}">
        <input type="hidden" name="action" value="enable">
        <input type="hidden" name="secret" value="{{SECRET}}">
        <label class="f{{#ERR_TOTP}} has-error{{/ERR_TOTP}}"><span class="f-label">{{L_ADMIN_SEC_TOTP_CODE}}</span>
          <input type="text" name="code" inputmode="numeric" maxlength="6" autocomplete="one-time-code">
          {{#ERR_TOTP}}<span class="f-error" role="alert">{{TEXT}}</span>{{/ERR_TOTP}}</label>
        <div><button type="submit" class="btn btn-primary">{{L_ADMIN_SEC_TOTP_ENABLE}}</button></div>
      </form>{{/TOTP_OFF}}
    </section>
  </div>
  <section class="card">
    <h2>{{L_ADMIN_SEC_SESSIONS}}</h2>
    {{#NO_SESSIONS}}<p class="muted">{{L_ADMIN_SEC_NO_SESSIONS}}</p>{{/NO_SESSIONS}}
    <div class="table-wrap">
    <table class="table" id="user-sessions">
      <thead><tr><th>{{L_LOGIN_EMAIL}}</th><th>{{L_ADMIN_AUDIT_IP}}</th><th>{{L_ADMIN_SEC_STARTED}}</th><th>{{L_ADMIN_SEC_LAST_SEEN}}</th><th></th></tr></thead>
      <tbody>
      {{#SESSIONS}}<tr><td>{{USER}}</td><td>{{IP}}</td><td class="nowrap">{{CREATED}}</td><td class="nowrap">{{LAST_SEEN}}</td>
        <td class="actions"><form method="post" action="/admin/session/end" class="inline">
          <input type="hidden" name="csrf" value="{{CSRF}}"><input type="hidden" name="id" value="{{ID}}">
          <button class="btn btn-secondary btn-sm" type="submit">{{L_ADMIN_SEC_END}}</button></form></td></tr>{{/SESSIONS}}
      </tbody>
    </table>
    </div>
  </section>
  <section class="card danger-zone">
    <h2>{{L_ADMIN_SEC_PANEL}}</h2>
    <p class="muted">{{L_ADMIN_SEC_PANEL_SUB}}</p>
    <form method="post" action="/admin/security/panel" class="row-form" id="panel-form" data-confirm="{{L_ADMIN_SEC_PANEL_CONFIRM}}">
      <input type="hidden" name="csrf" value="{{CSRF}}">
      <input type="password" name="current" placeholder="{{L_ADMIN_SEC_CURRENT}}" aria-label="{{L_ADMIN_SEC_CURRENT}}" autocomplete="current-password">
      <button type="submit" class="btn btn-danger">{{L_ADMIN_SEC_PANEL_OFF}}</button>
    </form>
  </section>
</main>
</body>
</html>
