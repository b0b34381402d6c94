/* check_netaddr.c - socket addresses to and from text */
#include <check.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "netaddr.h"

/* ---- sockaddr -> text --------------------------------------------------- */

struct sa_case {
	int family;
	const char *addr;  /* inet_pton text */
	const char *scope; /* interface name for sin6_scope_id, or NULL */
	unsigned scope_id; /* numeric scope id when scope is NULL */
	uint16_t port;
	const char *host;   /* netaddr_host */
	const char *format; /* netaddr_format */
};

/* clang-format off */
static const struct sa_case sa_cases[] = {
	{ AF_INET, "192.0.2.1", NULL, 0, 53, "192.0.2.1", "192.0.2.1:53" },
	{ AF_INET, "127.0.0.1", NULL, 0, 54321, "127.0.0.1", "127.0.0.1:54321" },
	{ AF_INET, "0.0.0.0", NULL, 0, 0, "0.0.0.0", "0.0.0.0:0" },
	{ AF_INET, "255.255.255.255", NULL, 0, 65535, "255.255.255.255", "255.255.255.255:65535" },
	{ AF_INET6, "2001:db8::1", NULL, 0, 53, "2001:db8::1", "[2001:db8::1]:53" },
	{ AF_INET6, "::1", NULL, 0, 20001, "::1", "[::1]:20001" },
	{ AF_INET6, "::", NULL, 0, 1, "::", "[::]:1" },
	{ AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NULL, 0, 65535,
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		"[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535" },
	/* IPv4-mapped: shown as the IPv4 sender sent it. */
	{ AF_INET6, "::ffff:192.0.2.1", NULL, 0, 53, "192.0.2.1", "192.0.2.1:53" },
	{ AF_INET6, "::ffff:127.0.0.1", NULL, 0, 54321, "127.0.0.1", "127.0.0.1:54321" },
	{ AF_INET6, "::ffff:255.255.255.255", NULL, 0, 65535, "255.255.255.255",
		"255.255.255.255:65535" },
	/* Link-local with a scope: the interface by name. */
	{ AF_INET6, "fe80::1", "lo", 0, 53, "fe80::1%lo", "[fe80::1%lo]:53" },
};
/* clang-format on */

#define N_SA (int)(sizeof(sa_cases) / sizeof(sa_cases[0]))

static socklen_t make_sa(const struct sa_case *c, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (c->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(c->port);
		ck_assert_int_eq(inet_pton(AF_INET, c->addr, &sin->sin_addr), 1);
		return sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(c->port);
		ck_assert_int_eq(inet_pton(AF_INET6, c->addr, &sin6->sin6_addr), 1);
		sin6->sin6_scope_id = c->scope ? if_nametoindex(c->scope) : c->scope_id;
		ck_assert_msg(!c->scope || sin6->sin6_scope_id != 0, "no interface %s", c->scope);
		return sizeof(*sin6);
	}
}

START_TEST(test_sa_host)
{
	const struct sa_case *c = &sa_cases[_i];
	struct sockaddr_storage ss;
	char buf[NETADDR_STRLEN];
	const char *s;

	make_sa(c, &ss);
	s = netaddr_host((const struct sockaddr *)&ss, buf, sizeof(buf));
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, c->host);
}
END_TEST

START_TEST(test_sa_port)
{
	const struct sa_case *c = &sa_cases[_i];
	struct sockaddr_storage ss;

	make_sa(c, &ss);
	ck_assert_uint_eq(netaddr_port((const struct sockaddr *)&ss), c->port);
}
END_TEST

START_TEST(test_sa_format)
{
	const struct sa_case *c = &sa_cases[_i];
	struct sockaddr_storage ss;
	char buf[NETADDR_STRLEN];
	const char *s;

	make_sa(c, &ss);
	s = netaddr_format((const struct sockaddr *)&ss, buf, sizeof(buf));
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, c->format);
}
END_TEST

/* A scope id with no interface behind it still shows, as a number. */
START_TEST(test_sa_unknown_scope)
{
	struct sa_case c = {AF_INET6, "fe80::2", NULL, 0, 7, NULL, NULL};
	struct sockaddr_storage ss;
	char buf[NETADDR_STRLEN], name[IF_NAMESIZE];
	unsigned id;

	/* The first index no interface has. */
	for (id = 4000; if_indextoname(id, name) != NULL; id++)
		;
	c.scope_id = id;
	make_sa(&c, &ss);
	snprintf(name, sizeof(name), "%u", id);
	ck_assert_ptr_nonnull(netaddr_host((const struct sockaddr *)&ss, buf, sizeof(buf)));
	ck_assert_msg(strncmp(buf, "fe80::2%", 8) == 0 && strcmp(buf + 8, name) == 0,
		"got \"%s\", want \"fe80::2%%%u\"", buf, id);
}
END_TEST

