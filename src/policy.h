/*
 * policy.h - the decision on each datagram before it is answered: reply,
 * or drop for a named reason (pure: no I/O, no state between datagrams)
 *
 * Access lists first (before any other work on the datagram), then the
 * loop guard (no reply that could start a reply loop with a spoofed
 * source) and the amplification limit. Compiled once per generation.
 */
#ifndef UDP_REPLYD_POLICY_H
#define UDP_REPLYD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config.h"

/* A reply of up to this many bytes is never an amplification. */
#define POLICY_REPLY_FLOOR 64
/* The reply-text rule needs a reply this long: a short one is too common. */
#define POLICY_OWN_REPLY_MIN 8
/* Ports of the daemon's own sockets the loop guard knows. */
#define POLICY_PORTS_MAX 64

enum policy_verdict {
	POLICY_REPLY,
	POLICY_DENIED,		/* the sender is in deny */
	POLICY_NOT_ALLOWED,	/* allow is set, and the sender is not in it */
	POLICY_SELF,		/* from the address and port it was sent to */
	POLICY_PORT_ZERO,	/* source port 0 */
	POLICY_OUR_PORT,	/* from a port the daemon listens on */
	POLICY_SERVICE_PORT,	/* from a loop_guard_ports port */
	POLICY_BAD_SOURCE,	/* broadcast, multicast or unspecified source */
	POLICY_OWN_REPLY,	/* the payload is the reply text */
	POLICY_AMPLIFICATION,	/* the reply is too large for the request */
	POLICY_RATE_LIMITED,	/* the sender's prefix is over its rate (ratelimit.c) */
	POLICY_VERDICTS
};

struct policy {
	const struct config *cfg;
	uint16_t ports[POLICY_PORTS_MAX];	/* the daemon's own */
	size_t nports;
};

/* The policy of cfg for a daemon listening on these ports (cfg must outlive it). */
void policy_init(struct policy *p, const struct config *cfg, const uint16_t *ports, size_t n);

/*
 * What to do with one datagram from remote, sent to local (NULL when
 * unknown) on a socket of port local_port: size bytes long, of which the
 * first len are at payload; its reply would be reply_len bytes (0 when
 * not known yet: then policy_amplification() decides once it is). The loop
 * guard's reply-text rule compares the payload with every service's fixed
 * reply.
 */
enum policy_verdict policy_decide(const struct policy *p, const struct sockaddr *remote,
	const struct sockaddr *local, uint16_t local_port, const unsigned char *payload,
	size_t len, size_t size, size_t reply_len);

/* The amplification limit alone: may a request of size bytes get reply_len? */
enum policy_verdict policy_amplification(const struct policy *p, size_t size, size_t reply_len);

/* Is sa never rate limited (cfg's rate_limit exempt list)? */
bool policy_exempt(const struct config *cfg, const struct sockaddr *sa);

/* "self", "port-zero", ...: the name of a drop reason in fields and messages. */
const char *policy_verdict_name(enum policy_verdict v);

#endif
