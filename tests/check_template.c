/* check_template.c - reply templates: syntax, every placeholder, binary echo, the cap */
#include <check.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "template.h"

/* The largest UDP payload over IPv4: what the daemon passes as out_size. */
#define CAP 65507

union addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

/* A socket address from "ADDR" and a port, either family. */
static union addr sa(const char *text, uint16_t port)
{
	union addr a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, text, &a.in.sin_addr) == 1) {
		a.in.sin_family = AF_INET;
		a.in.sin_port = htons(port);
	} else {
		ck_assert_int_eq(inet_pton(AF_INET6, text, &a.in6.sin6_addr), 1);
		a.in6.sin6_family = AF_INET6;
		a.in6.sin6_port = htons(port);
	}
	return a;
}

static union addr remote, local;

/* "ping" from 192.0.2.7:40000 to 192.0.2.1:20001 at 2024-06-01T12:00:00.123456789Z */
static struct template_input datagram(void)
{
	remote = sa("192.0.2.7", 40000);
	local = sa("192.0.2.1", 20001);
	return (struct template_input){
		.remote = &remote.sa,
		.local = &local.sa,
		.payload = (const unsigned char *)"ping",
		.len = 4,
		.size = 4,
		.now = { 1717243200, 123456789 },
		.hostname = "host1",
		.service = "hello",
	};
}

/*
 * Expand text for in into out (NUL-terminated for printing; room for 4096),
 * checking that template_reply_size() agrees; returns the length.
 */
static size_t expand(const char *text, size_t len, const struct template_input *in, char *out)
{
	struct template t;
	struct template_error err;
	bool truncated = true;
	size_t n;
	int r;

	r = template_compile(&t, text, len, &err);
	ck_assert_msg(r == 0, "\"%s\": %s at %zu", text, err.message, err.offset);
	n = template_expand(&t, in, (unsigned char *)out, 4095, &truncated);
	ck_assert(!truncated);
	ck_assert_uint_eq(n, template_reply_size(&t, in));
	out[n] = '\0';
	template_free(&t);
	return n;
}

struct expand_case {
	const char *text;
	const char *want;
};

/* clang-format off */
static const struct expand_case placeholder_cases[] = {
	{ "%{remote_addr}", "192.0.2.7" },
	{ "%{remote_port}", "40000" },
	{ "%{remote}", "192.0.2.7:40000" },
	{ "%{local_addr}", "192.0.2.1" },
	{ "%{local_port}", "20001" },
	{ "%{local}", "192.0.2.1:20001" },
	{ "%{size}", "4" },
	{ "%{payload}", "ping" },
	{ "%{time}", "2024-06-01T12:00:00Z" },
	{ "%{time_us}", "2024-06-01T12:00:00.123456Z" },
	{ "%{hostname}", "host1" },
	{ "%{service}", "hello" },
	{ "%%", "%" },
	{ "100%%", "100%" },
	{ "%%{remote}", "%{remote}" },
	{ "%%%%", "%%" },
	{ "you are %{remote}\n", "you are 192.0.2.7:40000\n" },
	{ "%{remote_addr}%{remote_port}", "192.0.2.740000" },
	{ "[%{payload}|%{payload}]", "[ping|ping]" },
	{ "%{hostname}/%{service}: %{size} bytes from %{remote} to %{local} at %{time}",
	  "host1/hello: 4 bytes from 192.0.2.7:40000 to 192.0.2.1:20001 at 2024-06-01T12:00:00Z" },
	{ "", "" },
	{ "Hello UDP Client", "Hello UDP Client" },
};
/* clang-format on */

START_TEST(test_placeholders)
{
	const struct expand_case *c = &placeholder_cases[_i];
	struct template_input in = datagram();
	char out[4096];
	size_t n = expand(c->text, strlen(c->text), &in, out);

	ck_assert_msg(n == strlen(c->want) && memcmp(out, c->want, n) == 0,
		"\"%s\" gave \"%s\", wanted \"%s\"", c->text, out, c->want);
}
END_TEST

struct error_case {
	const char *text;
	size_t len;	/* 0: strlen(text) */
	size_t offset;
	const char *message;
};

