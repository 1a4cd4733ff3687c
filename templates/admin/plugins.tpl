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
    <h1>{{L_ADMIN_NAV_PLUGINS}}</h1>
    <p class="admin-sub">{{L_ADMIN_PLUGINS_SUB}} <code class="muted">{{PLUGIN_DIR}}</code></p>
  </header>
  {{#SAVED}}<p class="alert alert-ok" role="status">{{L_ADMIN_SAVED}}</p>{{/SAVED}}
  {{#NONE}}<section class="card"><p class="muted" id="plugins-none">{{L_ADMIN_PLUGINS_NONE}}</p></section>{{/NONE}}
  {{#PLUGINS}}<section class="card plugin-card" id="plugin-{{NAME}}" data-plugin="{{NAME}}">
    <header class="plugin-head">
      <div>
        <h2>{{NAME}}{{#LOADED}} <span class="tag">{{VERSION}}</span> <span class="tag muted" title="{{L_ADMIN_PLUGIN_ABI}}">ABI {{ABI}}</span>{{/LOADED}}</h2>
        {{#LOADED}}<p class="muted">{{DESCRIPTION}}</p>{{/LOADED}}
      </div>
      <div class="plugin-state">
        {{#ACTIVE}}<span class="pill pill-ok">{{L_ADMIN_PLUGIN_ACTIVE}}</span>{{/ACTIVE}}
        {{#REFUSED}}<span class="pill pill-off">{{L_ADMIN_PLUGIN_REFUSED}}</span>{{/REFUSED}}
        {{#OFF}}<span class="pill tag">{{L_ADMIN_DISABLED}}</span>{{/OFF}}
        <form method="post" action="/admin/plugins/toggle" class="inline">
          <input type="hidden" name="csrf" value="{{CSRF}}">
          <input type="hidden" name="name" value="{{NAME}}">
          {{#CAN_DISABLE}}<input type="hidden" name="enable" value="Off"><button class="btn btn-secondary btn-sm" type="submit" id="plugin-{{NAME}}-disable">{{L_ADMIN_DISABLE}}</button>{{/CAN_DISABLE}}
          {{#CAN_ENABLE}}<input type="hidden" name="enable" value="On"><button class="btn btn-primary btn-sm" type="submit" id="plugin-{{NAME}}-enable">{{L_ADMIN_ENABLE}}</button>{{/CAN_ENABLE}}
        </form>
      </div>
    </header>
    {{#ERROR}}<p class="alert alert-error plugin-error" role="alert">{{TEXT}}</p>{{/ERROR}}
    <p class="mono muted small">{{PATH}}</p>
    {{#FORM}}<form method="post" action="/admin/plugins/options" class="admin-form plugin-options" id="plugin-{{NAME}}-options" novalidate>
      <input type="hidden" name="csrf" value="{{CSRF}}">
      <input type="hidden" name="name" value="{{NAME}}">
      <h3>{{L_ADMIN_PLUGIN_OPTIONS}}</h3>
      <div class="fgrid">
        {{#OPTIONS}}<label class="f{{#ERROR}} has-error{{/ERROR}}">
          <span class="f-label">{{LABEL}}</span>
          {{#INPUT}}<input type="{{TYPE}}" name="opt_{{NAME}}" id="opt-{{NAME}}" value="{{VALUE}}" autocapitalize="off" spellcheck="false">{{/INPUT}}
          {{#SECRET}}<input type="password" name="opt_{{NAME}}" id="opt-{{NAME}}" value="" placeholder="{{PLACEHOLDER}}" autocomplete="new-password">{{/SECRET}}
          {{#CHECKBOX}}<span class="f-check"><input type="checkbox" name="opt_{{NAME}}" id="opt-{{NAME}}" value="true"{{#CHECKED}} checked{{/CHECKED}}></span>{{/CHECKBOX}}
          {{#SELECT}}<select name="opt_{{NAME}}" id="opt-{{NAME}}">{{#CHOICES}}<option value="{{OPT}}"{{#SELECTED}} selected{{/SELECTED}}>{{OPT}}</option>{{/CHOICES}}</select>{{/SELECT}}
          {{#HELP}}<span class="f-help">{{TEXT}}</span>{{/HELP}}
          {{#ERROR}}<span class="f-error" role="alert">{{TEXT}}</span>{{/ERROR}}
        </label>{{/OPTIONS}}
      </div>
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" id="plugin-{{NAME}}-save">{{L_ADMIN_SAVE}}</button>
      </div>
    </form>{{/FORM}}
  </section>{{/PLUGINS}}
  {{#ALL_OFF}}<p class="muted small" id="plugins-all-off">{{L_ADMIN_PLUGINS_ALL_OFF}}</p>{{/ALL_OFF}}
</main>
</body>
</html>
