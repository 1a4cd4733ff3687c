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
    <h1>{{L_ADMIN_NAV_LOGS}}</h1>
    <p class="admin-sub">{{L_ADMIN_LOGS_SUB}}</p>
  </header>
  <section class="card">
    <h2>{{L_ADMIN_AUDIT}}</h2>
    {{#AUDIT_EMPTY}}<p class="muted">{{L_ADMIN_AUDIT_EMPTY}}</p>{{/AUDIT_EMPTY}}
    <div class="table-wrap">
    <table class="table" id="audit-log">
      <thead><tr><th>{{L_ADMIN_AUDIT_TIME}}</th><th>{{L_ADMIN_AUDIT_ACTOR}}</th><th>{{L_ADMIN_AUDIT_IP}}</th><th>{{L_ADMIN_AUDIT_ACTION}}</th><th>{{L_ADMIN_AUDIT_DETAIL}}</th></tr></thead>
      <tbody>
      {{#AUDIT}}<tr><td class="nowrap">{{TIME}}</td><td>{{ACTOR}}</td><td>{{IP}}</td><td><code>{{ACTION}}</code></td><td class="wrap">{{DETAIL}}</td></tr>{{/AUDIT}}
      </tbody>
    </table>
    </div>
  </section>
  <section class="card">
    <h2>{{L_ADMIN_LOGS_FILE}} <code class="muted">{{LOG_PATH}}</code></h2>
    {{#LOG_ERROR}}<p class="alert alert-error">{{TEXT}}</p>{{/LOG_ERROR}}
    <div class="logview" id="log-lines">
      {{#LINES}}<pre class="logline {{LEVEL}}">{{TEXT}}</pre>{{/LINES}}
    </div>
  </section>
</main>
</body>
</html>
