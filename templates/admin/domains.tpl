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
  <header class="admin-head admin-head-row">
    <div>
      <h1>{{L_ADMIN_NAV_DOMAINS}}</h1>
      <p class="admin-sub">{{L_ADMIN_DOMAINS_SUB}}</p>
    </div>
    <a class="btn btn-primary" id="domain-add" href="/admin/domain">{{L_ADMIN_DOMAIN_ADD}}</a>
  </header>
  {{#SAVED}}<p class="alert alert-ok" role="status">{{L_ADMIN_SAVED}}</p>{{/SAVED}}
  <section class="card">
    <div class="table-wrap">
    <table class="table" id="domain-list">
      <thead><tr><th>{{L_ADMIN_DOMAIN_NAME}}</th><th>IMAP</th><th>SMTP</th><th>Sieve</th><th>{{L_ADMIN_STATUS}}</th><th></th></tr></thead>
      <tbody>
      {{#DOMAINS}}<tr data-domain="{{NAME}}">
        <td><strong>{{NAME}}</strong>{{#IS_DEFAULT}} <span class="tag">{{L_ADMIN_DEFAULT_TAG}}</span>{{/IS_DEFAULT}}{{#BUILTIN}} <span class="tag muted">{{L_ADMIN_BUILTIN}}</span>{{/BUILTIN}}</td>
        <td class="mono">{{IMAP}}</td>
        <td class="mono">{{SMTP}}</td>
        <td class="mono">{{SIEVE}}</td>
        <td>{{#ENABLED}}<span class="pill pill-ok">{{L_ADMIN_ENABLED}}</span>{{/ENABLED}}{{#DISABLED}}<span class="pill pill-off">{{L_ADMIN_DISABLED}}</span>{{/DISABLED}}</td>
        <td class="actions">
          <a class="btn btn-secondary btn-sm" href="/admin/domain?name={{NAME:u}}">{{L_ADMIN_EDIT}}</a>
          {{#CAN_DELETE}}
          <form method="post" action="/admin/domain/toggle" class="inline">
            <input type="hidden" name="csrf" value="{{CSRF}}">
            <input type="hidden" name="name" value="{{NAME}}">
            {{#ENABLED}}<input type="hidden" name="disabled" value="On"><button class="btn btn-secondary btn-sm" type="submit">{{L_ADMIN_DISABLE}}</button>{{/ENABLED}}
            {{#DISABLED}}<input type="hidden" name="disabled" value="Off"><button class="btn btn-secondary btn-sm" type="submit">{{L_ADMIN_ENABLE}}</button>{{/DISABLED}}
          </form>
          <form method="post" action="/admin/domain/delete" class="inline" data-confirm="{{L_ADMIN_DELETE_CONFIRM}}">
            <input type="hidden" name="csrf" value="{{CSRF}}">
            <input type="hidden" name="name" value="{{NAME}}">
            <button class="btn btn-danger btn-sm" type="submit">{{L_ADMIN_DELETE}}</button>
          </form>
          {{/CAN_DELETE}}
        </td>
      </tr>{{/DOMAINS}}
      </tbody>
    </table>
    </div>
  </section>
  <section class="card">
    <h2>{{L_ADMIN_LOOKUP_TITLE}}</h2>
    <p class="muted">{{L_ADMIN_LOOKUP_SUB}}</p>
    <form method="get" action="/admin/domains" class="row-form" id="lookup-form">
      <input type="text" name="email" value="{{LOOKUP_EMAIL}}" placeholder="user@example.com" aria-label="{{L_LOGIN_EMAIL}}">
      <button class="btn btn-secondary" type="submit">{{L_ADMIN_LOOKUP_GO}}</button>
    </form>
    {{#LOOKUP}}<div class="lookup" id="lookup-result">
      {{#LOOKUP_ERROR}}<p class="alert alert-error">{{TEXT}}</p>{{/LOOKUP_ERROR}}
      {{#LOOKUP_OK}}<p><strong>{{EMAIL}}</strong> → <span class="tag">{{USES}}</span> <code class="muted">{{FILE}}</code> · IMAP <span class="mono">{{IMAP}}</span></p>{{/LOOKUP_OK}}
      {{#LOOKUP_DISABLED}}<p><strong>{{EMAIL}}</strong> → <span class="tag">{{USES}}</span> <span class="pill pill-off">{{L_ADMIN_DISABLED}}</span></p>{{/LOOKUP_DISABLED}}
      {{#LOOKUP_NOT_LISTED}}<p><strong>{{EMAIL}}</strong> → <span class="tag">{{USES}}</span> <span class="pill pill-off">{{L_ADMIN_LOOKUP_NOT_LISTED}}</span></p>{{/LOOKUP_NOT_LISTED}}
    </div>{{/LOOKUP}}
  </section>
</main>
</body>
</html>
