/* check_log.c - escape_text(), record_format_message(), log_target_parse() */
#include <check.h>
#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "log.h"
#include "record.h"

/* Bytes as a string literal; len excludes the literal's own NUL. */
#define BYTES(s) (const unsigned char *)(s), sizeof(s) - 1

/* ---- log_escape: whole inputs ----------------------------------------- */

struct escape_case {
	const char *name;
	const char *in;
	size_t len;
	const char *out;
};

/* clang-format off */
#define ESC(name, in, out) { name, in, sizeof(in) - 1, out }
#define ESCN(name, in, len, out) { name, in, len, out }
/* clang-format on */

/* clang-format off */
static const struct escape_case escape_cases[] = {
	ESC("empty", "", ""),
	ESC("plain", "Hello UDP Server", "Hello UDP Server"),
	ESC("printable-ascii", " !#$%&'()*+,-./0123456789:;<=>?@ABCXYZ[]^_`abcxyz{|}~",
		" !#$%&'()*+,-./0123456789:;<=>?@ABCXYZ[]^_`abcxyz{|}~"),
	ESC("quote", "say \"hi\"", "say \\\"hi\\\""),
	ESC("backslash", "a\\b", "a\\\\b"),
	ESC("backslash-x", "\\x41", "\\\\x41"),
	ESC("newline", "a\nb", "a\\nb"),
	/* They would reorder or break the line on a terminal. */
	ESC("bidi-override", "a\xe2\x80\xae" "b", "a\\xe2\\x80\\xaeb"),
	ESC("line-separator", "a\xe2\x80\xa8" "b", "a\\xe2\\x80\\xa8b"),
	ESC("bidi-isolate", "\xe2\x81\xa6", "\\xe2\\x81\\xa6"),
	ESC("ellipsis-kept", "a\xe2\x80\xa6", "a\xe2\x80\xa6"),
	ESC("tab", "a\tb", "a\\tb"),
	ESC("cr", "a\rb", "a\\rb"),
	ESC("crlf", "line\r\n", "line\\r\\n"),
	ESC("nul", "a\0b", "a\\x00b"),
	ESC("nul-only", "\0", "\\x00"),
	ESC("soh", "\x01", "\\x01"),
	ESC("bel-bs", "\a\b", "\\x07\\x08"),
	ESC("vt-ff", "\v\f", "\\x0b\\x0c"),
	ESC("esc", "\x1b[0m", "\\x1b[0m"),
	ESC("us", "\x1f", "\\x1f"),
	ESC("del", "\x7f", "\\x7f"),
	ESC("hex-then-digits", "\x01" "23", "\\x0123"),
	/* Valid UTF-8 stays. */
	ESC("utf8-2", "caf\xc3\xa9", "caf\xc3\xa9"),
	ESC("utf8-3", "\xe2\x82\xac 5", "\xe2\x82\xac 5"),
	ESC("utf8-4", "\xf0\x9f\x98\x80!", "\xf0\x9f\x98\x80!"),
	ESC("utf8-nbsp", "\xc2\xa0", "\xc2\xa0"),
	ESC("utf8-u07ff", "\xdf\xbf", "\xdf\xbf"),
	ESC("utf8-u0800", "\xe0\xa0\x80", "\xe0\xa0\x80"),
	ESC("utf8-ud7ff", "\xed\x9f\xbf", "\xed\x9f\xbf"),
	ESC("utf8-ue000", "\xee\x80\x80", "\xee\x80\x80"),
	ESC("utf8-u10000", "\xf0\x90\x80\x80", "\xf0\x90\x80\x80"),
	ESC("utf8-u10ffff", "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"),
	/* C1 controls U+0080..U+009F: valid UTF-8 but control characters. */
	ESC("c1-u0080", "\xc2\x80", "\\xc2\\x80"),
	ESC("c1-u0085", "a\xc2\x85z", "a\\xc2\\x85z"),
	ESC("c1-u009f", "\xc2\x9f", "\\xc2\\x9f"),
	/* Invalid UTF-8: each bad byte on its own. */
	ESC("lone-continuation", "a\x80z", "a\\x80z"),
	ESC("lone-continuation-bf", "\xbf", "\\xbf"),
	ESC("overlong-2", "\xc0\xaf", "\\xc0\\xaf"),
	ESC("overlong-2-c1", "\xc1\xbf", "\\xc1\\xbf"),
	ESC("overlong-3", "\xe0\x80\xaf", "\\xe0\\x80\\xaf"),
	ESC("overlong-4", "\xf0\x80\x80\xaf", "\\xf0\\x80\\x80\\xaf"),
	/* Overlong forms of printable characters (U+00A9, U+20AC). */
	ESC("overlong-3-printable", "\xe0\x82\xa9", "\\xe0\\x82\\xa9"),
	ESC("overlong-4-printable", "\xf0\x82\x82\xac", "\\xf0\\x82\\x82\\xac"),
	ESC("surrogate-high", "\xed\xa0\x80", "\\xed\\xa0\\x80"),
	ESC("surrogate-low", "\xed\xbf\xbf", "\\xed\\xbf\\xbf"),
	ESC("above-u10ffff", "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"),
	ESC("lead-f5", "\xf5\x80\x80\x80", "\\xf5\\x80\\x80\\x80"),
	ESC("byte-fe-ff", "\xfe\xff", "\\xfe\\xff"),
	ESC("truncated-end-2", "ab\xc3", "ab\\xc3"),
	ESC("truncated-end-3", "ab\xe2\x82", "ab\\xe2\\x82"),
	ESC("truncated-end-4", "ab\xf0\x9f\x98", "ab\\xf0\\x9f\\x98"),
	/* The end is len, not the NUL: what lies past it is not looked at. */
	ESCN("cut-by-len-2", "ab\xc3\xa9", 3, "ab\\xc3"),
	ESCN("cut-by-len-3", "\xe2\x82\xac", 2, "\\xe2\\x82"),
	ESCN("cut-by-len-4", "\xf0\x9f\x98\x80", 3, "\\xf0\\x9f\\x98"),
	ESCN("cut-by-len-ascii", "abc\n", 3, "abc"),
	/* A broken sequence does not swallow what follows it. */
	ESC("truncated-then-ascii", "\xe2\x82x", "\\xe2\\x82x"),
	ESC("lead-then-quote", "\xc3\"", "\\xc3\\\""),
	ESC("lead-then-valid", "\xc3\xc3\xa9", "\\xc3\xc3\xa9"),
	ESC("lead-then-nul", "\xe2\0", "\\xe2\\x00"),
	ESC("mixed", "Hi\xc3\xa9\n\xff\"\\", "Hi\xc3\xa9\\n\\xff\\\"\\\\"),
};
/* clang-format on */

