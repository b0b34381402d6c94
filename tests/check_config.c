/* check_config.c - config_load(): good files, bad files and their FILE:LINE errors */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

/* Every file of the suite lives here; created in main(), removed at the end. */
static char tmpdir[PATH_MAX];

static void path_for(char *buf, size_t len, const char *name)
{
	int n = snprintf(buf, len, "%s/%s.conf", tmpdir, name);

	ck_assert_msg(n > 0 && (size_t)n < len, "path for %s too long", name);
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* "# COMMENT\nreply = "xxx...";\n" with n x's: the reply sits on line 2. */
static void write_long_reply(const char *path, size_t n)
{
	static const char head[] = "# a long reply\nreply = \"";
	size_t len = sizeof(head) - 1 + n + 3;
	char *text = malloc(len + 1);

	ck_assert_ptr_nonnull(text);
	memcpy(text, head, sizeof(head) - 1);
	memset(text + sizeof(head) - 1, 'x', n);
	memcpy(text + sizeof(head) - 1 + n, "\";\n", 4);
	write_file(path, text, len);
	free(text);
}

/* ---- good files ------------------------------------------------------- */

struct good_case {
	const char *name;
	const char *text; /* the file; NULL: a reply of long_reply x's */
	size_t long_reply;
	const char *address;
	unsigned port;
	size_t buffer_size;
	const char *reply; /* NULL: long_reply x's */
	int address_line;
	int port_line;
};

/* clang-format off */
static const struct good_case good_cases[] = {
	{ "empty", "", 0, "127.0.0.1", 20001, 1024, "Hello UDP Client", 0, 0 },
	{ "comments-only", "# shell comment\n// C++ comment\n/* C\n   comment */\n", 0,
		"127.0.0.1", 20001, 1024, "Hello UDP Client", 0, 0 },
	{ "everything",
		"address = \"192.0.2.1\";\nport = 5353;\nbuffer_size = 2048;\nreply = \"pong\";\n", 0,
		"192.0.2.1", 5353, 2048, "pong", 1, 2 },
	{ "everything-shuffled-with-comments",
		"# udp-replyd.conf\n"
		"reply = \"x\"; // trailing comment\n"
		"/* before */ port = 7;\n"
		"\n"
		"address = \"::1\";  # after\n"
		"buffer_size = 512;\n", 0,
		"::1", 7, 512, "x", 5, 3 },
	{ "colon-and-no-semicolons", "port : 4000\naddress : \"10.0.0.1\"\n", 0,
		"10.0.0.1", 4000, 1024, "Hello UDP Client", 2, 1 },
	{ "dual-stack", "address = \"::\";\n", 0, "::", 20001, 1024, "Hello UDP Client", 1, 0 },
	{ "all-ipv4", "\naddress = \"0.0.0.0\";\n", 0,
		"0.0.0.0", 20001, 1024, "Hello UDP Client", 2, 0 },
	{ "ipv6", "address = \"2001:db8::1\";\n", 0,
		"2001:db8::1", 20001, 1024, "Hello UDP Client", 1, 0 },
	{ "ipv4-mapped", "address = \"::ffff:192.0.2.1\";\n", 0,
		"::ffff:192.0.2.1", 20001, 1024, "Hello UDP Client", 1, 0 },
	{ "hostname-localhost", "address = \"localhost\";\n", 0,
		"localhost", 20001, 1024, "Hello UDP Client", 1, 0 },
	/* Syntax only: config_load must not need DNS for a host name. */
	{ "hostname-dotted", "address = \"udp-replyd-test.invalid\";\n", 0,
		"udp-replyd-test.invalid", 20001, 1024, "Hello UDP Client", 1, 0 },
	{ "reply-escapes", "reply = \"line1\\nline2\\x01\\t\\\"q\\\" \\\\ end\";\n", 0,
		"127.0.0.1", 20001, 1024, "line1\nline2\x01\t\"q\" \\ end", 0, 0 },
	{ "reply-hex-escapes", "reply = \"\\x48\\x69\\x7f\\xff\";\n", 0,
		"127.0.0.1", 20001, 1024, "Hi\x7f\xff", 0, 0 },
	{ "reply-utf8", "reply = \"h\xc3\xa9llo \xe2\x82\xac\";\n", 0,
		"127.0.0.1", 20001, 1024, "h\xc3\xa9llo \xe2\x82\xac", 0, 0 },
	{ "reply-empty", "reply = \"\";\n", 0, "127.0.0.1", 20001, 1024, "", 0, 0 },
	{ "reply-concatenated", "reply = \"Hello \"\n        \"UDP\";\n", 0,
		"127.0.0.1", 20001, 1024, "Hello UDP", 0, 0 },
	{ "port-1", "port = 1;\n", 0, "127.0.0.1", 1, 1024, "Hello UDP Client", 0, 1 },
	{ "port-65535", "port = 65535;\n", 0, "127.0.0.1", 65535, 1024, "Hello UDP Client", 0, 1 },
	{ "port-int64", "port = 20001L;\n", 0, "127.0.0.1", 20001, 1024, "Hello UDP Client", 0, 1 },
	{ "port-int64-max", "port = 65535L;\n", 0,
		"127.0.0.1", 65535, 1024, "Hello UDP Client", 0, 1 },
	{ "port-hex", "port = 0x4E21;\n", 0, "127.0.0.1", 20001, 1024, "Hello UDP Client", 0, 1 },
	{ "buffer-1", "buffer_size = 1;\n", 0, "127.0.0.1", 20001, 1, "Hello UDP Client", 0, 0 },
	{ "buffer-65535", "buffer_size = 65535;\n", 0,
		"127.0.0.1", 20001, 65535, "Hello UDP Client", 0, 0 },
	{ "buffer-int64", "buffer_size = 4096L;\n", 0,
		"127.0.0.1", 20001, 4096, "Hello UDP Client", 0, 0 },
	{ "reply-max", NULL, CONFIG_REPLY_MAX, "127.0.0.1", 20001, 1024, NULL, 0, 0 },
};
/* clang-format on */

#define N_GOOD (int)(sizeof(good_cases) / sizeof(good_cases[0]))

START_TEST(test_good)
{
	const struct good_case *c = &good_cases[_i];
	char path[PATH_MAX], err[CONFIG_ERROR_MAX];
	struct config *cfg = NULL;

	path_for(path, sizeof(path), c->name);
	if (c->text)
		write_file(path, c->text, strlen(c->text));
	else
		write_long_reply(path, c->long_reply);

	err[0] = '\0';
	ck_assert_msg(config_load(path, &cfg, err, sizeof(err)) == 0, "%s: config_load failed: %s",
		c->name, err);
	ck_assert_ptr_nonnull(cfg);
	ck_assert_str_eq(cfg->path, path);
	ck_assert_str_eq(cfg->address, c->address);
	ck_assert_uint_eq(cfg->port, c->port);
	ck_assert_uint_eq(cfg->buffer_size, c->buffer_size);
	ck_assert_int_eq(cfg->address_line, c->address_line);
	ck_assert_int_eq(cfg->port_line, c->port_line);
	ck_assert_ptr_nonnull(cfg->reply);
	if (c->reply) {
		ck_assert_uint_eq(cfg->reply_len, strlen(c->reply));
		ck_assert_mem_eq(cfg->reply, c->reply, cfg->reply_len);
	} else {
		size_t i;

		ck_assert_uint_eq(cfg->reply_len, c->long_reply);
		for (i = 0; i < cfg->reply_len; i++)
			ck_assert_msg(cfg->reply[i] == 'x', "reply[%zu] = 0x%02x", i,
				(unsigned char)cfg->reply[i]);
	}
	ck_assert_msg(cfg->reply[cfg->reply_len] == '\0', "reply not NUL-terminated");
	config_free(cfg);
}
END_TEST

/* The header's defaults are the ones the spec gives. */
START_TEST(test_default_constants)
{
	ck_assert_str_eq(CONFIG_DEFAULT_ADDRESS, "127.0.0.1");
	ck_assert_int_eq(CONFIG_DEFAULT_PORT, 20001);
	ck_assert_int_eq(CONFIG_DEFAULT_BUFFER_SIZE, 1024);
	ck_assert_str_eq(CONFIG_DEFAULT_REPLY, "Hello UDP Client");
	ck_assert_int_eq(CONFIG_REPLY_MAX, 65507);
}
END_TEST

/* ---- bad files -------------------------------------------------------- */

enum bad_kind {
	BAD_TEXT,	/* the file holds text */
	BAD_MISSING,	/* no such file */
	BAD_DIRECTORY,	/* the path is a directory */
	BAD_LONG_REPLY, /* reply of long_reply x's on line 2 */
	BAD_UNREADABLE, /* mode 000 (meaningless for root) */
};

enum bad_match {
	MATCH_EXACT,	/* err is exactly "PATH:LINE: message" */
	MATCH_CONTAINS, /* err starts "PATH:LINE: " and the rest contains message */
};

struct bad_case {
	const char *name;
	enum bad_kind kind;
	const char *text;
	size_t long_reply;
	int line;
	enum bad_match match;
	const char *message;
};

/* clang-format off */
#define RANGE_1_65535(what, value) what ": must be an integer from 1 to 65535, not " value
#define NOT_AN_ADDRESS(text) "address: \"" text "\": not an IP address or host name"
/* clang-format on */

/* clang-format off */
static const struct bad_case bad_cases[] = {
	{ "missing", BAD_MISSING, NULL, 0, 0, MATCH_EXACT,
		"cannot open: No such file or directory" },
	{ "directory", BAD_DIRECTORY, NULL, 0, 0, MATCH_CONTAINS, "" },

	/* Syntax: the line is ours to check, the words are libconfig's. */
	{ "syntax-double-equals", BAD_TEXT, "address = \"127.0.0.1\";\n\nport = = 5;\n", 0, 3,
		MATCH_CONTAINS, "syntax error" },
	{ "syntax-garbage", BAD_TEXT, "port = 1;\nthis is not libconfig\n", 0, 2,
		MATCH_CONTAINS, "syntax error" },
	{ "syntax-stray-brace", BAD_TEXT, "# x\n# y\nport = 1;\n}\n", 0, 4,
		MATCH_CONTAINS, "syntax error" },
	/* libconfig 1.5 would wrap these to 32 bits (to 20001 and 1024). */
	{ "port-wraps", BAD_TEXT, "# c\nport = 4294987297;\n", 0, 2, MATCH_EXACT,
		"integer 4294987297 is out of range" },
	{ "port-hex-wraps", BAD_TEXT, "port = 0x100004E21;\n", 0, 1, MATCH_EXACT,
		"integer 0x100004E21 is out of range" },
	{ "buffer-wraps", BAD_TEXT, "buffer_size = 4294968320;\n", 0, 1, MATCH_EXACT,
		"integer 4294968320 is out of range" },
	{ "wraps-after-comment", BAD_TEXT, "port = /* was 5 */ 4294967301;\n", 0, 1,
		MATCH_EXACT, "integer 4294967301 is out of range" },
	{ "wraps-next-line", BAD_TEXT, "reply = \"port = 5\"; port =\n4294967301;\n", 0, 2,
		MATCH_EXACT, "integer 4294967301 is out of range" },
	{ "wraps-before-name-e", BAD_TEXT, "port = 4294987297e = 1;\n", 0, 1, MATCH_EXACT,
		"integer 4294987297 is out of range" },
	{ "int64-out-of-range", BAD_TEXT, "port = 4294987297L;\n", 0, 1, MATCH_EXACT,
		RANGE_1_65535("port", "4294987297") },
	/* One file is the whole configuration; an included directory would end us. */
	{ "include", BAD_TEXT, "port = 1;\n  @include \"/tmp\"\n", 0, 2, MATCH_EXACT,
		"@include is not supported: keep the whole configuration in this file" },
	{ "duplicate", BAD_TEXT, "port = 1;\n# again\nport = 2;\n", 0, 3,
		MATCH_CONTAINS, "duplicate" },

	{ "unknown-prot", BAD_TEXT, "address = \"127.0.0.1\";\n# comment\n\nprot = 20001;\n", 0, 4,
		MATCH_EXACT, "unknown setting \"prot\"" },
	{ "unknown-group", BAD_TEXT, "server = { port = 1; };\n", 0, 1,
		MATCH_EXACT, "unknown setting \"server\"" },
	{ "unknown-case", BAD_TEXT, "\nPort = 1;\n", 0, 2, MATCH_EXACT, "unknown setting \"Port\"" },

	/* Wrong types. */
	{ "port-string", BAD_TEXT, "# x\nport = \"20001\";\n", 0, 2,
		MATCH_EXACT, "port: must be an integer, not a string" },
	{ "reply-integer", BAD_TEXT, "reply = 5;\n", 0, 1,
		MATCH_EXACT, "reply: must be a string, not an integer" },
	{ "reply-int64", BAD_TEXT, "reply = 5L;\n", 0, 1,
		MATCH_EXACT, "reply: must be a string, not an integer" },
	{ "address-integer", BAD_TEXT, "address = 1;\n", 0, 1,
		MATCH_EXACT, "address: must be a string, not an integer" },
	{ "buffer-string", BAD_TEXT, "buffer_size = \"1024\";\n", 0, 1,
		MATCH_EXACT, "buffer_size: must be an integer, not a string" },
	{ "port-float", BAD_TEXT, "port = 20001.0;\n", 0, 1,
		MATCH_EXACT, "port: must be an integer, not a float" },
	{ "port-boolean", BAD_TEXT, "port = true;\n", 0, 1,
		MATCH_EXACT, "port: must be an integer, not a boolean" },
	{ "port-group", BAD_TEXT, "\n\nport = { value = 20001; };\n", 0, 3,
		MATCH_EXACT, "port: must be an integer, not a group" },
	{ "port-list", BAD_TEXT, "port = ( 20001 );\n", 0, 1,
		MATCH_EXACT, "port: must be an integer, not a list" },
	{ "port-array", BAD_TEXT, "port = [ 20001 ];\n", 0, 1,
		MATCH_EXACT, "port: must be an integer, not an array" },
	{ "address-list", BAD_TEXT, "address = ( \"::1\" );\n", 0, 1,
		MATCH_EXACT, "address: must be a string, not a list" },
	{ "reply-array", BAD_TEXT, "reply = [ \"a\", \"b\" ];\n", 0, 1,
		MATCH_EXACT, "reply: must be a string, not an array" },
	{ "reply-group", BAD_TEXT, "reply = { };\n", 0, 1,
		MATCH_EXACT, "reply: must be a string, not a group" },
	{ "buffer-boolean", BAD_TEXT, "buffer_size = false;\n", 0, 1,
		MATCH_EXACT, "buffer_size: must be an integer, not a boolean" },

	/* Out of range. */
	{ "port-0", BAD_TEXT, "# x\nport = 0;\n", 0, 2, MATCH_EXACT, RANGE_1_65535("port", "0") },
	{ "port-65536", BAD_TEXT, "port = 65536;\n", 0, 1,
		MATCH_EXACT, RANGE_1_65535("port", "65536") },
	{ "port-70000", BAD_TEXT, "# x\nport = 70000;\n", 0, 2,
		MATCH_EXACT, RANGE_1_65535("port", "70000") },
	{ "port-minus-1", BAD_TEXT, "port = -1;\n", 0, 1, MATCH_EXACT, RANGE_1_65535("port", "-1") },
	{ "port-int64-70000", BAD_TEXT, "port = 70000L;\n", 0, 1,
		MATCH_EXACT, RANGE_1_65535("port", "70000") },
	/* Would be 20001 if truncated to 32 bits. */
	{ "port-int64-huge", BAD_TEXT, "port = 4294987297L;\n", 0, 1,
		MATCH_EXACT, RANGE_1_65535("port", "4294987297") },
	{ "buffer-0", BAD_TEXT, "buffer_size = 0;\n", 0, 1,
		MATCH_EXACT, RANGE_1_65535("buffer_size", "0") },
	{ "buffer-65536", BAD_TEXT, "\nbuffer_size = 65536;\n", 0, 2,
		MATCH_EXACT, RANGE_1_65535("buffer_size", "65536") },
	{ "buffer-minus-5", BAD_TEXT, "buffer_size = -5;\n", 0, 1,
		MATCH_EXACT, RANGE_1_65535("buffer_size", "-5") },
	{ "reply-too-long", BAD_LONG_REPLY, NULL, CONFIG_REPLY_MAX + 1, 2,
		MATCH_EXACT, "reply: must be at most 65507 bytes, not 65508" },
	{ "reply-much-too-long", BAD_LONG_REPLY, NULL, 100000, 2,
		MATCH_EXACT, "reply: must be at most 65507 bytes, not 100000" },

	/* Addresses. */
	{ "address-garbage", BAD_TEXT, "address = \"not an address!\";\n", 0, 1,
		MATCH_EXACT, NOT_AN_ADDRESS("not an address!") },
	{ "address-empty", BAD_TEXT, "\naddress = \"\";\n", 0, 2, MATCH_EXACT, NOT_AN_ADDRESS("") },
	{ "address-with-port", BAD_TEXT, "address = \"192.0.2.1:53\";\n", 0, 1,
		MATCH_EXACT, NOT_AN_ADDRESS("192.0.2.1:53") },
	{ "address-bracketed", BAD_TEXT, "address = \"[::1]\";\n", 0, 1,
		MATCH_EXACT, NOT_AN_ADDRESS("[::1]") },
	{ "address-leading-hyphen", BAD_TEXT, "address = \"-bad.example\";\n", 0, 1,
		MATCH_EXACT, NOT_AN_ADDRESS("-bad.example") },
	{ "address-double-dot", BAD_TEXT, "address = \"a..example\";\n", 0, 1,
		MATCH_EXACT, NOT_AN_ADDRESS("a..example") },
	/* The error is one line: what the file holds is shown escaped. */
	{ "address-newline", BAD_TEXT, "address = \"bad\\nname\";\n", 0, 1,
		MATCH_EXACT, NOT_AN_ADDRESS("bad\\nname") },
	{ "address-quote", BAD_TEXT, "address = \"a\\\" b\";\n", 0, 1,
		MATCH_EXACT, NOT_AN_ADDRESS("a\\\" b") },

	/* Must stay last: skipped when running as root. */
	{ "unreadable", BAD_UNREADABLE, "port = 1;\n", 0, 0, MATCH_EXACT,
		"cannot open: Permission denied" },
};
/* clang-format on */

#define N_BAD (int)(sizeof(bad_cases) / sizeof(bad_cases[0]))

static void make_bad_file(const struct bad_case *c, const char *path)
{
	switch (c->kind) {
	case BAD_TEXT:
		write_file(path, c->text, strlen(c->text));
		break;
	case BAD_MISSING:
		break;
	case BAD_DIRECTORY:
		ck_assert_msg(mkdir(path, 0700) == 0, "mkdir %s: %s", path, strerror(errno));
		break;
	case BAD_LONG_REPLY:
		write_long_reply(path, c->long_reply);
		break;
	case BAD_UNREADABLE:
		write_file(path, c->text, strlen(c->text));
		ck_assert_int_eq(chmod(path, 0), 0);
		break;
	}
}

START_TEST(test_bad)
{
	const struct bad_case *c = &bad_cases[_i];
	char path[PATH_MAX], err[CONFIG_ERROR_MAX], prefix[PATH_MAX + 32];
	struct config *cfg = NULL;
	const char *rest;

	path_for(path, sizeof(path), c->name);
	make_bad_file(c, path);

	memset(err, 0, sizeof(err));
	ck_assert_msg(config_load(path, &cfg, err, sizeof(err)) == -1, "%s: config_load succeeded",
		c->name);
	ck_assert_msg(memchr(err, '\0', sizeof(err)) != NULL, "error not NUL-terminated");
	ck_assert_msg(strchr(err, '\n') == NULL, "%s: error is not one line: %s", c->name, err);

	snprintf(prefix, sizeof(prefix), "%s:%d: ", path, c->line);
	ck_assert_msg(strncmp(err, prefix, strlen(prefix)) == 0,
		"%s: got \"%s\", want prefix \"%s\"", c->name, err, prefix);
	rest = err + strlen(prefix);
	switch (c->match) {
	case MATCH_EXACT:
		ck_assert_str_eq(rest, c->message);
		break;
	case MATCH_CONTAINS:
		ck_assert_msg(*rest != '\0', "%s: nothing after \"%s\"", c->name, prefix);
		ck_assert_msg(strstr(rest, c->message) != NULL, "%s: \"%s\" lacks \"%s\"", c->name,
			err, c->message);
		break;
	}
}
END_TEST

/* A short error buffer gets a truncated, NUL-terminated line, nothing past its end. */
START_TEST(test_short_error_buffer)
{
	char path[PATH_MAX], err[32];
	struct config *cfg = NULL;
	size_t size = _i; /* 1 .. 16 bytes offered */

	path_for(path, sizeof(path), "short-error-buffer");
	memset(err, 'Z', sizeof(err));
	ck_assert_int_eq(config_load(path, &cfg, err, size), -1);
	ck_assert_msg(memchr(err, '\0', size) != NULL, "not NUL-terminated within %zu bytes", size);
	ck_assert_msg(
		strncmp(err, path, strlen(err)) == 0, "\"%s\" is not a prefix of the path", err);
	for (; size < sizeof(err); size++)
		ck_assert_msg(err[size] == 'Z', "byte %zu past the buffer written", size);
}
END_TEST

/* ---- config_same_endpoint ---------------------------------------------- */

struct endpoint_case {
	const char *name;
	const char *a, *b;
	int same;
};

/* clang-format off */
static const struct endpoint_case endpoint_cases[] = {
	{ "identical", "port = 7;\n", "port = 7;\n", 1 },
	{ "defaults-vs-explicit", "",
		"address = \"127.0.0.1\";\nport = 20001;\n", 1 },
	{ "reply-differs", "reply = \"a\";\n", "reply = \"b\";\n", 1 },
	{ "buffer-differs", "buffer_size = 1;\n", "buffer_size = 65535;\n", 1 },
	{ "line-differs", "port = 9;\n", "\n\n# moved\nport = 9;\n", 1 },
	{ "port-differs", "port = 20001;\n", "port = 20002;\n", 0 },
	{ "address-differs", "address = \"127.0.0.1\";\n", "address = \"127.0.0.2\";\n", 0 },
	{ "family-differs", "address = \"::1\";\n", "address = \"127.0.0.1\";\n", 0 },
	{ "host-vs-literal", "address = \"localhost\";\n", "address = \"127.0.0.1\";\n", 0 },
};
/* clang-format on */

#define N_ENDPOINT (int)(sizeof(endpoint_cases) / sizeof(endpoint_cases[0]))

static struct config *load_text(const char *name, const char *text)
{
	char path[PATH_MAX], err[CONFIG_ERROR_MAX];
	struct config *cfg = NULL;

	path_for(path, sizeof(path), name);
	write_file(path, text, strlen(text));
	err[0] = '\0';
	ck_assert_msg(config_load(path, &cfg, err, sizeof(err)) == 0, "%s: %s", name, err);
	ck_assert_ptr_nonnull(cfg);
	return cfg;
}

START_TEST(test_same_endpoint)
{
	const struct endpoint_case *c = &endpoint_cases[_i];
	char name[128];
	struct config *a, *b;

	snprintf(name, sizeof(name), "endpoint-%s-a", c->name);
	a = load_text(name, c->a);
	snprintf(name, sizeof(name), "endpoint-%s-b", c->name);
	b = load_text(name, c->b);

	ck_assert_msg(
		!!config_same_endpoint(a, b) == c->same, "%s: a,b: want %d", c->name, c->same);
	ck_assert_msg(
		!!config_same_endpoint(b, a) == c->same, "%s: b,a: want %d", c->name, c->same);
	ck_assert_msg(config_same_endpoint(a, a), "%s: a differs from itself", c->name);
	config_free(a);
	config_free(b);
}
END_TEST

/* ---- the suite -------------------------------------------------------- */

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;
	/* The unreadable row (last) means nothing to root, who reads anything. */
	int n_bad = geteuid() == 0 ? N_BAD - 1 : N_BAD;

	if (n_bad < N_BAD)
		fprintf(stderr, "check_config: running as root: skipping the \"%s\" case\n",
			bad_cases[N_BAD - 1].name);

	tc = tcase_create("defaults");
	tcase_add_test(tc, test_default_constants);
	suite_add_tcase(s, tc);

	tc = tcase_create("good");
	tcase_add_loop_test(tc, test_good, 0, N_GOOD);
	suite_add_tcase(s, tc);

	tc = tcase_create("bad");
	tcase_add_loop_test(tc, test_bad, 0, n_bad);
	tcase_add_loop_test(tc, test_short_error_buffer, 1, 17);
	suite_add_tcase(s, tc);

	tc = tcase_create("same_endpoint");
	tcase_add_loop_test(tc, test_same_endpoint, 0, N_ENDPOINT);
	suite_add_tcase(s, tc);
	return s;
}

/* Remove what the suite left in tmpdir (files and the one directory case). */
static void remove_tmpdir(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	char path[PATH_MAX];

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", tmpdir, e->d_name) >=
			sizeof(path))
			continue;
		if (unlink(path) != 0 && rmdir(path) != 0)
			fprintf(stderr, "check_config: cannot remove %s: %s\n", path,
				strerror(errno));
	}
	closedir(d);
	if (rmdir(tmpdir) != 0)
		fprintf(stderr, "check_config: cannot remove %s: %s\n", tmpdir, strerror(errno));
}

int main(void)
{
	const char *base = getenv("TMPDIR");
	SRunner *sr;
	int failed;

	if (!base || !*base)
		base = "/tmp";
	if ((size_t)snprintf(tmpdir, sizeof(tmpdir), "%s/check_config.XXXXXX", base) >=
			sizeof(tmpdir) ||
		!mkdtemp(tmpdir)) {
		fprintf(stderr, "check_config: cannot create a directory in %s: %s\n", base,
			strerror(errno));
		return 99;
	}

	sr = srunner_create(config_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	remove_tmpdir();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
