/* logq.c - per-worker record rings and the log writer thread */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "clock.h"
#include "counter.h"
#include "log.h"
#include "logq.h"
#include "thread.h"
#include "netaddr.h"

/* A record in a ring; len 0 marks the unused end before a wrap. */
struct entry {
	uint32_t len;		/* bytes of the entry, header included, 8-aligned */
	uint32_t size;		/* the datagram's length */
	uint32_t read;		/* bytes read of it */
	int32_t reply_errno;
	uint8_t has_local;
	uint8_t service_len;		/* the service's name follows the payload */
	union netaddr_inet remote, local;
	unsigned char payload[];	/* min(read, RECORD_PAYLOAD_FIELD_MAX) bytes */
};

/* The log writer's nice value: it gets what the workers leave. */
#define LOGQ_WRITER_NICE 19

#define ALIGN8(n) (((n) + 7) & ~(size_t)7)

struct logq_ring {
	/* the producer's line */
	_Alignas(64) _Atomic size_t head;	/* bytes ever pushed, published */
	size_t pending;				/* bytes pushed, not yet published */
	size_t tail_seen;			/* the producer's last look at tail */
	_Atomic uint64_t dropped;		/* records that did not fit */
	/* the writer's line */
	_Alignas(64) _Atomic size_t tail;	/* bytes ever consumed */
	unsigned char *buf;
};

struct logq {
	unsigned nrings;
	struct logq_ring *rings;
	pthread_t thread;
	int wake_fd;			/* eventfd: records, or stop */
	_Atomic bool sleeping;		/* the writer waits on wake_fd */
	_Atomic bool stopping;
	_Atomic uint64_t deadline;	/* monotonic usec the flush ends */
	_Atomic uint64_t written, lost, unflushed;
	_Atomic unsigned reasons;	/* bits of enum logq_reason seen */
	struct log_sink *sink;
};

bool logq_push(struct logq_ring *r, const struct datagram *dg)
{
	size_t stored = dg->len < RECORD_PAYLOAD_FIELD_MAX ? dg->len : RECORD_PAYLOAD_FIELD_MAX;
	size_t name = dg->service_len < UINT8_MAX ? dg->service_len : UINT8_MAX;
	size_t need = ALIGN8(sizeof(struct entry) + stored + name), pos, room, skip = 0;
	struct entry *e;

	pos = r->pending & (LOGQ_RING_BYTES - 1);
	if (LOGQ_RING_BYTES - pos < need)
		skip = LOGQ_RING_BYTES - pos;	/* the entry would wrap: start over */
	room = LOGQ_RING_BYTES - (r->pending - r->tail_seen);
	if (room < skip + need) {
		r->tail_seen = atomic_load_explicit(&r->tail, memory_order_acquire);
		room = LOGQ_RING_BYTES - (r->pending - r->tail_seen);
		if (room < skip + need) {
			counter_add(&r->dropped, 1);
			return false;
		}
	}
	if (skip) {
		((struct entry *)(r->buf + pos))->len = 0;
		r->pending += skip;
		pos = 0;
	}
	e = (struct entry *)(r->buf + pos);
	e->len = (uint32_t)need;
	e->size = (uint32_t)dg->size;
	e->read = (uint32_t)dg->len;
	e->reply_errno = dg->reply_errno;
	memcpy(&e->remote, dg->remote, dg->remote->sa_family == AF_INET6 ?
		sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	e->has_local = dg->local != NULL;
	if (dg->local)
		memcpy(&e->local, dg->local, dg->local->sa_family == AF_INET6 ?
			sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
	memcpy(e->payload, dg->payload, stored);
	e->service_len = (uint8_t)name;
	memcpy(e->payload + stored, dg->service, name);
	r->pending += need;
	return true;
}

void logq_commit(struct logq *q, struct logq_ring *r)
{
	if (r->pending == atomic_load_explicit(&r->head, memory_order_relaxed))
		return;
	atomic_store_explicit(&r->head, r->pending, memory_order_release);
	/* Pairs with the writer's fence between "sleeping" and its last look. */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&q->sleeping, memory_order_relaxed) &&
	    atomic_exchange(&q->sleeping, false)) {
		if (eventfd_write(q->wake_fd, 1) < 0) {
			/* The counter cannot overflow at one per wake-up. */
		}
	}
}