/* Not an internet address: no crash, port 0, a NUL-terminated text if any. */
START_TEST(test_sa_other_family)
{
	struct sockaddr_un sun;
	struct sockaddr_storage ss;
	const struct sockaddr *sas[2];
	char buf[NETADDR_STRLEN + 8];
	const char *s;
	int i;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, "/run/udp-replyd.sock");
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNSPEC;
	sas[0] = (const struct sockaddr *)&sun;
	sas[1] = (const struct sockaddr *)&ss;

	for (i = 0; i < 2; i++) {
		ck_assert_uint_eq(netaddr_port(sas[i]), 0);

		memset(buf, 'Z', sizeof(buf));
		s = netaddr_host(sas[i], buf, NETADDR_STRLEN);
		if (s)
			ck_assert_msg(strlen(s) < NETADDR_STRLEN, "host text too long");
		ck_assert_msg(buf[NETADDR_STRLEN] == 'Z', "wrote past the buffer");

		memset(buf, 'Z', sizeof(buf));
		s = netaddr_format(sas[i], buf, NETADDR_STRLEN);
		if (s)
			ck_assert_msg(strlen(s) < NETADDR_STRLEN, "format text too long");
		ck_assert_msg(buf[NETADDR_STRLEN] == 'Z', "wrote past the buffer");
	}
}
END_TEST

/* A buffer too small for the text: nothing written past it. */
START_TEST(test_sa_small_buffer)
{
	const struct sa_case *c = &sa_cases[_i];
	struct sockaddr_storage ss;
	char buf[16];
	size_t len;
	const char *s;

	make_sa(c, &ss);
	for (len = 1; len < 8; len++) {
		memset(buf, 'Z', sizeof(buf));
		s = netaddr_format((const struct sockaddr *)&ss, buf, len);
		if (s && s >= buf && s < buf + sizeof(buf))
			ck_assert_msg(
				memchr(buf, '\0', len) != NULL, "len %zu: not terminated", len);
		ck_assert_msg(buf[len] == 'Z', "len %zu: wrote past the buffer", len);

		memset(buf, 'Z', sizeof(buf));
		s = netaddr_host((const struct sockaddr *)&ss, buf, len);
		if (s && s >= buf && s < buf + sizeof(buf))
			ck_assert_msg(
				memchr(buf, '\0', len) != NULL, "len %zu: not terminated", len);
		ck_assert_msg(buf[len] == 'Z', "len %zu: wrote past the buffer", len);
	}
}
END_TEST

/* ---- netaddr_split ------------------------------------------------------ */

struct split_case {
	const char *text;
	int ret;
	const char *host;
	const char *port; /* NULL: no port */
};

/* clang-format off */
static const struct split_case split_cases[] = {
	{ "host", 0, "host", NULL },
	{ "host:53", 0, "host", "53" },
	{ "example.org:20001", 0, "example.org", "20001" },
	{ "192.0.2.1", 0, "192.0.2.1", NULL },
	{ "1.2.3.4:53", 0, "1.2.3.4", "53" },
	{ "[::1]:53", 0, "::1", "53" },
	{ "[::1]", 0, "::1", NULL },
	{ "[2001:db8::1]:65535", 0, "2001:db8::1", "65535" },
	{ "[fe80::1%lo]:53", 0, "fe80::1%lo", "53" },
	{ "[::ffff:192.0.2.1]:53", 0, "::ffff:192.0.2.1", "53" },
	{ "::1", 0, "::1", NULL },
	{ "::", 0, "::", NULL },
	{ "2001:db8::1", 0, "2001:db8::1", NULL },
	{ "fe80::1%lo", 0, "fe80::1%lo", NULL },
	{ "1.2.3.4:", -1, NULL, NULL },
	{ "host:", -1, NULL, NULL },
	{ "[::1]:", -1, NULL, NULL },
	{ "[::1", -1, NULL, NULL },
	{ "[::1]x", -1, NULL, NULL },
	{ "[::1]53", -1, NULL, NULL },
	{ "[]:53", -1, NULL, NULL },
	{ "[]", -1, NULL, NULL },
	{ ":53", -1, NULL, NULL },
	{ "", -1, NULL, NULL },
};
/* clang-format on */

#define N_SPLIT (int)(sizeof(split_cases) / sizeof(split_cases[0]))

START_TEST(test_split)
{
	const struct split_case *c = &split_cases[_i];
	size_t hostlen = strlen(c->text) + 1;
	char *host = malloc(hostlen + 1);
	const char *port = "untouched";
	int ret;

	ck_assert_ptr_nonnull(host);
	host[hostlen] = 'Z';
	ret = netaddr_split(c->text, host, hostlen, &port);
	ck_assert_msg(host[hostlen] == 'Z', "\"%s\": wrote past host", c->text);
	ck_assert_msg(ret == c->ret, "\"%s\": returned %d, want %d", c->text, ret, c->ret);
	if (c->ret == 0) {
		ck_assert_str_eq(host, c->host);
		if (c->port)
			ck_assert_pstr_eq(port, c->port);
		else
			ck_assert_msg(
				port == NULL, "\"%s\": port \"%s\", want none", c->text, port);
	}
	free(host);
}
END_TEST

/* host holds strlen(text)+1 bytes by contract; less than the host part needs is refused. */
START_TEST(test_split_short_host)
{
	static const struct {
		const char *text;
		size_t need; /* the host part and its NUL */
	} cases[] = {{"host", 5}, {"host:53", 5}, {"::1", 4}, {"[::1]:53", 4}};
	const char *text = cases[_i].text, *port;
	size_t need = cases[_i].need;
	char host[16];

	memset(host, 'Z', sizeof(host));
	ck_assert_msg(netaddr_split(text, host, need - 1, &port) == -1, "\"%s\" into %zu bytes",
		text, need - 1);
	ck_assert_msg(host[need - 1] == 'Z', "\"%s\": wrote past %zu bytes", text, need - 1);
	ck_assert_int_eq(netaddr_split(text, host, need, &port), 0);
	ck_assert_uint_eq(strlen(host), need - 1);
}
END_TEST

