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
    <p class="crumbs"><a href="/admin/domains">{{L_ADMIN_NAV_DOMAINS}}</a> /</p>
    <h1>{{#IS_NEW}}{{L_ADMIN_DOMAIN_ADD}}{{/IS_NEW}}{{#IS_EDIT}}{{NAME}}{{/IS_EDIT}}</h1>
    <p class="admin-sub">{{L_ADMIN_DOMAIN_SUB}}</p>
  </header>
  <form method="post" action="/admin/domain" id="domain-form" class="admin-form" novalidate>
    <input type="hidden" name="csrf" value="{{CSRF}}">
    {{#IS_EDIT}}<input type="hidden" name="orig" value="{{NAME}}">{{/IS_EDIT}}
    {{#IS_NEW}}<section class="card">
      <div class="fgrid">
        <label class="f{{#NAME_ERROR}} has-error{{/NAME_ERROR}}">
          <span class="f-label">{{L_ADMIN_DOMAIN_NAME}}</span>
          <input type="text" name="name" id="f-name" value="{{NAME}}" placeholder="example.com" autocapitalize="off" spellcheck="false">
          <span class="f-help">{{L_ADMIN_DOMAIN_NAME_HELP}}</span>
          {{#NAME_ERROR}}<span class="f-error" role="alert">{{TEXT}}</span>{{/NAME_ERROR}}
        </label>
      </div>
    </section>{{/IS_NEW}}
    {{#GROUPS}}<section class="card group-{{GROUP}}">
      <h2>{{TITLE}}</h2>
      <div class="fgrid">
        {{#FIELDS}}<label class="f{{#ERROR}} has-error{{/ERROR}}">
          <span class="f-label">{{LABEL}}</span>
          {{#INPUT}}<input type="{{TYPE}}" name="{{NAME}}" id="f-{{NAME}}" value="{{VALUE}}" autocapitalize="off" spellcheck="false">{{/INPUT}}
          {{#SELECT}}<select name="{{NAME}}" id="f-{{NAME}}">{{#OPTIONS}}<option value="{{OPT}}"{{#SELECTED}} selected{{/SELECTED}}>{{OPT}}</option>{{/OPTIONS}}</select>{{/SELECT}}
          {{#ERROR}}<span class="f-error" role="alert">{{TEXT}}</span>{{/ERROR}}
        </label>{{/FIELDS}}
      </div>
    </section>{{/GROUPS}}
    <section class="card">
      <h2>{{L_ADMIN_TEST_TITLE}}</h2>
      <p class="muted">{{L_ADMIN_TEST_SUB}}</p>
      <div class="fgrid">
        <label class="f"><span class="f-label">{{L_ADMIN_TEST_USER}}</span><input type="text" name="test_user" id="f-test_user" value="{{TEST_USER}}" autocomplete="off" autocapitalize="off"></label>
        <label class="f"><span class="f-label">{{L_LOGIN_PASSWORD}}</span><input type="password" name="test_password" id="f-test_password" autocomplete="new-password"></label>
      </div>
      {{#PROBED}}<div class="probes" id="probe-results">
        {{#PROBES}}<article class="probe {{#PROBE_OK}}probe-ok{{/PROBE_OK}}{{#PROBE_FAIL}}probe-fail{{/PROBE_FAIL}}" data-proto="{{PROTO}}">
          <header><strong>{{PROTO}}</strong>
            {{#PROBE_OK}}<span class="pill pill-ok">{{L_ADMIN_TEST_OK}}</span>{{/PROBE_OK}}{{#PROBE_FAIL}}<span class="pill pill-off">{{L_ADMIN_TEST_FAIL}}</span>{{/PROBE_FAIL}}
            <span class="muted">{{MS}} ms</span></header>
          {{#PROBE_ERROR}}<p class="probe-error">{{TEXT}}</p>{{/PROBE_ERROR}}
          {{#HINT}}<p class="probe-hint">{{TEXT}}</p>{{/HINT}}
          {{#GREETING}}<p class="mono muted small">{{TEXT}}</p>{{/GREETING}}
          {{#TLS}}<dl class="tls">
            <dt>TLS</dt><dd>{{VERSION}} {{#VERIFIED}}<span class="pill pill-ok">{{L_ADMIN_TLS_VERIFIED}}</span>{{/VERIFIED}}{{#NOT_VERIFIED}}<span class="pill pill-off">{{L_ADMIN_TLS_NOT_VERIFIED}}</span> <span class="small">{{TEXT}}</span>{{/NOT_VERIFIED}}</dd>
            <dt>{{L_ADMIN_TLS_SUBJECT}}</dt><dd class="mono">{{SUBJECT}}</dd>
            <dt>{{L_ADMIN_TLS_ISSUER}}</dt><dd class="mono">{{ISSUER}}</dd>
            <dt>{{L_ADMIN_TLS_EXPIRES}}</dt><dd class="mono">{{NOT_AFTER}}</dd>
          </dl>{{/TLS}}
          {{#PLAIN}}<p class="small muted">{{L_ADMIN_TLS_NONE}}</p>{{/PLAIN}}
          {{#CAPS}}<span class="cap">{{CAP}}</span>{{/CAPS}}
          {{#LOGIN_OK}}<p class="ok-text">{{L_ADMIN_TEST_LOGIN_OK}}</p>{{/LOGIN_OK}}
          {{#LOGIN_FAIL}}<p class="probe-error">{{L_ADMIN_TEST_LOGIN_FAIL}} {{TEXT}}</p>{{/LOGIN_FAIL}}
        </article>{{/PROBES}}
      </div>{{/PROBED}}
    </section>
    <div class="form-actions">
      <button type="submit" name="action" value="save" class="btn btn-primary" id="domain-save">{{L_ADMIN_SAVE}}</button>
      <button type="submit" name="action" value="test" class="btn btn-secondary" id="domain-test">{{L_ADMIN_TEST_RUN}}</button>
      <a class="btn btn-link" href="/admin/domains">{{L_ADMIN_CANCEL}}</a>
    </div>
  </form>
</main>
</body>
</html>
