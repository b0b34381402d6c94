/* check_policy.c - policy_decide(): the loop guard and the amplification limit */
#include <check.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "netaddr.h"
#include "policy.h"
#include "ratelimit.h"

#define PORT 20001
#define OTHER_PORT 20002

/* A socket address from "ADDR" and a port, either family. */
static union netaddr_inet sa(const char *addr, uint16_t port)
{
	union netaddr_inet a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, addr, &a.in.sin_addr) == 1) {
		a.in.sin_family = AF_INET;
		a.in.sin_port = htons(port);
	} else {
		ck_assert_int_eq(inet_pton(AF_INET6, addr, &a.in6.sin6_addr), 1);
		a.in6.sin6_family = AF_INET6;
		a.in6.sin6_port = htons(port);
	}
	return a;
}

/* The defaults of a config file that sets nothing, with this reply (one at a time). */
static struct config config_with(const char *reply)
{
	static const uint16_t guard[] = CONFIG_GUARD_PORTS_DEFAULT;
	static struct service svc;
	struct config cfg = {
		.services = &svc,
		.nservices = 1,
		.buffer_max = 1024,
		.loop_guard = true,
		.max_amplification = CONFIG_MAX_AMPLIFICATION_DEFAULT,
		.nguard_ports = sizeof(guard) / sizeof(guard[0]),
	};

	svc = (struct service){ .name = "127.0.0.1:20001", .address = "127.0.0.1", .port = 20001,
		.buffer_size = 1024, .reply = (char *)(uintptr_t)reply, .reply_len = strlen(reply),
		.literal = (const unsigned char *)reply, .literal_len = strlen(reply) };
	memcpy(cfg.guard_ports, guard, sizeof(guard));
	return cfg;
}

/* The verdict on PAYLOAD from FROM:FPORT sent to TO:PORT (TO NULL: unknown). */
static enum policy_verdict decide(const struct config *cfg, const char *from, uint16_t fport,
	const char *to, const char *payload, size_t size)
{
	static const uint16_t ours[] = { PORT, OTHER_PORT };
	union netaddr_inet r = sa(from, fport), l;
	struct policy p;

	policy_init(&p, cfg, ours, 2);
	if (to)
		l = sa(to, PORT);
	return policy_decide(&p, &r.sa, to ? &l.sa : NULL, PORT,
		(const unsigned char *)payload, strlen(payload) < size ? strlen(payload) : size,
		size, cfg->services[0].reply_len);
}

struct verdict_case {
	const char *from;
	uint16_t port;
	const char *to;
	const char *payload;
	enum policy_verdict want;
};

