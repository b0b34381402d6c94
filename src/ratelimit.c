/* ratelimit.c - a token bucket per source prefix, in a fixed table */
#include <netinet/in.h>
#include <string.h>

#include "ratelimit.h"

void ratelimit_configure(struct ratelimit *rl, const struct config *cfg)
{
	/* A new table is zeroed already (calloc): its pages stay untouched until used. */
	if ((rl->ipv4_prefix || rl->ipv6_prefix) &&
	    (rl->ipv4_prefix != cfg->ipv4_prefix || rl->ipv6_prefix != cfg->ipv6_prefix))
		memset(rl->bucket, 0, sizeof(rl->bucket));
	rl->rate = cfg->rate;
	rl->burst = cfg->burst;
	rl->ipv4_prefix = cfg->ipv4_prefix;
	rl->ipv6_prefix = cfg->ipv6_prefix;
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t masked(const uint8_t *bytes, unsigned bits)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < 8; i++)
		v = v << 8 | bytes[i];
	return bits >= 64 ? v : bits == 0 ? 0 : v & ~(~0ULL >> bits);
}

/* The key of sa's prefix: IPv4 (v4-mapped too) and IPv6 never collide; never 0. */
uint64_t ratelimit_key(const struct ratelimit *rl, const struct sockaddr *sa)
{
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
	uint8_t v4[8] = { 0 };
	const uint8_t *a;

	if (sa->sa_family == AF_INET) {
		memcpy(v4, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
		memcpy(v4, &in6->sin6_addr.s6_addr[12], 4);
	} else {
		a = in6->sin6_addr.s6_addr;
		return mix(masked(a, rl->ipv6_prefix) ^
			   mix(masked(a + 8, rl->ipv6_prefix > 64 ? rl->ipv6_prefix - 64 : 0))) | 1;
	}
	return mix(masked(v4, rl->ipv4_prefix) ^ 0x4000000000000000ULL) | 1;
}

static struct ratelimit_bucket *bucket_of(struct ratelimit *rl, uint64_t key)
{
	return &rl->bucket[(key >> 17) & (RATELIMIT_BUCKETS - 1)];
}

void ratelimit_prefetch(struct ratelimit *rl, uint64_t key)
{
	__builtin_prefetch(bucket_of(rl, key), 1);
}

bool ratelimit_allow(struct ratelimit *rl, const struct sockaddr *sa, uint32_t now_ms)
{
	return ratelimit_allow_key(rl, ratelimit_key(rl, sa), now_ms);
}

bool ratelimit_allow_key(struct ratelimit *rl, uint64_t key, uint32_t now_ms)
{
	uint64_t tokens, full = (uint64_t)rl->burst * 1000;
	struct ratelimit_bucket *b = bucket_of(rl, key);

	if (b->key != key) {
		/* New, or taken over from a prefix that fell silent: it starts full. */
		b->key = key;
		b->tokens = (uint32_t)full;
		b->stamp = now_ms;
	}
	tokens = b->tokens + (uint64_t)(uint32_t)(now_ms - b->stamp) * rl->rate;
	b->tokens = (uint32_t)(tokens < full ? tokens : full);
	b->stamp = now_ms;
	if (b->tokens < 1000)
		return false;
	b->tokens -= 1000;
	return true;
}
