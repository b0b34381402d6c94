/* clock.h - the monotonic clock in microseconds, for deadlines and intervals */
#ifndef UDP_REPLYD_CLOCK_H
#define UDP_REPLYD_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

#endif
