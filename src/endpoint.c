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

bool endpoint_equal(const struct endpoint *a, const struct endpoint *b)
{
	return a->len == b->len && a->v6only == b->v6only && memcmp(&a->addr, &b->addr, a->len) == 0;
}

int endpoint_resolve(const struct config *cfg, struct endpoint *ep, size_t max, char *err,
	size_t errlen)
{
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
	if (netaddr_is_literal(cfg->address))
		hints.ai_flags |= AI_NUMERICHOST;
	snprintf(port, sizeof(port), "%u", cfg->port);
	rc = getaddrinfo(cfg->address, port, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "%s:%d: address \"%s\": cannot resolve: %s", cfg->path,
			cfg->address_line, cfg->address,
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
		e.v6only = ai->ai_family == AF_INET6 && !endpoint_dual_stack(ai->ai_addr);
		for (i = 0; i < n && !endpoint_equal(&ep[i], &e); i++)
			;
		if (i == n)
			ep[n++] = e;
	}
	freeaddrinfo(res);
	if (n == 0) {
		snprintf(err, errlen, "%s:%d: address \"%s\": no IPv4 or IPv6 address", cfg->path,
			cfg->address_line, cfg->address);
		return -1;
	}
	return (int)n;
}
