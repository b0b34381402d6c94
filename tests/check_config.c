/* check_config.c - config_load(): good files, bad files and their FILE:LINE errors */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "endpoint.h"

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
	/* An empty file is refused (bad_cases): one setting at its default opts in. */
	{ "one-default", "port = 20001;\n", 0, "127.0.0.1", 20001, 1024, "Hello UDP Client", 0, 1 },
	{ "comments-and-one-default",
		"# shell comment\n// C++ comment\n/* C\n   comment */\nreply = \"Hello UDP Client\";\n",
		0, "127.0.0.1", 20001, 1024, "Hello UDP Client", 0, 0 },
	/* Comment openers that open none: in a string, after # or //. */
	{ "comment-openers-inert",
		"reply = \"/* not a comment\"; # /* nor this\n// /* nor this\nport = 7; /* closed */\n",
		0, "127.0.0.1", 7, 1024, "/* not a comment", 0, 3 },
	{ "comment-closed-at-end", "port = 7;\n/* to the end */", 0,
		"127.0.0.1", 7, 1024, "Hello UDP Client", 0, 1 },
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
	ck_assert_str_eq(cfg->services[0].address, c->address);
	ck_assert_uint_eq(cfg->services[0].port, c->port);
	ck_assert_uint_eq(cfg->services[0].buffer_size, c->buffer_size);
	ck_assert_int_eq(cfg->services[0].address_line, c->address_line);
	ck_assert_int_eq(cfg->services[0].port_line, c->port_line);
	ck_assert_ptr_nonnull(cfg->services[0].reply);
	if (c->reply) {
		ck_assert_uint_eq(cfg->services[0].reply_len, strlen(c->reply));
		ck_assert_mem_eq(cfg->services[0].reply, c->reply, cfg->services[0].reply_len);
	} else {
		size_t i;

		ck_assert_uint_eq(cfg->services[0].reply_len, c->long_reply);
		for (i = 0; i < cfg->services[0].reply_len; i++)
			ck_assert_msg(cfg->services[0].reply[i] == 'x', "reply[%zu] = 0x%02x", i,
				(unsigned char)cfg->services[0].reply[i]);
	}
	ck_assert_msg(cfg->services[0].reply[cfg->services[0].reply_len] == '\0', "reply not NUL-terminated");
	/* None of these files sets the newer settings: their defaults. */
	ck_assert(cfg->log_datagrams);
	ck_assert_uint_eq(cfg->workers, CONFIG_WORKERS_AUTO);
	ck_assert_int_eq(cfg->receive_buffer, 0);
	ck_assert(cfg->loop_guard);
	ck_assert_uint_eq(cfg->nguard_ports, 15);
	ck_assert_uint_eq(cfg->max_amplification, CONFIG_MAX_AMPLIFICATION_DEFAULT);
	ck_assert(cfg->rate_limit);
	ck_assert_uint_eq(cfg->rate, CONFIG_RATE_DEFAULT);
	ck_assert_uint_eq(cfg->burst, CONFIG_BURST_DEFAULT);
	ck_assert_uint_eq(cfg->ipv4_prefix, CONFIG_IPV4_PREFIX_DEFAULT);
	ck_assert_uint_eq(cfg->ipv6_prefix, CONFIG_IPV6_PREFIX_DEFAULT);
	ck_assert_uint_eq(cfg->nexempt, 2);
	config_free(cfg);
}
END_TEST

/* ---- log_datagrams, workers, receive_buffer ---------------------------- */

struct setting_case {
	const char *name;
	const char *text;
	bool log_datagrams;
	unsigned workers;
	int receive_buffer;
};

/* clang-format off */
static const struct setting_case setting_cases[] = {
	{ "defaults", "port = 20001;\n", true, CONFIG_WORKERS_AUTO, 0 },
	{ "log-true", "log_datagrams = true;\n", true, CONFIG_WORKERS_AUTO, 0 },
	{ "log-false", "log_datagrams = false;\n", false, CONFIG_WORKERS_AUTO, 0 },
	/* libconfig's booleans are not case-sensitive. */
	{ "log-FALSE", "log_datagrams : FALSE\n", false, CONFIG_WORKERS_AUTO, 0 },
	{ "log-True", "log_datagrams = True;\n", true, CONFIG_WORKERS_AUTO, 0 },
	{ "workers-auto", "workers = \"auto\";\n", true, CONFIG_WORKERS_AUTO, 0 },
	{ "workers-1", "workers = 1;\n", true, 1, 0 },
	{ "workers-256", "workers = 256;\n", true, 256, 0 },
	{ "workers-int64", "workers = 8L;\n", true, 8, 0 },
	{ "workers-hex", "workers = 0x10;\n", true, 16, 0 },
	{ "receive-min", "receive_buffer = 4096;\n", true, CONFIG_WORKERS_AUTO, 4096 },
	{ "receive-max", "receive_buffer = 1073741824;\n", true, CONFIG_WORKERS_AUTO,
		1073741824 },
	{ "receive-hex", "receive_buffer = 0x40000000;\n", true, CONFIG_WORKERS_AUTO,
		1073741824 },
	{ "receive-int64", "receive_buffer = 8388608L;\n", true, CONFIG_WORKERS_AUTO, 8388608 },
	{ "all-of-them",
		"# every setting\n"
		"address = \"::1\";\nport = 7;\nbuffer_size = 9000;\nreply = \"r\";\n"
		"log_datagrams = false;\nworkers = 4;\nreceive_buffer = 4194304;\n",
		false, 4, 4194304 },
};
/* clang-format on */

#define N_SETTING (int)(sizeof(setting_cases) / sizeof(setting_cases[0]))

START_TEST(test_setting)
{
	const struct setting_case *c = &setting_cases[_i];
	char path[PATH_MAX], err[CONFIG_ERROR_MAX];
	struct config *cfg = NULL;

	path_for(path, sizeof(path), c->name);
	write_file(path, c->text, strlen(c->text));
	err[0] = '\0';
	ck_assert_msg(config_load(path, &cfg, err, sizeof(err)) == 0, "%s: %s", c->name, err);
	ck_assert_msg(cfg->log_datagrams == c->log_datagrams, "%s: log_datagrams %d", c->name,
		cfg->log_datagrams);
	ck_assert_uint_eq(cfg->workers, c->workers);
	ck_assert_int_eq(cfg->receive_buffer, c->receive_buffer);
	config_free(cfg);
}
END_TEST

/* ---- loop_guard, loop_guard_ports, max_amplification ------------------ */

#define DEFAULT_GUARD_PORTS 15, CONFIG_GUARD_PORTS_DEFAULT

struct guard_case {
	const char *name;
	const char *text;
	bool loop_guard;
	unsigned max_amplification;
	size_t nports;
	uint16_t ports[CONFIG_GUARD_PORTS_MAX];
};

/* clang-format off */
static const struct guard_case guard_cases[] = {
	{ "guard-defaults", "port = 20001;\n", true, 10, DEFAULT_GUARD_PORTS },
	{ "guard-true", "loop_guard = true;\n", true, 10, DEFAULT_GUARD_PORTS },
	{ "guard-false", "loop_guard = false;\n", false, 10, DEFAULT_GUARD_PORTS },
	{ "guard-FALSE", "loop_guard : FALSE\n", false, 10, DEFAULT_GUARD_PORTS },
	/* No service ports; the other rules of the loop guard stay. */
	{ "ports-empty", "loop_guard_ports = [];\n", true, 10, 0, { 0 } },
	{ "ports-empty-spaced", "loop_guard_ports = [ /* none */ ];\n", true, 10, 0, { 0 } },
	{ "ports-one", "loop_guard_ports = [53];\n", true, 10, 1, { 53 } },
	{ "ports-several", "loop_guard_ports = [7, 13, 53];\n", true, 10, 3, { 7, 13, 53 } },
	/* Kept in the order written. */
	{ "ports-order", "loop_guard_ports = [ 123, 7, 53 ];\n", true, 10, 3, { 123, 7, 53 } },
	/* A repeated port is stored once, where it is first written. */
	{ "ports-duplicates", "loop_guard_ports = [53, 53, 7, 53, 7];\n", true, 10, 2,
		{ 53, 7 } },
	{ "ports-bounds", "loop_guard_ports = [1, 65535];\n", true, 10, 2, { 1, 65535 } },
	{ "ports-hex", "loop_guard_ports = [0x35, 0x7B];\n", true, 10, 2, { 53, 123 } },
	{ "ports-plus", "loop_guard_ports = [+53];\n", true, 10, 1, { 53 } },
	{ "ports-int64", "loop_guard_ports = [53L, 123L];\n", true, 10, 2, { 53, 123 } },
	{ "ports-lines",
		"# the service ports\n"
		"loop_guard_ports = [\n"
		"\t7,\t// echo\n"
		"\t19,\t/* chargen */\n"
		"\t53\n"
		"];\n", true, 10, 3, { 7, 19, 53 } },
	/* The defaults written out, and more. */
	{ "ports-default-and-more",
		"loop_guard_ports = [7, 13, 17, 19, 37, 53, 69, 123, 137, 138, 161, 162, 1900,\n"
		"\t5353, 11211, 20001];\n", true, 10, 16,
		{ 7, 13, 17, 19, 37, 53, 69, 123, 137, 138, 161, 162, 1900, 5353, 11211, 20001 } },
	{ "amp-0", "max_amplification = 0;\n", true, 0, DEFAULT_GUARD_PORTS },
	{ "amp-1", "max_amplification = 1;\n", true, 1, DEFAULT_GUARD_PORTS },
	{ "amp-65535", "max_amplification = 65535;\n", true, 65535, DEFAULT_GUARD_PORTS },
	{ "amp-hex", "max_amplification = 0x20;\n", true, 32, DEFAULT_GUARD_PORTS },
	{ "amp-int64", "max_amplification = 100L;\n", true, 100, DEFAULT_GUARD_PORTS },
	{ "guard-all-three",
		"loop_guard = false;\nloop_guard_ports = [ 9 ];\nmax_amplification = 3;\n",
		false, 3, 1, { 9 } },
};
/* clang-format on */

