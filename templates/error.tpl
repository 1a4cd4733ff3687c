{{%AUTOESCAPE context="HTML"}}
<!DOCTYPE html>
<html lang="{{LANG}}">
<head>
{{>HEAD}}
</head>
<body class="page-error">
<main class="login">
  <section class="login-card error-card" aria-labelledby="error-title">
    <header class="login-brand">
      <img class="login-logo" src="{{STATIC}}/img/petrel.svg" alt="" width="56" height="56">
      <div>
        <p class="login-site">{{SITE_TITLE}}</p>
        <p class="error-code">{{STATUS}}</p>
      </div>
    </header>
    <h1 id="error-title">{{HEADLINE}}</h1>
    <p class="error-message">{{MESSAGE}}</p>
    {{#DETAIL}}<p class="error-detail">{{TEXT}}</p>{{/DETAIL}}
    <p><a class="btn btn-secondary" href="/">{{L_ERROR_BACK_HOME}}</a></p>
  </section>
</main>
</body>
</html>