#define N_ESCAPE (int)(sizeof(escape_cases) / sizeof(escape_cases[0]))

START_TEST(test_escape)
{
	const struct escape_case *c = &escape_cases[_i];
	char buf[256];
	size_t n;

	memset(buf, 'Z', sizeof(buf));
	n = escape_text(buf, sizeof(buf), (const unsigned char *)c->in, c->len);
	ck_assert_msg(memchr(buf, '\0', sizeof(buf)) != NULL, "%s: not NUL-terminated", c->name);
	ck_assert_msg(
		strcmp(buf, c->out) == 0, "%s: got \"%s\", want \"%s\"", c->name, buf, c->out);
	ck_assert_msg(n == c->len, "%s: consumed %zu of %zu", c->name, n, c->len);
}
END_TEST

/* Every byte value alone: the text is one of the allowed forms. */
START_TEST(test_escape_each_byte)
{
	unsigned char byte = (unsigned char)_i;
	char buf[16], want[8];
	size_t n;

	n = escape_text(buf, sizeof(buf), &byte, 1);
	ck_assert_uint_eq(n, 1);
	if (byte >= 0x20 && byte < 0x7f && byte != '"' && byte != '\\') {
		want[0] = (char)byte;
		want[1] = '\0';
	} else if (byte == '"') {
		strcpy(want, "\\\"");
	} else if (byte == '\\') {
		strcpy(want, "\\\\");
	} else if (byte == '\n') {
		strcpy(want, "\\n");
	} else if (byte == '\t') {
		strcpy(want, "\\t");
	} else if (byte == '\r') {
		strcpy(want, "\\r");
	} else {
		snprintf(want, sizeof(want), "\\x%02x", byte);
	}
	ck_assert_str_eq(buf, want);
}
END_TEST

