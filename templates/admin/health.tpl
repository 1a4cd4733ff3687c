{{%AUTOESCAPE context="HTML"}}
<!DOCTYPE html>
<html lang="{{LANG}}">
<head>
{{>HEAD}}
<link rel="stylesheet" href="{{STATIC}}/css/admin.css?v={{ASSET_VERSION}}">
<link rel="stylesheet" href="{{STATIC}}/css/admin-health.css?v={{ASSET_VERSION}}">
<script src="{{STATIC}}/js/admin.js?v={{ASSET_VERSION}}" defer></script>
</head>
<body class="page-admin">
{{>ADMIN_NAV}}
<main class="admin-main">
  <header class="admin-head">
    <h1>{{L_ADMIN_NAV_HEALTH}}</h1>
    <p class="admin-sub">{{L_ADMIN_HEALTH_SUB}}</p>
  </header>
  <section class="card">
    <form method="get" action="/admin/health" class="row-form" id="health-form">
      <input type="text" name="name" value="{{NAME}}" list="health-domains" placeholder="example.com" aria-label="{{L_ADMIN_DOMAIN_NAME}}">
      <datalist id="health-domains">{{#DOMAINS}}<option value="{{NAME}}">{{/DOMAINS}}</datalist>
      <button class="btn btn-primary" type="submit">{{L_ADMIN_HEALTH_RUN}}</button>
    </form>
    {{#NAME_ERROR}}<p class="alert alert-error" role="alert">{{L_ADMIN_HEALTH_BAD_NAME}}</p>{{/NAME_ERROR}}
  </section>
  {{#REPORT}}
  <section class="card" id="health-report" data-domain="{{DOMAIN}}">
    <h2>{{DOMAIN}} <span class="pill {{OVERALL_CLASS}}" id="health-overall">{{OVERALL}}</span></h2>
    <p class="muted">{{L_ADMIN_HEALTH_RESOLVER}} <span class="mono">{{RESOLVER}}</span> · {{#DNSSEC_YES}}{{L_ADMIN_HEALTH_DNSSEC_YES}}{{/DNSSEC_YES}}{{#DNSSEC_NO}}{{L_ADMIN_HEALTH_DNSSEC_NO}}{{/DNSSEC_NO}}</p>
    <ul class="health-list">
    {{#CHECKS}}<li class="health-check health-{{STATUS}}" data-check="{{ID}}" data-status="{{STATUS}}">
      <div class="health-head"><span class="pill {{STATUS_CLASS}}">{{STATUS_LABEL}}</span> <strong>{{TITLE}}</strong></div>
      <p class="health-found">{{FOUND}}</p>
      {{#WHY}}<p class="muted health-why">{{TEXT}}</p>{{/WHY}}
      {{#FIX}}<p class="health-fix-label">{{L_ADMIN_HEALTH_FIX}}</p><pre class="health-fix mono">{{TEXT}}</pre>{{/FIX}}
      {{#RELAY_LINK}}<p class="btn-row"><a class="btn btn-secondary btn-sm" href="/admin/settings#relay" id="health-relay-all">{{L_ADMIN_HEALTH_RELAY_ALL}}</a> <a class="btn btn-secondary btn-sm" href="/admin/domain?name={{NAME:u}}">{{L_ADMIN_HEALTH_RELAY}}</a></p>{{/RELAY_LINK}}
    </li>{{/CHECKS}}
    </ul>
  </section>
  {{/REPORT}}
</main>
</body>
</html>
