/* counter.h - a counter one thread adds to and others read */
#ifndef UDP_REPLYD_COUNTER_H
#define UDP_REPLYD_COUNTER_H

#include <stdatomic.h>
#include <stdint.h>

/*
 * Only the owning thread writes, so a relaxed load and store (plain moves,
 * no locked instruction) is enough; readers see a value at most a moment old.
 */
static inline void counter_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
		memory_order_relaxed);
}

static inline uint64_t counter_get(_Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

#endif
