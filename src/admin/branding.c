/*
 * Branding: the logo and favicon an admin uploads on the General page.
 *
 * Only raster formats are taken (PNG, JPEG, WebP, ICO), recognised by
 * their magic bytes and never by the name or Content-Type the browser
 * sent. SVG is refused: it is a document that can carry script, and a
 * logo is not worth a second, locked-down serving path for it. The
 * dimensions are read from the header as a sanity check (a "PNG" that
 * claims 0x0 or 100000x100000 pixels is not a logo).
 *
 * A stored file is named after its contents ("logo-<16 hex>.png"), so
 * the name doubles as the cache version of its URL and a replaced logo
 * never shows from a stale cache.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "admin.h"
#include "admin_private.h"
#include "config/config.h"
#include "core/banned.h"

#define HASH_HEX 16

static const char *const brand_names[] = {"logo", "favicon"};

const char *
admin_brand_name(enum admin_brand b)
{
	return brand_names[b == ADMIN_BRAND_FAVICON ? 1 : 0];
}

static unsigned
be32(const unsigned char *p)
{
	return (unsigned)p[0] << 24 | (unsigned)p[1] << 16 |
	       (unsigned)p[2] << 8 | p[3];
}

static unsigned
le16(const unsigned char *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static unsigned
le24(const unsigned char *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8 | (unsigned)p[2] << 16;
}

/* JPEG: walk the marker segments up to the first SOFn (ITU T.81 B.2). */
static bool
jpeg_size(const unsigned char *p, size_t n, unsigned *w_r, unsigned *h_r)
{
	size_t i = 2;

	while (i + 4 <= n) {
		unsigned m, len;

		if (p[i] != 0xff)
			return false;
		m = p[i + 1];
		if (m == 0xff) { /* fill byte */
			i++;
			continue;
		}
		if (m == 0xd8 || m == 0x01 || (m >= 0xd0 && m <= 0xd7)) {
			i += 2;
			continue;
		}
		if (m == 0xd9 || m == 0xda) /* EOI, SOS before a frame */
			return false;
		len = (unsigned)p[i + 2] << 8 | p[i + 3];
		if (len < 2)
			return false;
		if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 &&
		    m != 0xcc) {
			if (i + 9 > n)
				return false;
			*h_r = (unsigned)p[i + 5] << 8 | p[i + 6];
			*w_r = (unsigned)p[i + 7] << 8 | p[i + 8];
			return true;
		}
		i += 2 + len;
	}
	return false;
}

/* WebP: RIFF container, first chunk VP8, VP8L or VP8X. */
static bool
webp_size(const unsigned char *p, size_t n, unsigned *w_r, unsigned *h_r)
{
	if (n < 30)
		return false;
	if (memcmp(p + 12, "VP8 ", 4) == 0) {
		if (p[23] != 0x9d || p[24] != 0x01 || p[25] != 0x2a)
			return false;
		*w_r = le16(p + 26) & 0x3fff;
		*h_r = le16(p + 28) & 0x3fff;
		return true;
	}
	if (memcmp(p + 12, "VP8L", 4) == 0) {
		if (p[20] != 0x2f)
			return false;
		*w_r = 1 + ((unsigned)p[21] | ((unsigned)p[22] & 0x3f) << 8);
		*h_r = 1 + ((unsigned)p[22] >> 6 | (unsigned)p[23] << 2 |
		            ((unsigned)p[24] & 0x0f) << 10);
		return true;
	}
	if (memcmp(p + 12, "VP8X", 4) == 0) {
		*w_r = 1 + le24(p + 24);
		*h_r = 1 + le24(p + 27);
		return true;
	}
	return false;
}