#define N_GUARD (int)(sizeof(guard_cases) / sizeof(guard_cases[0]))

START_TEST(test_guard)
{
	const struct guard_case *c = &guard_cases[_i];
	char path[PATH_MAX], err[CONFIG_ERROR_MAX];
	struct config *cfg = NULL;
	size_t i;

	path_for(path, sizeof(path), c->name);
	write_file(path, c->text, strlen(c->text));
	err[0] = '\0';
	ck_assert_msg(config_load(path, &cfg, err, sizeof(err)) == 0, "%s: %s", c->name, err);
	ck_assert_msg(cfg->loop_guard == c->loop_guard, "%s: loop_guard %d", c->name,
		cfg->loop_guard);
	ck_assert_uint_eq(cfg->max_amplification, c->max_amplification);
	ck_assert_uint_eq(cfg->nguard_ports, c->nports);
	for (i = 0; i < c->nports; i++)
		ck_assert_msg(cfg->guard_ports[i] == c->ports[i], "%s: port [%zu] is %u, want %u",
			c->name, i, cfg->guard_ports[i], c->ports[i]);
	/* The other settings keep their defaults. */
	ck_assert_uint_eq(cfg->services[0].port, CONFIG_DEFAULT_PORT);
	ck_assert(cfg->log_datagrams);
	config_free(cfg);
}
END_TEST

/* "loop_guard_ports = [FIRST, FIRST + 1, ...]" with n ports, one a line from line 2. */
static int load_many_ports(const char *name, int n, unsigned first, struct config **cfg,
	char *err)
{
	char path[PATH_MAX];
	FILE *f;
	int i;

	path_for(path, sizeof(path), name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "loop_guard_ports = [\n");
	for (i = 0; i < n; i++)
		fprintf(f, "\t%u%s\n", first + (unsigned)i, i + 1 < n ? "," : "");
	fprintf(f, "];\n");
	ck_assert_int_eq(fclose(f), 0);
	return config_load(path, cfg, err, CONFIG_ERROR_MAX);
}

/* CONFIG_GUARD_PORTS_MAX ports are taken; one more is refused at its line. */
START_TEST(test_guard_ports_max)
{
	char path[PATH_MAX], err[CONFIG_ERROR_MAX], want[PATH_MAX + 128];
	struct config *cfg = NULL;
	FILE *f;
	size_t i;
	int n;

	ck_assert_int_eq(load_many_ports("ports-64", CONFIG_GUARD_PORTS_MAX, 1000, &cfg, err), 0);
	ck_assert_uint_eq(cfg->nguard_ports, CONFIG_GUARD_PORTS_MAX);
	for (i = 0; i < CONFIG_GUARD_PORTS_MAX; i++)
		ck_assert_uint_eq(cfg->guard_ports[i], 1000 + i);
	config_free(cfg);
	cfg = NULL;

	ck_assert_int_eq(
		load_many_ports("ports-65", CONFIG_GUARD_PORTS_MAX + 1, 1000, &cfg, err), -1);
	ck_assert_ptr_null(cfg);
	path_for(path, sizeof(path), "ports-65");
	/* Element 65 is on line 66. */
	snprintf(want, sizeof(want), "%s:%d: loop_guard_ports: more than 64 ports", path,
		CONFIG_GUARD_PORTS_MAX + 2);
	ck_assert_str_eq(err, want);

	/* The cap counts the ports written: 65 of them, though only one port. */
	path_for(path, sizeof(path), "ports-65-same");
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "loop_guard_ports = [");
	for (n = 0; n <= CONFIG_GUARD_PORTS_MAX; n++)
		fprintf(f, "%s53", n ? ", " : "");
	fprintf(f, "];\n");
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(config_load(path, &cfg, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:1: loop_guard_ports: more than 64 ports", path);
	ck_assert_str_eq(err, want);

	/* 64 times the same port: one port. */
	path_for(path, sizeof(path), "ports-64-same");
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "loop_guard_ports = [");
	for (n = 0; n < CONFIG_GUARD_PORTS_MAX; n++)
		fprintf(f, "%s53", n ? ", " : "");
	fprintf(f, "];\n");
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(config_load(path, &cfg, err, sizeof(err)), 0);
	ck_assert_uint_eq(cfg->nguard_ports, 1);
	ck_assert_uint_eq(cfg->guard_ports[0], 53);
	config_free(cfg);
	cfg = NULL;

	/* In text order: a bad port before the 65th is named, one after it is not. */
	path_for(path, sizeof(path), "ports-65-bad-early");
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "loop_guard_ports = [\n\t70000");
	for (n = 1; n <= CONFIG_GUARD_PORTS_MAX; n++)
		fprintf(f, ",\n\t%d", n);
	fprintf(f, "\n];\n");
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(config_load(path, &cfg, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:2: loop_guard_ports: 70000 is not a port (1 to 65535)",
		path);
	ck_assert_str_eq(err, want);

	path_for(path, sizeof(path), "ports-65-bad-late");
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "loop_guard_ports = [\n\t1");
	for (n = 2; n <= CONFIG_GUARD_PORTS_MAX + 1; n++)
		fprintf(f, ",\n\t%d", n);
	fprintf(f, ",\n\t0\n];\n");
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(config_load(path, &cfg, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:%d: loop_guard_ports: more than 64 ports", path,
		CONFIG_GUARD_PORTS_MAX + 2);
	ck_assert_str_eq(err, want);
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
	ck_assert_int_eq(CONFIG_WORKERS_AUTO, 0);
	ck_assert_int_eq(CONFIG_WORKERS_MAX, 256);
	ck_assert_int_eq(CONFIG_RECEIVE_BUFFER_MIN, 4096);
	ck_assert_int_eq(CONFIG_RECEIVE_BUFFER_MAX, 1073741824);
	ck_assert_int_eq(CONFIG_FILE_MAX, 524288);
	ck_assert_int_eq(CONFIG_SETTINGS_MAX, 128);
	ck_assert_int_eq(CONFIG_GUARD_PORTS_MAX, 64);
	ck_assert_int_eq(CONFIG_MAX_AMPLIFICATION_DEFAULT, 10);
	ck_assert_int_eq(CONFIG_MAX_AMPLIFICATION_MAX, 65535);
	ck_assert_int_eq(CONFIG_RATE_DEFAULT, 100);
	ck_assert_int_eq(CONFIG_BURST_DEFAULT, 200);
	ck_assert_int_eq(CONFIG_IPV4_PREFIX_DEFAULT, 24);
	ck_assert_int_eq(CONFIG_IPV6_PREFIX_DEFAULT, 56);
	{
		static const uint16_t want[] = { 7, 13, 17, 19, 37, 53, 69, 123, 137, 138, 161,
			162, 1900, 5353, 11211 };
		static const uint16_t got[] = CONFIG_GUARD_PORTS_DEFAULT;

		ck_assert_uint_eq(sizeof(got), sizeof(want));
		ck_assert_mem_eq(got, want, sizeof(want));
		ck_assert_uint_le(sizeof(got) / sizeof(got[0]), CONFIG_GUARD_PORTS_MAX);
	}
	/* The longest reply, every byte a \xHH escape, fits with room for comments. */
	ck_assert_int_gt(CONFIG_FILE_MAX, 4 * CONFIG_REPLY_MAX + 4096);
}
END_TEST

/* ---- rate_limit ------------------------------------------------------- */

#define RL_EXEMPT_MAX 4

struct rate_case {
	const char *name;
	const char *text;
	bool rate_limit;
	unsigned rate, burst, ipv4_prefix, ipv6_prefix;
	size_t nexempt;
	const char *exempt[RL_EXEMPT_MAX]; /* as netaddr_prefix_format() writes them */
};

#define RL_DEFAULT_EXEMPT 2, { "127.0.0.0/8", "::1/128" }