/* ---- log_escape: short buffers ------------------------------------------ */

struct short_case {
	const char *name;
	const char *in;
	size_t len;
	size_t size; /* the buffer offered */
	const char *out;
	size_t consumed;
};

/* clang-format off */
#define SHORT(name, in, size, out, consumed) { name, in, sizeof(in) - 1, size, out, consumed }
/* clang-format on */

/* clang-format off */
static const struct short_case short_cases[] = {
	SHORT("size-1", "abc", 1, "", 0),
	SHORT("plain-cut", "abcdef", 4, "abc", 3),
	SHORT("plain-fits", "abc", 4, "abc", 3),
	/* "ab\n" is 4 bytes of text: one short of room keeps the escape out. */
	SHORT("newline-no-room", "ab\n", 4, "ab", 2),
	SHORT("newline-room", "ab\n", 5, "ab\\n", 3),
	SHORT("newline-first", "\nab", 2, "", 0),
	SHORT("quote-no-room", "a\"", 3, "a", 1),
	SHORT("quote-room", "a\"", 4, "a\\\"", 2),
	SHORT("hex-no-room-1", "a\x01", 2, "a", 1),
	SHORT("hex-no-room-2", "a\x01", 3, "a", 1),
	SHORT("hex-no-room-4", "a\x01", 5, "a", 1),
	SHORT("hex-room", "a\x01", 6, "a\\x01", 2),
	SHORT("hex-then-more", "\x01\x02\x03", 9, "\\x01\\x02", 2),
	/* A UTF-8 character is not cut either. */
	SHORT("utf8-2-no-room", "a\xc3\xa9", 3, "a", 1),
	SHORT("utf8-2-room", "a\xc3\xa9", 4, "a\xc3\xa9", 3),
	SHORT("utf8-3-no-room", "a\xe2\x82\xac", 4, "a", 1),
	SHORT("utf8-3-room", "a\xe2\x82\xac", 5, "a\xe2\x82\xac", 4),
	SHORT("utf8-4-no-room", "\xf0\x9f\x98\x80", 4, "", 0),
	SHORT("utf8-4-room", "\xf0\x9f\x98\x80", 5, "\xf0\x9f\x98\x80", 4),
	SHORT("invalid-no-room", "\xc0\xaf", 8, "\\xc0", 1),
};
/* clang-format on */

#define N_SHORT (int)(sizeof(short_cases) / sizeof(short_cases[0]))

START_TEST(test_escape_short)
{
	const struct short_case *c = &short_cases[_i];
	char buf[64];
	size_t n, i;

	ck_assert(c->size < sizeof(buf));
	memset(buf, 'Z', sizeof(buf));
	n = escape_text(buf, c->size, (const unsigned char *)c->in, c->len);
	for (i = c->size; i < sizeof(buf); i++)
		ck_assert_msg(buf[i] == 'Z', "%s: byte %zu written, size %zu", c->name, i, c->size);
	ck_assert_msg(memchr(buf, '\0', c->size) != NULL, "%s: not NUL-terminated", c->name);
	ck_assert_msg(
		strcmp(buf, c->out) == 0, "%s: got \"%s\", want \"%s\"", c->name, buf, c->out);
	ck_assert_msg(n == c->consumed, "%s: consumed %zu, want %zu", c->name, n, c->consumed);
}
END_TEST

/* size 0: nothing written at all, nothing consumed. */
START_TEST(test_escape_size_0)
{
	char buf[4] = "ZZZ";

	ck_assert_uint_eq(escape_text(buf, 0, BYTES("abc")), 0);
	ck_assert_str_eq(buf, "ZZZ");
}
END_TEST

/*
 * Any buffer size: what is written is a prefix of the full text that ends on
 * an escape boundary, and escaping the rest continues it exactly.
 */
