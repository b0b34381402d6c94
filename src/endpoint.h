/*
 * endpoint.h - the config's address:port as socket addresses to serve
 *
 * The one place for the dual-stack rule and for resolve errors; shared by
 * the daemon, --check-config and the generator.
 */
#ifndef UDP_REPLYD_ENDPOINT_H
#define UDP_REPLYD_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "config.h"
#include "netaddr.h"

/* Addresses one service's name may resolve to; all services' in all. */
#define ENDPOINTS_SERVICE_MAX 16
#define ENDPOINTS_MAX 256

struct endpoint {
	union netaddr_inet addr;
	socklen_t len;
	bool v6only;		/* an IPv6 socket that must not take IPv4 too */
	unsigned service;	/* index into the config's services */
};

/*
 * Resolve the address and port of cfg's service into at most max distinct
 * endpoints; an IPv4-mapped address ("::ffff:192.0.2.1") becomes the IPv4
 * one. Returns how many, or -1 with "FILE:LINE: address ...: cannot
 * resolve: ..." in err.
 */
int endpoint_resolve(const struct config *cfg, size_t service, struct endpoint *ep, size_t max,
	char *err, size_t errlen);

/* The same for every service, in order: at most ENDPOINTS_SERVICE_MAX each. */
int endpoint_resolve_all(const struct config *cfg, struct endpoint *ep, size_t max, char *err,
	size_t errlen);

/*
 * The dual-stack rule: only the IPv6 wildcard (in6addr_any, however it is
 * written: "::", "0::0") also serves IPv4; every other IPv6 address is
 * IPv6 only.
 */
bool endpoint_dual_stack(const struct sockaddr *sa);

bool endpoint_equal(const struct endpoint *a, const struct endpoint *b);

#endif
