#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "core.h"
#include "banned.h"

void *
pt_xmalloc(size_t n)
{
	void *p = malloc(n == 0 ? 1 : n);

	if (p == NULL)
		fatal("out of memory (%zu bytes)", n);
	return p;
}

void *
pt_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size);

	if (p == NULL)
		fatal("out of memory (%zu x %zu bytes)", n, size);
	return p;
}

void *
pt_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n == 0 ? 1 : n);

	if (q == NULL)
		fatal("out of memory (%zu bytes)", n);
	return q;
}

char *
pt_xstrdup(const char *s)
{
	return pt_xstrndup(s, strlen(s));
}

char *
pt_xstrndup(const char *s, size_t n)
{
	char *p = pt_xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

bool
pt_strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);

	if (size == 0)
		return false;
	if (n >= size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return false;
	}
	memcpy(dst, src, n + 1);
	return true;
}

bool
pt_snprintf_ok(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(dst, size, fmt, ap);
	va_end(ap);
	return n >= 0 && (size_t)n < size;
}

bool
pt_parse_u64(struct strv s, uint64_t max, uint64_t *out_r)
{
	uint64_t v = 0;
	size_t i;

	if (s.len == 0 || s.len > 20)
		return false;
	for (i = 0; i < s.len; i++) {
		unsigned d;

		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
		d = (unsigned)(s.p[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (v > max)
		return false;
	*out_r = v;
	return true;
}

bool
pt_parse_size(struct strv s, uint64_t *out_r)
{
	uint64_t mult = 1, v;

	s = strv_trim(s);
	if (s.len > 0) {
		switch (s.p[s.len - 1]) {
		case 'k':
		case 'K':
			mult = 1024;
			break;
		case 'm':
		case 'M':
			mult = 1024 * 1024;
			break;
		case 'g':
		case 'G':
			mult = 1024ULL * 1024 * 1024;
			break;
		default:
			break;
		}
		if (mult != 1)
			s.len--;
	}
	if (!pt_parse_u64(s, UINT64_MAX / mult, &v))
		return false;
	*out_r = v * mult;
	return true;
}

int
pt_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

bool
pt_memeq_const(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

void
pt_random_bytes(void *buf, size_t n)
{
	if (n > (size_t)INT32_MAX || RAND_bytes(buf, (int)n) != 1)
		fatal("RAND_bytes failed");
}

char *
pt_random_hex(struct arena *a, size_t n)
{
	unsigned char buf[64];

	PT_ASSERT(n <= sizeof(buf));
	pt_random_bytes(buf, n);
	return codec_hex_encode(a, buf, n);
}

uint64_t
pt_now_ms_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int64_t
pt_now_unix(void)
{
	return (int64_t)time(NULL);
}

char *
pt_sha256_hex(struct arena *a, const void *p, size_t n)
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	(void)SHA256(p, n, md);
	return codec_hex_encode(a, md, sizeof(md));
}
