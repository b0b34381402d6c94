/* endpoint.c - the config's address:port as socket addresses to serve */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "endpoint.h"

bool endpoint_dual_stack(const struct sockaddr *sa)
{
	return sa->sa_family == AF_INET6 &&
	       IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)sa)->sin6_addr);
}

/*
 * An IPv4-mapped IPv6 address ("::ffff:127.0.0.1") stands for its IPv4
 * address: it is served by an IPv4 socket, as the generator writes it and
 * as the access lists read it. An IPv6 socket could bind it only with
 * IPV6_V6ONLY off, which the dual-stack rule leaves to the wildcard.
 */
static void endpoint_unmap(struct endpoint *e)
{
	struct sockaddr_in in = { .sin_family = AF_INET };

	if (e->addr.sa.sa_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&e->addr.in6.sin6_addr))
		return;
	in.sin_port = e->addr.in6.sin6_port;
	memcpy(&in.sin_addr, &e->addr.in6.sin6_addr.s6_addr[12], sizeof(in.sin_addr));
	memset(&e->addr, 0, sizeof(e->addr));
	e->addr.in = in;
	e->len = sizeof(in);
}

bool endpoint_equal(const struct endpoint *a, const struct endpoint *b)
{
	return a->len == b->len && a->v6only == b->v6only && memcmp(&a->addr, &b->addr, a->len) == 0;
}

int endpoint_resolve_all(const struct config *cfg, struct endpoint *ep, size_t max, char *err,
	size_t errlen)
{
	size_t s, n = 0;
	int got;

	for (s = 0; s < cfg->nservices; s++) {
		if (n == max) {
			snprintf(err, errlen, "%s:%d: address \"%s\": more than %zu addresses in "
				"all services", cfg->path, cfg->services[s].address_line,
				cfg->services[s].address, max);
			return -1;
		}
		got = endpoint_resolve(cfg, s, ep + n, max - n < ENDPOINTS_SERVICE_MAX ? max - n :
			ENDPOINTS_SERVICE_MAX, err, errlen);
		if (got < 0)
			return -1;
		n += (size_t)got;
	}
	return (int)n;
}

int endpoint_resolve(const struct config *cfg, size_t service, struct endpoint *ep, size_t max,
	char *err, size_t errlen)
{
	const struct service *svc = &cfg->services[service];
	struct addrinfo hints = {
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_DGRAM,
	};
	struct addrinfo *res, *ai;
	struct endpoint e;
	char port[8];
	size_t n = 0, i;
	int rc;

	/* A literal needs no resolver: never wait for DNS for it. */
	if (netaddr_is_literal(svc->address))
		hints.ai_flags |= AI_NUMERICHOST;
	snprintf(port, sizeof(port), "%u", svc->port);
	rc = getaddrinfo(svc->address, port, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "%s:%d: address \"%s\": cannot resolve: %s", cfg->path,
			svc->address_line, svc->address,
			rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai && n < max; ai = ai->ai_next) {
		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    ai->ai_addrlen > sizeof(e.addr))
			continue;
		memset(&e, 0, sizeof(e));
		memcpy(&e.addr, ai->ai_addr, ai->ai_addrlen);
		e.len = ai->ai_addrlen;
		endpoint_unmap(&e);
		e.v6only = e.addr.sa.sa_family == AF_INET6 && !endpoint_dual_stack(&e.addr.sa);
		e.service = (unsigned)service;
		for (i = 0; i < n && !endpoint_equal(&ep[i], &e); i++)
			;
		if (i == n)
			ep[n++] = e;
	}
	freeaddrinfo(res);
	if (n == 0) {
		snprintf(err, errlen, "%s:%d: address \"%s\": no IPv4 or IPv6 address", cfg->path,
			svc->address_line, svc->address);
		return -1;
	}
	return (int)n;
}
