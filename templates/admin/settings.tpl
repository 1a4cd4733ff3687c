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
    <h1>{{L_ADMIN_NAV_SETTINGS}}</h1>
    <p class="admin-sub">{{L_ADMIN_SETTINGS_SUB}}</p>
  </header>
  {{#SAVED}}<p class="alert alert-ok" role="status">{{L_ADMIN_SAVED}}</p>{{/SAVED}}
  <form method="post" action="/admin/settings" id="settings-form" class="admin-form" novalidate>
    <input type="hidden" name="csrf" value="{{CSRF}}">
    <section class="card">
      <div class="fgrid">
        {{#FIELDS}}<label class="f{{#ERROR}} has-error{{/ERROR}}">
          <span class="f-label">{{LABEL}}</span>
          {{#INPUT}}<input type="{{TYPE}}" name="{{NAME}}" id="s-{{NAME}}" value="{{VALUE}}">{{/INPUT}}
          {{#SELECT}}<select name="{{NAME}}" id="s-{{NAME}}">{{#OPTIONS}}<option value="{{OPT}}"{{#SELECTED}} selected{{/SELECTED}}>{{OPT_LABEL}}</option>{{/OPTIONS}}</select>{{/SELECT}}
          {{#ERROR}}<span class="f-error" role="alert">{{TEXT}}</span>{{/ERROR}}
        </label>{{/FIELDS}}
      </div>
    </section>
    <div class="form-actions">
      <button type="submit" class="btn btn-primary" id="settings-save">{{L_ADMIN_SAVE}}</button>
    </div>
  </form>
  {{#RELAY}}<form method="post" action="/admin/relay" id="relay" class="admin-form">
    <input type="hidden" name="csrf" value="{{CSRF}}">
    <section class="card relay-card">
      <h2>{{L_ADMIN_RELAY_TITLE}} {{#RELAY_ON}}<span class="pill pill-ok">{{L_ADMIN_RELAY_ON}}</span>{{/RELAY_ON}}{{#RELAY_OFF}}<span class="pill pill-neutral">{{L_ADMIN_RELAY_OFF}}</span>{{/RELAY_OFF}}</h2>
      <p class="muted">{{L_ADMIN_RELAY_SUB}}</p>
      <div class="fgrid">
        {{#RFIELDS}}<label class="f{{#ERROR}} has-error{{/ERROR}}">
          <span class="f-label">{{LABEL}}</span>
          {{#INPUT}}<input type="{{TYPE}}" name="relay_{{NAME}}" id="relay-{{NAME}}" value="{{VALUE}}" autocomplete="off" autocapitalize="off" spellcheck="false">{{/INPUT}}
          {{#SELECT}}<select name="relay_{{NAME}}" id="relay-{{NAME}}">{{#OPTIONS}}<option value="{{OPT}}"{{#SELECTED}} selected{{/SELECTED}}>{{OPT}}</option>{{/OPTIONS}}</select>{{/SELECT}}
          {{#ERROR}}<span class="f-error" role="alert">{{TEXT}}</span>{{/ERROR}}
        </label>{{/RFIELDS}}
      </div>
      <p class="f-help">{{L_ADMIN_RELAY_HELP}}{{#RELAY_HAS_PASSWORD}} {{L_ADMIN_RELAY_PASSWORD_KEPT}}{{/RELAY_HAS_PASSWORD}}</p>
    </section>
    <div class="form-actions">
      <button type="submit" class="btn btn-primary" id="relay-save">{{L_ADMIN_SAVE}}</button>
    </div>
  </form>{{/RELAY}}
  <section class="card brand-card" id="branding">
    <h2>{{L_ADMIN_BRAND_TITLE}}</h2>
    <p class="muted">{{L_ADMIN_BRAND_SUB}}</p>
    <div class="brand-grid">
      {{#BRANDS}}<form method="post" action="/admin/branding" enctype="multipart/form-data" class="brand-item f{{#ERROR}} has-error{{/ERROR}}" id="brand-{{KIND}}">
        <input type="hidden" name="csrf" value="{{CSRF}}">
        <input type="hidden" name="kind" value="{{KIND}}">
        <span class="f-label">{{LABEL}}</span>
        <div class="brand-row">
          <span class="brand-preview {{PREVIEW}}"><img src="{{URL}}" alt="" id="brand-{{KIND}}-img"></span>
          {{#DEFAULT}}<span class="pill">{{L_ADMIN_BRAND_DEFAULT}}</span>{{/DEFAULT}}
        </div>
        <input type="file" name="file" id="brand-{{KIND}}-file" accept="image/png,image/jpeg,image/webp,image/x-icon,.ico">
        <span class="f-help">{{HELP}}</span>
        {{#ERROR}}<span class="f-error" role="alert">{{TEXT}}</span>{{/ERROR}}
        <div class="form-actions">
          <button type="submit" name="action" value="upload" class="btn btn-primary btn-sm" id="brand-{{KIND}}-upload">{{L_ADMIN_BRAND_UPLOAD}}</button>
          {{#CUSTOM}}<button type="submit" name="action" value="remove" class="btn btn-secondary btn-sm" id="brand-{{KIND}}-remove">{{L_ADMIN_BRAND_REMOVE}}</button>{{/CUSTOM}}
        </div>
      </form>{{/BRANDS}}
    </div>
  </section>
</main>
</body>
</html>
