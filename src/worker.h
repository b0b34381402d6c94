/*
 * worker.h - one serving thread: its own sd-event loop over its sockets;
 * batches in, replies out (never blocking), records to its log ring
 *
 * The main thread publishes generations and pokes; the worker moves to the
 * newest at its next turn, draining the sockets a generation retires.
 */
#ifndef UDP_REPLYD_WORKER_H
#define UDP_REPLYD_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "generation.h"
#include "logq.h"

/* errno values counted one by one; the last slot takes the rest. */
#define WORKER_ERRNO_MAX 136

/* Kept by the worker, read by the main thread; no shared atomic per datagram. */
struct worker_counts {
	_Atomic uint64_t received;
	_Atomic uint64_t replied;
	_Atomic uint64_t receive_errors;
	_Atomic uint64_t reply_failed[WORKER_ERRNO_MAX];	/* by errno */
	_Atomic uint64_t dropped[POLICY_VERDICTS];	/* by reason; [POLICY_REPLY] unused */
	_Atomic uint64_t reply_truncated;	/* templated replies cut at 65507 bytes */
};

/* The source prefixes the policy dropped the most since last taken. */
#define WORKER_TOP 8

struct worker_top {
	struct netaddr_prefix prefix;
	uint64_t count;		/* 0: unused */
};

struct worker_batch;
struct worker_watch;

struct worker {
	unsigned id;
	pthread_t thread;
	int ctl_fd;				/* eventfd: the main thread pokes */
	int ack_fd;				/* eventfd: we tell the main thread */
	_Atomic(struct generation *) *latest;	/* the newest published */
	_Atomic(struct generation *) serving;	/* the one we serve, for the main thread */
	_Atomic bool stop;
	_Atomic uint64_t heartbeat;		/* moves on at every poke we answer */
	struct logq *logq;
	struct logq_ring *ring;
	struct worker_counts count;
	/* taken by the main thread once a second; held only around a drop */
	pthread_mutex_t top_lock;
	struct worker_top top[WORKER_TOP];
	/* the worker thread's own */
	struct generation *gen;
	struct worker_batch *batch;
	struct ratelimit *ratelimit;		/* this worker's prefixes' buckets */
	struct worker_watch *watch;
	size_t nwatch;
	void *event;				/* sd_event */
};

/* Start w's thread, serving *latest. Returns 0 or an errno. */
int worker_start(struct worker *w);
/* Wake w: a new generation, a stop, or a watchdog heartbeat. */
void worker_poke(struct worker *w);
/*
 * Count p in n slots of the most counted (the space-saving algorithm: a new
 * prefix takes the place of the least counted, and its count over), so a
 * flood from a million spoofed sources costs these slots, not memory.
 */
void worker_top_add(struct worker_top *slots, size_t n, const struct netaddr_prefix *p,
	uint64_t count);
/* Copy w's top dropped sources into out[WORKER_TOP] and start afresh. */
void worker_take_top(struct worker *w, struct worker_top *out);
/* Ask w to stop after its current batch and wait for it. */
void worker_stop(struct worker *w);

#endif