/* A document that starts like SVG or any XML (after a BOM and blanks). */
static bool
looks_like_svg(struct strv s)
{
	size_t i = 0;

	if (s.len >= 3 && memcmp(s.p, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < s.len && (s.p[i] == ' ' || s.p[i] == '\t' ||
	                     s.p[i] == '\r' || s.p[i] == '\n'))
		i++;
	s.p += i;
	s.len -= i;
	return strv_starts_with_ci_ascii(s, STRV_LIT("<svg")) ||
	       strv_starts_with_ci_ascii(s, STRV_LIT("<?xml"));
}

const char *
admin_image_sniff(struct strv data, struct admin_image_info *info_r)
{
	const unsigned char *p = (const unsigned char *)data.p;
	size_t n = data.len;
	unsigned w = 0, h = 0;
	bool known;

	memset(info_r, 0, sizeof(*info_r));
	if (n == 0)
		return "L_ADMIN_ERR_IMAGE_NONE";
	if (n > ADMIN_BRAND_MAX_BYTES)
		return "L_ADMIN_ERR_IMAGE_SIZE";
	if (n >= 24 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0 &&
	    memcmp(p + 12, "IHDR", 4) == 0) {
		info_r->ext = "png";
		info_r->mime = "image/png";
		w = be32(p + 16);
		h = be32(p + 20);
		known = true;
	} else if (n >= 4 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff) {
		info_r->ext = "jpg";
		info_r->mime = "image/jpeg";
		known = jpeg_size(p, n, &w, &h);
	} else if (n >= 16 && memcmp(p, "RIFF", 4) == 0 &&
	           memcmp(p + 8, "WEBP", 4) == 0) {
		info_r->ext = "webp";
		info_r->mime = "image/webp";
		known = webp_size(p, n, &w, &h);
	} else if (n >= 22 && memcmp(p, "\0\0\1\0", 4) == 0 &&
	           le16(p + 4) >= 1 && le16(p + 4) <= 64 &&
	           6 + 16 * (size_t)le16(p + 4) <= n) {
		/* ICONDIR + entries; a width/height byte of 0 means 256. */
		info_r->ext = "ico";
		info_r->mime = "image/x-icon";
		w = p[6] == 0 ? 256 : p[6];
		h = p[7] == 0 ? 256 : p[7];
		known = true;
	} else if (looks_like_svg(data)) {
		return "L_ADMIN_ERR_IMAGE_SVG";
	} else {
		return "L_ADMIN_ERR_IMAGE_TYPE";
	}
	if (!known)
		return "L_ADMIN_ERR_IMAGE_TYPE";
	if (w == 0 || h == 0 || w > ADMIN_BRAND_MAX_SIDE ||
	    h > ADMIN_BRAND_MAX_SIDE)
		return "L_ADMIN_ERR_IMAGE_DIMENSIONS";
	info_r->width = w;
	info_r->height = h;
	return NULL;
}

bool
admin_brand_file_ok(enum admin_brand b, const char *file)
{
	static const char *const exts[] = {"png", "jpg", "webp", "ico"};
	struct strv s = strv_from_cstr(file), name, ext;
	size_t i, plen = strlen(admin_brand_name(b));

	if (!strv_split_once(s, '.', &name, &ext) ||
	    name.len != plen + 1 + HASH_HEX ||
	    memcmp(name.p, admin_brand_name(b), plen) != 0 ||
	    name.p[plen] != '-')
		return false;
	for (i = plen + 1; i < name.len; i++)
		if (!((name.p[i] >= '0' && name.p[i] <= '9') ||
		      (name.p[i] >= 'a' && name.p[i] <= 'f')))
			return false;
	for (i = 0; i < PT_NELEM(exts); i++)
		if (strv_eq_cstr(ext, exts[i]))
			return true;
	return false;
}

struct strv
admin_brand_version(const char *file)
{
	const char *dash = strchr(file, '-');

	if (dash == NULL || strlen(dash + 1) < HASH_HEX)
		return strv_from_cstr(file);
	return (struct strv){dash + 1, HASH_HEX};
}

const char *
admin_brand_mime(const char *file)
{
	const char *dot = strrchr(file, '.');

	if (dot == NULL)
		return "application/octet-stream";
	if (strcmp(dot, ".png") == 0)
		return "image/png";
	if (strcmp(dot, ".jpg") == 0)
		return "image/jpeg";
	if (strcmp(dot, ".webp") == 0)
		return "image/webp";
	if (strcmp(dot, ".ico") == 0)
		return "image/x-icon";
	return "application/octet-stream";
}

static char *
brand_dir(const struct config_paths *paths, struct arena *a)
{
	return arena_printf(a, "%s/branding", paths->storage_dir);
}

int
admin_file_read(const char *path, size_t max, struct arena *a,
                struct strv *data_r, struct perr *err)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	int fd;

	*data_r = STRV_NULL;
	fd = admin_open_regular(path, &st, a, err);
	if (fd < 0)
		return -1;
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return perr_set(err, a, PERR_LIMIT,
		                "%s is larger than %zu bytes", path, max);
	}
	buf = arena_alloc(a, (size_t)st.st_size + 1);
	if (buf == NULL) {
		close(fd);
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	*data_r = (struct strv){buf, got};
	return 0;
}

int
admin_brand_store(const struct config_paths *paths, enum admin_brand b,
                  struct strv data, struct arena *a, char **file_r,
                  struct perr *err)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	struct admin_image_info info;
	const char *why = admin_image_sniff(data, &info);
	char *dir, *hex, *file, *path;

	*file_r = NULL;
	if (why != NULL)
		return perr_set(err, a, PERR_INPUT, "%s", why);
	(void)SHA256((const unsigned char *)data.p, data.len, md);
	dir = brand_dir(paths, a);
	hex = codec_hex_encode(a, md, HASH_HEX / 2);
	if (dir == NULL || hex == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	file = arena_printf(a, "%s-%s.%s", admin_brand_name(b), hex, info.ext);
	path = arena_printf(a, "%s/%s", dir, file != NULL ? file : "");
	if (file == NULL || path == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	if (mkdir(dir, 0750) != 0 && errno != EEXIST)
		return perr_set(err, a, PERR_INTERNAL, "cannot create %s: %s",
		                dir, strerror(errno));
	/* Temp file in the same directory, then rename: never half a logo. */
	if (pt_atomic_write(path, data.p, data.len, 0640, a, err) != 0)
		return -1;
	*file_r = file;
	return 0;
}

int
admin_brand_unlink(const struct config_paths *paths, enum admin_brand b,
                   const char *file, struct arena *a, struct perr *err)
{
	char *path;

	if (file == NULL || file[0] == '\0')
		return 0;
	/* Only names we made: the value comes from an editable ini file. */
	if (!admin_brand_file_ok(b, file))
		return perr_set(err, a, PERR_INPUT, "not a branding file: %s",
		                file);
	path = arena_printf(a, "%s/branding/%s", paths->storage_dir, file);
	if (path == NULL)
		return perr_set(err, a, PERR_LIMIT, "out of memory");
	if (unlink(path) != 0 && errno != ENOENT)
		return perr_set(err, a, PERR_INTERNAL, "cannot remove %s: %s",
		                path, strerror(errno));
	return 0;
}