/* clang-format off */
static const struct rate_case rate_cases[] = {
	{ "rl-defaults", "port = 20001;\n", true, 100, 200, 24, 56, RL_DEFAULT_EXEMPT },
	{ "rl-empty-group", "rate_limit = { };\n", true, 100, 200, 24, 56, RL_DEFAULT_EXEMPT },
	{ "rl-colon", "rate_limit : { }\n", true, 100, 200, 24, 56, RL_DEFAULT_EXEMPT },
	{ "rl-rate", "rate_limit = { rate = 5; };\n", true, 5, 200, 24, 56, RL_DEFAULT_EXEMPT },
	{ "rl-rate-max", "rate_limit = { rate = 1000000; };\n", true, 1000000, 200, 24, 56,
		RL_DEFAULT_EXEMPT },
	{ "rl-rate-1", "rate_limit = { rate = 1; };\n", true, 1, 200, 24, 56, RL_DEFAULT_EXEMPT },
	/* 0 switches the limit off; the other keys are still read and kept. */
	{ "rl-rate-0", "rate_limit = { rate = 0; };\n", false, 0, 200, 24, 56, RL_DEFAULT_EXEMPT },
	{ "rl-rate-0-and-more", "rate_limit = { rate = 0; burst = 7; ipv4_prefix = 16; };\n",
		false, 0, 7, 16, 56, RL_DEFAULT_EXEMPT },
	{ "rl-rate-hex", "rate_limit = { rate = 0x40; };\n", true, 64, 200, 24, 56,
		RL_DEFAULT_EXEMPT },
	{ "rl-rate-int64", "rate_limit = { rate = 1000L; };\n", true, 1000, 200, 24, 56,
		RL_DEFAULT_EXEMPT },
	{ "rl-burst-1", "rate_limit = { burst = 1; };\n", true, 100, 1, 24, 56, RL_DEFAULT_EXEMPT },
	{ "rl-burst-max", "rate_limit = { burst = 1000000; };\n", true, 100, 1000000, 24, 56,
		RL_DEFAULT_EXEMPT },
	{ "rl-ipv4-8", "rate_limit = { ipv4_prefix = 8; };\n", true, 100, 200, 8, 56,
		RL_DEFAULT_EXEMPT },
	{ "rl-ipv4-32", "rate_limit = { ipv4_prefix = 32; };\n", true, 100, 200, 32, 56,
		RL_DEFAULT_EXEMPT },
	{ "rl-ipv6-16", "rate_limit = { ipv6_prefix = 16; };\n", true, 100, 200, 24, 16,
		RL_DEFAULT_EXEMPT },
	{ "rl-ipv6-128", "rate_limit = { ipv6_prefix = 128; };\n", true, 100, 200, 24, 128,
		RL_DEFAULT_EXEMPT },
	/* An empty array exempts nobody, loopback included. */
	{ "rl-exempt-none", "rate_limit = { exempt = []; };\n", true, 100, 200, 24, 56, 0, { NULL } },
	/* The array replaces the default one. */
	{ "rl-exempt-one", "rate_limit = { exempt = [\"192.0.2.0/24\"]; };\n", true, 100, 200,
		24, 56, 1, { "192.0.2.0/24" } },
	{ "rl-exempt-forms",
		"rate_limit = {\n"
		"\texempt = [\"::ffff:198.51.100.7\", \"2001:db8::/32\", \"10.0.0.0/8\",\n"
		"\t\t\"10.0.0.0/8\", \"::1\"];\n"
		"};\n", true, 100, 200, 24, 56, 4,
		{ "198.51.100.7/32", "2001:db8::/32", "10.0.0.0/8", "::1/128" } },
	{ "rl-everything",
		"# every key, in another order\n"
		"rate_limit = {\n"
		"\texempt = [];\n"
		"\tipv6_prefix = 64;\n"
		"\tipv4_prefix = 28;\n"
		"\tburst = 50;\n"
		"\trate = 20;\n"
		"};\n", true, 20, 50, 28, 64, 0, { NULL } },
	{ "rl-with-others",
		"port = 7;\nrate_limit = { rate = 3; };\nmax_amplification = 0;\n",
		true, 3, 200, 24, 56, RL_DEFAULT_EXEMPT },
};
/* clang-format on */

#define N_RATE (int)(sizeof(rate_cases) / sizeof(rate_cases[0]))

START_TEST(test_rate_limit)
{
	const struct rate_case *c = &rate_cases[_i];
	char path[PATH_MAX], err[CONFIG_ERROR_MAX], text[NETADDR_PREFIX_STRLEN];
	struct config *cfg = NULL;
	size_t i;

	path_for(path, sizeof(path), c->name);
	write_file(path, c->text, strlen(c->text));
	err[0] = '\0';
	ck_assert_msg(config_load(path, &cfg, err, sizeof(err)) == 0, "%s: %s", c->name, err);
	ck_assert_msg(cfg->rate_limit == c->rate_limit, "%s: rate_limit %d", c->name,
		cfg->rate_limit);
	ck_assert_uint_eq(cfg->rate, c->rate);
	ck_assert_uint_eq(cfg->burst, c->burst);
	ck_assert_uint_eq(cfg->ipv4_prefix, c->ipv4_prefix);
	ck_assert_uint_eq(cfg->ipv6_prefix, c->ipv6_prefix);
	ck_assert_uint_eq(cfg->nexempt, c->nexempt);
	for (i = 0; i < c->nexempt; i++)
		ck_assert_str_eq(netaddr_prefix_format(&cfg->exempt[i], text, sizeof(text)),
			c->exempt[i]);
	/* The other settings keep their defaults (but for the one case that sets them). */
	ck_assert(cfg->loop_guard);
	ck_assert_uint_eq(cfg->nallow, 0);
	ck_assert_uint_eq(cfg->ndeny, 0);
	config_free(cfg);
}
END_TEST

/* exempt holds up to CONFIG_ACL_MAX prefixes; one more is refused at its line. */
START_TEST(test_rate_limit_exempt_max)
{
	char path[PATH_MAX], err[CONFIG_ERROR_MAX], want[PATH_MAX + 128];
	struct config *cfg = NULL;
	FILE *f;
	int n, i;

	for (n = CONFIG_ACL_MAX; n <= CONFIG_ACL_MAX + 1; n++) {
		snprintf(want, sizeof(want), "rl-exempt-%d", n);
		path_for(path, sizeof(path), want);
		f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		/*
		 * The "]" on the last prefix's line: libconfig gives a string the
		 * line of the token after it (it may join the next string).
		 */
		fprintf(f, "rate_limit = {\n\texempt = [\n");
		for (i = 0; i < n; i++)
			fprintf(f, "\t\t\"10.%d.0.0/16\"%s\n", i, i + 1 < n ? "," : "];");
		fprintf(f, "};\n");
		ck_assert_int_eq(fclose(f), 0);
		err[0] = '\0';
		if (n == CONFIG_ACL_MAX) {
			ck_assert_msg(config_load(path, &cfg, err, sizeof(err)) == 0, "%s", err);
			ck_assert_uint_eq(cfg->nexempt, CONFIG_ACL_MAX);
			config_free(cfg);
			cfg = NULL;
		} else {
			ck_assert_int_eq(config_load(path, &cfg, err, sizeof(err)), -1);
			ck_assert_ptr_null(cfg);
			/* Prefix 65 is on line 67. */
			snprintf(want, sizeof(want), "%s:%d: rate_limit.exempt: more than %d prefixes",
				path, CONFIG_ACL_MAX + 3, CONFIG_ACL_MAX);
			ck_assert_str_eq(err, want);
		}
	}
}
END_TEST

/* ---- bad files -------------------------------------------------------- */

enum bad_kind {
	BAD_TEXT,	/* the file holds text */
	BAD_MISSING,	/* no such file */
	BAD_DIRECTORY,	/* the path is a directory */
	BAD_LONG_REPLY, /* reply of long_reply x's on line 2 */
	BAD_UNREADABLE, /* mode 000 (meaningless for root) */
	BAD_DEEP,	/* "x = " and long_reply lists in one another on line 1 */
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
#define WORKERS_MUST(what) "workers: must be an integer from 1 to 256 or \"auto\", not " what
#define RECEIVE_RANGE(value) "receive_buffer: must be an integer from 4096 to 1073741824, not " value
#define PORTS_MUST(what) "loop_guard_ports: must be an array of ports like [53, 123], not " what
#define NOT_A_PORT(value) "loop_guard_ports: " value " is not a port (1 to 65535)"
#define AMP_RANGE(value) "max_amplification: must be an integer from 0 to 65535, not " value
#define RL_GROUP(what) "rate_limit: must be a group like { rate = 100; }, not " what
#define RL_RANGE(key, range, value) \
	"rate_limit." key ": must be an integer from " range ", not " value
#define RL_PREFIXES(what) \
	"rate_limit.exempt: must be an array of prefixes like [\"192.0.2.0/24\"], not " what
#define NO_SETTINGS "no settings (an empty file is refused: to run on the defaults, " \
	"set one of them, such as port = 20001;)"
#define UNCLOSED "a /* comment that is never closed (the rest of the file would be ignored)"
#define NESTED "nested too deep (at most 16 levels)"
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
	/* No setting at all: emptied or cut short while edited, not "the defaults". */
	{ "empty", BAD_TEXT, "", 0, 0, MATCH_EXACT, NO_SETTINGS },
	{ "blank", BAD_TEXT, " \n\t\n\n", 0, 0, MATCH_EXACT, NO_SETTINGS },
	{ "comments-only", BAD_TEXT, "# shell comment\n// C++ comment\n/* C\n   comment */\n", 0,
		0, MATCH_EXACT, NO_SETTINGS },
	{ "commented-out", BAD_TEXT, "#port = 20001;\n#reply = \"x\";\n", 0, 0, MATCH_EXACT,
		NO_SETTINGS },
	/* libconfig would end the file inside the comment: at the line it opens on. */
	{ "comment-unclosed", BAD_TEXT, "reply = \"x\";\n\n  /* port = 7;\nport = 70000;\n", 0, 3,
		MATCH_EXACT, UNCLOSED },
	{ "comment-unclosed-at-end", BAD_TEXT, "port = 7; /*", 0, 1, MATCH_EXACT, UNCLOSED },
	{ "comment-unclosed-star-slash", BAD_TEXT, "port = 7;\n/*/\n", 0, 2, MATCH_EXACT,
		UNCLOSED },
	{ "comment-unclosed-after-string", BAD_TEXT,
		"reply = \"*/ /* \\\" */\";\n# */\n/* one\n/* two\n", 0, 3, MATCH_EXACT, UNCLOSED },
	{ "comment-unclosed-first", BAD_TEXT, "/*\nport = 4294987297;\n", 0, 1, MATCH_EXACT,
		UNCLOSED },
	/* Before libconfig's "memory exhausted" (at ~5,000 levels). */
	{ "nested-17", BAD_TEXT, "# x\nx = (((((((((((((((((1)))))))))))))))));\n", 0, 2, MATCH_EXACT,
		NESTED },
	{ "nested-16", BAD_DEEP, NULL, 16, 1, MATCH_EXACT, "unknown setting \"x\"" },
	{ "nested-5000", BAD_DEEP, NULL, 5000, 1, MATCH_EXACT, NESTED },
	{ "nested-groups", BAD_TEXT, "a = { b = { c = { d = { e = { f = { g = { h = { i = {\n"
		"j = { k = { l = { m = { n = { o = { p = {\nq = { r = 1; };\n"
		"}; }; }; }; }; }; }; }; }; }; }; }; }; }; }; };\n", 0, 3, MATCH_EXACT, NESTED },
	{ "nested-unbalanced", BAD_TEXT, "x = ]]]]]]]]]]]]]]]]]]]]][[[[[[[[[[[[[[[[[1;\n", 0, 1,
		MATCH_EXACT, NESTED },
	/* 64 bits: libconfig 1.5 stores the largest integer, or -1 ("not -1"). */
	{ "port-hex64-over", BAD_TEXT, "port = 0x10000000000004E21L;\n", 0, 1, MATCH_EXACT,
		"integer 0x10000000000004E21L is out of range" },
	{ "port-hex64-negative", BAD_TEXT, "\nport = 0xFFFFFFFFFFFFFFFFL;\n", 0, 2, MATCH_EXACT,
		"integer 0xFFFFFFFFFFFFFFFFL is out of range" },
	{ "port-hex64-sign-bit", BAD_TEXT, "port = 0x8000000000000000LL;\n", 0, 1, MATCH_EXACT,
		"integer 0x8000000000000000LL is out of range" },
	{ "port-int64-over", BAD_TEXT, "port = 99999999999999999999L;\n", 0, 1, MATCH_EXACT,
		"integer 99999999999999999999L is out of range" },
	{ "port-int64-under", BAD_TEXT, "port = -9223372036854775809L;\n", 0, 1, MATCH_EXACT,
		"integer -9223372036854775809L is out of range" },
	{ "port-int64-max-value", BAD_TEXT, "port = 0x7FFFFFFFFFFFFFFFL;\n", 0, 1, MATCH_EXACT,
		RANGE_1_65535("port", "9223372036854775807") },
	{ "port-int64-min-value", BAD_TEXT, "port = -9223372036854775808L;\n", 0, 1, MATCH_EXACT,
		RANGE_1_65535("port", "-9223372036854775808") },
	{ "rate-hex64-over", BAD_TEXT, "rate_limit = {\n\trate = 0x1000000000000000aL;\n};\n", 0,
		2, MATCH_EXACT, "integer 0x1000000000000000aL is out of range" },

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

