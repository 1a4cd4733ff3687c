{{%AUTOESCAPE context="HTML"}}
<!DOCTYPE html>
<html lang="{{LANG}}">
<head>
{{>HEAD}}
<script src="{{STATIC}}/js/login.js?v={{ASSET_VERSION}}" defer></script>
</head>
<body class="page-login" data-petrel="{{BOOT_JSON}}">
<main class="login">
  <section class="login-card" aria-labelledby="login-title">
    <header class="login-brand">
      <img class="login-logo" src="{{LOGO_URL}}" alt="" height="56">
      <div>
        <p class="login-site">{{SITE_TITLE}}</p>
        <p class="login-tagline">{{L_APP_TAGLINE}}</p>
      </div>
    </header>
    <h1 id="login-title">{{L_LOGIN_TITLE}}</h1>
    <p class="login-subtitle">{{L_LOGIN_SUBTITLE}}</p>
    <noscript><p class="alert alert-error">{{L_LOGIN_JS_REQUIRED}}</p></noscript>
    <form id="login-form" class="form" method="post" action="/api/Login" novalidate>
      <div class="alert alert-error" id="login-error" role="alert" hidden></div>
      <label class="field">
        <span class="field-label">{{L_LOGIN_EMAIL}}</span>
        <span class="field-box">
          <svg class="field-icon" viewBox="0 0 24 24" aria-hidden="true"><path d="M4 6h16v12H4z M4 7l8 6 8-6"/></svg>
          <input type="email" name="email" id="login-email" autocomplete="username" inputmode="email" autocapitalize="off" spellcheck="false" required placeholder="{{L_LOGIN_EMAIL_PLACEHOLDER}}" value="{{LOGIN_EMAIL}}">
        </span>
      </label>
      <label class="field">
        <span class="field-label">{{L_LOGIN_PASSWORD}}</span>
        <span class="field-box">
          <svg class="field-icon" viewBox="0 0 24 24" aria-hidden="true"><path d="M7 11V8a5 5 0 0 1 10 0v3 M5 11h14v10H5z"/></svg>
          <input type="password" name="password" id="login-password" autocomplete="current-password" required>
        </span>
      </label>
      <label class="check">
        <input type="checkbox" name="remember" id="login-remember" value="1">
        <span>{{L_LOGIN_REMEMBER}}</span>
      </label>
      <button type="submit" class="btn btn-primary btn-block" id="login-submit" data-busy-label="{{L_LOGIN_SUBMITTING}}">{{L_LOGIN_SUBMIT}}</button>
    </form>
    <footer class="login-footer">
      {{#LANG_PICKER}}<label class="lang-picker">
        <svg class="field-icon" viewBox="0 0 24 24" aria-hidden="true"><path d="M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18z M3 12h18 M12 3c3 3 3 15 0 18 M12 3c-3 3-3 15 0 18"/></svg>
        <span class="visually-hidden">{{L_LOGIN_LANGUAGE}}</span>
        <select id="login-lang" name="lang">
          {{#LANGUAGES}}<option value="{{CODE}}"{{#SELECTED}} selected{{/SELECTED}}>{{NAME}}</option>{{/LANGUAGES}}
        </select>
      </label>{{/LANG_PICKER}}
      <span class="powered">{{L_FOOTER_POWERED}}</span>
    </footer>
  </section>
</main>
</body>
</html>