/* The writer's next entry of r, or NULL when r is empty. */
static struct entry *ring_peek(struct logq_ring *r)
{
	size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
	struct entry *e;
	size_t pos;

	while (tail != head) {
		pos = tail & (LOGQ_RING_BYTES - 1);
		e = (struct entry *)(r->buf + pos);
		if (e->len)
			return e;
		tail += LOGQ_RING_BYTES - pos;
		atomic_store_explicit(&r->tail, tail, memory_order_release);
	}
	return NULL;
}

static void ring_pop(struct logq_ring *r, const struct entry *e)
{
	atomic_store_explicit(&r->tail,
		atomic_load_explicit(&r->tail, memory_order_relaxed) + e->len,
		memory_order_release);
}

static enum log_sent entry_send(struct log_sink *sink, const struct entry *e)
{
	size_t stored = e->read < RECORD_PAYLOAD_FIELD_MAX ? e->read : RECORD_PAYLOAD_FIELD_MAX;
	struct datagram dg = {
		.remote = &e->remote.sa,
		.local = e->has_local ? &e->local.sa : NULL,
		.payload = e->payload,
		.len = e->read,
		.size = e->size,
		.reply_errno = e->reply_errno,
		.service = (const char *)e->payload + stored,
		.service_len = e->service_len,
	};

	return record_send(sink, &dg);
}

static void note_reason(struct logq *q, enum logq_reason reason)
{
	atomic_fetch_or_explicit(&q->reasons, 1u << reason, memory_order_relaxed);
}

/* Write up to a fair share of r's records; false when the sink is busy. */
static bool drain_ring(struct logq *q, struct logq_ring *r, bool *progress)
{
	enum log_sent sent;
	struct entry *e;
	int n;

	for (n = 0; n < 256 && (e = ring_peek(r)); n++) {
		sent = entry_send(q->sink, e);
		if (sent == LOG_SENT_BUSY) {
			note_reason(q, log_sink_journal_busy(q->sink) ? LOGQ_JOURNAL_BUSY :
				LOGQ_CONSOLE_BUSY);
			return false;
		}
		if (sent == LOG_SENT_LOST) {
			note_reason(q, LOGQ_STDERR_CLOSED);
			counter_add(&q->lost, 1);
		} else {
			counter_add(&q->written, 1);
		}
		ring_pop(r, e);
		*progress = true;
	}
	return true;
}

static bool rings_empty(struct logq *q)
{
	unsigned i;

	for (i = 0; i < q->nrings; i++)
		if (ring_peek(&q->rings[i]))
			return false;
	return true;
}

/* Milliseconds to wait: until the stop deadline when stopping, else up to max_ms. */
static int wait_ms(struct logq *q, int max_ms)
{
	uint64_t now, deadline;

	if (!atomic_load(&q->stopping))
		return max_ms;
	deadline = atomic_load(&q->deadline);
	now = clock_usec();
	if (now >= deadline)
		return 0;
	return (deadline - now) / 1000 < (uint64_t)max_ms ? (int)((deadline - now) / 1000) + 1 :
		max_ms;
}

static void wait_wake(struct logq *q, int fd, int timeout)
{
	struct pollfd pfd[2] = {
		{ .fd = q->wake_fd, .events = POLLIN },
		{ .fd = fd, .events = POLLOUT },
	};
	eventfd_t v;

	if (poll(pfd, fd >= 0 ? 2 : 1, timeout) > 0 && (pfd[0].revents & POLLIN))
		eventfd_read(q->wake_fd, &v);
}

/* Records left in the rings, which the writer will not write. */
static uint64_t rings_count(struct logq *q)
{
	uint64_t n = 0;
	struct entry *e;
	unsigned i;

	for (i = 0; i < q->nrings; i++)
		while ((e = ring_peek(&q->rings[i]))) {
			ring_pop(&q->rings[i], e);
			n++;
		}
	return n;
}

/*
 * Replies first: the writer takes the CPU time the workers leave, so that
 * on a busy host the log (and journald, which it feeds) gives way, and what
 * it cannot write is counted. Also out of a real-time policy it inherited.
 */