/* clang-format off */
static const struct error_case error_cases[] = {
	{ "%", 0, 0, "a lone '%' at the end: write %% for a percent sign" },
	{ "100%", 0, 3, "a lone '%' at the end: write %% for a percent sign" },
	{ "50% off", 0, 2, "a lone '%': write %% for a percent sign, %{name} for a placeholder" },
	{ "%s", 0, 0, "unknown '%s': write %% for a percent sign, %{name} for a placeholder" },
	{ "ok %%%d", 0, 5, "unknown '%d'" },
	{ "%\001", 0, 0, "a lone '%'" },
	{ "a%\0b", 4, 1, "a lone '%'" },
	{ "%\xff", 0, 0, "a lone '%'" },
	{ "%{", 0, 0, "'%{' without a closing '}'" },
	{ "abc %{remote_addr", 0, 4, "'%{' without a closing '}'" },
	{ "%{remote addr}", 0, 0, "'%{' without a closing '}'" },
	{ "%{remote%}", 0, 0, "'%{' without a closing '}'" },
	{ "%{{remote}}", 0, 0, "'%{' without a closing '}'" },
	{ "%{remote\n}", 0, 0, "'%{' without a closing '}'" },
	{ "%{}", 0, 0, "empty placeholder '%{}'" },
	{ "x%{remote}y%{nope}", 0, 11, "unknown placeholder '%{nope}'" },
	{ "%{remote-addr}", 0, 0, "unknown placeholder '%{remote-addr}'" },
	{ "%{Remote_Addr}", 0, 0,
	  "unknown placeholder '%{Remote_Addr}' (did you mean '%{remote_addr}'?)" },
	{ "%{TIME}", 0, 0, "unknown placeholder '%{TIME}' (did you mean '%{time}'?)" },
	{ "%{peer_addr}", 0, 0,
	  "unknown placeholder '%{peer_addr}' (did you mean '%{remote_addr}'?)" },
	{ "%{request}", 0, 0, "unknown placeholder '%{request}' (did you mean '%{payload}'?)" },
	{ "%{server_port}", 0, 0,
	  "unknown placeholder '%{server_port}' (did you mean '%{local_port}'?)" },
	{ "%{abcdefghijklmnopqrstuvwxyz0123456789}", 0, 0,
	  "unknown placeholder '%{abcdefghijklmnopqrstuvwxyz012345...}'" },
	{ "%{remote}%{remote_", 0, 9, "'%{' without a closing '}'" },
	/* the first error wins */
	{ "%x %{", 0, 0, "unknown '%x'" },
};
/* clang-format on */

START_TEST(test_errors)
{
	const struct error_case *c = &error_cases[_i];
	size_t len = c->len ? c->len : strlen(c->text);
	struct template t;
	struct template_error err;
	int r;

	memset(&err, 'Z', sizeof(err));
	r = template_compile(&t, c->text, len, &err);
	ck_assert_msg(r == -EINVAL, "\"%s\" compiled (%d)", c->text, r);
	ck_assert_msg(err.offset == c->offset, "\"%s\": offset %zu, wanted %zu", c->text,
		err.offset, c->offset);
	ck_assert_msg(memchr(err.message, '\0', sizeof(err.message)) != NULL, "no NUL");
	ck_assert_msg(strncmp(err.message, c->message, strlen(c->message)) == 0,
		"\"%s\": message \"%s\", wanted \"%s\"", c->text, err.message, c->message);
	ck_assert(!strchr(err.message, '\n'));
	ck_assert(t.text == NULL && t.parts == NULL && t.nparts == 0);
	template_free(&t);
	/* err is optional */
	ck_assert_int_eq(template_compile(&t, c->text, len, NULL), -EINVAL);
}
END_TEST

/* Every placeholder is in the name table, and nothing else. */
START_TEST(test_names)
{
	char text[64], out[4096];
	struct template_input in = datagram();
	struct template t;
	int f;

	ck_assert_ptr_null(template_field_name(TEMPLATE_TEXT));
	ck_assert_ptr_null(template_field_name(TEMPLATE_FIELDS));
	for (f = TEMPLATE_TEXT + 1; f < TEMPLATE_FIELDS; f++) {
		snprintf(text, sizeof(text), "%%{%s}", template_field_name((enum template_field)f));
		ck_assert_int_eq(template_compile(&t, text, strlen(text), NULL), 0);
		ck_assert(!template_is_literal(&t));
		ck_assert(template_uses(&t, TEMPLATE_USES(f)));
		ck_assert(!template_uses(&t, ~TEMPLATE_USES(f)));
		ck_assert_ptr_null(template_literal(&t, &(size_t){ 0 }));
		template_free(&t);
		expand(text, strlen(text), &in, out);
	}
}
END_TEST

