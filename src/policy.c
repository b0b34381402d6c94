/* policy.c - reply, or drop for a named reason: loop guard and amplification limit */
#include <netinet/in.h>
#include <string.h>

#include "netaddr.h"
#include "policy.h"

void policy_init(struct policy *p, const struct config *cfg, const uint16_t *ports, size_t n)
{
	size_t i, j;

	memset(p, 0, sizeof(*p));
	p->cfg = cfg;
	for (i = 0; i < n && p->nports < POLICY_PORTS_MAX; i++) {
		for (j = 0; j < p->nports && p->ports[j] != ports[i]; j++)
			;
		if (j == p->nports)
			p->ports[p->nports++] = ports[i];
	}
}

/* sa's address as IPv6 (IPv4 as v4-mapped), so that both forms compare equal. */
static bool as_in6(const struct sockaddr *sa, struct in6_addr *out)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

	if (sa->sa_family == AF_INET6) {
		*out = ((const struct sockaddr_in6 *)sa)->sin6_addr;
		return true;
	}
	if (sa->sa_family != AF_INET)
		return false;
	memset(out, 0, sizeof(*out));
	out->s6_addr[10] = out->s6_addr[11] = 0xff;
	memcpy(&out->s6_addr[12], &in->sin_addr, 4);
	return true;
}

/* Broadcast, multicast or unspecified: no host sends from there. */
static bool bad_source(const struct in6_addr *a)
{
	if (IN6_IS_ADDR_V4MAPPED(a)) {
		const uint8_t *v4 = &a->s6_addr[12];

		return (v4[0] == 0 && v4[1] == 0 && v4[2] == 0 && v4[3] == 0) ||
		       (v4[0] == 255 && v4[1] == 255 && v4[2] == 255 && v4[3] == 255) ||
		       (v4[0] & 0xf0) == 0xe0;
	}
	return IN6_IS_ADDR_UNSPECIFIED(a) || IN6_IS_ADDR_MULTICAST(a);
}

static bool port_in(uint16_t port, const uint16_t *ports, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ports[i] == port)
			return true;
	return false;
}

static enum policy_verdict loop_guard(const struct policy *p, const struct sockaddr *remote,
	const struct sockaddr *local, uint16_t local_port, const unsigned char *payload,
	size_t len, size_t size)
{
	const struct config *cfg = p->cfg;
	struct in6_addr from, to;
	uint16_t port = netaddr_port(remote);
	size_t i;

	if (!as_in6(remote, &from) || bad_source(&from))
		return POLICY_BAD_SOURCE;
	if (port == 0)
		return POLICY_PORT_ZERO;
	if (port == local_port && local && as_in6(local, &to) && !memcmp(&from, &to, sizeof(to)))
		return POLICY_SELF;
	if (port_in(port, p->ports, p->nports))
		return POLICY_OUR_PORT;
	if (port_in(port, cfg->guard_ports, cfg->nguard_ports))
		return POLICY_SERVICE_PORT;
	/*
	 * Another server with one of our reply texts would answer it with its
	 * own. A templated reply differs from datagram to datagram: exempt.
	 */
	for (i = 0; i < cfg->nservices; i++) {
		const struct service *svc = &cfg->services[i];

		if (svc->literal && svc->literal_len >= POLICY_OWN_REPLY_MIN &&
		    size == svc->literal_len &&
		    !memcmp(payload, svc->literal, len < size ? len : size))
			return POLICY_OWN_REPLY;
	}
	return POLICY_REPLY;
}

static bool listed(const struct netaddr_prefix *list, size_t n, const struct sockaddr *sa)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (netaddr_prefix_match(&list[i], sa))
			return true;
	return false;
}

/* deny wins; then, when allow is set, only what it lists passes. */
static enum policy_verdict access_lists(const struct config *cfg, const struct sockaddr *remote)
{
	if (listed(cfg->deny, cfg->ndeny, remote))
		return POLICY_DENIED;
	if (cfg->nallow && !listed(cfg->allow, cfg->nallow, remote))
		return POLICY_NOT_ALLOWED;
	return POLICY_REPLY;
}

enum policy_verdict policy_decide(const struct policy *p, const struct sockaddr *remote,
	const struct sockaddr *local, uint16_t local_port, const unsigned char *payload,
	size_t len, size_t size, size_t reply_len)
{
	const struct config *cfg = p->cfg;
	enum policy_verdict v;

	if (cfg->ndeny || cfg->nallow) {
		v = access_lists(cfg, remote);
		if (v != POLICY_REPLY)
			return v;
	}

	if (cfg->loop_guard) {
		v = loop_guard(p, remote, local, local_port, payload, len, size);
		if (v != POLICY_REPLY)
			return v;
	}
	return policy_amplification(p, size, reply_len);
}

enum policy_verdict policy_amplification(const struct policy *p, size_t size, size_t reply_len)
{
	const struct config *cfg = p->cfg;

	/* The reply: up to the floor always, above it max_amplification x the request. */
	if (cfg->max_amplification && reply_len > POLICY_REPLY_FLOOR &&
	    (unsigned long long)cfg->max_amplification * size < reply_len)
		return POLICY_AMPLIFICATION;
	return POLICY_REPLY;
}

bool policy_exempt(const struct config *cfg, const struct sockaddr *sa)
{
	return listed(cfg->exempt, cfg->nexempt, sa);
}

const char *policy_verdict_name(enum policy_verdict v)
{
	static const char *const names[POLICY_VERDICTS] = {
		[POLICY_REPLY] = "reply",
		[POLICY_DENIED] = "denied",
		[POLICY_NOT_ALLOWED] = "not-allowed",
		[POLICY_SELF] = "self",
		[POLICY_PORT_ZERO] = "port-zero",
		[POLICY_OUR_PORT] = "our-port",
		[POLICY_SERVICE_PORT] = "service-port",
		[POLICY_BAD_SOURCE] = "bad-source",
		[POLICY_OWN_REPLY] = "own-reply",
		[POLICY_AMPLIFICATION] = "amplification",
		[POLICY_RATE_LIMITED] = "rate-limit",
	};

	return v < POLICY_VERDICTS ? names[v] : "unknown";
}
