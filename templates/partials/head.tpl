{{%AUTOESCAPE context="HTML"}}
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">
<title>{{PAGE_TITLE}} · {{SITE_TITLE}}</title>
<link rel="icon" href="{{FAVICON_URL}}" type="{{FAVICON_TYPE}}">
<link rel="stylesheet" href="{{STATIC}}/css/petrel.css?v={{ASSET_VERSION}}">