START_TEST(test_escape_resume)
{
	static const unsigned char in[] = "A\"\\\n\t\r\x01\x7f\xc3\xa9\xe2\x82\xac"
					  "\xf0\x9f\x98\x80\xc2\x85\xc0\xaf\xed\xa0\x80z";
	size_t size = (size_t)_i; /* 1 .. */
	char full[256], part[64], joined[512];
	size_t off = 0, n;

	joined[0] = '\0';
	ck_assert_uint_eq(escape_text(full, sizeof(full), in, sizeof(in) - 1), sizeof(in) - 1);
	while (off < sizeof(in) - 1) {
		n = escape_text(part, size, in + off, sizeof(in) - 1 - off);
		if (n == 0) {
			/* Only when no escape fits: at most "\xHH" or one 4-byte character. */
			ck_assert_msg(size <= 4, "size %zu: stuck at input byte %zu", size, off);
			ck_assert_str_eq(part, "");
			return;
		}
		ck_assert_msg(strlen(part) < size, "size %zu: overflow", size);
		ck_assert_msg(strlen(joined) + strlen(part) < sizeof(joined), "too long");
		strcat(joined, part);
		off += n;
	}
	ck_assert_str_eq(joined, full);
}
END_TEST

/* ---- record_format_message ------------------------------------------------ */

static struct sockaddr_in v4(const char *addr, uint16_t port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	ck_assert_int_eq(inet_pton(AF_INET, addr, &sin.sin_addr), 1);
	return sin;
}

static struct sockaddr_in6 v6(const char *addr, uint16_t port)
{
	struct sockaddr_in6 sin6;

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(port);
	ck_assert_int_eq(inet_pton(AF_INET6, addr, &sin6.sin6_addr), 1);
	return sin6;
}

static char *format(const struct datagram *dg)
{
	static char buf[2048];

	memset(buf, 'Z', sizeof(buf));
	record_format_message(buf, sizeof(buf), dg);
	ck_assert_msg(memchr(buf, '\0', sizeof(buf)) != NULL, "not NUL-terminated");
	return buf;
}

START_TEST(test_format_hello)
{
	struct sockaddr_in r = v4("127.0.0.1", 54321), l = v4("127.0.0.1", 20001);
	struct datagram dg = {(const struct sockaddr *)&r, (const struct sockaddr *)&l,
		BYTES("Hello UDP Server"), 16};

	ck_assert_str_eq(format(&dg),
		"16 bytes from 127.0.0.1:54321 to 127.0.0.1:20001: \"Hello UDP Server\"");
}
END_TEST

START_TEST(test_format_empty)
{
	struct sockaddr_in r = v4("127.0.0.1", 54321), l = v4("127.0.0.1", 20001);
	struct datagram dg = {(const struct sockaddr *)&r, (const struct sockaddr *)&l,
		(const unsigned char *)"", 0, 0};

	ck_assert_str_eq(format(&dg), "0 bytes from 127.0.0.1:54321 to 127.0.0.1:20001: \"\"");
}
END_TEST

START_TEST(test_format_escaped)
{
	struct sockaddr_in r = v4("192.0.2.7", 4000), l = v4("192.0.2.1", 20001);
	struct datagram dg = {
		(const struct sockaddr *)&r, (const struct sockaddr *)&l, BYTES("a\"b\n\0\xff"), 6};

	ck_assert_str_eq(format(&dg),
		"6 bytes from 192.0.2.7:4000 to 192.0.2.1:20001: \"a\\\"b\\n\\x00\\xff\"");
}
END_TEST

START_TEST(test_format_v6)
{
	struct sockaddr_in6 r = v6("2001:db8::7", 5353), l = v6("2001:db8::1", 20001);
	struct datagram dg = {
		(const struct sockaddr *)&r, (const struct sockaddr *)&l, BYTES("ping"), 4};
	const char *want = "4 bytes from [2001:db8::7]:5353 to [2001:db8::1]:20001: \"ping\"";

	ck_assert_str_eq(format(&dg), want);
}
END_TEST

/* A reply the kernel refused is said after the payload. */
START_TEST(test_format_reply_failed)
{
	struct sockaddr_in r = v4("192.0.2.7", 4000), l = v4("192.0.2.1", 20001);
	struct datagram dg = {
		(const struct sockaddr *)&r, (const struct sockaddr *)&l, BYTES("ping"), 4};

	dg.reply_errno = EAGAIN;
	ck_assert_str_eq(format(&dg), "4 bytes from 192.0.2.7:4000 to 192.0.2.1:20001: \"ping\""
		" (no reply: Resource temporarily unavailable)");
}
END_TEST