/* ---- netaddr_parse_port ------------------------------------------------- */

struct port_case {
	const char *text;
	bool allow_zero;
	int ok;
	uint16_t port;
};

/* clang-format off */
static const struct port_case port_cases[] = {
	{ "1", false, 1, 1 },
	{ "53", false, 1, 53 },
	{ "20001", false, 1, 20001 },
	{ "65535", false, 1, 65535 },
	{ "65535", true, 1, 65535 },
	{ "0", true, 1, 0 },
	{ "0", false, 0, 0 },
	{ "65536", false, 0, 0 },
	{ "65536", true, 0, 0 },
	{ "70000", false, 0, 0 },
	{ "4294967297", false, 0, 0 },	/* 2^32 + 1: 1 if wrapped to 32 bits */
	{ "18446744073709551617", false, 0, 0 },
	{ "-1", false, 0, 0 },
	{ "-1", true, 0, 0 },
	{ "-0", true, 0, 0 },
	{ "12a", false, 0, 0 },
	{ "a12", false, 0, 0 },
	{ "", false, 0, 0 },
	{ "", true, 0, 0 },
	{ " 1", false, 0, 0 },
	{ "1 ", false, 0, 0 },
	{ "0x10", false, 0, 0 },
	{ "1.5", false, 0, 0 },
};
/* clang-format on */

#define N_PORT (int)(sizeof(port_cases) / sizeof(port_cases[0]))

START_TEST(test_parse_port)
{
	const struct port_case *c = &port_cases[_i];
	uint16_t port = 12345;
	int ret = netaddr_parse_port(c->text, c->allow_zero, &port);

	if (c->ok) {
		ck_assert_msg(ret == 0, "\"%s\" (allow_zero %d): returned %d", c->text,
			c->allow_zero, ret);
		ck_assert_uint_eq(port, c->port);
	} else {
		ck_assert_msg(ret != 0, "\"%s\" (allow_zero %d): accepted as %u", c->text,
			c->allow_zero, port);
	}
}
END_TEST

/* ---- netaddr_is_literal, netaddr_valid_hostname ------------------------- */

struct name_case {
	const char *text;
	bool literal;
	bool hostname;
};

/* clang-format off */
static const struct name_case name_cases[] = {
	{ "127.0.0.1", true, false },
	{ "0.0.0.0", true, false },
	{ "192.0.2.1", true, false },
	{ "::", true, false },
	{ "::1", true, false },
	{ "2001:db8::1", true, false },
	{ "::ffff:192.0.2.1", true, false },
	{ "localhost", false, true },
	{ "example.org", false, true },
	{ "example.org.", false, true },
	{ "a", false, true },
	{ "a-b.c-d.example", false, true },
	{ "a--b.example", false, true },
	{ "1host.example", false, true },
	{ "xn--bcher-kva.example", false, true },
	{ "UPPER.Example.ORG", false, true },
	{ "", false, false },
	{ ".", false, false },
	{ ".example", false, false },
	{ "a..b", false, false },
	{ "example..", false, false },
	{ "-a.example", false, false },
	{ "a-.example", false, false },
	{ "example.org-", false, false },
	{ "a-", false, false },
	{ "example.-org", false, false },
	{ "not an address!", false, false },
	{ "a b", false, false },
	{ "host:53", false, false },
	{ "1.2.3.4:53", false, false },
	{ "[::1]", false, false },
	{ "a/b", false, false },
	{ "a\tb", false, false },
	{ "h\xc3\xa9.example", false, false },
	/* getaddrinfo() would take these for IPv4 addresses: no numeric last label. */
	{ "127.1", false, false },
	{ "0x7f000001", false, false },
	{ "1.0x2", false, false },
	{ "10", false, false },
	{ "host.123", false, false },
	{ "123.host", false, true },
};
/* clang-format on */

#define N_NAME (int)(sizeof(name_cases) / sizeof(name_cases[0]))

START_TEST(test_names)
{
	const struct name_case *c = &name_cases[_i];

	ck_assert_msg(netaddr_is_literal(c->text) == c->literal, "is_literal(\"%s\") != %d",
		c->text, c->literal);
	/* A literal's validity as a host name is not this suite's business. */
	if (!c->literal)
		ck_assert_msg(netaddr_valid_hostname(c->text) == c->hostname,
			"valid_hostname(\"%s\") != %d", c->text, c->hostname);
}
END_TEST

/* Label and name lengths: labels 1..63, names at most 253 (plus a root dot). */
static char *name_of(size_t labels, size_t label_len, size_t last_len, bool dot)
{
	size_t total = (labels - 1) * (label_len + 1) + last_len + (dot ? 1 : 0);
	char *s = malloc(total + 1), *p = s;
	size_t i;

	ck_assert_ptr_nonnull(s);
	for (i = 0; i + 1 < labels; i++) {
		memset(p, 'a', label_len);
		p += label_len;
		*p++ = '.';
	}
	memset(p, 'b', last_len);
	p += last_len;
	if (dot)
		*p++ = '.';
	*p = '\0';
	ck_assert_uint_eq(strlen(s), total);
	return s;
}

struct length_case {
	size_t labels, label_len, last_len;
	bool dot;
	bool valid;
};