/* A reply without placeholders: its bytes, %% as %, and nothing per datagram. */
START_TEST(test_literal)
{
	static const char bin[] = "a\0b\xff%%c";
	struct template t;
	const unsigned char *lit;
	size_t len = 99;

	ck_assert_int_eq(template_compile(&t, "Hello UDP Client", 16, NULL), 0);
	ck_assert(template_is_literal(&t));
	ck_assert(!template_uses(&t, ~0u));
	lit = template_literal(&t, &len);
	ck_assert_uint_eq(len, 16);
	ck_assert(memcmp(lit, "Hello UDP Client", 16) == 0);
	template_free(&t);

	ck_assert_int_eq(template_compile(&t, "100%% sure", 10, NULL), 0);
	ck_assert(template_is_literal(&t));
	lit = template_literal(&t, &len);
	ck_assert_uint_eq(len, 9);
	ck_assert(memcmp(lit, "100% sure", 9) == 0);
	template_free(&t);

	/* Binary: NUL and invalid UTF-8 in the text stay. */
	ck_assert_int_eq(template_compile(&t, bin, sizeof(bin) - 1, NULL), 0);
	ck_assert(template_is_literal(&t));
	lit = template_literal(&t, &len);
	ck_assert_uint_eq(len, 6);
	ck_assert(memcmp(lit, "a\0b\xff%c", 6) == 0);
	template_free(&t);

	/* Empty; NULL text of length 0. */
	ck_assert_int_eq(template_compile(&t, NULL, 0, NULL), 0);
	ck_assert(template_is_literal(&t));
	lit = template_literal(&t, &len);
	ck_assert_ptr_nonnull(lit);
	ck_assert_uint_eq(len, 0);
	template_free(&t);
	template_free(&t);
}
END_TEST

/* The echo is the bytes as they came: NUL, invalid UTF-8, anything. */
START_TEST(test_binary_echo)
{
	static const unsigned char payload[] = { 'a', 0, 0xff, 0xfe, 0xc0, 0x80, '\n', 0, 0xed,
		0xa0, 0x80, '%', '{', '}' };
	struct template_input in = datagram();
	char out[4096];
	size_t n;

	in.payload = payload;
	in.len = in.size = sizeof(payload);
	n = expand("<%{payload}>", 12, &in, out);
	ck_assert_uint_eq(n, sizeof(payload) + 2);
	ck_assert(out[0] == '<' && out[n - 1] == '>');
	ck_assert(memcmp(out + 1, payload, sizeof(payload)) == 0);
	n = expand("%{size}", 7, &in, out);
	ck_assert_str_eq(out, "14");

	/* Nothing read: an empty echo, even with a NULL payload. */
	in.payload = NULL;
	in.len = in.size = 0;
	n = expand("[%{payload}] %{size}", 20, &in, out);
	ck_assert_str_eq(out, "[] 0");
}
END_TEST

/* A datagram longer than the buffer: the echo is what was read, the size all of it. */
START_TEST(test_truncated_request)
{
	struct template_input in = datagram();
	char out[4096];

	in.len = 2;
	in.size = 65535;
	expand("%{payload} of %{size}", 21, &in, out);
	ck_assert_str_eq(out, "pi of 65535");
}
END_TEST

