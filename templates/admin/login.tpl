{{%AUTOESCAPE context="HTML"}}
<!DOCTYPE html>
<html lang="{{LANG}}">
<head>
{{>HEAD}}
<link rel="stylesheet" href="{{STATIC}}/css/admin.css?v={{ASSET_VERSION}}">
<script src="{{STATIC}}/js/admin.js?v={{ASSET_VERSION}}" defer></script>
</head>
<body class="page-login page-admin-login">
<main class="login">
  <section class="login-card" aria-labelledby="admin-login-title">
    <header class="login-brand">
      <img class="login-logo" src="{{LOGO_URL}}" alt="" height="56">
      <div>
        <p class="login-site">{{SITE_TITLE}}</p>
        <p class="login-tagline"><span class="admin-badge">{{L_ADMIN_BADGE}}</span></p>
      </div>
    </header>
    <h1 id="admin-login-title">{{L_ADMIN_LOGIN_TITLE}}</h1>
    <p class="login-subtitle">{{L_ADMIN_LOGIN_SUBTITLE}}</p>
    <form id="admin-login-form" class="form" method="post" action="/admin/login" autocomplete="off">
      <input type="hidden" name="key" value="{{KEY}}">
      {{#ERROR}}<div class="alert alert-error" id="admin-login-error" role="alert">{{TEXT}}</div>{{/ERROR}}
      <label class="field">
        <span class="field-label">{{L_ADMIN_LOGIN_USER}}</span>
        <span class="field-box">
          <svg class="field-icon" viewBox="0 0 24 24" aria-hidden="true"><path d="M12 12a4 4 0 1 0 0-8a4 4 0 0 0 0 8z M4 21c1-4 4-6 8-6s7 2 8 6"/></svg>
          <input type="text" name="login" id="admin-login" autocomplete="username" autocapitalize="off" spellcheck="false" required value="{{LOGIN}}">
        </span>
      </label>
      <label class="field">
        <span class="field-label">{{L_LOGIN_PASSWORD}}</span>
        <span class="field-box">
          <svg class="field-icon" viewBox="0 0 24 24" aria-hidden="true"><path d="M7 11V8a5 5 0 0 1 10 0v3 M5 11h14v10H5z"/></svg>
          <input type="password" name="password" id="admin-password" autocomplete="current-password" required>
        </span>
      </label>
      {{#TOTP}}<label class="field">
        <span class="field-label">{{L_ADMIN_LOGIN_TOTP}}</span>
        <span class="field-box">
          <svg class="field-icon" viewBox="0 0 24 24" aria-hidden="true"><path d="M7 3h10v18H7z M11 18h2"/></svg>
          <input type="text" name="totp" id="admin-totp" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required>
        </span>
      </label>{{/TOTP}}
      <button type="submit" class="btn btn-primary btn-block" id="admin-login-submit">{{L_LOGIN_SUBMIT}}</button>
    </form>
    <footer class="login-footer">
      <span class="powered">{{L_ADMIN_LOGIN_FOOTER}}</span>
    </footer>
  </section>
</main>
</body>
</html>