/* clang-format off */
static const struct length_case length_cases[] = {
	{ 1, 0, 63, false, true },	/* one label of 63 */
	{ 1, 0, 64, false, false },	/* one label of 64 */
	{ 2, 63, 3, false, true },
	{ 2, 64, 3, false, false },	/* a first label of 64 */
	{ 2, 3, 64, false, false },	/* a last label of 64 */
	{ 4, 63, 61, false, true },	/* 3 * 64 + 61 = 253 */
	{ 4, 63, 61, true, true },	/* 253 + the root's dot */
	{ 4, 63, 62, false, false },	/* 254 */
	{ 127, 1, 1, false, true },	/* "a.a. ... .b": 253 */
	{ 128, 1, 1, false, false },	/* 255 */
};
/* clang-format on */

#define N_LENGTH (int)(sizeof(length_cases) / sizeof(length_cases[0]))

START_TEST(test_hostname_length)
{
	const struct length_case *c = &length_cases[_i];
	char *name = name_of(c->labels, c->label_len, c->last_len, c->dot);
	size_t len = strlen(name);
	bool valid = netaddr_valid_hostname(name), literal = netaddr_is_literal(name);

	free(name);
	ck_assert_msg(valid == c->valid, "%zu-byte name (%zu labels%s): want %d", len, c->labels,
		c->dot ? " and a trailing dot" : "", c->valid);
	ck_assert(!literal);
}
END_TEST

/* ---- CIDR prefixes ------------------------------------------------------ */

struct prefix_case {
	const char *text;
	const char *why;    /* NULL: parses */
	const char *addr;   /* the masked address, as inet_pton(AF_INET6) text */
	unsigned len;	    /* in IPv6 bits */
	const char *format; /* netaddr_prefix_format */
};

