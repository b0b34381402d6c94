/* thread.h - the daemon's threads: small stacks */
#ifndef UDP_REPLYD_THREAD_H
#define UDP_REPLYD_THREAD_H

#include <pthread.h>

/*
 * A worker's and the log writer's deepest frames hold a few KiB (their
 * batches and buffers are on the heap), so 256 KiB stacks instead of the
 * default 8 MiB: a daemon with many workers fits a small RLIMIT_AS.
 */
#define THREAD_STACK_SIZE (256 * 1024)

/* pthread_create() with that stack; 0 or an errno. */
static inline int thread_start(pthread_t *thread, void *(*run)(void *), void *arg)
{
	pthread_attr_t attr;
	int err = pthread_attr_init(&attr);

	if (err)
		return err;
	err = pthread_attr_setstacksize(&attr, THREAD_STACK_SIZE);
	if (!err)
		err = pthread_create(thread, &attr, run, arg);
	pthread_attr_destroy(&attr);
	return err;
}

#endif