/* clang-format off */
static const struct verdict_case loop_cases[] = {
	/* ordinary senders */
	{ "127.0.0.1", 40000, "127.0.0.1", "Hello UDP Server", POLICY_REPLY },
	{ "192.0.2.7", 40000, "192.0.2.1", "x", POLICY_REPLY },
	{ "::1", 40000, "::1", "x", POLICY_REPLY },
	{ "::ffff:192.0.2.7", 40000, "::ffff:192.0.2.1", "x", POLICY_REPLY },
	{ "127.0.0.1", 40000, NULL, "x", POLICY_REPLY },
	/* from the address and port it was sent to: it would answer itself */
	{ "127.0.0.1", PORT, "127.0.0.1", "x", POLICY_SELF },
	{ "::1", PORT, "::1", "x", POLICY_SELF },
	{ "::ffff:127.0.0.1", PORT, "127.0.0.1", "x", POLICY_SELF },
	{ "127.0.0.1", PORT, "::ffff:127.0.0.1", "x", POLICY_SELF },
	/* our port from another address: another instance of us */
	{ "127.0.0.2", PORT, "127.0.0.1", "x", POLICY_OUR_PORT },
	{ "127.0.0.2", OTHER_PORT, "127.0.0.1", "x", POLICY_OUR_PORT },
	{ "127.0.0.1", PORT, NULL, "x", POLICY_OUR_PORT },
	{ "127.0.0.1", 0, "127.0.0.1", "x", POLICY_PORT_ZERO },
	/* services that answer anything */
	{ "192.0.2.7", 7, "192.0.2.1", "x", POLICY_SERVICE_PORT },
	{ "192.0.2.7", 19, "192.0.2.1", "x", POLICY_SERVICE_PORT },
	{ "192.0.2.7", 53, "192.0.2.1", "x", POLICY_SERVICE_PORT },
	{ "192.0.2.7", 123, "192.0.2.1", "x", POLICY_SERVICE_PORT },
	{ "2001:db8::7", 11211, "2001:db8::1", "x", POLICY_SERVICE_PORT },
	{ "192.0.2.7", 54, "192.0.2.1", "x", POLICY_REPLY },
	/* no host sends from these */
	{ "0.0.0.0", 40000, "192.0.2.1", "x", POLICY_BAD_SOURCE },
	{ "255.255.255.255", 40000, "192.0.2.1", "x", POLICY_BAD_SOURCE },
	{ "224.0.0.1", 40000, "192.0.2.1", "x", POLICY_BAD_SOURCE },
	{ "239.255.255.250", 40000, "192.0.2.1", "x", POLICY_BAD_SOURCE },
	{ "::", 40000, "2001:db8::1", "x", POLICY_BAD_SOURCE },
	{ "ff02::1", 40000, "2001:db8::1", "x", POLICY_BAD_SOURCE },
	{ "::ffff:224.0.0.1", 40000, "::ffff:192.0.2.1", "x", POLICY_BAD_SOURCE },
	{ "::ffff:0.0.0.0", 40000, "::ffff:192.0.2.1", "x", POLICY_BAD_SOURCE },
	{ "223.255.255.255", 40000, "192.0.2.1", "x", POLICY_REPLY },
	/* the reply text itself: another server with our reply would answer it */
	{ "192.0.2.7", 40000, "192.0.2.1", "Hello UDP Client", POLICY_OWN_REPLY },
	{ "192.0.2.7", 40000, "192.0.2.1", "Hello UDP Clien", POLICY_REPLY },
	{ "192.0.2.7", 40000, "192.0.2.1", "Hello UDP Client!", POLICY_REPLY },
};
/* clang-format on */

START_TEST(test_loop_guard)
{
	const struct verdict_case *c = &loop_cases[_i];
	struct config cfg = config_with("Hello UDP Client");
	enum policy_verdict got = decide(&cfg, c->from, c->port, c->to, c->payload,
		strlen(c->payload));

	ck_assert_msg(got == c->want, "%s:%u -> %s \"%s\": %s, wanted %s", c->from, c->port,
		c->to ? c->to : "?", c->payload, policy_verdict_name(got),
		policy_verdict_name(c->want));
}
END_TEST

START_TEST(test_loop_guard_off)
{
	struct config cfg = config_with("Hello UDP Client");

	cfg.loop_guard = false;
	ck_assert_int_eq(decide(&cfg, "127.0.0.1", PORT, "127.0.0.1", "x", 1), POLICY_REPLY);
	ck_assert_int_eq(decide(&cfg, "0.0.0.0", 0, "127.0.0.1", "x", 1), POLICY_REPLY);
	ck_assert_int_eq(decide(&cfg, "192.0.2.7", 53, "192.0.2.1", "Hello UDP Client", 16),
		POLICY_REPLY);
}
END_TEST

/* An empty guard list: service ports are answered, the other rules hold. */
START_TEST(test_no_service_ports)
{
	struct config cfg = config_with("Hello UDP Client");

	cfg.nguard_ports = 0;
	ck_assert_int_eq(decide(&cfg, "192.0.2.7", 53, "192.0.2.1", "x", 1), POLICY_REPLY);
	ck_assert_int_eq(decide(&cfg, "127.0.0.1", PORT, "127.0.0.1", "x", 1), POLICY_SELF);
}
END_TEST

/* A reply shorter than 8 bytes is answered even to itself. */
START_TEST(test_short_reply_echo)
{
	struct config cfg = config_with("hi");

	ck_assert_int_eq(decide(&cfg, "192.0.2.7", 40000, "192.0.2.1", "hi", 2), POLICY_REPLY);
}
END_TEST

/* A truncated datagram is the reply text only if all of it could be. */
START_TEST(test_own_reply_truncated)
{
	struct config cfg = config_with("Hello UDP Client");

	/* 16 bytes long, the first 8 read (a buffer of 8): the same as far as we see */
	ck_assert_int_eq(decide(&cfg, "192.0.2.7", 40000, "192.0.2.1", "Hello UD", 16),
		POLICY_OWN_REPLY);
	ck_assert_int_eq(decide(&cfg, "192.0.2.7", 40000, "192.0.2.1", "Hello UX", 16),
		POLICY_REPLY);
}
END_TEST