	/* log_datagrams: a boolean. */
	{ "log-integer", BAD_TEXT, "# x\nlog_datagrams = 1;\n", 0, 2, MATCH_EXACT,
		"log_datagrams: must be a boolean, not an integer" },
	{ "log-int64", BAD_TEXT, "log_datagrams = 0L;\n", 0, 1, MATCH_EXACT,
		"log_datagrams: must be a boolean, not an integer" },
	{ "log-string", BAD_TEXT, "log_datagrams = \"false\";\n", 0, 1, MATCH_EXACT,
		"log_datagrams: must be a boolean, not a string" },
	{ "log-float", BAD_TEXT, "log_datagrams = 0.0;\n", 0, 1, MATCH_EXACT,
		"log_datagrams: must be a boolean, not a float" },
	{ "log-list", BAD_TEXT, "log_datagrams = ( true );\n", 0, 1, MATCH_EXACT,
		"log_datagrams: must be a boolean, not a list" },
	{ "log-array", BAD_TEXT, "log_datagrams = [ true ];\n", 0, 1, MATCH_EXACT,
		"log_datagrams: must be a boolean, not an array" },
	{ "log-group", BAD_TEXT, "log_datagrams = { };\n", 0, 1, MATCH_EXACT,
		"log_datagrams: must be a boolean, not a group" },
	{ "log-duplicate", BAD_TEXT, "log_datagrams = true;\nlog_datagrams = false;\n", 0, 2,
		MATCH_CONTAINS, "duplicate" },
	/* workers: 1..256 or "auto". */
	{ "workers-0", BAD_TEXT, "workers = 0;\n", 0, 1, MATCH_EXACT, WORKERS_MUST("0") },
	{ "workers-257", BAD_TEXT, "\nworkers = 257;\n", 0, 2, MATCH_EXACT, WORKERS_MUST("257") },
	{ "workers-minus-1", BAD_TEXT, "workers = -1;\n", 0, 1, MATCH_EXACT, WORKERS_MUST("-1") },
	/* Would be 1 if truncated to 32 bits. */
	{ "workers-int64-huge", BAD_TEXT, "workers = 4294967297L;\n", 0, 1, MATCH_EXACT,
		WORKERS_MUST("4294967297") },
	{ "workers-wraps", BAD_TEXT, "workers = 4294967297;\n", 0, 1, MATCH_EXACT,
		"integer 4294967297 is out of range" },
	{ "workers-xyz", BAD_TEXT, "workers = \"xyz\";\n", 0, 1, MATCH_EXACT,
		WORKERS_MUST("\"xyz\"") },
	{ "workers-AUTO", BAD_TEXT, "workers = \"AUTO\";\n", 0, 1, MATCH_EXACT,
		WORKERS_MUST("\"AUTO\"") },
	{ "workers-empty", BAD_TEXT, "workers = \"\";\n", 0, 1, MATCH_EXACT, WORKERS_MUST("\"\"") },
	{ "workers-quoted-number", BAD_TEXT, "workers = \"4\";\n", 0, 1, MATCH_EXACT,
		WORKERS_MUST("\"4\"") },
	/* The error is one line: what the file holds is shown escaped. */
	{ "workers-newline", BAD_TEXT, "workers = \"au\\nto\\x1b\";\n", 0, 1, MATCH_EXACT,
		WORKERS_MUST("\"au\\nto\\x1b\"") },
	{ "workers-boolean", BAD_TEXT, "workers = true;\n", 0, 1, MATCH_EXACT,
		WORKERS_MUST("a boolean") },
	{ "workers-float", BAD_TEXT, "workers = 2.0;\n", 0, 1, MATCH_EXACT, WORKERS_MUST("a float") },
	{ "workers-list", BAD_TEXT, "workers = ( 2 );\n", 0, 1, MATCH_EXACT, WORKERS_MUST("a list") },
	{ "workers-array", BAD_TEXT, "workers = [ 2 ];\n", 0, 1, MATCH_EXACT,
		WORKERS_MUST("an array") },
	{ "workers-group", BAD_TEXT, "workers = { n = 2; };\n", 0, 1, MATCH_EXACT,
		WORKERS_MUST("a group") },
	/* receive_buffer: 4096..1 GiB; 0 (the kernel's default) only by leaving it out. */
	{ "receive-0", BAD_TEXT, "receive_buffer = 0;\n", 0, 1, MATCH_EXACT,
		RECEIVE_RANGE("0") },
	{ "receive-4095", BAD_TEXT, "# x\n\nreceive_buffer = 4095;\n", 0, 3, MATCH_EXACT,
		RECEIVE_RANGE("4095") },
	{ "receive-over-1g", BAD_TEXT, "receive_buffer = 1073741825;\n", 0, 1, MATCH_EXACT,
		RECEIVE_RANGE("1073741825") },
	{ "receive-minus", BAD_TEXT, "receive_buffer = -4096;\n", 0, 1, MATCH_EXACT,
		RECEIVE_RANGE("-4096") },
	{ "receive-int64-2g", BAD_TEXT, "receive_buffer = 2147483648L;\n", 0, 1, MATCH_EXACT,
		RECEIVE_RANGE("2147483648") },
	/* Would be 4096 if truncated to 32 bits. */
	{ "receive-int64-huge", BAD_TEXT, "receive_buffer = 4294971392L;\n", 0, 1, MATCH_EXACT,
		RECEIVE_RANGE("4294971392") },
	{ "receive-wraps", BAD_TEXT, "receive_buffer = 4294971392;\n", 0, 1, MATCH_EXACT,
		"integer 4294971392 is out of range" },
	{ "receive-string", BAD_TEXT, "receive_buffer = \"1M\";\n", 0, 1, MATCH_EXACT,
		"receive_buffer: must be an integer, not a string" },
	{ "receive-boolean", BAD_TEXT, "receive_buffer = false;\n", 0, 1, MATCH_EXACT,
		"receive_buffer: must be an integer, not a boolean" },
	{ "receive-float", BAD_TEXT, "receive_buffer = 65536.0;\n", 0, 1, MATCH_EXACT,
		"receive_buffer: must be an integer, not a float" },
	{ "receive-list", BAD_TEXT, "receive_buffer = ( 65536 );\n", 0, 1, MATCH_EXACT,
		"receive_buffer: must be an integer, not a list" },
	/* loop_guard: a boolean. */
	{ "guard-integer", BAD_TEXT, "# x\nloop_guard = 1;\n", 0, 2, MATCH_EXACT,
		"loop_guard: must be a boolean, not an integer" },
	{ "guard-string", BAD_TEXT, "loop_guard = \"true\";\n", 0, 1, MATCH_EXACT,
		"loop_guard: must be a boolean, not a string" },
	{ "guard-float", BAD_TEXT, "loop_guard = 1.0;\n", 0, 1, MATCH_EXACT,
		"loop_guard: must be a boolean, not a float" },
	{ "guard-array", BAD_TEXT, "loop_guard = [ true ];\n", 0, 1, MATCH_EXACT,
		"loop_guard: must be a boolean, not an array" },
	{ "guard-list", BAD_TEXT, "loop_guard = ( false );\n", 0, 1, MATCH_EXACT,
		"loop_guard: must be a boolean, not a list" },
	{ "guard-group", BAD_TEXT, "loop_guard = { };\n", 0, 1, MATCH_EXACT,
		"loop_guard: must be a boolean, not a group" },
	{ "guard-duplicate", BAD_TEXT, "loop_guard = true;\nloop_guard = false;\n", 0, 2,
		MATCH_CONTAINS, "duplicate" },
	/* loop_guard_ports: an array of ports, nothing else. */
	{ "ports-list", BAD_TEXT, "\nloop_guard_ports = ( 53, 123 );\n", 0, 2, MATCH_EXACT,
		PORTS_MUST("a list") },
	{ "ports-empty-list", BAD_TEXT, "loop_guard_ports = ( );\n", 0, 1, MATCH_EXACT,
		PORTS_MUST("a list") },
	{ "ports-scalar", BAD_TEXT, "loop_guard_ports = 53;\n", 0, 1, MATCH_EXACT,
		PORTS_MUST("an integer") },
	{ "ports-int64-scalar", BAD_TEXT, "loop_guard_ports = 53L;\n", 0, 1, MATCH_EXACT,
		PORTS_MUST("an integer") },
	{ "ports-string", BAD_TEXT, "loop_guard_ports = \"53, 123\";\n", 0, 1, MATCH_EXACT,
		PORTS_MUST("a string") },
	{ "ports-boolean", BAD_TEXT, "loop_guard_ports = false;\n", 0, 1, MATCH_EXACT,
		PORTS_MUST("a boolean") },
	{ "ports-float", BAD_TEXT, "loop_guard_ports = 53.0;\n", 0, 1, MATCH_EXACT,
		PORTS_MUST("a float") },
	{ "ports-group", BAD_TEXT, "loop_guard_ports = { dns = 53; };\n", 0, 1, MATCH_EXACT,
		PORTS_MUST("a group") },
	{ "ports-strings", BAD_TEXT, "loop_guard_ports = [ \"dns\", \"ntp\" ];\n", 0, 1,
		MATCH_EXACT, PORTS_MUST("an array of strings") },
	{ "ports-floats", BAD_TEXT, "loop_guard_ports = [ 53.0 ];\n", 0, 1, MATCH_EXACT,
		PORTS_MUST("an array of floats") },
	{ "ports-booleans", BAD_TEXT, "loop_guard_ports = [ true ];\n", 0, 1, MATCH_EXACT,
		PORTS_MUST("an array of booleans") },
	{ "ports-70000", BAD_TEXT, "loop_guard_ports = [53, 70000];\n", 0, 1, MATCH_EXACT,
		NOT_A_PORT("70000") },
	{ "ports-0", BAD_TEXT, "loop_guard_ports = [0];\n", 0, 1, MATCH_EXACT, NOT_A_PORT("0") },
	{ "ports-65536", BAD_TEXT, "loop_guard_ports = [65536];\n", 0, 1, MATCH_EXACT,
		NOT_A_PORT("65536") },
	{ "ports-minus-1", BAD_TEXT, "loop_guard_ports = [-1];\n", 0, 1, MATCH_EXACT,
		NOT_A_PORT("-1") },
	/* Would be 53 if truncated to 32 bits. */
	{ "ports-int64-huge", BAD_TEXT, "loop_guard_ports = [4294967349L];\n", 0, 1, MATCH_EXACT,
		NOT_A_PORT("4294967349") },
	{ "ports-wraps", BAD_TEXT, "loop_guard_ports = [7, 4294967349];\n", 0, 1, MATCH_EXACT,
		"integer 4294967349 is out of range" },
	/* The line is the bad port's. */
	{ "ports-bad-line", BAD_TEXT, "loop_guard_ports = [\n\t7,\n\t13,\n\t0x10000\n];\n", 0, 4,
		MATCH_EXACT, NOT_A_PORT("65536") },
	/* libconfig's own: an array holds one type, int or int64, and no arrays. */
	{ "ports-mixed", BAD_TEXT, "loop_guard_ports = [53, 123L];\n", 0, 1, MATCH_CONTAINS,
		"mismatched element type" },
	{ "ports-nested", BAD_TEXT, "loop_guard_ports = [[53]];\n", 0, 1, MATCH_CONTAINS,
		"syntax error" },
	{ "ports-trailing-comma", BAD_TEXT, "loop_guard_ports = [53, 123,];\n", 0, 1,
		MATCH_CONTAINS, "syntax error" },
	{ "ports-duplicate", BAD_TEXT, "loop_guard_ports = [];\nloop_guard_ports = [];\n", 0, 2,
		MATCH_CONTAINS, "duplicate" },
	/* max_amplification: 0..65535. */
	{ "amp-minus-1", BAD_TEXT, "max_amplification = -1;\n", 0, 1, MATCH_EXACT,
		AMP_RANGE("-1") },
	{ "amp-65536", BAD_TEXT, "# x\nmax_amplification = 65536;\n", 0, 2, MATCH_EXACT,
		AMP_RANGE("65536") },
	/* Would be 10 if truncated to 32 bits. */
	{ "amp-int64-huge", BAD_TEXT, "max_amplification = 4294967306L;\n", 0, 1, MATCH_EXACT,
		AMP_RANGE("4294967306") },
	{ "amp-wraps", BAD_TEXT, "max_amplification = 4294967306;\n", 0, 1, MATCH_EXACT,
		"integer 4294967306 is out of range" },
	{ "amp-string", BAD_TEXT, "max_amplification = \"10\";\n", 0, 1, MATCH_EXACT,
		"max_amplification: must be an integer, not a string" },
	{ "amp-float", BAD_TEXT, "max_amplification = 2.5;\n", 0, 1, MATCH_EXACT,
		"max_amplification: must be an integer, not a float" },
	{ "amp-boolean", BAD_TEXT, "max_amplification = false;\n", 0, 1, MATCH_EXACT,
		"max_amplification: must be an integer, not a boolean" },
	{ "amp-array", BAD_TEXT, "max_amplification = [ 10 ];\n", 0, 1, MATCH_EXACT,
		"max_amplification: must be an integer, not an array" },

