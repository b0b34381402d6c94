/*
 * fuzz-util.h - helpers shared by the libFuzzer harnesses: an input reader,
 * exact-size socket addresses, and an independent reference for escape_text().
 *
 * Environment switches (read once by fuzz_env_init()):
 *   FUZZ_STRICT=1        add policy checks that go beyond the written spec:
 *                        U+FEFF (zero width no-break space) in log text. The
 *                        bidi controls and line separators log.h promises to
 *                        escape are always checked.
 */
#ifndef UDP_REPLYD_FUZZ_UTIL_H
#define UDP_REPLYD_FUZZ_UTIL_H

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static bool fuzz_strict;

static void fuzz_env_init(void)
{
	const char *v = getenv("FUZZ_STRICT");

	fuzz_strict = v && *v && strcmp(v, "0") != 0;
}

/* A failed invariant: say which, then abort so libFuzzer keeps the input. */
#define CHECK(cond, ...)                                                            \
	do {                                                                        \
		if (!(cond)) {                                                      \
			fprintf(stderr, "\n%s:%d: invariant failed: %s\n  ", __FILE__, \
				__LINE__, #cond);                                   \
			fprintf(stderr, __VA_ARGS__);                               \
			fprintf(stderr, "\n");                                      \
			abort();                                                    \
		}                                                                   \
	} while (0)

/* Consumes the fuzz input front to back; reads past the end give zeros. */
struct reader {
	const uint8_t *p;
	size_t n;
};

static uint8_t rd_u8(struct reader *r)
{
	if (r->n == 0)
		return 0;
	r->n--;
	return *r->p++;
}

static void rd_bytes(struct reader *r, void *dst, size_t n)
{
	size_t k = n < r->n ? n : r->n;

	memcpy(dst, r->p, k);
	memset((char *)dst + k, 0, n - k);
	r->p += k;
	r->n -= k;
}

static uint16_t rd_u16(struct reader *r)
{
	uint16_t v;

	rd_bytes(r, &v, sizeof(v));
	return v;
}

static uint32_t rd_u32(struct reader *r)
{
	uint32_t v;

	rd_bytes(r, &v, sizeof(v));
	return v;
}

static uint64_t rd_u64(struct reader *r)
{
	uint64_t v;

	rd_bytes(r, &v, sizeof(v));
	return v;
}

/*
 * A socket address in a heap block of exactly its type's size, so that ASan
 * sees any read beyond what the family promises: AF_INET, AF_INET6,
 * IPv4-mapped AF_INET6, or a bare struct sockaddr of some other family.
 */
static struct sockaddr *rd_sockaddr(struct reader *r)
{
	uint8_t kind = rd_u8(r) % 4;

	if (kind == 0) {
		struct sockaddr_in *s4 = calloc(1, sizeof(*s4));

		s4->sin_family = AF_INET;
		s4->sin_port = rd_u16(r);
		rd_bytes(r, &s4->sin_addr, sizeof(s4->sin_addr));
		return (struct sockaddr *)s4;
	}
	if (kind == 1 || kind == 2) {
		struct sockaddr_in6 *s6 = calloc(1, sizeof(*s6));
		uint8_t scope = rd_u8(r);

		s6->sin6_family = AF_INET6;
		s6->sin6_port = rd_u16(r);
		s6->sin6_flowinfo = rd_u32(r);
		if (kind == 2) {
			s6->sin6_addr.s6_addr[10] = 0xff;
			s6->sin6_addr.s6_addr[11] = 0xff;
			rd_bytes(r, &s6->sin6_addr.s6_addr[12], 4);
		} else {
			rd_bytes(r, &s6->sin6_addr, sizeof(s6->sin6_addr));
		}
		/* Mostly no scope or a real interface (1 = lo), sometimes any number. */
		s6->sin6_scope_id = scope < 128 ? 0 : scope < 192 ? (uint32_t)(scope & 3) : rd_u32(r);
		return (struct sockaddr *)s6;
	}
	{
		struct sockaddr *sa = calloc(1, sizeof(*sa));
		sa_family_t fam = rd_u16(r);

		if (fam == AF_INET || fam == AF_INET6)
			fam = AF_UNIX;
		sa->sa_family = fam;
		rd_bytes(r, sa->sa_data, sizeof(sa->sa_data));
		return sa;
	}
}

/* How the spec says an address is written, built without netaddr.c. */
static void ref_format_sockaddr(const struct sockaddr *sa, char *out, size_t outlen)
{
	char host[INET6_ADDRSTRLEN], ifname[IF_NAMESIZE];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(out, outlen, "%s:%u", host, ntohs(s4->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
		static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

		if (memcmp(s6->sin6_addr.s6_addr, mapped, sizeof(mapped)) == 0) {
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], host, sizeof(host));
			snprintf(out, outlen, "%s:%u", host, ntohs(s6->sin6_port));
			return;
		}
		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		if (s6->sin6_scope_id == 0)
			snprintf(out, outlen, "[%s]:%u", host, ntohs(s6->sin6_port));
		else if (if_indextoname(s6->sin6_scope_id, ifname))
			snprintf(out, outlen, "[%s%%%s]:%u", host, ifname, ntohs(s6->sin6_port));
		else
			snprintf(out, outlen, "[%s%%%u]:%u", host, (unsigned)s6->sin6_scope_id,
				ntohs(s6->sin6_port));
	} else {
		snprintf(out, outlen, "(family %u)", (unsigned)sa->sa_family);
	}
}

/*
 * Length of the well-formed UTF-8 sequence at d (1 for ASCII), 0 if it is
 * ill-formed; written from the Unicode table of well-formed byte sequences
 * (Unicode 15, table 3-7), not from log.c's code.
 */