/* A reply over the cap is cut there and says so; the size still counts all of it. */
START_TEST(test_cap)
{
	struct template_input in = datagram();
	unsigned char *payload = malloc(40000), *out = malloc(CAP);
	struct template t;
	bool truncated = false;
	size_t n, i;

	memset(payload, 'x', 40000);
	payload[39999] = 'y';
	in.payload = payload;
	in.len = in.size = 40000;
	ck_assert_int_eq(template_compile(&t, "A%{payload}B%{payload}C", 23, NULL), 0);
	ck_assert_uint_eq(template_reply_size(&t, &in), 80003);
	n = template_expand(&t, &in, out, CAP, &truncated);
	ck_assert_uint_eq(n, CAP);
	ck_assert(truncated);
	ck_assert(out[0] == 'A' && out[40000] == 'y' && out[40001] == 'B');
	for (i = 40002; i < CAP; i++)
		ck_assert(out[i] == 'x');

	/* Exactly full is not truncated; one byte short is. */
	in.len = in.size = 100;
	n = template_expand(&t, &in, out, 203, &truncated);
	ck_assert_uint_eq(n, 203);
	ck_assert(!truncated);
	n = template_expand(&t, &in, out, 202, &truncated);
	ck_assert_uint_eq(n, 202);
	ck_assert(truncated);
	ck_assert(out[201] == 'x');
	/* No room at all (NULL out), and truncated may be NULL. */
	n = template_expand(&t, &in, NULL, 0, &truncated);
	ck_assert_uint_eq(n, 0);
	ck_assert(truncated);
	ck_assert_uint_eq(template_expand(&t, &in, out, 5, NULL), 5);
	template_free(&t);

	/* A cut inside a generated value. */
	ck_assert_int_eq(template_compile(&t, "%{remote}", 9, NULL), 0);
	n = template_expand(&t, &in, out, 11, &truncated);
	ck_assert_uint_eq(n, 11);
	ck_assert(truncated);
	ck_assert(memcmp(out, "192.0.2.7:4", 11) == 0);
	template_free(&t);

	/* A size past SIZE_MAX stays at SIZE_MAX (the payload is not read for it). */
	ck_assert_int_eq(template_compile(&t, "%{payload}%{payload}x", 21, NULL), 0);
	in.len = SIZE_MAX / 2 + 1;
	ck_assert_uint_eq(template_reply_size(&t, &in), SIZE_MAX);
	in.len = SIZE_MAX / 2 - 1;
	ck_assert_uint_eq(template_reply_size(&t, &in), SIZE_MAX - 2);
	template_free(&t);

	/* An empty reply fits in nothing. */
	ck_assert_int_eq(template_compile(&t, "", 0, NULL), 0);
	ck_assert_uint_eq(template_expand(&t, &in, NULL, 0, &truncated), 0);
	ck_assert(!truncated);
	template_free(&t);
	free(payload);
	free(out);
}
END_TEST

struct addr_case {
	const char *remote;
	uint16_t port;
	uint32_t scope;
	const char *addr;	/* %{remote_addr} */
	const char *both;	/* %{remote} */
};

/* clang-format off */
static const struct addr_case addr_cases[] = {
	{ "192.0.2.7", 40000, 0, "192.0.2.7", "192.0.2.7:40000" },
	{ "0.0.0.0", 0, 0, "0.0.0.0", "0.0.0.0:0" },
	{ "255.255.255.255", 65535, 0, "255.255.255.255", "255.255.255.255:65535" },
	/* IPv4 senders on a dual-stack socket: as they see themselves */
	{ "::ffff:192.0.2.7", 40000, 0, "192.0.2.7", "192.0.2.7:40000" },
	{ "::ffff:127.0.0.1", 1, 0, "127.0.0.1", "127.0.0.1:1" },
	{ "2001:db8::7", 40000, 0, "2001:db8::7", "[2001:db8::7]:40000" },
	{ "::1", 53, 0, "::1", "[::1]:53" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535, 0,
	  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	  "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535" },
	{ "::ffff:0:255.255.255.255", 65535, 0, "::ffff:0:ffff:ffff",
	  "[::ffff:0:ffff:ffff]:65535" },
	/* no zone: it names our interface, which means nothing to the peer */
	{ "fe80::1", 40000, 2, "fe80::1", "[fe80::1]:40000" },
	{ "fe80::1", 40000, 4294967295u, "fe80::1", "[fe80::1]:40000" },
};
/* clang-format on */

START_TEST(test_addresses)
{
	const struct addr_case *c = &addr_cases[_i];
	struct template_input in = datagram();
	char out[4096];

	remote = sa(c->remote, c->port);
	if (remote.sa.sa_family == AF_INET6)
		remote.in6.sin6_scope_id = c->scope;
	expand("%{remote_addr}", 14, &in, out);
	ck_assert_str_eq(out, c->addr);
	expand("%{remote}", 9, &in, out);
	ck_assert_str_eq(out, c->both);
	/* The local side is written the same way. */
	in.local = in.remote;
	expand("%{local_addr}|%{local}", 22, &in, out);
	ck_assert_str_eq(strchr(out, '|') + 1, c->both);
	*strchr(out, '|') = '\0';
	ck_assert_str_eq(out, c->addr);
}
END_TEST

