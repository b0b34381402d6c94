/*
 * fuzz_netaddr.c - libFuzzer harness for netaddr.c
 *
 * Input: first byte picks the function, second a size parameter, the rest is
 * the text (cut at its first NUL, as a C string would be) or, for the
 * formatters, a socket address (fuzz-util.h). Checked against independent
 * references written from netaddr.h's comments:
 *
 *   netaddr_split: accepts exactly "HOST", "HOST:PORT" (one colon),
 *     "[V6]", "[V6]:PORT" and bare texts with two or more colons; host and port
 *     put back together give the text; never writes hostlen bytes or more
 *     (host is a heap block of exactly hostlen bytes, any hostlen);
 *   netaddr_parse_port: accepts exactly [0-9]+ with a value 1..65535 (0 too
 *     with allow_zero), leaves *port alone on failure;
 *   netaddr_valid_hostname: labels of 1..63 [A-Za-z0-9_-] not starting or
 *     ending with '-', dot-separated, one trailing dot allowed, at most 253
 *     bytes without it, the last label not all digits, and not a number
 *     inet_aton() reads ("10", "127.1", "0x7f000001", "1.0x2"; reference
 *     written from inet_aton(3)); and getaddrinfo() does not read a valid
 *     host name as a number;
 *   netaddr_is_literal: true only for texts inet_pton() takes, which
 *     getaddrinfo(AI_NUMERICHOST) then takes too;
 *   netaddr_host/netaddr_format: NUL-terminated within len (exact heap block),
 *     a prefix of the full text, which is what the spec says it is.
 */
#include <ctype.h>
#include <netdb.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "netaddr.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_env_init();
	return 0;
}

static size_t count_char(const char *s, char c)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

static void fuzz_split(const char *text, uint8_t param)
{
	size_t tlen = strlen(text), hostlen, want_n = 0;
	const char *port = (const char *)1, *want_port = NULL, *want_host = text, *end;
	bool ok;
	char *host;
	int rc;

	/* Often the documented strlen(text)+1, else anything around it. */
	if (param < 128)
		hostlen = tlen + 1;
	else
		hostlen = (size_t)(param & 0x3f) < tlen + 3 ? (size_t)(param & 0x3f) : tlen + 2;
	host = malloc(hostlen ? hostlen : 1);

	/* The reference grammar. */
	if (text[0] == '[') {
		end = strchr(text, ']');
		ok = end && end > text + 1 &&
		     (end[1] == '\0' || (end[1] == ':' && end[2] != '\0'));
		if (ok) {
			want_host = text + 1;
			want_n = (size_t)(end - text - 1);
			want_port = end[1] ? end + 2 : NULL;
		}
	} else if (count_char(text, ':') == 1) {
		end = strchr(text, ':');
		ok = end > text && end[1] != '\0';
		want_n = (size_t)(end - text);
		want_port = end + 1;
	} else {
		ok = tlen > 0;
		want_n = tlen;
	}
	ok = ok && want_n < hostlen;

	rc = netaddr_split(text, host, hostlen, &port);
	CHECK(rc == 0 || rc == -1, "returned %d", rc);
	CHECK((rc == 0) == ok, "\"%s\" (hostlen %zu): returned %d, reference says %s", text,
		hostlen, rc, ok ? "ok" : "malformed");
	if (rc == 0) {
		CHECK(strnlen(host, hostlen) == want_n && memcmp(host, want_host, want_n) == 0,
			"\"%s\": host \"%.*s\", want \"%.*s\"", text, (int)hostlen, host,
			(int)want_n, want_host);
		CHECK(port == want_port, "\"%s\": port \"%s\", want \"%s\"", text,
			port ? port : "(null)", want_port ? want_port : "(null)");
		CHECK(!port || *port, "\"%s\": empty port", text);
	}
	free(host);
}