struct amp_case {
	size_t reply;		/* bytes */
	unsigned factor;
	size_t request;		/* bytes */
	enum policy_verdict want;
};

/* clang-format off */
static const struct amp_case amp_cases[] = {
	{ 16, 10, 0, POLICY_REPLY },		/* the tutorial reply to an empty datagram */
	{ 16, 10, 16, POLICY_REPLY },		/* the tutorial exchange */
	{ POLICY_REPLY_FLOOR, 10, 0, POLICY_REPLY },	/* up to the floor: always */
	{ POLICY_REPLY_FLOOR + 1, 10, 0, POLICY_AMPLIFICATION },
	{ 200, 10, 19, POLICY_AMPLIFICATION },
	{ 200, 10, 20, POLICY_REPLY },
	{ 60000, 10, 0, POLICY_AMPLIFICATION },
	{ 60000, 10, 5999, POLICY_AMPLIFICATION },
	{ 60000, 10, 6000, POLICY_REPLY },
	{ 60000, 1, 59999, POLICY_AMPLIFICATION },
	{ 60000, 1, 60000, POLICY_REPLY },
	{ 60000, 0, 0, POLICY_REPLY },		/* 0: no limit */
	{ 65507, 65535, 1, POLICY_REPLY },
};
/* clang-format on */

/* The reply-text rule knows every service's reply, not only the answering one's. */
START_TEST(test_own_reply_any_service)
{
	struct service svc[3] = {
		{ .name = "a", .address = "127.0.0.1", .port = 20001, .buffer_size = 1024,
		  .reply = "Hello UDP Client", .reply_len = 16,
		  .literal = (const unsigned char *)"Hello UDP Client", .literal_len = 16 },
		{ .name = "b", .address = "127.0.0.1", .port = 20002, .buffer_size = 1024,
		  .reply = "another reply text", .reply_len = 18,
		  .literal = (const unsigned char *)"another reply text", .literal_len = 18 },
		{ .name = "c", .address = "127.0.0.1", .port = 20003, .buffer_size = 1024,
		  .reply = "templated %{remote}", .reply_len = 19 },	/* no literal */
	};
	struct config cfg = config_with("unused");

	cfg.services = svc;
	cfg.nservices = 3;
	ck_assert_int_eq(decide(&cfg, "192.0.2.7", 40000, "192.0.2.1", "another reply text", 18),
		POLICY_OWN_REPLY);
	ck_assert_int_eq(decide(&cfg, "192.0.2.7", 40000, "192.0.2.1", "Hello UDP Client", 16),
		POLICY_OWN_REPLY);
	ck_assert_int_eq(decide(&cfg, "192.0.2.7", 40000, "192.0.2.1", "another reply texT", 18),
		POLICY_REPLY);
	/* A templated reply's text is no reply anybody gets: exempt. */
	ck_assert_int_eq(decide(&cfg, "192.0.2.7", 40000, "192.0.2.1", "templated %{remote}", 19),
		POLICY_REPLY);
}
END_TEST

START_TEST(test_amplification)
{
	const struct amp_case *c = &amp_cases[_i];
	char *reply = malloc(c->reply + 1), *request = calloc(1, c->request + 1);
	struct config cfg;

	ck_assert_ptr_nonnull(reply);
	ck_assert_ptr_nonnull(request);
	memset(reply, 'R', c->reply);
	reply[c->reply] = '\0';
	memset(request, 'q', c->request);
	cfg = config_with(reply);
	cfg.max_amplification = c->factor;
	ck_assert_msg(decide(&cfg, "192.0.2.7", 40000, "192.0.2.1", request, c->request) == c->want,
		"reply %zu, factor %u, request %zu: wanted %s", c->reply, c->factor, c->request,
		policy_verdict_name(c->want));
	free(reply);
	free(request);
}
END_TEST

/* allow / deny: deny wins; with allow set, only what it lists. */
struct acl_case {
	const char *allow[3];
	const char *deny[2];
	const char *from;
	enum policy_verdict want;
};