	/* rate_limit: a group of known keys, each in its range. */
	{ "rl-integer", BAD_TEXT, "# x\nrate_limit = 100;\n", 0, 2, MATCH_EXACT,
		RL_GROUP("an integer") },
	{ "rl-string", BAD_TEXT, "rate_limit = \"100/s\";\n", 0, 1, MATCH_EXACT,
		RL_GROUP("a string") },
	{ "rl-boolean", BAD_TEXT, "rate_limit = false;\n", 0, 1, MATCH_EXACT,
		RL_GROUP("a boolean") },
	{ "rl-float", BAD_TEXT, "rate_limit = 1.5;\n", 0, 1, MATCH_EXACT, RL_GROUP("a float") },
	{ "rl-list", BAD_TEXT, "rate_limit = ( 100, 200 );\n", 0, 1, MATCH_EXACT,
		RL_GROUP("a list") },
	{ "rl-array", BAD_TEXT, "rate_limit = [ 100 ];\n", 0, 1, MATCH_EXACT,
		RL_GROUP("an array") },
	{ "rl-unknown", BAD_TEXT, "rate_limit = {\n\trate = 5;\n\tx = 1;\n};\n", 0, 3,
		MATCH_EXACT, "rate_limit: unknown setting \"x\"" },
	{ "rl-unknown-case", BAD_TEXT, "rate_limit = { Rate = 5; };\n", 0, 1, MATCH_EXACT,
		"rate_limit: unknown setting \"Rate\"" },
	{ "rl-unknown-group", BAD_TEXT, "rate_limit = {\n\tipv4 = { prefix = 24; };\n};\n", 0, 2,
		MATCH_EXACT, "rate_limit: unknown setting \"ipv4\"" },
	/* The keys belong in the group, not at the top level. */
	{ "rl-rate-top-level", BAD_TEXT, "rate = 100;\n", 0, 1, MATCH_EXACT,
		"unknown setting \"rate\"" },
	{ "rl-exempt-top-level", BAD_TEXT, "exempt = [];\n", 0, 1, MATCH_EXACT,
		"unknown setting \"exempt\"" },
	{ "rl-duplicate", BAD_TEXT, "rate_limit = {};\nrate_limit = {};\n", 0, 2,
		MATCH_CONTAINS, "duplicate" },
	{ "rl-duplicate-key", BAD_TEXT, "rate_limit = {\n\trate = 1;\n\trate = 2;\n};\n", 0, 3,
		MATCH_CONTAINS, "duplicate" },
	{ "rl-rate-minus-1", BAD_TEXT, "rate_limit = {\n\trate = -1;\n};\n", 0, 2, MATCH_EXACT,
		RL_RANGE("rate", "0 to 1000000", "-1") },
	{ "rl-rate-too-big", BAD_TEXT, "rate_limit = { rate = 1000001; };\n", 0, 1, MATCH_EXACT,
		RL_RANGE("rate", "0 to 1000000", "1000001") },
	/* Would be 100 if truncated to 32 bits. */
	{ "rl-rate-int64-huge", BAD_TEXT, "rate_limit = { rate = 4294967396L; };\n", 0, 1,
		MATCH_EXACT, RL_RANGE("rate", "0 to 1000000", "4294967396") },
	{ "rl-rate-wraps", BAD_TEXT, "rate_limit = { rate = 4294967396; };\n", 0, 1, MATCH_EXACT,
		"integer 4294967396 is out of range" },
	{ "rl-rate-string", BAD_TEXT, "rate_limit = { rate = \"100\"; };\n", 0, 1, MATCH_EXACT,
		"rate_limit.rate: must be an integer, not a string" },
	{ "rl-rate-float", BAD_TEXT, "rate_limit = { rate = 0.5; };\n", 0, 1, MATCH_EXACT,
		"rate_limit.rate: must be an integer, not a float" },
	{ "rl-rate-boolean", BAD_TEXT, "rate_limit = { rate = false; };\n", 0, 1, MATCH_EXACT,
		"rate_limit.rate: must be an integer, not a boolean" },
	{ "rl-burst-0", BAD_TEXT, "rate_limit = { burst = 0; };\n", 0, 1, MATCH_EXACT,
		RL_RANGE("burst", "1 to 1000000", "0") },
	{ "rl-burst-too-big", BAD_TEXT, "rate_limit = { burst = 1000001; };\n", 0, 1, MATCH_EXACT,
		RL_RANGE("burst", "1 to 1000000", "1000001") },
	{ "rl-burst-group", BAD_TEXT, "rate_limit = { burst = { }; };\n", 0, 1, MATCH_EXACT,
		"rate_limit.burst: must be an integer, not a group" },
	{ "rl-ipv4-7", BAD_TEXT, "rate_limit = { ipv4_prefix = 7; };\n", 0, 1, MATCH_EXACT,
		RL_RANGE("ipv4_prefix", "8 to 32", "7") },
	{ "rl-ipv4-33", BAD_TEXT, "rate_limit = {\n\n\tipv4_prefix = 33;\n};\n", 0, 3,
		MATCH_EXACT, RL_RANGE("ipv4_prefix", "8 to 32", "33") },
	{ "rl-ipv4-string", BAD_TEXT, "rate_limit = { ipv4_prefix = \"/24\"; };\n", 0, 1,
		MATCH_EXACT, "rate_limit.ipv4_prefix: must be an integer, not a string" },
	{ "rl-ipv6-15", BAD_TEXT, "rate_limit = { ipv6_prefix = 15; };\n", 0, 1, MATCH_EXACT,
		RL_RANGE("ipv6_prefix", "16 to 128", "15") },
	{ "rl-ipv6-129", BAD_TEXT, "rate_limit = { ipv6_prefix = 129; };\n", 0, 1, MATCH_EXACT,
		RL_RANGE("ipv6_prefix", "16 to 128", "129") },
	{ "rl-ipv6-array", BAD_TEXT, "rate_limit = { ipv6_prefix = [ 56 ]; };\n", 0, 1,
		MATCH_EXACT, "rate_limit.ipv6_prefix: must be an integer, not an array" },
	{ "rl-exempt-string", BAD_TEXT, "rate_limit = { exempt = \"127.0.0.0/8\"; };\n", 0, 1,
		MATCH_EXACT, RL_PREFIXES("a string") },
	{ "rl-exempt-list", BAD_TEXT, "rate_limit = { exempt = ( \"::1\" ); };\n", 0, 1,
		MATCH_EXACT, RL_PREFIXES("a list") },
	{ "rl-exempt-ints", BAD_TEXT, "rate_limit = { exempt = [ 127 ]; };\n", 0, 1, MATCH_EXACT,
		RL_PREFIXES("an array of integers") },
	{ "rl-exempt-host-bits", BAD_TEXT,
		"rate_limit = {\n\texempt = [\"127.0.0.0/8\",\n\t\t\"10.1.2.3/8\"];\n};\n", 0, 3,
		MATCH_EXACT, "rate_limit.exempt: \"10.1.2.3/8\": host bits set" },
	{ "rl-exempt-name", BAD_TEXT, "rate_limit = { exempt = [\"localhost\"]; };\n", 0, 1,
		MATCH_EXACT, "rate_limit.exempt: \"localhost\": not an address" },
	{ "rl-exempt-length", BAD_TEXT, "rate_limit = { exempt = [\"10.0.0.0/33\"]; };\n", 0, 1,
		MATCH_EXACT, "rate_limit.exempt: \"10.0.0.0/33\": bad prefix length" },
	/* The first problem in text order is named. */
	{ "rl-first-wins", BAD_TEXT, "rate_limit = {\n\tburst = 0;\n\trate = -1;\n};\n", 0, 2,
		MATCH_EXACT, RL_RANGE("burst", "1 to 1000000", "0") },