/* A v4 sender on a dual-stack socket is logged as plain IPv4. */
START_TEST(test_format_mapped)
{
	struct sockaddr_in6 r = v6("::ffff:192.0.2.7", 5353), l = v6("::ffff:192.0.2.1", 20001);
	struct datagram dg = {
		(const struct sockaddr *)&r, (const struct sockaddr *)&l, BYTES("ping"), 4};

	ck_assert_str_eq(format(&dg), "4 bytes from 192.0.2.7:5353 to 192.0.2.1:20001: \"ping\"");
}
END_TEST

/* Payloads of n bytes (not truncated): at most 64 shown, "..." after the quote when cut. */
START_TEST(test_format_long_payload)
{
	static const size_t sizes[] = {63, 64, 65, 100, 4096, 65507};
	size_t n = sizes[_i];
	struct sockaddr_in r = v4("127.0.0.1", 54321), l = v4("127.0.0.1", 20001);
	unsigned char *payload = malloc(n);
	char want[256];
	struct datagram dg = {(const struct sockaddr *)&r, (const struct sockaddr *)&l, NULL, n, n};
	size_t shown = n < RECORD_PAYLOAD_MESSAGE_MAX ? n : RECORD_PAYLOAD_MESSAGE_MAX;
	int len;

	ck_assert_int_eq(RECORD_PAYLOAD_MESSAGE_MAX, 64);
	ck_assert_ptr_nonnull(payload);
	memset(payload, 'x', n);
	dg.payload = payload;
	len = snprintf(
		want, sizeof(want), "%zu bytes from 127.0.0.1:54321 to 127.0.0.1:20001: \"", n);
	memset(want + len, 'x', shown);
	snprintf(want + len + shown, sizeof(want) - len - shown, "\"%s", n > shown ? "..." : "");
	ck_assert_str_eq(format(&dg), want);
	free(payload);
}
END_TEST

