/*
 * logq.h - per-worker bounded queues of datagram records, and the log
 * writer thread that empties them into the sink
 *
 * Each worker owns one ring and is its only producer; the writer is the
 * only consumer. A record that does not fit is not waited for: the worker
 * counts it, and the counts reach the log as summaries. The writer never
 * blocks on the sink: a busy journal or stderr makes it wait in poll().
 */
#ifndef UDP_REPLYD_LOGQ_H
#define UDP_REPLYD_LOGQ_H

#include <stdbool.h>
#include <stdint.h>

#include "record.h"

/* Bytes of one worker's ring: ~2,700 small records, 60 of the largest. */
#define LOGQ_RING_BYTES (256 * 1024)

struct logq;
struct logq_ring;

/* What the writer saw since the last logq_take_reason(). */
enum logq_reason {
	LOGQ_BEHIND,		/* the writer could not keep up */
	LOGQ_JOURNAL_BUSY,
	LOGQ_CONSOLE_BUSY,
	LOGQ_STDERR_CLOSED,	/* records lost: no journal, stderr refused them */
};

/* nrings rings and a writer thread; NULL after logging why. */
struct logq *logq_start(unsigned nrings);
struct logq_ring *logq_ring(struct logq *q, unsigned i);

/* Producer: queue dg's record; false (and counted) when it does not fit. */
bool logq_push(struct logq_ring *r, const struct datagram *dg);
/* Producer: make what was pushed visible to the writer, and wake it. */
void logq_commit(struct logq *q, struct logq_ring *r);

/* Datagrams not logged one by one so far: ring full, or the sink lost them. */
uint64_t logq_not_logged(struct logq *q);
/* Records the sink took (journal or stderr). */
uint64_t logq_written(struct logq *q);
/* Why records were not written since the reasons were last said (bits). */
unsigned logq_reasons(struct logq *q);
const char *logq_reason_text(unsigned reasons);
/* A summary said these: forget them (new ones since are kept). */
void logq_reasons_said(struct logq *q, unsigned reasons);

/*
 * Flush what is queued for at most flush_ms and stop the writer (the
 * counters stay readable). Returns how many queued records were not written.
 */
uint64_t logq_stop(struct logq *q, int flush_ms);
void logq_free(struct logq *q);

#endif
