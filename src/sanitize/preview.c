/*
 * The message list's preview of an HTML part: a crude tag strip. A
 * preview is a few hundred characters of plain text that is escaped on
 * output, so gumbo and the allow-lists are not needed, and the list stays
 * cheap for a page of rows.
 */
#include <string.h>

#include "sanitize.h"
#include "core/banned.h"

struct strv
sanitize_preview_text(struct strv s, struct arena *a)
{
	struct sbuf b;
	size_t i = 0;

	sbuf_init(&b, a, s.len + 1, s.len + 16);
	while (i < s.len) {
		if (s.p[i] == '<') {
			struct strv rest = {s.p + i, s.len - i};
			const char *endtag = NULL;

			if (strv_starts_with_ci_ascii(rest, STRV_LIT("<style")))
				endtag = "</style";
			else if (strv_starts_with_ci_ascii(rest,
			                                   STRV_LIT("<script")))
				endtag = "</script";
			else if (strv_starts_with_ci_ascii(rest,
			                                   STRV_LIT("<head")))
				endtag = "</head";
			if (endtag != NULL) {
				ptrdiff_t e = -1;
				size_t j;

				for (j = i; j + strlen(endtag) <= s.len; j++) {
					if (strv_starts_with_ci_ascii(
					            (struct strv){s.p + j,
					                          s.len - j},
					            strv_from_cstr(endtag))) {
						e = (ptrdiff_t)j;
						break;
					}
				}
				if (e < 0)
					break;
				i = (size_t)e;
			}
			while (i < s.len && s.p[i] != '>')
				i++;
			i++;
			sbuf_append_char(&b, ' ');
			continue;
		}
		if (s.p[i] == '&') {
			static const struct {
				const char *ent;
				const char *rep;
			} ents[] = {{"&nbsp;", " "},  {"&amp;", "&"},
			            {"&lt;", "<"},    {"&gt;", ">"},
			            {"&quot;", "\""}, {"&#39;", "'"}};
			size_t k;
			bool done = false;

			for (k = 0; k < PT_NELEM(ents); k++) {
				struct strv e = strv_from_cstr(ents[k].ent);

				if (strv_starts_with_ci_ascii(
				            (struct strv){s.p + i, s.len - i},
				            e)) {
					sbuf_append_cstr(&b, ents[k].rep);
					i += e.len;
					done = true;
					break;
				}
			}
			if (done)
				continue;
		}
		sbuf_append_char(&b, s.p[i]);
		i++;
	}
	return sbuf_view(&b);
}