static void fuzz_port(const char *text)
{
	size_t i, n = strlen(text);
	unsigned long v = 0;
	bool digits = n > 0;
	uint16_t port;
	int z, rc;

	for (i = 0; i < n; i++) {
		if (text[i] < '0' || text[i] > '9') {
			digits = false;
			break;
		}
		if (v <= 65535)
			v = v * 10 + (unsigned long)(text[i] - '0');
	}
	for (z = 0; z <= 1; z++) {
		bool ok = digits && v <= 65535 && (v > 0 || z);

		port = 4242;
		rc = netaddr_parse_port(text, z, &port);
		CHECK((rc == 0) == ok, "\"%s\" allow_zero=%d: returned %d", text, z, rc);
		if (rc == 0)
			CHECK(port == v, "\"%s\": port %u, want %lu", text, port, v);
		else
			CHECK(port == 4242, "\"%s\": *port changed to %u on failure", text, port);
	}
}

/*
 * One part of an inet_aton() number at t: C notation, "0x"/"0X" and at least
 * one hex digit, "0" and octal digits, or decimal; its value (saturated
 * above 2^32) in *v and its end in *end, or false.
 */
static bool ref_aton_part(const char *t, uint64_t *v, const char **end)
{
	unsigned base = 10, d;
	const char *p = t;

	*v = 0;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
		if (!isxdigit((unsigned char)*p))
			return false; /* "0x" alone: the number is 0, then junk */
	} else if (p[0] == '0') {
		base = 8;
	} else if (!isdigit((unsigned char)*p)) {
		return false;
	}
	for (;; p++) {
		if (isdigit((unsigned char)*p))
			d = (unsigned)(*p - '0');
		else if (base == 16 && isxdigit((unsigned char)*p))
			d = (unsigned)(tolower((unsigned char)*p) - 'a' + 10);
		else
			break;
		if (d >= base)
			return false; /* "08": the number ends at the 8, then junk */
		if (*v <= 0xffffffffu)
			*v = *v * base + d;
	}
	*end = p;
	return true;
}

/*
 * Would inet_aton() take t, which has only [A-Za-z0-9._-] (so none of the
 * trailing white space glibc allows)? inet_aton(3): "a.b.c.d", "a.b.c" (c
 * 16 bits), "a.b" (b 24 bits) or "a" (32 bits), each part in C notation and
 * the parts before the last at most 255.
 */
static bool ref_inet_aton(const char *t)
{
	static const uint64_t last_max[4] = { 0xffffffffu, 0xffffffu, 0xffffu, 0xffu };
	const char *p = t;
	uint64_t v;
	int parts = 0;

	for (;;) {
		if (!ref_aton_part(p, &v, &p))
			return false;
		if (*p != '.')
			break;
		if (parts == 3 || v > 0xff)
			return false;
		parts++;
		p++;
	}
	return *p == '\0' && v <= last_max[parts];
}

static bool ref_hostname(const char *t)
{
	size_t n = strlen(t), i, start = 0, lab;
	bool numeric = true;

	if (n > 0 && t[n - 1] == '.')
		n--; /* one trailing dot: the root, not counted */
	if (n == 0 || n > 253)
		return false;
	for (i = 0; i <= n; i++) {
		if (i < n && t[i] != '.') {
			if (!isalnum((unsigned char)t[i]) && t[i] != '_' && t[i] != '-')
				return false;
			continue;
		}
		lab = i - start;
		if (lab == 0 || lab > 63 || t[start] == '-' || t[i - 1] == '-')
			return false;
		numeric = strspn(t + start, "0123456789") >= lab;
		start = i + 1;
	}
	/* No top-level domain is all digits ("127.1" is an address to getaddrinfo). */
	if (numeric)
		return false;
	/* Nor is a number in any inet_aton() form ("0x7f", "1.0x2") a name. */
	return !ref_inet_aton(t);
}

static bool numeric_for_getaddrinfo(const char *text)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST, .ai_socktype = SOCK_DGRAM }, *res;

	if (getaddrinfo(text, NULL, &hints, &res) != 0)
		return false;
	freeaddrinfo(res);
	return true;
}