	/* Must stay last: skipped when running as root. */
	{ "unreadable", BAD_UNREADABLE, "port = 1;\n", 0, 0, MATCH_EXACT,
		"cannot open: Permission denied" },
};
/* clang-format on */

#define N_BAD (int)(sizeof(bad_cases) / sizeof(bad_cases[0]))

/* "x = ((...(1)...));" with depth lists. */
static void write_deep(const char *path, size_t depth)
{
	size_t len = 4 + 2 * depth + 3;
	char *text = malloc(len + 1);

	ck_assert_ptr_nonnull(text);
	memcpy(text, "x = ", 4);
	memset(text + 4, '(', depth);
	text[4 + depth] = '1';
	memset(text + 5 + depth, ')', depth);
	memcpy(text + 5 + 2 * depth, ";\n", 3);
	write_file(path, text, len);
	free(text);
}

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
	case BAD_DEEP:
		write_deep(path, c->long_reply);
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
	{ "defaults-vs-explicit", "reply = \"x\";\n",
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

/* ---- files that say they are empty, and addresses -------------------- */

/* A file in /proc reports size 0: read to its end, it is no configuration. */
START_TEST(test_proc_file)
{
	char err[CONFIG_ERROR_MAX];
	struct config *cfg = NULL;

	err[0] = '\0';
	ck_assert_int_eq(config_load("/proc/version", &cfg, err, sizeof(err)), -1);
	ck_assert_ptr_null(cfg);
	ck_assert_str_eq(err, "/proc/version:1: syntax error");
}
END_TEST

struct unmap_case {
	const char *address;
	int family;
	const char *host; /* as inet_ntop writes it */
	bool v6only;
};

/* clang-format off */
static const struct unmap_case unmap_cases[] = {
	{ "::ffff:127.0.0.1", AF_INET, "127.0.0.1", false },
	{ "::FFFF:7f00:2", AF_INET, "127.0.0.2", false },
	{ "::ffff:0.0.0.0", AF_INET, "0.0.0.0", false },
	{ "127.0.0.1", AF_INET, "127.0.0.1", false },
	{ "::1", AF_INET6, "::1", true },
	{ "::", AF_INET6, "::", false },
	/* IPv4-compatible (deprecated), not mapped: IPv6. */
	{ "::127.0.0.1", AF_INET6, "::127.0.0.1", true },
};
/* clang-format on */

#define N_UNMAP (int)(sizeof(unmap_cases) / sizeof(unmap_cases[0]))

/* An IPv4-mapped address is served by an IPv4 socket (an IPv6 one cannot bind it). */
START_TEST(test_endpoint_unmapped)
{
	const struct unmap_case *c = &unmap_cases[_i];
	char name[64], text[128], host[INET6_ADDRSTRLEN], err[CONFIG_ERROR_MAX];
	struct endpoint ep[ENDPOINTS_MAX];
	const void *addr;
	struct config *cfg;

	snprintf(name, sizeof(name), "unmap-%d", _i);
	snprintf(text, sizeof(text), "address = \"%s\";\nport = 7;\n", c->address);
	cfg = load_text(name, text);
	err[0] = '\0';
	ck_assert_msg(endpoint_resolve_all(cfg, ep, ENDPOINTS_MAX, err, sizeof(err)) == 1,
		"%s: %s", c->address, err);
	ck_assert_int_eq(ep[0].addr.sa.sa_family, c->family);
	if (c->family == AF_INET) {
		ck_assert_uint_eq(ep[0].len, sizeof(struct sockaddr_in));
		ck_assert_uint_eq(ntohs(ep[0].addr.in.sin_port), 7);
		addr = &ep[0].addr.in.sin_addr;
	} else {
		ck_assert_uint_eq(ep[0].len, sizeof(struct sockaddr_in6));
		ck_assert_uint_eq(ntohs(ep[0].addr.in6.sin6_port), 7);
		addr = &ep[0].addr.in6.sin6_addr;
	}
	ck_assert_ptr_nonnull(inet_ntop(c->family, addr, host, sizeof(host)));
	ck_assert_str_eq(host, c->host);
	ck_assert_int_eq(ep[0].v6only, c->v6only);
	config_free(cfg);
}
END_TEST

/* ---- the caps: file size and number of settings ----------------------- */

/* Byte i of the longest reply: 1..255 over and over, '&' for '%' (a template's). */
static unsigned char max_hex_byte(size_t i)
{
	unsigned b = (unsigned)(i % 255 + 1);

	return b == '%' ? '&' : (unsigned char)b;
}

/* The longest reply, every byte written as \xHH, in a file of exactly CONFIG_FILE_MAX bytes. */
START_TEST(test_reply_max_hex)
{
	static const char head[] = "# the longest reply, all \\x escapes\nreply = \"";
	static const char tail[] = "\";\n# ";
	char path[PATH_MAX], err[CONFIG_ERROR_MAX];
	struct config *cfg = NULL;
	size_t len = 0, i;
	char *text = malloc(CONFIG_FILE_MAX + 1);

	ck_assert_ptr_nonnull(text);
	len += (size_t)sprintf(text + len, "%s", head);
	for (i = 0; i < CONFIG_REPLY_MAX; i++)
		len += (size_t)sprintf(text + len, "\\x%02x", max_hex_byte(i));
	len += (size_t)sprintf(text + len, "%s", tail);
	ck_assert_uint_lt(len, CONFIG_FILE_MAX);
	memset(text + len, 'c', CONFIG_FILE_MAX - 1 - len);
	text[CONFIG_FILE_MAX - 1] = '\n';
	path_for(path, sizeof(path), "reply-max-hex");
	write_file(path, text, CONFIG_FILE_MAX);
	free(text);

	err[0] = '\0';
	ck_assert_msg(config_load(path, &cfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(cfg->services[0].reply_len, CONFIG_REPLY_MAX);
	for (i = 0; i < CONFIG_REPLY_MAX; i++)
		ck_assert_msg((unsigned char)cfg->services[0].reply[i] == max_hex_byte(i),
			"reply[%zu] = 0x%02x", i, (unsigned char)cfg->services[0].reply[i]);
	/* No placeholder: sent as it is. */
	ck_assert_uint_eq(cfg->services[0].literal_len, CONFIG_REPLY_MAX);
	ck_assert_mem_eq(cfg->services[0].literal, cfg->services[0].reply, CONFIG_REPLY_MAX);
	config_free(cfg);
}
END_TEST

/* One byte more than CONFIG_FILE_MAX, though all of it a comment: refused as a whole. */
START_TEST(test_file_too_large)
{
	char path[PATH_MAX], err[CONFIG_ERROR_MAX], want[PATH_MAX + 64];
	struct config *cfg = NULL;
	char *text = malloc(CONFIG_FILE_MAX + 1);

	ck_assert_ptr_nonnull(text);
	memset(text, '#', CONFIG_FILE_MAX);
	text[CONFIG_FILE_MAX] = '\n';
	path_for(path, sizeof(path), "too-large");
	write_file(path, text, CONFIG_FILE_MAX + 1);
	free(text);
	ck_assert_int_eq(config_load(path, &cfg, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:0: larger than 524288 bytes", path);
	ck_assert_str_eq(err, want);
}
END_TEST

/* A file being written: counts the settings and remembers one's line. */
struct gen {
	FILE *f;
	char *text;
	size_t len;
	int line;	 /* being written */
	int settings;	 /* names followed by '=' or ':' so far */
	int mark;	 /* remember this setting's line ... */
	int mark_line;	 /* ... here */
};

__attribute__((format(printf, 2, 0)))
static void gen_vprintf(struct gen *g, const char *fmt, va_list ap)
{
	char buf[256];
	const char *p;
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);

	ck_assert(n >= 0 && (size_t)n < sizeof(buf));
	for (p = buf; *p; p++)
		g->line += *p == '\n';
	ck_assert_int_ge(fputs(buf, g->f), 0);
}

/* Text that holds no setting. */
__attribute__((format(printf, 2, 3)))
static void gen_text(struct gen *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gen_vprintf(g, fmt, ap);
	va_end(ap);
}

/* Text that starts with one setting's name (and holds no other). */
__attribute__((format(printf, 2, 3)))
static void gen_setting(struct gen *g, const char *fmt, ...)
{
	va_list ap;

	if (++g->settings == g->mark)
		g->mark_line = g->line;
	va_start(ap, fmt);
	gen_vprintf(g, fmt, ap);
	va_end(ap);
}

/* n settings at the top level: the first is unknown. */
static void shape_top(struct gen *g, int n)
{
	int i;

	for (i = 0; i < n; i++)
		gen_setting(g, "s%d = %d;\n", i, i);
}

/* n settings: a group and n - 1 in it; the group is unknown. */
static void shape_group(struct gen *g, int n)
{
	int i;

	gen_text(g, "# %d settings, all but one in a group\n", n);
	gen_setting(g, "g = {\n");
	for (i = 1; i < n; i++)
		gen_setting(g, "\ts%d = %d;\n", i, i);
	gen_text(g, "};\n");
}

/*
 * n settings in every form libconfig takes, at every depth, among text that
 * looks like settings but is none (in comments, strings, lists); the group
 * that holds them is unknown.
 */
static void shape_forms(struct gen *g, int n)
{
	int i;

	gen_text(g, "# not settings: x = 1, y: 2\n/* z = 3;\n   w : 4; */\n");
	gen_setting(g, "g : {\n");
	for (i = 0; g->settings < n; i++) {
		int left = n - g->settings;

		switch (i % 7) {
		case 0:
			gen_setting(g, "\tc%d : %d // d = 1\n", i, i);
			break;
		case 1:
			gen_setting(g, "\tm%d /* = */ = \"e = 1; f : 2\";\n", i);
			break;
		case 2:
			gen_setting(g, "\tn%d\n", i);
			gen_text(g, "\t\t# = 1\n\t\t= ( true, false, \"h = 1\", 5 );\n");
			break;
		case 3:
			if (left < 2) {
				gen_setting(g, "\tq%d = -1;\n", i);
				break;
			}
			gen_setting(g, "\tp%d = { ", i);
			gen_setting(g, "inner = [ 1, 2 ]; };\n");
			break;
		case 4:
			if (left < 3) {
				gen_setting(g, "\tr%d=0x10L;\n", i);
				break;
			}
			gen_setting(g, "\tl%d = ( ", i);
			gen_setting(g, "{ a = 1; }, ");
			gen_setting(g, "{ a = 2; } );\n");
			break;
		case 5:
			gen_setting(g, "\tt%d = \"multi\n", i);
			gen_text(g, "line k = 1\";\n");
			break;
		default:
			gen_setting(g, "\tu%d\t:\t.5e3\n", i);
			break;
		}
	}
	gen_text(g, "};\n");
}

/* n settings, each name two lines above its '=': a setting's line is its name's. */
static void shape_split(struct gen *g, int n)
{
	int i;

	gen_setting(g, "g\n/* { */\n=\n{\n");
	for (i = 1; i < n; i++) {
		gen_setting(g, "s%d", i);
		gen_text(g, " # =\n\n: %d;\n", i);
	}
	gen_text(g, "};\n");
}

struct cap_case {
	const char *name;
	void (*shape)(struct gen *g, int n);
	int error_line;		/* with CONFIG_SETTINGS_MAX settings: this error */
	const char *error;
};

/* clang-format off */
static const struct cap_case cap_cases[] = {
	{ "top", shape_top, 1, "unknown setting \"s0\"" },
	{ "group", shape_group, 2, "unknown setting \"g\"" },
	{ "forms", shape_forms, 4, "unknown setting \"g\"" },
	{ "split", shape_split, 1, "unknown setting \"g\"" },
};
/* clang-format on */

#define N_CAP (int)(sizeof(cap_cases) / sizeof(cap_cases[0]))

/* Load a file of n settings shaped by c; err gets the error (it must fail). */
static void load_shape(const struct cap_case *c, int n, int mark, int *mark_line, char *path,
	char *err)
{
	struct gen g = { .line = 1, .mark = mark };
	struct config *cfg = NULL;

	g.f = open_memstream(&g.text, &g.len);
	ck_assert_ptr_nonnull(g.f);
	c->shape(&g, n);
	ck_assert_int_eq(fclose(g.f), 0);
	ck_assert_int_eq(g.settings, n);
	ck_assert_uint_le(g.len, CONFIG_FILE_MAX);
	write_file(path, g.text, g.len);
	free(g.text);
	*mark_line = g.mark_line;
	ck_assert_int_eq(config_load(path, &cfg, err, CONFIG_ERROR_MAX), -1);
}

/*
 * CONFIG_SETTINGS_MAX settings pass the cap (the error is the first setting
 * libconfig hands over, so the whole file was parsed); one more is refused
 * at that setting's line, and so is a file of many more.
 */
START_TEST(test_settings_cap)
{
	const struct cap_case *c = &cap_cases[_i];
	char path[PATH_MAX], name[64], err[CONFIG_ERROR_MAX], want[PATH_MAX + 128];
	int line, first_over;

	snprintf(name, sizeof(name), "cap-%s-max", c->name);
	path_for(path, sizeof(path), name);
	load_shape(c, CONFIG_SETTINGS_MAX, 0, &line, path, err);
	snprintf(want, sizeof(want), "%s:%d: %s", path, c->error_line, c->error);
	ck_assert_str_eq(err, want);

	snprintf(name, sizeof(name), "cap-%s-max-plus-1", c->name);
	path_for(path, sizeof(path), name);
	load_shape(c, CONFIG_SETTINGS_MAX + 1, CONFIG_SETTINGS_MAX + 1, &first_over, path, err);
	ck_assert_int_gt(first_over, 1);
	snprintf(want, sizeof(want), "%s:%d: more than %d settings", path, first_over,
		CONFIG_SETTINGS_MAX);
	ck_assert_str_eq(err, want);

	snprintf(name, sizeof(name), "cap-%s-many", c->name);
	path_for(path, sizeof(path), name);
	load_shape(c, 8 * CONFIG_SETTINGS_MAX, CONFIG_SETTINGS_MAX + 1, &line, path, err);
	ck_assert_int_eq(line, first_over);
	snprintf(want, sizeof(want), "%s:%d: more than %d settings", path, first_over,
		CONFIG_SETTINGS_MAX);
	ck_assert_str_eq(err, want);
}
END_TEST

/* The cap comes in text order with the other refusals before libconfig. */
START_TEST(test_settings_cap_order)
{
	char path[PATH_MAX], err[CONFIG_ERROR_MAX], want[PATH_MAX + 128];
	struct config *cfg = NULL;
	FILE *f;
	int i;

	path_for(path, sizeof(path), "cap-then-wrap");
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	for (i = 0; i <= CONFIG_SETTINGS_MAX; i++)
		fprintf(f, "s%d = 1;\n", i);
	fprintf(f, "port = 4294987297;\n@include \"/tmp\"\n");
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(config_load(path, &cfg, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:%d: more than %d settings", path, CONFIG_SETTINGS_MAX + 1,
		CONFIG_SETTINGS_MAX);
	ck_assert_str_eq(err, want);

	path_for(path, sizeof(path), "wrap-then-cap");
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "# x\nport = 4294987297;\n");
	for (i = 0; i <= CONFIG_SETTINGS_MAX; i++)
		fprintf(f, "s%d = 1;\n", i);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(config_load(path, &cfg, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:2: integer 4294987297 is out of range", path);
	ck_assert_str_eq(err, want);
}
END_TEST

/* ---- config_print ------------------------------------------------------ */

static char *print_to_string(const struct config *cfg)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	ck_assert_ptr_nonnull(f);
	config_print(f, cfg);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_uint_eq(strlen(out), len);
	return out;
}

START_TEST(test_print_defaults)
{
	struct config *cfg = load_text("print-defaults", "port = 20001;\n");
	char *out = print_to_string(cfg), want[PATH_MAX + 512];

	snprintf(want, sizeof(want),
		"%s: OK\naddress \"127.0.0.1\"\nport 20001\nbuffer_size 1024\n"
		"reply \"Hello UDP Client\"\nlog_datagrams true\nworkers auto\n"
		"receive_buffer default\nloop_guard true\n"
		"loop_guard_ports [7, 13, 17, 19, 37, 53, 69, 123, 137, 138, 161, 162, 1900, 5353, "
		"11211]\nmax_amplification 10\nallow []\ndeny []\nsend_buffer default\n"
		"rate_limit 100/s burst 200 ipv4_prefix 24 ipv6_prefix 56\n"
		"rate_limit_exempt [\"127.0.0.0/8\", \"::1/128\"]\n",
		cfg->path);
	ck_assert_str_eq(out, want);
	free(out);
	config_free(cfg);
}
END_TEST

START_TEST(test_print_everything)
{
	struct config *cfg = load_text("print-everything",
		"address = \"::\";\nport = 7;\nbuffer_size = 65535;\n"
		"reply = \"tab\\there \\\"q\\\" back\\\\slash nl\\n bell\\x07 \\xc3\\xa9 \\xff\";\n"
		"log_datagrams = false;\nworkers = 256;\nreceive_buffer = 1073741824;\n"
		"loop_guard = false;\nloop_guard_ports = [53, 7, 53, 65535];\n"
		"max_amplification = 0;\n"
		"allow = [\"10.0.0.0/8\", \"2001:db8::/32\", \"10.0.0.0/8\"];\n"
		"deny = [\"::ffff:10.0.0.1\"];\nsend_buffer = 1073741824;\n"
		"rate_limit = { rate = 1000000; burst = 1000000; ipv4_prefix = 32;\n"
		"\tipv6_prefix = 128; exempt = [\"::ffff:127.0.0.1\", \"fe80::/10\"]; };\n");
	char *out = print_to_string(cfg), want[PATH_MAX + 512];

	snprintf(want, sizeof(want),
		"%s: OK\naddress \"::\"\nport 7\nbuffer_size 65535\n"
		"reply \"tab\\there \\\"q\\\" back\\\\slash nl\\n bell\\x07 \xc3\xa9 \\xff\"\n"
		"log_datagrams false\nworkers 256\nreceive_buffer 1073741824\n"
		"loop_guard false\nloop_guard_ports [53, 7, 65535]\nmax_amplification 0\n"
		"allow [\"10.0.0.0/8\", \"2001:db8::/32\"]\ndeny [\"10.0.0.1/32\"]\n"
		"send_buffer 1073741824\n"
		"rate_limit 1000000/s burst 1000000 ipv4_prefix 32 ipv6_prefix 128\n"
		"rate_limit_exempt [\"127.0.0.1/32\", \"fe80::/10\"]\n",
		cfg->path);
	ck_assert_str_eq(out, want);
	free(out);
	config_free(cfg);
}
END_TEST

/* No service ports: an empty array, as it is written. */
START_TEST(test_print_no_ports)
{
	struct config *cfg = load_text("print-no-ports",
		"loop_guard_ports = [];\nmax_amplification = 65535;\n");
	char *out = print_to_string(cfg), want[PATH_MAX + 512];

	snprintf(want, sizeof(want),
		"%s: OK\naddress \"127.0.0.1\"\nport 20001\nbuffer_size 1024\n"
		"reply \"Hello UDP Client\"\nlog_datagrams true\nworkers auto\n"
		"receive_buffer default\nloop_guard true\nloop_guard_ports []\n"
		"max_amplification 65535\nallow []\ndeny []\nsend_buffer default\n"
		"rate_limit 100/s burst 200 ipv4_prefix 24 ipv6_prefix 56\n"
		"rate_limit_exempt [\"127.0.0.0/8\", \"::1/128\"]\n",
		cfg->path);
	ck_assert_str_eq(out, want);
	free(out);
	config_free(cfg);
}
END_TEST

/* rate = 0: "off", whatever the other keys say; no exemptions: an empty array. */
START_TEST(test_print_rate_limit_off)
{
	struct config *cfg = load_text("print-rate-limit-off",
		"rate_limit = { rate = 0; burst = 5; exempt = []; };\n");
	char *out = print_to_string(cfg), want[PATH_MAX + 512];

	snprintf(want, sizeof(want),
		"%s: OK\naddress \"127.0.0.1\"\nport 20001\nbuffer_size 1024\n"
		"reply \"Hello UDP Client\"\nlog_datagrams true\nworkers auto\n"
		"receive_buffer default\nloop_guard true\n"
		"loop_guard_ports [7, 13, 17, 19, 37, 53, 69, 123, 137, 138, 161, 162, 1900, 5353, "
		"11211]\nmax_amplification 10\nallow []\ndeny []\nsend_buffer default\n"
		"rate_limit off\nrate_limit_exempt []\n",
		cfg->path);
	ck_assert_str_eq(out, want);
	free(out);
	config_free(cfg);
}
END_TEST

/* A long reply is printed whole, escapes and UTF-8 never split between pieces. */
START_TEST(test_print_long_reply)
{
	static const char utf8[] = "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"; /* é € 😀: 2+3+4 */
	struct service svc = { .name = "[::1]:1", .address = "::1", .port = 1, .buffer_size = 1 };
	struct config cfg = { .path = "/x.conf", .services = &svc, .nservices = 1, .buffer_max = 1,
		.log_datagrams = true, .workers = 3, .receive_buffer = 4096, .loop_guard = true,
		.guard_ports = { 1 }, .nguard_ports = 1, .max_amplification = 65535 };
	char *out, *want, *p;
	size_t i, n = 0;

	/* Odd pieces: 9-byte UTF-8 runs, then a byte that becomes four. */
	svc.reply = malloc(CONFIG_REPLY_MAX + 1);
	want = malloc(4 * CONFIG_REPLY_MAX + 256);
	ck_assert_ptr_nonnull(svc.reply);
	ck_assert_ptr_nonnull(want);
	p = want + sprintf(want, "/x.conf: OK\naddress \"::1\"\nport 1\nbuffer_size 1\nreply \"");
	while (n + 10 <= CONFIG_REPLY_MAX) {
		memcpy(svc.reply + n, utf8, 9);
		memcpy(p, utf8, 9);
		svc.reply[n + 9] = '\x01';
		memcpy(p + 9, "\\x01", 4);
		n += 10;
		p += 13;
	}
	for (i = n; i < CONFIG_REPLY_MAX; i++, p += 2) {
		svc.reply[i] = '\n';
		memcpy(p, "\\n", 2);
	}
	svc.reply[CONFIG_REPLY_MAX] = '\0';
	svc.reply_len = CONFIG_REPLY_MAX;
	strcpy(p, "\"\nlog_datagrams true\nworkers 3\nreceive_buffer 4096\nloop_guard true\n"
		  "loop_guard_ports [1]\nmax_amplification 65535\nallow []\ndeny []\n"
		  "send_buffer default\nrate_limit off\nrate_limit_exempt []\n");

	out = print_to_string(&cfg);
	ck_assert_uint_eq(strlen(out), strlen(want));
	for (i = 0; out[i] && out[i] == want[i]; i++)
		;
	ck_assert_msg(out[i] == want[i], "first difference at byte %zu", i);
	free(out);
	free(want);
	free(svc.reply);
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

	tc = tcase_create("settings");
	tcase_add_loop_test(tc, test_setting, 0, N_SETTING);
	suite_add_tcase(s, tc);

	tc = tcase_create("guard");
	tcase_add_loop_test(tc, test_guard, 0, N_GUARD);
	tcase_add_test(tc, test_guard_ports_max);
	suite_add_tcase(s, tc);

	tc = tcase_create("rate_limit");
	tcase_add_loop_test(tc, test_rate_limit, 0, N_RATE);
	tcase_add_test(tc, test_rate_limit_exempt_max);
	suite_add_tcase(s, tc);

	tc = tcase_create("caps");
	tcase_add_test(tc, test_reply_max_hex);
	tcase_add_test(tc, test_file_too_large);
	tcase_add_loop_test(tc, test_settings_cap, 0, N_CAP);
	tcase_add_test(tc, test_settings_cap_order);
	suite_add_tcase(s, tc);

	tc = tcase_create("same_endpoint");
	tcase_add_loop_test(tc, test_same_endpoint, 0, N_ENDPOINT);
	suite_add_tcase(s, tc);

	tc = tcase_create("files_and_addresses");
	tcase_add_test(tc, test_proc_file);
	tcase_add_loop_test(tc, test_endpoint_unmapped, 0, N_UNMAP);
	suite_add_tcase(s, tc);

	tc = tcase_create("print");
	tcase_add_test(tc, test_print_defaults);
	tcase_add_test(tc, test_print_everything);
	tcase_add_test(tc, test_print_no_ports);
	tcase_add_test(tc, test_print_rate_limit_off);
	tcase_add_test(tc, test_print_long_reply);
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