/* clang-format off */
static const struct prefix_case prefix_cases[] = {
	{ "192.0.2.0/24", NULL, "::ffff:192.0.2.0", 120, "192.0.2.0/24" },
	{ "192.0.2.7", NULL, "::ffff:192.0.2.7", 128, "192.0.2.7/32" },
	{ "192.0.2.7/32", NULL, "::ffff:192.0.2.7", 128, "192.0.2.7/32" },
	{ "0.0.0.0/0", NULL, "::ffff:0.0.0.0", 96, "0.0.0.0/0" },
	{ "10.0.0.0/8", NULL, "::ffff:10.0.0.0", 104, "10.0.0.0/8" },
	{ "128.0.0.0/1", NULL, "::ffff:128.0.0.0", 97, "128.0.0.0/1" },
	{ "192.0.2.128/25", NULL, "::ffff:192.0.2.128", 121, "192.0.2.128/25" },
	{ "255.255.255.254/31", NULL, "::ffff:255.255.255.254", 127, "255.255.255.254/31" },
	{ "0.0.0.0", NULL, "::ffff:0.0.0.0", 128, "0.0.0.0/32" },
	{ "2001:db8::/32", NULL, "2001:db8::", 32, "2001:db8::/32" },
	{ "2001:DB8::/32", NULL, "2001:db8::", 32, "2001:db8::/32" },
	{ "2001:db8:0:0::/48", NULL, "2001:db8::", 48, "2001:db8::/48" },
	{ "::1", NULL, "::1", 128, "::1/128" },
	{ "::1/128", NULL, "::1", 128, "::1/128" },
	{ "::/0", NULL, "::", 0, "::/0" },
	{ "::", NULL, "::", 128, "::/128" },
	{ "8000::/1", NULL, "8000::", 1, "8000::/1" },
	{ "fe80::/10", NULL, "fe80::", 10, "fe80::/10" },
	{ "fe80::/9", NULL, "fe80::", 9, "fe80::/9" },
	{ "2001:db8::1:0/112", NULL, "2001:db8::1:0", 112, "2001:db8::1:0/112" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127", NULL,
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 127,
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127" },
	/* The v4-mapped form is the IPv4 prefix, and shows as one. */
	{ "::ffff:192.0.2.0/120", NULL, "::ffff:192.0.2.0", 120, "192.0.2.0/24" },
	{ "::ffff:192.0.2.7", NULL, "::ffff:192.0.2.7", 128, "192.0.2.7/32" },
	{ "::ffff:0:0/96", NULL, "::ffff:0.0.0.0", 96, "0.0.0.0/0" },
	{ "::FFFF:c000:0200/120", NULL, "::ffff:192.0.2.0", 120, "192.0.2.0/24" },
	/* Shorter than /96 it is an IPv6 prefix that v4-mapped space lies in. */
	{ "::/80", NULL, "::", 80, "::/80" },
	{ "64:ff9b::/96", NULL, "64:ff9b::", 96, "64:ff9b::/96" },

	{ "", "not an address", NULL, 0, NULL },
	{ "/24", "not an address", NULL, 0, NULL },
	{ "/", "not an address", NULL, 0, NULL },
	{ " 192.0.2.0/24", "not an address", NULL, 0, NULL },
	{ "192.0.2.0 /24", "not an address", NULL, 0, NULL },
	{ "192.0.2.0\t", "not an address", NULL, 0, NULL },
	{ "192.0.2.0\n", "not an address", NULL, 0, NULL },
	{ "192.0.2", "not an address", NULL, 0, NULL },
	{ "192.0.2.256", "not an address", NULL, 0, NULL },
	{ "192.0.2.0.0/24", "not an address", NULL, 0, NULL },
	{ "010.0.0.0/8", "not an address", NULL, 0, NULL },	/* octal to inet_aton() */
	{ "0x0a.0.0.0/8", "not an address", NULL, 0, NULL },
	{ "10/8", "not an address", NULL, 0, NULL },
	{ "localhost", "not an address", NULL, 0, NULL },
	{ "example.org/24", "not an address", NULL, 0, NULL },
	{ "fe80::1%eth0/64", "not an address", NULL, 0, NULL },
	{ "fe80::1%lo", "not an address", NULL, 0, NULL },
	{ "fe80::%1/64", "not an address", NULL, 0, NULL },
	{ "[2001:db8::]/32", "not an address", NULL, 0, NULL },
	{ "2001:db8:::/32", "not an address", NULL, 0, NULL },
	{ "2001:db8::g/32", "not an address", NULL, 0, NULL },
	{ "1:2:3:4:5:6:7:8:9", "not an address", NULL, 0, NULL },
	{ "::ffff:192.0.2.0000/120", "not an address", NULL, 0, NULL },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255:1/128", "not an address", NULL, 0, NULL },
	{ "1.2.3.4/", "bad prefix length", NULL, 0, NULL },
	{ "::/", "bad prefix length", NULL, 0, NULL },
	{ "1.2.3.4/33", "bad prefix length", NULL, 0, NULL },
	{ "0.0.0.0/4294967296", "bad prefix length", NULL, 0, NULL },	/* 2^32: 0 if wrapped */
	{ "0.0.0.0/4294967328", "bad prefix length", NULL, 0, NULL },	/* 2^32 + 32 */
	{ "::/129", "bad prefix length", NULL, 0, NULL },
	{ "::/1000", "bad prefix length", NULL, 0, NULL },
	{ "::ffff:0:0/129", "bad prefix length", NULL, 0, NULL },
	{ "1.2.3.0/024", "bad prefix length", NULL, 0, NULL },
	{ "1.2.3.0/00", "bad prefix length", NULL, 0, NULL },
	{ "::/00", "bad prefix length", NULL, 0, NULL },
	{ "::/0128", "bad prefix length", NULL, 0, NULL },
	{ "1.2.3.0/+24", "bad prefix length", NULL, 0, NULL },
	{ "1.2.3.0/-1", "bad prefix length", NULL, 0, NULL },
	{ "1.2.3.0/ 24", "bad prefix length", NULL, 0, NULL },
	{ "1.2.3.0/24 ", "bad prefix length", NULL, 0, NULL },
	{ "1.2.3.0/24\n", "bad prefix length", NULL, 0, NULL },
	{ "1.2.3.0/0x18", "bad prefix length", NULL, 0, NULL },
	{ "1.2.3.0/24.0", "bad prefix length", NULL, 0, NULL },
	{ "1.2.3.0/24/8", "bad prefix length", NULL, 0, NULL },
	{ "1.2.3.0//24", "bad prefix length", NULL, 0, NULL },
	{ "2001:db8::/32%eth0", "bad prefix length", NULL, 0, NULL },
	{ "192.0.2.7/24", "host bits set", NULL, 0, NULL },
	{ "192.0.2.128/24", "host bits set", NULL, 0, NULL },
	{ "192.0.2.1/31", "host bits set", NULL, 0, NULL },
	{ "1.0.0.0/0", "host bits set", NULL, 0, NULL },
	{ "128.0.0.0/0", "host bits set", NULL, 0, NULL },
	{ "2001:db8::1/64", "host bits set", NULL, 0, NULL },
	{ "2001:db8::/16", "host bits set", NULL, 0, NULL },
	{ "::1/127", "host bits set", NULL, 0, NULL },
	{ "::1/0", "host bits set", NULL, 0, NULL },
	{ "8000::/0", "host bits set", NULL, 0, NULL },
	{ "fe80::/8", "host bits set", NULL, 0, NULL },
	{ "::ffff:192.0.2.7/120", "host bits set", NULL, 0, NULL },
	{ "::ffff:0:0/95", "host bits set", NULL, 0, NULL },
	{ "::ffff:0:0/80", "host bits set", NULL, 0, NULL },
};
/* clang-format on */

#define N_PREFIX (int)(sizeof(prefix_cases) / sizeof(prefix_cases[0]))

static const struct netaddr_prefix untouched_prefix = {
	.addr = {.s6_addr = {0xde, 0xad, 0xbe, 0xef}}, .len = 77};

START_TEST(test_prefix_parse)
{
	const struct prefix_case *c = &prefix_cases[_i];
	struct netaddr_prefix p = untouched_prefix;
	struct in6_addr want;
	const char *why = "untouched";
	char buf[NETADDR_PREFIX_STRLEN];
	int ret = netaddr_parse_prefix(c->text, &p, &why);

	if (c->why) {
		ck_assert_msg(ret == -1, "\"%s\": accepted as %s", c->text,
			netaddr_prefix_format(&p, buf, sizeof(buf)));
		ck_assert_msg(why && strcmp(why, c->why) == 0, "\"%s\": why \"%s\", want \"%s\"",
			c->text, why ? why : "(null)", c->why);
		ck_assert_msg(memcmp(&p, &untouched_prefix, sizeof(p)) == 0,
			"\"%s\": *out changed on error", c->text);
		/* why may be NULL. */
		ck_assert_int_eq(netaddr_parse_prefix(c->text, &p, NULL), -1);
		return;
	}
	ck_assert_msg(ret == 0, "\"%s\": returned %d (%s)", c->text, ret, why ? why : "(null)");
	ck_assert_int_eq(inet_pton(AF_INET6, c->addr, &want), 1);
	ck_assert_msg(memcmp(&p.addr, &want, sizeof(want)) == 0, "\"%s\": address is not %s",
		c->text, c->addr);
	ck_assert_uint_eq(p.len, c->len);
	ck_assert_str_eq(netaddr_prefix_format(&p, buf, sizeof(buf)), c->format);
	ck_assert_int_eq(netaddr_parse_prefix(c->text, &p, NULL), 0);
}
END_TEST

/* The formatted text parses back to the very same prefix, and formats the same again. */
START_TEST(test_prefix_format_round_trip)
{
	const struct prefix_case *c = &prefix_cases[_i];
	struct netaddr_prefix p, q;
	char buf[NETADDR_PREFIX_STRLEN], again[NETADDR_PREFIX_STRLEN];
	const char *why = NULL;

	if (c->why)
		return;
	ck_assert_int_eq(netaddr_parse_prefix(c->text, &p, NULL), 0);
	netaddr_prefix_format(&p, buf, sizeof(buf));
	ck_assert_msg(netaddr_parse_prefix(buf, &q, &why) == 0, "\"%s\" -> \"%s\": %s", c->text,
		buf, why);
	ck_assert_msg(
		memcmp(&p, &q, sizeof(p)) == 0, "\"%s\" -> \"%s\": another prefix", c->text, buf);
	ck_assert_str_eq(netaddr_prefix_format(&q, again, sizeof(again)), buf);
}
END_TEST

/*
 * Every length of both families: the longest texts fit NETADDR_PREFIX_STRLEN,
 * format and parse are inverse, the prefix holds its first and last address and
 * not the addresses just outside it.
 */
static void fill_sa(struct sockaddr_storage *ss, const struct in6_addr *a, bool as_v4)
{
	memset(ss, 0, sizeof(*ss));
	if (as_v4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, &a->s6_addr[12], 4);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = *a;
	}
}