static void writer_yield_to_workers(void)
{
	struct sched_param sp = { .sched_priority = 0 };

	pthread_setschedparam(pthread_self(), SCHED_OTHER, &sp);
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), LOGQ_WRITER_NICE) < 0) {
		/* Not allowed here (a seccomp filter): it writes at the workers' priority. */
	}
}

static void *writer_main(void *arg)
{
	struct logq *q = arg;
	bool busy, progress;
	unsigned i;

	writer_yield_to_workers();

	for (;;) {
		busy = false;
		progress = false;
		for (i = 0; i < q->nrings && !busy; i++)
			busy = !drain_ring(q, &q->rings[i], &progress);
		if (atomic_load(&q->stopping) && (wait_ms(q, 1) == 0 || (!busy && !progress)))
			break;
		if (busy) {
			/* Wait for the sink; wake up anyway to notice a stop. */
			wait_wake(q, log_sink_fd(q->sink), wait_ms(q, 100));
			continue;
		}
		if (progress)
			continue;
		atomic_store(&q->sleeping, true);
		atomic_thread_fence(memory_order_seq_cst);
		if (!rings_empty(q) || atomic_load(&q->stopping)) {
			atomic_store(&q->sleeping, false);
			continue;
		}
		wait_wake(q, -1, -1);
		atomic_store(&q->sleeping, false);
	}
	atomic_store(&q->unflushed, rings_count(q));
	return NULL;
}

void logq_free(struct logq *q)
{
	unsigned i;

	if (q->wake_fd >= 0)
		close(q->wake_fd);
	for (i = 0; q->rings && i < q->nrings; i++)
		free(q->rings[i].buf);
	free(q->rings);
	log_sink_free(q->sink);
	free(q);
}

struct logq *logq_start(unsigned nrings)
{
	struct logq *q = calloc(1, sizeof(*q));
	unsigned i;
	int err;

	if (!q) {
		log_err("log queue");
		return NULL;
	}
	q->nrings = nrings;
	q->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	q->rings = aligned_alloc(64, (nrings * sizeof(*q->rings) + 63) & ~(size_t)63);
	if (q->rings)
		memset(q->rings, 0, nrings * sizeof(*q->rings));
	q->sink = log_sink_new();
	if (q->wake_fd < 0 || !q->rings || !q->sink) {
		log_err("log queue");
		goto fail;
	}
	for (i = 0; i < nrings; i++) {
		q->rings[i].buf = malloc(LOGQ_RING_BYTES);
		if (!q->rings[i].buf) {
			log_err("log queue");
			goto fail;
		}
	}
	err = thread_start(&q->thread, writer_main, q);
	if (err) {
		errno = err;
		log_err("log writer thread");
		goto fail;
	}
	return q;
fail:
	logq_free(q);
	return NULL;
}

struct logq_ring *logq_ring(struct logq *q, unsigned i)
{
	return &q->rings[i];
}

uint64_t logq_not_logged(struct logq *q)
{
	uint64_t n = atomic_load_explicit(&q->lost, memory_order_relaxed);
	unsigned i;

	for (i = 0; i < q->nrings; i++)
		n += atomic_load_explicit(&q->rings[i].dropped, memory_order_relaxed);
	return n;
}

uint64_t logq_written(struct logq *q)
{
	return atomic_load_explicit(&q->written, memory_order_relaxed);
}

unsigned logq_reasons(struct logq *q)
{
	return atomic_load(&q->reasons);
}

const char *logq_reason_text(unsigned reasons)
{
	if (reasons & (1u << LOGQ_JOURNAL_BUSY))
		return "journal busy";
	if (reasons & (1u << LOGQ_CONSOLE_BUSY))
		return "console busy";
	if (reasons & (1u << LOGQ_STDERR_CLOSED))
		return "stderr closed";
	return "log writer behind";
}

void logq_reasons_said(struct logq *q, unsigned reasons)
{
	atomic_fetch_and(&q->reasons, ~reasons);
}

uint64_t logq_stop(struct logq *q, int flush_ms)
{
	uint64_t unflushed;

	atomic_store(&q->deadline, clock_usec() + (uint64_t)flush_ms * 1000);
	atomic_store(&q->stopping, true);
	if (eventfd_write(q->wake_fd, 1) < 0) {
		/* The writer also wakes on its own within 100 ms. */
	}
	pthread_join(q->thread, NULL);
	unflushed = atomic_load(&q->unflushed);
	return unflushed;
}