/* clang-format off */
static const struct acl_case acl_cases[] = {
	{ { NULL }, { NULL }, "192.0.2.7", POLICY_REPLY },
	{ { "192.0.2.0/24" }, { NULL }, "192.0.2.7", POLICY_REPLY },
	{ { "192.0.2.0/24" }, { NULL }, "192.0.3.7", POLICY_NOT_ALLOWED },
	{ { "192.0.2.0/24" }, { "192.0.2.7" }, "192.0.2.7", POLICY_DENIED },
	{ { "192.0.2.0/24" }, { "192.0.2.7" }, "192.0.2.8", POLICY_REPLY },
	{ { NULL }, { "192.0.2.0/24" }, "192.0.2.8", POLICY_DENIED },
	{ { NULL }, { "192.0.2.0/24" }, "198.51.100.1", POLICY_REPLY },
	/* v4-mapped senders are IPv4 */
	{ { "192.0.2.0/24" }, { NULL }, "::ffff:192.0.2.7", POLICY_REPLY },
	{ { NULL }, { "192.0.2.7" }, "::ffff:192.0.2.7", POLICY_DENIED },
	/* one family's prefixes do not match the other's senders */
	{ { "0.0.0.0/0" }, { NULL }, "2001:db8::1", POLICY_NOT_ALLOWED },
	{ { "::/0" }, { NULL }, "192.0.2.7", POLICY_NOT_ALLOWED },
	{ { "::/0", "0.0.0.0/0" }, { NULL }, "192.0.2.7", POLICY_REPLY },
	{ { "2001:db8::/32" }, { "2001:db8::66" }, "2001:db8::66", POLICY_DENIED },
	{ { "2001:db8::/32" }, { "2001:db8::66" }, "2001:db8::67", POLICY_REPLY },
	/* the access lists come before the loop guard */
	{ { NULL }, { "192.0.2.0/24" }, "192.0.2.0", POLICY_DENIED },
};
/* clang-format on */

START_TEST(test_access_lists)
{
	const struct acl_case *c = &acl_cases[_i];
	struct config cfg = config_with("Hello UDP Client");
	const char *why;
	size_t i;

	for (i = 0; i < 3 && c->allow[i]; i++)
		ck_assert_int_eq(netaddr_parse_prefix(c->allow[i], &cfg.allow[cfg.nallow++], &why), 0);
	for (i = 0; i < 2 && c->deny[i]; i++)
		ck_assert_int_eq(netaddr_parse_prefix(c->deny[i], &cfg.deny[cfg.ndeny++], &why), 0);
	ck_assert_msg(decide(&cfg, c->from, 40000, NULL, "x", 1) == c->want, "%s: wanted %s",
		c->from, policy_verdict_name(c->want));
}
END_TEST

START_TEST(test_names)
{
	int v;

	for (v = 0; v < POLICY_VERDICTS; v++) {
		ck_assert_ptr_nonnull(policy_verdict_name((enum policy_verdict)v));
		ck_assert_str_ne(policy_verdict_name((enum policy_verdict)v), "unknown");
	}
	ck_assert_str_eq(policy_verdict_name(POLICY_SELF), "self");
	ck_assert_str_eq(policy_verdict_name(POLICY_AMPLIFICATION), "amplification");
	ck_assert_str_eq(policy_verdict_name(POLICY_VERDICTS), "unknown");
}
END_TEST

/* The daemon's ports, each once; more than the room are left out, not overrun. */
START_TEST(test_ports)
{
	uint16_t ports[POLICY_PORTS_MAX + 10];
	struct config cfg = config_with("x");
	struct policy p;
	size_t i;

	for (i = 0; i < POLICY_PORTS_MAX + 10; i++)
		ports[i] = (uint16_t)(1000 + i / 2);
	policy_init(&p, &cfg, ports, POLICY_PORTS_MAX + 10);
	ck_assert_uint_eq(p.nports, (POLICY_PORTS_MAX + 10) / 2);
	ck_assert_uint_eq(p.ports[0], 1000);
	ck_assert_uint_eq(p.ports[1], 1001);
}
END_TEST