static bool match_addr(const struct netaddr_prefix *p, const struct in6_addr *a, bool as_v4)
{
	struct sockaddr_storage ss;

	fill_sa(&ss, a, as_v4);
	return netaddr_prefix_match(p, (const struct sockaddr *)&ss);
}

static void flip(struct in6_addr *a, unsigned bit)
{
	a->s6_addr[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
}

START_TEST(test_prefix_every_length)
{
	static const char *const tops[] = {"255.255.255.255", "192.0.2.170", "0.0.0.0",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8:aaaa:5555:aaaa:5555:aaaa:5555",
		"::"};
	bool v4 = _i < 3;
	unsigned max = v4 ? 32 : 128, base = v4 ? 96 : 0, n, bit;
	char text[NETADDR_PREFIX_STRLEN + 8], buf[NETADDR_PREFIX_STRLEN];
	struct netaddr_prefix p, q;
	struct in6_addr a, first, last, out;
	const char *why = NULL;

	for (n = 0; n <= max; n++) {
		/* The address of tops[_i] with the host bits cleared. */
		struct in_addr a4;

		if (v4) {
			ck_assert_int_eq(inet_pton(AF_INET, tops[_i], &a4), 1);
			a4.s_addr =
				htonl((uint32_t)(ntohl(a4.s_addr) & (0xffffffffULL << (32 - n))));
			inet_ntop(AF_INET, &a4, buf, sizeof(buf));
		} else {
			ck_assert_int_eq(inet_pton(AF_INET6, tops[_i], &a), 1);
			for (bit = n; bit < 128; bit++)
				a.s6_addr[bit / 8] &= (uint8_t) ~(0x80 >> (bit % 8));
			inet_ntop(AF_INET6, &a, buf, sizeof(buf));
		}
		snprintf(text, sizeof(text), "%s/%u", buf, n);
		ck_assert_msg(netaddr_parse_prefix(text, &p, &why) == 0, "\"%s\": %s", text, why);
		ck_assert_uint_eq(p.len, base + n);
		ck_assert_msg(
			strlen(netaddr_prefix_format(&p, buf, sizeof(buf))) < NETADDR_PREFIX_STRLEN,
			"\"%s\": text too long", text);
		ck_assert_str_eq(buf, text);
		ck_assert_int_eq(netaddr_parse_prefix(buf, &q, NULL), 0);
		ck_assert(memcmp(&p, &q, sizeof(p)) == 0);

		/* first .. last: p.addr with host bits all 0 .. all 1. */
		first = last = p.addr;
		for (bit = base + n; bit < 128; bit++)
			flip(&last, bit);
		ck_assert_msg(match_addr(&p, &first, v4), "%s: not its first address", text);
		/* ::/80 ends in ::ffff:ffff:ffff, an IPv4 sender, which IPv6 prefixes never match.
		 */
		if (!v4 && IN6_IS_ADDR_V4MAPPED(&last))
			ck_assert_msg(!match_addr(&p, &last, v4), "%s: matches v4-mapped", text);
		else
			ck_assert_msg(match_addr(&p, &last, v4), "%s: not its last address", text);
		if (v4) {
			ck_assert_msg(
				match_addr(&p, &first, false), "%s: not v4-mapped first", text);
			ck_assert_msg(match_addr(&p, &last, false), "%s: not v4-mapped last", text);
		}
		/* Just outside: the last network bit flipped, either end. */
		if (n > 0) {
			out = first;
			flip(&out, base + n - 1);
			ck_assert_msg(!match_addr(&p, &out, v4), "%s: matches outside", text);
			out = last;
			flip(&out, base + n - 1);
			ck_assert_msg(!match_addr(&p, &out, v4), "%s: matches outside", text);
			if (v4)
				ck_assert_msg(!match_addr(&p, &out, false),
					"%s: matches v4-mapped outside", text);
		}
	}
}
END_TEST

struct match_case {
	const char *prefix;
	const char *sender; /* IPv4 text: tried as AF_INET and as v4-mapped AF_INET6 */
	bool match;
};

/* clang-format off */
static const struct match_case match_cases[] = {
	{ "192.0.2.0/24", "192.0.2.0", true },
	{ "192.0.2.0/24", "192.0.2.1", true },
	{ "192.0.2.0/24", "192.0.2.255", true },
	{ "192.0.2.0/24", "192.0.1.255", false },
	{ "192.0.2.0/24", "192.0.3.0", false },
	{ "192.0.2.0/24", "::ffff:192.0.3.0", false },
	{ "192.0.2.0/24", "::192.0.2.1", false },	/* IPv4-compatible: IPv6 */
	{ "192.0.2.0/24", "64:ff9b::192.0.2.1", false },	/* NAT64: IPv6 */
	{ "192.0.2.0/24", "2001:db8::1", false },
	{ "192.0.2.0/25", "192.0.2.127", true },
	{ "192.0.2.0/25", "192.0.2.128", false },
	{ "192.0.2.7", "192.0.2.7", true },
	{ "192.0.2.7/32", "192.0.2.6", false },
	{ "192.0.2.7/32", "192.0.2.8", false },
	{ "192.0.2.7/32", "::ffff:192.0.2.7", true },
	{ "0.0.0.0/0", "0.0.0.0", true },
	{ "0.0.0.0/0", "127.0.0.1", true },
	{ "0.0.0.0/0", "255.255.255.255", true },
	{ "0.0.0.0/0", "::1", false },
	{ "0.0.0.0/0", "::", false },
	{ "0.0.0.0/0", "2001:db8::1", false },
	{ "0.0.0.0/0", "::ffff:0:1", true },	/* v4-mapped 0.0.0.1 */
	{ "0.0.0.0/0", "::fffe:ffff:ffff", false },
	{ "0.0.0.0/0", "::1:0:0:0", false },
	{ "128.0.0.0/1", "127.255.255.255", false },
	{ "128.0.0.0/1", "128.0.0.0", true },
	{ "127.0.0.0/8", "127.255.255.254", true },
	{ "127.0.0.0/8", "126.0.0.1", false },
	/* ::/0 is all of IPv6, and no IPv4 sender. */
	{ "::/0", "::", true },
	{ "::/0", "::1", true },
	{ "::/0", "2001:db8::1", true },
	{ "::/0", "fe80::1", true },
	{ "::/0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true },
	{ "::/0", "192.0.2.1", false },
	{ "::/0", "0.0.0.0", false },
	{ "::/0", "::192.0.2.1", true },
	/* Shorter than /96, v4-mapped space inside: still IPv6 only. */
	{ "::/80", "::1", true },
	{ "::/80", "192.0.2.1", false },
	{ "::/80", "::fffe:ffff:ffff", true },
	{ "::/80", "255.255.255.255", false },
	{ "::/64", "::ffff:1.2.3.4", false },
	{ "::/95", "::1:0:0", true },
	{ "::/96", "::192.0.2.1", true },
	{ "::/96", "192.0.2.1", false },
	/* The v4-mapped form is the IPv4 prefix. */
	{ "::ffff:0:0/96", "192.0.2.1", true },
	{ "::ffff:0:0/96", "::1", false },
	{ "::ffff:0:0/96", "::fffe:c000:201", false },
	{ "::ffff:192.0.2.0/120", "192.0.2.200", true },
	{ "::ffff:192.0.2.0/120", "192.0.3.1", false },
	{ "::ffff:192.0.2.7", "192.0.2.7", true },
	{ "::ffff:192.0.2.7", "192.0.2.8", false },
	{ "2001:db8::/32", "2001:db8::", true },
	{ "2001:db8::/32", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", true },
	{ "2001:db8::/32", "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", false },
	{ "2001:db8::/32", "2001:db9::", false },
	{ "2001:db8::/32", "192.0.2.1", false },
	{ "2001:db8::/33", "2001:db8:7fff::1", true },
	{ "2001:db8::/33", "2001:db8:8000::1", false },
	{ "2001:db8:0:100::/56", "2001:db8:0:1ff::1", true },
	{ "2001:db8:0:100::/56", "2001:db8:0:200::1", false },
	{ "fe80::/10", "fe80::1", true },
	{ "fe80::/10", "febf::1", true },
	{ "fe80::/10", "fec0::1", false },
	{ "fe80::/9", "ff00::", false },
	{ "fe80::/9", "fe00::", false },
	{ "fe80::/9", "feff::1", true },
	{ "::1", "::1", true },
	{ "::1/128", "::", false },
	{ "::1/128", "::2", false },
	{ "::1/128", "127.0.0.1", false },
	{ "::/128", "::", true },
	{ "::/128", "0.0.0.0", false },
	{ "8000::/1", "7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false },
	{ "8000::/1", "8000::", true },
};
/* clang-format on */

#define N_MATCH (int)(sizeof(match_cases) / sizeof(match_cases[0]))

START_TEST(test_prefix_match)
{
	const struct match_case *c = &match_cases[_i];
	struct netaddr_prefix p;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	const char *why = NULL;

	ck_assert_msg(netaddr_parse_prefix(c->prefix, &p, &why) == 0, "\"%s\": %s", c->prefix, why);
	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(53);
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(53);
	if (inet_pton(AF_INET, c->sender, &sin.sin_addr) == 1) {
		ck_assert_msg(netaddr_prefix_match(&p, (const struct sockaddr *)&sin) == c->match,
			"%s, %s: want %d", c->prefix, c->sender, c->match);
		/* The same sender on a dual-stack socket. */
		sin6.sin6_addr.s6_addr[10] = sin6.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&sin6.sin6_addr.s6_addr[12], &sin.sin_addr, 4);
		ck_assert_msg(netaddr_prefix_match(&p, (const struct sockaddr *)&sin6) == c->match,
			"%s, ::ffff:%s: want %d", c->prefix, c->sender, c->match);
	} else {
		ck_assert_int_eq(inet_pton(AF_INET6, c->sender, &sin6.sin6_addr), 1);
		ck_assert_msg(netaddr_prefix_match(&p, (const struct sockaddr *)&sin6) == c->match,
			"%s, %s: want %d", c->prefix, c->sender, c->match);
	}
}
END_TEST

/* A sender's scope id and port play no part; other families never match. */
START_TEST(test_prefix_match_other)
{
	struct netaddr_prefix all6, all4, ll;
	struct sockaddr_in6 sin6;
	struct sockaddr_un sun;
	struct sockaddr_storage ss;

	ck_assert_int_eq(netaddr_parse_prefix("::/0", &all6, NULL), 0);
	ck_assert_int_eq(netaddr_parse_prefix("0.0.0.0/0", &all4, NULL), 0);
	ck_assert_int_eq(netaddr_parse_prefix("fe80::/64", &ll, NULL), 0);

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(65535);
	sin6.sin6_scope_id = 1;
	ck_assert_int_eq(inet_pton(AF_INET6, "fe80::1", &sin6.sin6_addr), 1);
	ck_assert(netaddr_prefix_match(&ll, (const struct sockaddr *)&sin6));
	ck_assert(netaddr_prefix_match(&all6, (const struct sockaddr *)&sin6));
	ck_assert(!netaddr_prefix_match(&all4, (const struct sockaddr *)&sin6));

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNSPEC;
	ck_assert(!netaddr_prefix_match(&all6, (const struct sockaddr *)&sun));
	ck_assert(!netaddr_prefix_match(&all4, (const struct sockaddr *)&sun));
	ck_assert(!netaddr_prefix_match(&all6, (const struct sockaddr *)&ss));
	ck_assert(!netaddr_prefix_match(&all4, (const struct sockaddr *)&ss));
}
END_TEST

/* The longest texts fit; a short buffer is cut, terminated and not overrun. */
START_TEST(test_prefix_format_small)
{
	static const char *const texts[] = {
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127", "255.255.255.255/32", "::/0"};
	char buf[NETADDR_PREFIX_STRLEN + 8];
	struct netaddr_prefix p;
	size_t want, len;
	unsigned i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		ck_assert_int_eq(netaddr_parse_prefix(texts[i], &p, NULL), 0);
		want = strlen(texts[i]);
		for (len = 0; len <= want + 1; len++) {
			memset(buf, 'Z', sizeof(buf));
			netaddr_prefix_format(&p, buf, len);
			ck_assert_msg(buf[len] == 'Z', "%s, len %zu: wrote past the buffer",
				texts[i], len);
			if (len == 0)
				continue;
			ck_assert_msg(memchr(buf, '\0', len) != NULL, "%s, len %zu: not terminated",
				texts[i], len);
			ck_assert_msg(strncmp(buf, texts[i], len - 1) == 0, "%s, len %zu: \"%s\"",
				texts[i], len, buf);
		}
		ck_assert_str_eq(buf, texts[i]);
	}
}
END_TEST

/* ---- the suite ---------------------------------------------------------- */

static Suite *netaddr_suite(void)
{
	Suite *s = suite_create("netaddr");
	TCase *tc;

	tc = tcase_create("sockaddr");
	tcase_add_loop_test(tc, test_sa_host, 0, N_SA);
	tcase_add_loop_test(tc, test_sa_port, 0, N_SA);
	tcase_add_loop_test(tc, test_sa_format, 0, N_SA);
	tcase_add_loop_test(tc, test_sa_small_buffer, 0, N_SA);
	tcase_add_test(tc, test_sa_unknown_scope);
	tcase_add_test(tc, test_sa_other_family);
	suite_add_tcase(s, tc);

	tc = tcase_create("split");
	tcase_add_loop_test(tc, test_split, 0, N_SPLIT);
	tcase_add_loop_test(tc, test_split_short_host, 0, 4);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse_port");
	tcase_add_loop_test(tc, test_parse_port, 0, N_PORT);
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_add_loop_test(tc, test_names, 0, N_NAME);
	tcase_add_loop_test(tc, test_hostname_length, 0, N_LENGTH);
	suite_add_tcase(s, tc);

	tc = tcase_create("prefix");
	tcase_add_loop_test(tc, test_prefix_parse, 0, N_PREFIX);
	tcase_add_loop_test(tc, test_prefix_format_round_trip, 0, N_PREFIX);
	tcase_add_loop_test(tc, test_prefix_every_length, 0, 6);
	tcase_add_loop_test(tc, test_prefix_match, 0, N_MATCH);
	tcase_add_test(tc, test_prefix_match_other);
	tcase_add_test(tc, test_prefix_format_small);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(netaddr_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