static void fuzz_names(const char *text)
{
	bool lit = netaddr_is_literal(text), name = netaddr_valid_hostname(text);
	unsigned char a[16];

	CHECK(name == ref_hostname(text), "valid_hostname(\"%s\") = %d, reference says %d", text,
		name, !name);
	CHECK(lit == (inet_pton(AF_INET, text, a) == 1 || inet_pton(AF_INET6, text, a) == 1),
		"is_literal(\"%s\") = %d", text, lit);
	if (lit)
		CHECK(numeric_for_getaddrinfo(text), "literal \"%s\" but getaddrinfo refuses it",
			text);
	/*
	 * config.c takes a valid host name as a name, but getaddrinfo() reads
	 * inet_aton() forms ("127.1", "0x7f", "010.0.0.1" = 8.0.0.1) as numbers:
	 * the daemon would bind an address nobody wrote.
	 */
	if (name && !lit)
		CHECK(!numeric_for_getaddrinfo(text),
			"\"%s\" passes as a host name but getaddrinfo reads it as a number", text);
}

static void fuzz_format(struct reader *r, size_t len)
{
	struct sockaddr *sa = rd_sockaddr(r);
	char full[256], want[256], *buf = malloc(len ? len : 1);
	size_t k, flen;
	const char *ret;

	/* netaddr_host: the full text, then cut into len bytes. */
	netaddr_host(sa, full, sizeof(full));
	flen = strlen(full);
	CHECK(flen < NETADDR_STRLEN, "host text of %zu bytes: \"%s\"", flen, full);
	buf[0] = 'Z';
	ret = netaddr_host(sa, buf, len);
	CHECK(ret == buf, "netaddr_host returned another pointer");
	if (len == 0) {
		CHECK(buf[0] == 'Z', "len 0 wrote into the buffer");
	} else {
		k = strnlen(buf, len);
		CHECK(k < len, "netaddr_host: no NUL within len %zu", len);
		CHECK(k <= flen && memcmp(buf, full, k) == 0,
			"netaddr_host len %zu: \"%s\" is not a prefix of \"%s\"", len, buf, full);
	}

	/* netaddr_format: what the spec says, cut at len-1. */
	netaddr_format(sa, full, sizeof(full));
	flen = strlen(full);
	ref_format_sockaddr(sa, want, sizeof(want));
	CHECK(strcmp(full, want) == 0, "format \"%s\", want \"%s\"", full, want);
	CHECK(flen < NETADDR_STRLEN, "formatted address of %zu bytes: \"%s\"", flen, full);
	buf[0] = 'Z';
	ret = netaddr_format(sa, buf, len);
	CHECK(ret == buf, "netaddr_format returned another pointer");
	if (len == 0) {
		CHECK(buf[0] == 'Z', "len 0 wrote into the buffer");
	} else {
		k = strnlen(buf, len);
		CHECK(k < len, "netaddr_format: no NUL within len %zu", len);
		CHECK(k == (flen < len - 1 ? flen : len - 1) && memcmp(buf, full, k) == 0,
			"netaddr_format len %zu: \"%s\" is not a cut of \"%s\"", len, buf, full);
	}
	CHECK(netaddr_port(sa) ==
			(sa->sa_family == AF_INET ?
				ntohs(((struct sockaddr_in *)(void *)sa)->sin_port) :
			 sa->sa_family == AF_INET6 ?
				ntohs(((struct sockaddr_in6 *)(void *)sa)->sin6_port) : 0),
		"netaddr_port");
	free(buf);
	free(sa);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reader r = { data, size };
	uint8_t mode = rd_u8(&r), param = rd_u8(&r);
	char *text;

	if (mode % 4 == 3) {
		fuzz_format(&r, param % 96);
		return 0;
	}
	text = malloc(r.n + 1);
	memcpy(text, r.p, r.n);
	text[r.n] = '\0';
	switch (mode % 4) {
	case 0:
		fuzz_split(text, param);
		break;
	case 1:
		fuzz_port(text);
		break;
	default:
		fuzz_names(text);
		break;
	}
	free(text);
	return 0;
}
