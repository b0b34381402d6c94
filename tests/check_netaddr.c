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