/* The spec's truncated example: 2000 bytes sent, 1024 read. */
START_TEST(test_format_truncated)
{
	struct sockaddr_in r = v4("127.0.0.1", 54321), l = v4("127.0.0.1", 20001);
	unsigned char payload[1024];
	struct datagram dg = {(const struct sockaddr *)&r, (const struct sockaddr *)&l, payload,
		sizeof(payload), 2000};
	char want[256];

	memset(payload, 'x', sizeof(payload));
	snprintf(want, sizeof(want),
		"2000 bytes (truncated to 1024) from 127.0.0.1:54321 to 127.0.0.1:20001: "
		"\"%.64s\"...",
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	ck_assert_str_eq(format(&dg), want);
}
END_TEST

/*
 * Truncated to fewer than 64 bytes read: all that was read is shown, and no
 * "..." (it marks bytes read but not shown; "(truncated to N)" says the rest).
 */
START_TEST(test_format_truncated_short)
{
	struct sockaddr_in r = v4("127.0.0.1", 54321), l = v4("127.0.0.1", 20001);
	struct datagram dg = {
		(const struct sockaddr *)&r, (const struct sockaddr *)&l, BYTES("Hello"), 16};

	ck_assert_str_eq(format(&dg),
		"16 bytes (truncated to 5) from 127.0.0.1:54321 to 127.0.0.1:20001: \"Hello\"");
}
END_TEST

/* 64 control bytes: every one shown escaped, none lost to the escaping. */
START_TEST(test_format_all_escaped)
{
	struct sockaddr_in r = v4("127.0.0.1", 54321), l = v4("127.0.0.1", 20001);
	unsigned char payload[64];
	struct datagram dg = {(const struct sockaddr *)&r, (const struct sockaddr *)&l, payload,
		sizeof(payload), sizeof(payload)};
	char want[512];
	int len = snprintf(
		want, sizeof(want), "64 bytes from 127.0.0.1:54321 to 127.0.0.1:20001: \"");
	size_t i;

	memset(payload, 0, sizeof(payload));
	for (i = 0; i < sizeof(payload); i++)
		len += snprintf(want + len, sizeof(want) - len, "\\x00");
	snprintf(want + len, sizeof(want) - len, "\"");
	ck_assert_str_eq(format(&dg), want);
}
END_TEST

/* Local address unknown: the record still names the sender and the payload. */
START_TEST(test_format_no_local)
{
	struct sockaddr_in r = v4("127.0.0.1", 54321);
	struct datagram dg = {(const struct sockaddr *)&r, NULL, BYTES("Hello UDP Server"), 16};
	const char *s = format(&dg);

	ck_assert_str_eq(s, "16 bytes from 127.0.0.1:54321: \"Hello UDP Server\"");
}
END_TEST

/* A short buffer: NUL-terminated, nothing past its end. */
START_TEST(test_format_small_buffer)
{
	static const char payload[] = "Hello \x01\x02\x03 UDP Server";
	struct sockaddr_in r = v4("127.0.0.1", 54321), l = v4("127.0.0.1", 20001);
	struct datagram dg = {(const struct sockaddr *)&r, (const struct sockaddr *)&l,
		BYTES(payload), sizeof(payload) - 1};
	static const char full[] = "20 bytes from 127.0.0.1:54321 to 127.0.0.1:20001: \"Hello "
				   "\\x01\\x02\\x03 UDP Server\"";
	size_t size = (size_t)_i;
	char buf[256];
	size_t i;

	memset(buf, 'Z', sizeof(buf));
	record_format_message(buf, size, &dg);
	for (i = size; i < sizeof(buf); i++)
		ck_assert_msg(buf[i] == 'Z', "size %zu: byte %zu written", size, i);
	ck_assert_msg(memchr(buf, '\0', size) != NULL, "size %zu: not NUL-terminated", size);
	ck_assert_msg(strncmp(full, buf, strlen(buf)) == 0, "size %zu: got \"%s\"", size, buf);
	if (size >= sizeof(full))
		ck_assert_str_eq(buf, full);
}
END_TEST

/* ---- log_target_parse --------------------------------------------------- */

struct target_case {
	const char *text;
	int ok;
	enum log_target target;
};

/* clang-format off */
static const struct target_case target_cases[] = {
	{ "auto", 1, LOG_TARGET_AUTO },
	{ "journal", 1, LOG_TARGET_JOURNAL },
	{ "console", 1, LOG_TARGET_CONSOLE },
	{ "", 0, 0 },
	{ "syslog", 0, 0 },
	{ "stderr", 0, 0 },
	{ "journa", 0, 0 },
	{ "journalx", 0, 0 },
	{ "console ", 0, 0 },
	{ " auto", 0, 0 },
	{ "auto=console", 0, 0 },
};
/* clang-format on */

#define N_TARGET (int)(sizeof(target_cases) / sizeof(target_cases[0]))

START_TEST(test_target_parse)
{
	const struct target_case *c = &target_cases[_i];
	enum log_target target;
	int ret;

	memset(&target, 0xff, sizeof(target)); /* none of the values */
	ret = log_target_parse(c->text, &target);

	if (c->ok) {
		ck_assert_msg(ret == 0, "\"%s\": returned %d", c->text, ret);
		ck_assert_int_eq(target, c->target);
	} else {
		ck_assert_msg(ret != 0, "\"%s\": accepted as %d", c->text, (int)target);
	}
}
END_TEST

/* ---- the suite ---------------------------------------------------------- */

static Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc;

	tc = tcase_create("escape");
	tcase_add_loop_test(tc, test_escape, 0, N_ESCAPE);
	tcase_add_loop_test(tc, test_escape_each_byte, 0, 256);
	tcase_add_loop_test(tc, test_escape_short, 0, N_SHORT);
	tcase_add_test(tc, test_escape_size_0);
	tcase_add_loop_test(tc, test_escape_resume, 1, 40);
	suite_add_tcase(s, tc);

	tc = tcase_create("format_datagram");
	tcase_add_test(tc, test_format_hello);
	tcase_add_test(tc, test_format_empty);
	tcase_add_test(tc, test_format_escaped);
	tcase_add_test(tc, test_format_v6);
	tcase_add_test(tc, test_format_mapped);
	tcase_add_loop_test(tc, test_format_long_payload, 0, 6);
	tcase_add_test(tc, test_format_truncated);
	tcase_add_test(tc, test_format_truncated_short);
	tcase_add_test(tc, test_format_all_escaped);
	tcase_add_test(tc, test_format_no_local);
	tcase_add_test(tc, test_format_reply_failed);
	tcase_add_loop_test(tc, test_format_small_buffer, 1, 100);
	suite_add_tcase(s, tc);

	tc = tcase_create("target_parse");
	tcase_add_loop_test(tc, test_target_parse, 0, N_TARGET);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(log_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
