/*
 * ratelimit.h - a token bucket per source prefix, in a fixed table, as
 * Knot's and BIND's response rate limiting do
 *
 * One table per worker, used by that worker only: the listeners steer each
 * source prefix to one worker (listeners_steer), so the limit holds per
 * prefix across all workers without shared state.
 */
#ifndef UDP_REPLYD_RATELIMIT_H
#define UDP_REPLYD_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config.h"

/* Buckets per worker (16 bytes each: 256 KiB). */
#define RATELIMIT_BUCKETS 16384

struct ratelimit_bucket {
	uint64_t key;		/* the prefix, 0: unused */
	uint32_t tokens;	/* thousandths of a reply */
	uint32_t stamp;		/* milliseconds, when last refilled */
};

struct ratelimit {
	unsigned rate, burst, ipv4_prefix, ipv6_prefix;
	struct ratelimit_bucket bucket[RATELIMIT_BUCKETS];
};

/*
 * Take cfg's rate, burst and prefix lengths; the buckets are kept unless a
 * prefix length changed (then they start full again). rl starts zeroed.
 */
void ratelimit_configure(struct ratelimit *rl, const struct config *cfg);

/*
 * May sa's prefix have one more reply at now_ms? A prefix whose bucket was
 * taken over by another (a flood from many sources) starts full: a client
 * at or below the rate is never limited.
 */
bool ratelimit_allow(struct ratelimit *rl, const struct sockaddr *sa, uint32_t now_ms);

/*
 * The same in steps, so that a batch's buckets can be fetched from memory
 * together before they are used: sa's key (never 0), a hint to fetch its
 * bucket, and the decision.
 */
uint64_t ratelimit_key(const struct ratelimit *rl, const struct sockaddr *sa);
void ratelimit_prefetch(struct ratelimit *rl, uint64_t key);
bool ratelimit_allow_key(struct ratelimit *rl, uint64_t key, uint32_t now_ms);

#endif