/* The token bucket of a prefix: burst at once, then rate a second. */
START_TEST(test_ratelimit)
{
	struct config cfg = config_with("x");
	struct ratelimit *rl = calloc(1, sizeof(*rl));
	union netaddr_inet a = sa("192.0.2.7", 1), b = sa("192.0.2.200", 2);
	union netaddr_inet c = sa("192.0.3.7", 1), m = sa("::ffff:192.0.2.9", 3);
	union netaddr_inet v6 = sa("2001:db8:0:100::1", 1), v6b = sa("2001:db8:0:1ff::2", 1);
	union netaddr_inet v6c = sa("2001:db8:0:200::1", 1);
	int i;

	ck_assert_ptr_nonnull(rl);
	cfg.rate = 10;
	cfg.burst = 5;
	cfg.ipv4_prefix = 24;
	cfg.ipv6_prefix = 56;
	ratelimit_configure(rl, &cfg);
	for (i = 0; i < 5; i++)
		ck_assert(ratelimit_allow(rl, &a.sa, 1000));
	/* the same /24, another host, and its v4-mapped form: one bucket */
	ck_assert(!ratelimit_allow(rl, &b.sa, 1000));
	ck_assert(!ratelimit_allow(rl, &m.sa, 1000));
	ck_assert(!ratelimit_allow(rl, &a.sa, 1099));
	/* 100 ms at 10/s: one more */
	ck_assert(ratelimit_allow(rl, &a.sa, 1100));
	ck_assert(!ratelimit_allow(rl, &a.sa, 1100));
	/* another /24 has its own */
	ck_assert(ratelimit_allow(rl, &c.sa, 1100));
	/* a long silence refills up to the burst only */
	for (i = 0; i < 5; i++)
		ck_assert(ratelimit_allow(rl, &a.sa, 100000));
	ck_assert(!ratelimit_allow(rl, &a.sa, 100000));
	/* a reload with the same prefix lengths keeps the buckets ... */
	cfg.rate = 1;
	ratelimit_configure(rl, &cfg);
	ck_assert(!ratelimit_allow(rl, &a.sa, 100000));
	/* ... another length starts them full */
	cfg.ipv4_prefix = 32;
	ratelimit_configure(rl, &cfg);
	ck_assert(ratelimit_allow(rl, &a.sa, 100000));
	ck_assert(ratelimit_allow(rl, &b.sa, 100000));
	/* IPv6 /56 */
	for (i = 0; i < 5; i++)
		ck_assert(ratelimit_allow(rl, &v6.sa, 100000));
	ck_assert(!ratelimit_allow(rl, &v6b.sa, 100000));
	ck_assert(ratelimit_allow(rl, &v6c.sa, 100000));
	free(rl);
}
END_TEST

/* Loopback is exempt by default; the list is the config's. */
START_TEST(test_exempt)
{
	struct config cfg = config_with("x");
	union netaddr_inet lo = sa("127.0.0.1", 1), lo6 = sa("::1", 1), other = sa("192.0.2.1", 1);
	union netaddr_inet mapped = sa("::ffff:127.0.0.5", 1);

	ck_assert_int_eq(netaddr_parse_prefix("127.0.0.0/8", &cfg.exempt[0], NULL), 0);
	ck_assert_int_eq(netaddr_parse_prefix("::1", &cfg.exempt[1], NULL), 0);
	cfg.nexempt = 2;
	ck_assert(policy_exempt(&cfg, &lo.sa));
	ck_assert(policy_exempt(&cfg, &lo6.sa));
	ck_assert(policy_exempt(&cfg, &mapped.sa));
	ck_assert(!policy_exempt(&cfg, &other.sa));
	cfg.nexempt = 0;
	ck_assert(!policy_exempt(&cfg, &lo.sa));
}
END_TEST

static Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("loop guard");

	tcase_add_loop_test(tc, test_loop_guard, 0, sizeof(loop_cases) / sizeof(loop_cases[0]));
	tcase_add_test(tc, test_loop_guard_off);
	tcase_add_test(tc, test_no_service_ports);
	tcase_add_test(tc, test_short_reply_echo);
	tcase_add_test(tc, test_own_reply_truncated);
	tcase_add_test(tc, test_own_reply_any_service);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_ports);
	suite_add_tcase(s, tc);
	tc = tcase_create("access lists");
	tcase_add_loop_test(tc, test_access_lists, 0, sizeof(acl_cases) / sizeof(acl_cases[0]));
	suite_add_tcase(s, tc);
	tc = tcase_create("rate limit");
	tcase_add_test(tc, test_ratelimit);
	tcase_add_test(tc, test_exempt);
	suite_add_tcase(s, tc);
	tc = tcase_create("amplification");
	tcase_add_loop_test(tc, test_amplification, 0, sizeof(amp_cases) / sizeof(amp_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(policy_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
