{{%AUTOESCAPE context="HTML"}}
<!DOCTYPE html>
<html lang="{{LANG}}">
<head>
{{>HEAD}}
</head>
<body class="page-error">
<main class="login">
  <section class="login-card error-card" aria-labelledby="confirm-title">
    <header class="login-brand">
      <img class="login-logo" src="{{STATIC}}/img/petrel.svg" alt="" width="56" height="56">
      <div>
        <p class="login-site">{{SITE_TITLE}}</p>
      </div>
    </header>
    <h1 id="confirm-title">{{L_IDENTITY_CONFIRM_TITLE}}</h1>
    <p class="error-message">{{MESSAGE}}</p>
    {{#ASK}}<form method="post" action="/identity/confirm">
      <input type="hidden" name="token" value="{{TOKEN}}">
      <p><button class="btn btn-primary" type="submit">{{L_IDENTITY_CONFIRM_BUTTON}}</button></p>
    </form>{{/ASK}}
    <p><a class="btn btn-secondary" href="/">{{L_ERROR_BACK_HOME}}</a></p>
  </section>
</main>
</body>
</html>
