/* strbuf.c: growable string buffer with a size cap. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "banned.h"

char strbuf_empty[1];

void
strbuf_init(struct strbuf *sb, size_t cap)
{
	sb->buf = strbuf_empty;
	sb->len = 0;
	sb->alloc = 0;
	sb->cap = cap;
}

void
strbuf_release(struct strbuf *sb)
{
	if (sb->alloc)
		free(sb->buf);
	strbuf_init(sb, sb->cap);
}

char *
strbuf_detach(struct strbuf *sb, size_t *len)
{
	char *p;

	if (len != NULL)
		*len = sb->len;
	p = sb->alloc ? sb->buf : xstrdup("");
	strbuf_init(sb, sb->cap);
	return p;
}

void
strbuf_reset(struct strbuf *sb)
{
	strbuf_setlen(sb, 0);
}

int
strbuf_grow(struct strbuf *sb, size_t extra)
{
	size_t want;

	if (extra > (size_t)-1 - sb->len - 1)
		fatal("string buffer size overflows");
	if (sb->cap != 0 && sb->len + extra > sb->cap)
		return -1;
	want = sb->len + extra + 1;
	if (want <= sb->alloc)
		return 0;
	if (want < sb->alloc + sb->alloc / 2)
		want = sb->alloc + sb->alloc / 2;
	if (want < 64)
		want = 64;
	if (sb->alloc == 0) {
		sb->buf = xmalloc(want);
		sb->buf[0] = '\0';
	} else
		sb->buf = xrealloc(sb->buf, want);
	sb->alloc = want;
	return 0;
}

int
strbuf_add(struct strbuf *sb, const void *data, size_t n)
{
	if (strbuf_grow(sb, n) == -1)
		return -1;
	if (n == 0)
		return 0;
	memcpy(sb->buf + sb->len, data, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
	return 0;
}

int
strbuf_addstr(struct strbuf *sb, const char *s)
{
	return strbuf_add(sb, s, strlen(s));
}

int
strbuf_addch(struct strbuf *sb, int c)
{
	char ch = (char)c;

	return strbuf_add(sb, &ch, 1);
}

int
strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		fatal("bad format '%s'", fmt);
	if (strbuf_grow(sb, (size_t)n) == -1)
		return -1;
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
	return 0;
}

int
strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = strbuf_vaddf(sb, fmt, ap);
	va_end(ap);
	return rc;
}

void
strbuf_remove_front(struct strbuf *sb, size_t n)
{
	if (n >= sb->len) {
		strbuf_setlen(sb, 0);
		return;
	}
	memmove(sb->buf, sb->buf + n, sb->len - n);
	strbuf_setlen(sb, sb->len - n);
}

void
strbuf_setlen(struct strbuf *sb, size_t len)
{
	if (sb->alloc == 0)
		return;
	if (len > sb->len)
		fatal("strbuf_setlen beyond length");
	sb->len = len;
	sb->buf[len] = '\0';
}

int
strbuf_addquoted(struct strbuf *sb, const char *s)
{
	const char *p;
	int r = 0;

	for (p = s; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr("_./:=@%+,-", *p) ==
		    NULL)
			break;
	if (*s != '\0' && *p == '\0')
		return strbuf_addstr(sb, s);
	r |= strbuf_addch(sb, '\'');
	for (p = s; *p != '\0'; p++)
		r |= *p == '\'' ? strbuf_addstr(sb, "'\\''") :
		    strbuf_addch(sb, *p);
	r |= strbuf_addch(sb, '\'');
	return r;
}

/*
 * s on one line in at most max characters (UTF-8 sequences count as one):
 * white space squeezed to single spaces, control characters as '?', and
 * "..." where it was cut.
 */
char *
str_one_line(const char *s, size_t max)
{
	struct strbuf sb = STRBUF_INIT;
	const unsigned char *p;
	size_t chars = 0, i, keep = 0;
	int space = 0;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == ' ' || (*p >= '\t' && *p <= '\r')) {
			space = sb.len > 0;
			continue;
		}
		if (space)
			strbuf_addch(&sb, ' ');
		space = 0;
		strbuf_addch(&sb, *p < 0x20 || *p == 0x7f ? '?' : *p);
	}
	for (i = 0; i < sb.len; i++)
		if (((unsigned char)sb.buf[i] & 0xc0) != 0x80 &&
		    ++chars == max - 2)
			keep = i;	/* room for "..." before this one */
	if (chars > max) {
		while (keep > 0 && sb.buf[keep - 1] == ' ')
			keep--;
		strbuf_setlen(&sb, keep);
		strbuf_addstr(&sb, "...");
	}
	return strbuf_detach(&sb, NULL);
}
