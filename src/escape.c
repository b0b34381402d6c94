/* escape.c - bytes into one safe line of text for log messages (pure, no I/O) */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"

/*
 * Length of the valid, printable UTF-8 sequence at p (a multi-byte one), or 0
 * if it is invalid, overlong, a surrogate, beyond U+10FFFF or a C1 control.
 */
static size_t utf8_printable(const unsigned char *p, size_t len)
{
	size_t n, i;
	uint32_t cp;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp < 0xa0)
		return 0;
	/* Line separators and bidi controls could break or reorder a log line. */
	if (cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069))
		return 0;
	return n;
}

size_t escape_text(char *buf, size_t size, const unsigned char *data, size_t len)
{
	size_t in = 0, out = 0, n;
	char piece[5];
	const char *src;

	if (size == 0)
		return 0;
	while (in < len) {
		unsigned char c = data[in];

		src = piece;
		n = 2;
		piece[0] = '\\';
		if (c == '\\' || c == '"') {
			piece[1] = (char)c;
		} else if (c == '\n') {
			piece[1] = 'n';
		} else if (c == '\t') {
			piece[1] = 't';
		} else if (c == '\r') {
			piece[1] = 'r';
		} else if (c >= 0x20 && c < 0x7f) {
			src = (const char *)&data[in];
			n = 1;
		} else if (c >= 0x80 && (n = utf8_printable(&data[in], len - in)) > 0) {
			src = (const char *)&data[in];
		} else {
			snprintf(piece, sizeof(piece), "\\x%02x", c);
			n = 4;
		}
		if (out + n >= size)
			break;
		memcpy(buf + out, src, n);
		out += n;
		in += src == piece ? 1 : n;
	}
	buf[out] = '\0';
	return in;
}