static size_t ref_utf8(const unsigned char *d, size_t len, uint32_t *cp)
{
	unsigned char b0 = d[0], lo = 0x80, hi = 0xbf;
	size_t need, i;

	if (b0 < 0x80) {
		*cp = b0;
		return 1;
	}
	if (b0 >= 0xc2 && b0 <= 0xdf)
		need = 1;
	else if (b0 >= 0xe0 && b0 <= 0xef)
		need = 2;
	else if (b0 >= 0xf0 && b0 <= 0xf4)
		need = 3;
	else
		return 0;
	if (b0 == 0xe0)
		lo = 0xa0;
	else if (b0 == 0xed)
		hi = 0x9f;
	else if (b0 == 0xf0)
		lo = 0x90;
	else if (b0 == 0xf4)
		hi = 0x8f;
	if (len < need + 1 || d[1] < lo || d[1] > hi)
		return 0;
	for (i = 2; i <= need; i++)
		if (d[i] < 0x80 || d[i] > 0xbf)
			return 0;
	*cp = b0 & (0x7f >> (need + 1));
	for (i = 1; i <= need; i++)
		*cp = *cp << 6 | (d[i] & 0x3f);
	return need + 1;
}

/*
 * Line separators and bidi controls, which escape_text() writes as \xHH per
 * byte (log.h): U+061C ALM, U+200E LRM, U+200F RLM, U+2028 LINE SEPARATOR,
 * U+2029 PARAGRAPH SEPARATOR, U+202A..U+202E (LRE RLE PDF LRO RLO),
 * U+2066..U+2069 (LRI RLI FSI PDI).
 */
static bool bidi_codepoint(uint32_t cp)
{
	return cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* FUZZ_STRICT: invisible code points the spec does not name (yet). */
static bool strict_codepoint(uint32_t cp)
{
	return cp == 0xfeff;
}

/*
 * Is s (len bytes) valid UTF-8 with no control character (C0, DEL, C1), line
 * separator or bidi control (and with strict, no strict_codepoint())?
 * Returns NULL if so, else a description of the first offending offset.
 */
static const char *text_problem(const char *s, size_t len, bool strict)
{
	static char why[96];
	size_t i = 0, n;
	uint32_t cp;

	while (i < len) {
		n = ref_utf8((const unsigned char *)s + i, len - i, &cp);
		if (n == 0) {
			snprintf(why, sizeof(why), "ill-formed UTF-8 at offset %zu", i);
			return why;
		}
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
			snprintf(why, sizeof(why), "control character U+%04X at offset %zu",
				(unsigned)cp, i);
			return why;
		}
		if (bidi_codepoint(cp)) {
			snprintf(why, sizeof(why), "bidi/line-separator U+%04X at offset %zu",
				(unsigned)cp, i);
			return why;
		}
		if (strict && strict_codepoint(cp)) {
			snprintf(why, sizeof(why), "FUZZ_STRICT: U+%04X at offset %zu",
				(unsigned)cp, i);
			return why;
		}
		i += n;
	}
	return NULL;
}

/*
 * The escape of the next input unit at d (len > 0) into piece: returns the
 * input bytes it stands for and sets *plen to its length. Kept: printable
 * ASCII and well-formed UTF-8 that is no control, line separator or bidi
 * control; anything else is \xHH of its first byte (the bytes after it are
 * units of their own, so a bidi control becomes three \xHH).
 */
static size_t ref_escape_piece(const unsigned char *d, size_t len, char piece[8], size_t *plen)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c = d[0];
	uint32_t cp;
	size_t n;

	switch (c) {
	case '\\':
	case '"':
		piece[0] = '\\';
		piece[1] = (char)c;
		*plen = 2;
		return 1;
	case '\n':
		memcpy(piece, "\\n", 2);
		*plen = 2;
		return 1;
	case '\t':
		memcpy(piece, "\\t", 2);
		*plen = 2;
		return 1;
	case '\r':
		memcpy(piece, "\\r", 2);
		*plen = 2;
		return 1;
	}
	n = ref_utf8(d, len, &cp);
	if (n > 0 && !(cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) && !bidi_codepoint(cp)) {
		memcpy(piece, d, n);
		*plen = n;
		return n;
	}
	piece[0] = '\\';
	piece[1] = 'x';
	piece[2] = hex[c >> 4];
	piece[3] = hex[c & 15];
	*plen = 4;
	return 1;
}

/*
 * Undo log_escape: decode text into out (room for strlen(text) bytes).
 * Returns the decoded length, or (size_t)-1 if text is not something
 * log_escape can have written (a bare '"', an unknown or cut escape).
 */
static size_t ref_unescape(const char *text, unsigned char *out)
{
	size_t o = 0;
	const char *p = text;
	unsigned int v;

	while (*p) {
		if (*p == '"')
			return (size_t)-1;
		if (*p != '\\') {
			out[o++] = (unsigned char)*p++;
			continue;
		}
		switch (p[1]) {
		case '\\':
		case '"':
			out[o++] = (unsigned char)p[1];
			p += 2;
			break;
		case 'n':
			out[o++] = '\n';
			p += 2;
			break;
		case 't':
			out[o++] = '\t';
			p += 2;
			break;
		case 'r':
			out[o++] = '\r';
			p += 2;
			break;
		case 'x':
			if (!strchr("0123456789abcdef", p[2]) || !p[2] ||
			    !strchr("0123456789abcdef", p[3]) || !p[3])
				return (size_t)-1;
			sscanf(p + 2, "%2x", &v);
			out[o++] = (unsigned char)v;
			p += 4;
			break;
		default:
			return (size_t)-1;
		}
	}
	return o;
}

#endif