/* Unknown addresses (no packet info, another family) and strings expand to nothing. */
START_TEST(test_unknown)
{
	struct template_input in = datagram();
	struct sockaddr unix_sa = { .sa_family = AF_UNIX };
	union addr unspec = { .sa = { .sa_family = AF_UNSPEC } };
	char out[4096];

	in.local = NULL;
	in.hostname = NULL;
	in.service = NULL;
	expand("[%{local}|%{local_addr}|%{local_port}|%{hostname}|%{service}]", 61, &in, out);
	ck_assert_str_eq(out, "[||||]");
	in.local = &unspec.sa;
	in.remote = &unix_sa;
	expand("[%{local}|%{remote}|%{remote_addr}|%{remote_port}]", 50, &in, out);
	ck_assert_str_eq(out, "[|||]");
}
END_TEST

/* The time is UTC, cut (not rounded) to the microsecond, and clamped to 4-digit years. */
START_TEST(test_time)
{
	struct template_input in = datagram();
	char out[4096];

	in.now = (struct timespec){ 0, 0 };
	expand("%{time} %{time_us}", 18, &in, out);
	ck_assert_str_eq(out, "1970-01-01T00:00:00Z 1970-01-01T00:00:00.000000Z");
	in.now = (struct timespec){ 951868799, 999999999 };
	expand("%{time} %{time_us}", 18, &in, out);
	ck_assert_str_eq(out, "2000-02-29T23:59:59Z 2000-02-29T23:59:59.999999Z");
	in.now = (struct timespec){ -1, 5 };
	expand("%{time_us}", 10, &in, out);
	ck_assert_str_eq(out, "1970-01-01T00:00:00.000000Z");
	in.now = (struct timespec){ 1717243200, -1 };
	expand("%{time_us}", 10, &in, out);
	ck_assert_str_eq(out, "2024-06-01T12:00:00.000000Z");
	in.now = (struct timespec){ 1717243200, 1000000000 };
	expand("%{time_us}", 10, &in, out);
	ck_assert_str_eq(out, "2024-06-01T12:00:00.999999Z");
	/* Past 2038 where time_t has the room (Debian 12's armhf has not). */
	if (sizeof(time_t) < 8)
		return;
	in.now = (struct timespec){ (time_t)INT64_C(4107542400), 1000 };
	expand("%{time_us}", 10, &in, out);
	ck_assert_str_eq(out, "2100-03-01T00:00:00.000001Z");
	in.now = (struct timespec){ (time_t)INT64_C(253402300800), 0 };
	expand("%{time_us}", 10, &in, out);
	ck_assert_str_eq(out, "9999-12-31T23:59:59.999999Z");
	in.now = (struct timespec){ (time_t)INT64_C(253402300799), 0 };
	expand("%{time}", 7, &in, out);
	ck_assert_str_eq(out, "9999-12-31T23:59:59Z");
}
END_TEST

/* The date arithmetic agrees with gmtime_r() across the years, leap days and all. */
START_TEST(test_time_gmtime)
{
	struct template_input in = datagram();
	char out[4096], want[64];
	struct tm tm;
	int64_t s, last = sizeof(time_t) < 8 ? INT32_MAX : INT64_C(253402300799);

	for (s = 0; s <= last; s += 86400LL * 29 + 3607) {
		in.now = (struct timespec){ (time_t)s, 0 };
		ck_assert_ptr_nonnull(gmtime_r(&in.now.tv_sec, &tm));
		strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ", &tm);
		expand("%{time}", 7, &in, out);
		ck_assert_msg(strcmp(out, want) == 0, "%lld: %s, wanted %s", (long long)s, out,
			want);
	}
}
END_TEST

static Suite *template_suite(void)
{
	Suite *s = suite_create("template");
	TCase *tc = tcase_create("syntax");

	tcase_add_loop_test(tc, test_placeholders, 0,
		sizeof(placeholder_cases) / sizeof(placeholder_cases[0]));
	tcase_add_loop_test(tc, test_errors, 0, sizeof(error_cases) / sizeof(error_cases[0]));
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_literal);
	suite_add_tcase(s, tc);
	tc = tcase_create("expansion");
	tcase_add_test(tc, test_binary_echo);
	tcase_add_test(tc, test_truncated_request);
	tcase_add_test(tc, test_cap);
	tcase_add_loop_test(tc, test_addresses, 0, sizeof(addr_cases) / sizeof(addr_cases[0]));
	tcase_add_test(tc, test_unknown);
	tcase_add_test(tc, test_time);
	tcase_add_test(tc, test_time_gmtime);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(template_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
