{{%AUTOESCAPE context="HTML"}}
<!DOCTYPE html>
<html lang="{{LANG}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">
<title>{{PAGE_TITLE}} · {{SITE_TITLE}}</title>
<link rel="stylesheet" href="{{STATIC}}/css/print.css?v={{ASSET_VERSION}}">
<base target="_blank">
</head>
<body class="print-page" data-uid="{{UID}}">
<header class="print-head">
  <p class="print-site">{{SITE_TITLE}}</p>
  <h1 class="print-subject" id="print-subject">{{SUBJECT}}</h1>
  <dl class="print-fields" id="print-fields">
    {{#FIELD}}<div class="print-field" data-field="{{KEY}}"><dt>{{LABEL}}</dt><dd>{{VALUE}}</dd></div>
    {{/FIELD}}
  </dl>
  {{#ATTACHMENTS}}<section class="print-atts" id="print-atts">
    <h2>{{L_PRINT_ATTACHMENTS}}</h2>
    <ul>{{#ATTACHMENT}}<li><span class="print-att-name">{{NAME}}</span> <span class="print-att-type">{{TYPE}}</span></li>{{/ATTACHMENT}}</ul>
  </section>{{/ATTACHMENTS}}
</header>
<main class="print-body" id="print-body"><div class="{{BODY_CLASS}}">{{BODY:none}}</div></main>
<script nonce="{{NONCE}}" src="{{STATIC}}/js/print.js?v={{ASSET_VERSION}}"></script>
</body>
</html>
