/*
 * server.c - the main thread's sd-event loop: SIGHUP builds and publishes a
 * new generation and writes the reload verdict, SIGUSR1 logs the counters,
 * SIGTERM stops; a timer sends STATUS=, the summaries of what was not logged
 * one by one, and watchdog pings
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sysexits.h>
#include <unistd.h>
#include <systemd/sd-event.h>

#include "clock.h"
#include "counter.h"
#include "log.h"
#include "logq.h"
#include "notify.h"
#include "reload-verdict.h"
#include "server.h"
#include "worker.h"
#include "workers.h"

/* How long a stop waits for queued records, and then for the stop record. */
#define STOP_FLUSH_MS 2000
#define STOP_RECORD_WAIT_MS 500
#define TICK_USEC 1000000ULL
#define RELOAD_WAIT_USEC 2000000ULL
/* Sources the policy summary keeps between summaries, and names. */
#define SERVER_TOP 32
#define SUMMARY_TOP 5

/* Every worker's counts, added up. */
struct totals {
	uint64_t received, replied, receive_errors, reply_failed, queue_full;
	uint64_t kernel_drops, not_logged, logged;
	uint64_t dropped, dropped_by[POLICY_VERDICTS];	/* by the policy */
	uint64_t reply_truncated;	/* templated replies cut at 65507 bytes */
};

struct server {
	sd_event *event;
	struct generation *oldest;		/* still used by some worker */
	_Atomic(struct generation *) latest;	/* what workers move to */
	struct worker *workers;
	unsigned nworkers, started;
	struct logq *logq;
	int ack_fd;
	uint64_t watchdog_usec;
	uint64_t *heartbeat_seen;
	uint64_t drops_retired;			/* of sockets closed since start */
	/* what STATUS= and the summaries last said */
	char status[1024];
	uint64_t summarised, drops_summarised, summary_usec;
	uint64_t policy_said, policy_said_by[POLICY_VERDICTS], policy_usec;
	struct worker_top top[SERVER_TOP];	/* dropped sources not yet said */
	int stop_signal;
	uint64_t reloads;			/* begun: the verdict's SEQ */
	/* why the last reload failed, for STATUS=; "" after a good one */
	char reload_error[CONFIG_ERROR_MAX];
};

static struct generation *latest(struct server *srv)
{
	return atomic_load(&srv->latest);
}

static uint64_t kernel_drops(struct server *srv)
{
	uint64_t drops = srv->drops_retired;
	struct generation *g;
	const struct listeners *ls = NULL;

	/* Each live socket set once: consecutive generations may share one. */
	for (g = srv->oldest; g; g = atomic_load(&g->next)) {
		if (g->ls != ls)
			drops += listeners_kernel_drops(g->ls);
		ls = g->ls;
	}
	return drops;
}

static void totals_get(struct server *srv, struct totals *t)
{
	struct worker_counts *c;
	unsigned i, e;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < srv->started; i++) {
		c = &srv->workers[i].count;
		t->received += counter_get(&c->received);
		t->replied += counter_get(&c->replied);
		t->receive_errors += counter_get(&c->receive_errors);
		for (e = 0; e < WORKER_ERRNO_MAX; e++)
			t->reply_failed += counter_get(&c->reply_failed[e]);
		t->queue_full += counter_get(&c->reply_failed[EAGAIN]) +
				 counter_get(&c->reply_failed[ENOBUFS]);
		for (e = 0; e < POLICY_VERDICTS; e++)
			t->dropped_by[e] += counter_get(&c->dropped[e]);
		t->reply_truncated += counter_get(&c->reply_truncated);
	}
	for (e = 0; e < POLICY_VERDICTS; e++)
		t->dropped += t->dropped_by[e];
	t->kernel_drops = kernel_drops(srv);
	t->not_logged = logq_not_logged(srv->logq);
	t->logged = logq_written(srv->logq);
}

/* ", D dropped by policy" when there were such drops, else "". */
static void policy_text(const struct totals *t, char *buf, size_t size)
{
	buf[0] = '\0';
	if (t->dropped)
		snprintf(buf, size, ", %llu dropped by policy", (unsigned long long)t->dropped);
}

/* "self:1 amplification:3": drops by reason, of by[] less since[] (NULL: 0). */
static void policy_reasons(const uint64_t *by, const uint64_t *since, char *buf, size_t size,
	const char *sep)
{
	size_t used = 0;
	uint64_t n;
	unsigned v;

	buf[0] = '\0';
	for (v = POLICY_REPLY + 1; v < POLICY_VERDICTS && used < size; v++) {
		n = by[v] - (since ? since[v] : 0);
		if (n)
			used += (size_t)snprintf(buf + used, size - used, "%s%s%s%llu",
				used ? (sep[0] == ':' ? " " : ", ") : "",
				policy_verdict_name((enum policy_verdict)v), sep,
				(unsigned long long)n);
	}
}

/* STATUS=, when it says something new. */
static void report_status(struct server *srv, const struct totals *t)
{
	char status[sizeof(srv->status)];
	char policy[48];
	int used;

	policy_text(t, policy, sizeof(policy));
	/* Until the next good reload, "systemctl status" says why the last one failed. */
	if (srv->reload_error[0])
		used = snprintf(status, sizeof(status),
			"Reload failed, keeping the old configuration: %.512s; serving ",
			srv->reload_error);
	else
		used = snprintf(status, sizeof(status), "Serving ");
	snprintf(status + used, sizeof(status) - (size_t)used,
		"%s (%u worker%s): %llu received, %llu replied, "
		"%llu errors, %llu dropped by the kernel%s, %llu not logged",
		latest(srv)->where, srv->nworkers, srv->nworkers == 1 ? "" : "s",
		(unsigned long long)t->received, (unsigned long long)t->replied,
		(unsigned long long)(t->reply_failed + t->receive_errors),
		(unsigned long long)t->kernel_drops, policy, (unsigned long long)t->not_logged);
	if (strcmp(status, srv->status) == 0)
		return;
	memcpy(srv->status, status, sizeof(status));
	notify_status("%s", status);
}

/*
 * Once a second at most: how many datagrams were not logged one by one, and
 * how many the kernel dropped, since the last summary. A summary the sink
 * cannot take now is not lost: its counts go into the next one.
 */
static void summarise(struct server *srv, const struct totals *t)
{
	char message[256], nl[24], reason_field[32], usec[24], drops[24];
	uint64_t now = clock_usec(), missed = t->not_logged - srv->summarised;
	uint64_t dropped = t->kernel_drops - srv->drops_summarised, interval;
	struct log_record rec = { .priority = LOG_WARNING, .msgid = MSGID_NOT_LOGGED,
				  .message = message };
	enum log_sent sent;
	unsigned reasons = logq_reasons(srv->logq);
	const char *reason = logq_reason_text(reasons);

	if (missed == 0 && dropped == 0)
		return;
	interval = now - srv->summary_usec;
	if (missed) {
		snprintf(message, sizeof(message),
			"%llu datagram%s not logged one by one in the last %.1f s: %s",
			(unsigned long long)missed, missed == 1 ? "" : "s",
			(double)interval / 1e6, reason);
		log_field_printf(&rec, "UDP_NOT_LOGGED_REASON", reason_field, sizeof(reason_field),
			"%s", reason);
	} else {
		snprintf(message, sizeof(message),
			"%llu datagram%s dropped by the kernel in the last %.1f s (receive queue full)",
			(unsigned long long)dropped, dropped == 1 ? "" : "s", (double)interval / 1e6);
	}
	log_field_printf(&rec, "UDP_NOT_LOGGED", nl, sizeof(nl), "%llu",
		(unsigned long long)missed);
	log_field_printf(&rec, "UDP_KERNEL_DROPS", drops, sizeof(drops), "%llu",
		(unsigned long long)dropped);
	log_field_printf(&rec, "UDP_INTERVAL_USEC", usec, sizeof(usec), "%llu",
		(unsigned long long)interval);
	sent = log_send(&rec, -1);
	if (sent != LOG_SENT_JOURNAL && sent != LOG_SENT_CONSOLE)
		return;
	logq_reasons_said(srv->logq, reasons);
	srv->summarised = t->not_logged;
	srv->drops_summarised = t->kernel_drops;
	srv->summary_usec = now;
}

/* Add the workers' most dropped source prefixes to the server's. */
static void gather_top(struct server *srv)
{
	struct worker_top got[WORKER_TOP];
	unsigned i, j;

	for (i = 0; i < srv->started; i++) {
		worker_take_top(&srv->workers[i], got);
		for (j = 0; j < WORKER_TOP; j++)
			if (got[j].count)
				worker_top_add(srv->top, SERVER_TOP, &got[j].prefix, got[j].count);
	}
}

static int by_count(const void *a, const void *b)
{
	const struct worker_top *x = a, *y = b;

	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

/*
 * "192.0.2.0/24:1234 198.51.100.0/24:55 others:12" (sep ":") or with
 * " " for the message: the most dropped prefixes of dropped datagrams.
 */
static void top_text(const struct server *srv, uint64_t dropped, char *buf, size_t size,
	const char *sep)
{
	struct worker_top top[SERVER_TOP];
	char prefix[NETADDR_PREFIX_STRLEN];
	uint64_t named = 0;
	size_t used = 0, i;

	memcpy(top, srv->top, sizeof(top));
	qsort(top, SERVER_TOP, sizeof(top[0]), by_count);
	buf[0] = '\0';
	for (i = 0; i < SUMMARY_TOP && top[i].count && used < size; i++) {
		used += (size_t)snprintf(buf + used, size - used, "%s%s%s%llu",
			used ? (sep[0] == ':' ? " " : ", ") : "",
			netaddr_prefix_format(&top[i].prefix, prefix, sizeof(prefix)), sep,
			(unsigned long long)top[i].count);
		named += top[i].count;
	}
	/* The counts of a flood's many prefixes are estimates: never below 0. */
	if (dropped > named && used < size)
		snprintf(buf + used, size - used, "%sothers%s%llu",
			used ? (sep[0] == ':' ? " " : ", ") : "", sep,
			(unsigned long long)(dropped - named));
}

/*
 * Once a second at most: the datagrams the policy dropped since the last
 * such summary, by reason and by the sources that sent the most; one
 * record, never one per datagram.
 */
static void summarise_policy(struct server *srv, const struct totals *t)
{
	char message[1024], reasons[256], shown[256], n[24], usec[24], top[400], top_shown[400];
	struct log_record rec = { .priority = LOG_NOTICE, .msgid = MSGID_POLICY_DROPS,
				  .message = message };
	uint64_t now = clock_usec(), dropped = t->dropped - srv->policy_said;
	enum log_sent sent;

	gather_top(srv);
	if (dropped == 0)
		return;
	policy_reasons(t->dropped_by, srv->policy_said_by, shown, sizeof(shown), " ");
	policy_reasons(t->dropped_by, srv->policy_said_by, reasons, sizeof(reasons), ":");
	top_text(srv, dropped, top, sizeof(top), ":");
	top_text(srv, dropped, top_shown, sizeof(top_shown), " ");
	snprintf(message, sizeof(message),
		"%llu datagram%s dropped by policy in the last %.1f s: %s; from %s",
		(unsigned long long)dropped, dropped == 1 ? "" : "s",
		(double)(now - srv->policy_usec) / 1e6, shown, top_shown);
	log_field_bytes(&rec, "UDP_POLICY_TOP_SOURCES", top, strlen(top));
	log_field_printf(&rec, "UDP_POLICY_DROPS", n, sizeof(n), "%llu", (unsigned long long)dropped);
	log_field_bytes(&rec, "UDP_POLICY_DROP_REASONS", reasons, strlen(reasons));
	log_field_printf(&rec, "UDP_INTERVAL_USEC", usec, sizeof(usec), "%llu",
		(unsigned long long)(now - srv->policy_usec));
	sent = log_send(&rec, -1);
	if (sent != LOG_SENT_JOURNAL && sent != LOG_SENT_CONSOLE)
		return;
	srv->policy_said = t->dropped;
	memcpy(srv->policy_said_by, t->dropped_by, sizeof(srv->policy_said_by));
	memset(srv->top, 0, sizeof(srv->top));
	srv->policy_usec = now;
}

/* Free the generations no worker serves any more, oldest first. */
static void collect(struct server *srv)
{
	struct generation *g;
	unsigned i;

	while ((g = srv->oldest) != latest(srv)) {
		for (i = 0; i < srv->started; i++)
			if (atomic_load(&srv->workers[i].serving)->seq <= g->seq)
				return;
		srv->oldest = atomic_load(&g->next);
		if (g->ls != srv->oldest->ls)
			srv->drops_retired += listeners_kernel_drops(g->ls);
		generation_free(g);
	}
}

static void poke_all(struct server *srv)
{
	unsigned i;

	for (i = 0; i < srv->started; i++)
		worker_poke(&srv->workers[i]);
}

/* WATCHDOG=1 only when every worker answered the last round of pokes. */
static void watchdog(struct server *srv)
{
	bool alive = true;
	uint64_t beat;
	unsigned i;

	for (i = 0; i < srv->started; i++) {
		beat = counter_get(&srv->workers[i].heartbeat);
		if (beat == srv->heartbeat_seen[i])
			alive = false;
		srv->heartbeat_seen[i] = beat;
	}
	if (alive)
		notify_watchdog();
	poke_all(srv);
}

static int on_tick(sd_event_source *s, uint64_t usec, void *data)
{
	struct server *srv = data;
	uint64_t tick = TICK_USEC;
	struct totals t;
	int r;

	(void)usec;
	totals_get(srv, &t);
	if (notify_enabled())
		report_status(srv, &t);
	summarise(srv, &t);
	summarise_policy(srv, &t);
	collect(srv);
	if (srv->watchdog_usec) {
		watchdog(srv);
		if (srv->watchdog_usec / 2 < tick)
			tick = srv->watchdog_usec / 2;
	}
	r = sd_event_source_set_time_relative(s, tick);
	return r < 0 ? r : sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static int on_ack(sd_event_source *s, int fd, uint32_t revents, void *data)
{
	eventfd_t v;

	(void)s;
	(void)revents;
	if (eventfd_read(fd, &v) == 0)
		collect(data);
	return 0;
}

/*
 * Until every worker serves g (bounded: a stuck worker is the watchdog's
 * business), so that READY=1 after a reload means the new config answers.
 */
static void wait_workers(struct server *srv, const struct generation *g)
{
	struct pollfd pfd = { .fd = srv->ack_fd, .events = POLLIN };
	uint64_t deadline = clock_usec() + RELOAD_WAIT_USEC, now;
	eventfd_t v;
	unsigned i;

	for (;;) {
		for (i = 0; i < srv->started; i++)
			if (atomic_load(&srv->workers[i].serving) != g)
				break;
		now = clock_usec();
		if (i == srv->started || now >= deadline)
			break;
		if (poll(&pfd, 1, (int)((deadline - now) / 1000) + 1) > 0)
			eventfd_read(srv->ack_fd, &v);
	}
	collect(srv);
}

/*
 * The verdict that udp-replyd-reload waits for (see reload-verdict.h). If
 * it cannot be written, the helper times out: the reload is not undone.
 */
static void __attribute__((format(printf, 3, 4)))
verdict(struct server *srv, enum reload_state state, const char *fmt, ...)
{
	char dir[4096], message[RELOAD_VERDICT_MESSAGE_MAX];
	va_list ap;
	int r;

	if (!reload_verdict_dir(dir, sizeof(dir)))
		return;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	r = reload_verdict_write(dir, srv->reloads, state, message);
	if (r < 0)
		log_write(LOG_WARNING, -r, NULL, "%s/%s: cannot write the reload verdict", dir,
			RELOAD_VERDICT_FILE);
}

/* Log why; said gets the same text, for the verdict. */
static void reload_failed(struct server *srv, const char *why, char *said, size_t size)
{
	snprintf(said, size, "reload failed, keeping the old configuration: %s", why);
	log_write(LOG_ERR, 0, MSGID_RELOAD_FAILED, "%s", said);
	snprintf(srv->reload_error, sizeof(srv->reload_error), "%s", why);
}

/* SIGHUP: a new generation is built here while the workers go on serving. */
static void server_reload(struct server *srv)
{
	char what[LOG_LINE_MAX - 64];
	struct generation *prev = latest(srv), *g;
	char err[CONFIG_ERROR_MAX], said[LOG_LINE_MAX];
	struct config *cfg;
	struct totals t;

	notify_reloading();
	/*
	 * Before the file is read: a udp-replyd-reload that still read the
	 * previous SEQ edited the file before this reload reads it, so this
	 * reload's verdict (or a later one's) is its answer.
	 */
	srv->reloads++;
	verdict(srv, RELOAD_RUNNING, "reloading %s", prev->cfg->path);
	if (config_load_set(prev->cfg->file, prev->cfg->set, &cfg, err, sizeof(err)) < 0) {
		reload_failed(srv, err, said, sizeof(said));
		goto out;
	}
	if (!prev->ls->activated && workers_wanted(cfg) != srv->nworkers)
		log_notice("%s: workers: %u in the file, %u serving; a change takes effect at "
			   "the next start", cfg->path, workers_wanted(cfg), srv->nworkers);
	if (generation_build(cfg, NULL, srv->oldest, srv->nworkers, &g, err, sizeof(err)) != 0) {
		reload_failed(srv, err, said, sizeof(said));
		goto out;
	}
	if (g->ls != prev->ls)
		listeners_retire(prev->ls);
	atomic_store(&prev->next, g);
	atomic_store(&srv->latest, g);
	poke_all(srv);
	wait_workers(srv, g);
	generation_describe(g, "", what, sizeof(what));
	snprintf(said, sizeof(said), "reloaded %s: serving %s", g->cfg->path, what);
	log_write(LOG_INFO, 0, MSGID_RELOADED, "%s", said);
	srv->reload_error[0] = '\0';
out:
	notify_ready();
	totals_get(srv, &t);
	report_status(srv, &t);
	/* Last: when udp-replyd-reload sees it, STATUS= has been sent. */
	verdict(srv, srv->reload_error[0] ? RELOAD_FAILED : RELOAD_OK, "%s", said);
}

static void counters_record(struct server *srv, const char *what, const char *msgid,
	uint64_t unflushed);

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *data)
{
	struct server *srv = data;

	if (si->ssi_signo == SIGHUP) {
		server_reload(srv);
		return 0;
	}
	if (si->ssi_signo == SIGUSR1) {
		counters_record(srv, "counters", MSGID_COUNTERS, 0);
		return 0;
	}
	srv->stop_signal = (int)si->ssi_signo;
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

static int server_setup(struct server *srv)
{
	int sigs[] = { SIGHUP, SIGTERM, SIGINT, SIGUSR1 };
	const size_t nsigs = sizeof(sigs) / sizeof(sigs[0]);
	sigset_t mask;
	size_t i;
	int r, err;

	/* Blocked before any thread starts, so that only our signalfd takes them. */
	sigemptyset(&mask);
	for (i = 0; i < nsigs; i++)
		sigaddset(&mask, sigs[i]);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	/*
	 * A closed log pipe is an error to count, not a reason to die; and a
	 * stray SIGUSR2 (whose default is to terminate) is no reason either.
	 */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR || signal(SIGUSR2, SIG_IGN) == SIG_ERR)
		return -errno;
	r = sd_event_default(&srv->event);
	for (i = 0; r >= 0 && i < nsigs; i++)
		r = sd_event_add_signal(srv->event, NULL, sigs[i], on_signal, srv);
	if (r < 0)
		return r;
	srv->ack_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (srv->ack_fd < 0)
		return -errno;
	r = sd_event_add_io(srv->event, NULL, srv->ack_fd, EPOLLIN, on_ack, srv);
	if (r < 0)
		return r;
	srv->watchdog_usec = notify_watchdog_usec();
	r = sd_event_add_time_relative(srv->event, NULL, CLOCK_MONOTONIC, TICK_USEC, 0, on_tick,
		srv);
	if (r < 0)
		return r;
	srv->logq = logq_start(srv->nworkers);
	srv->workers = calloc(srv->nworkers, sizeof(*srv->workers));
	srv->heartbeat_seen = calloc(srv->nworkers, sizeof(*srv->heartbeat_seen));
	if (!srv->logq || !srv->workers || !srv->heartbeat_seen)
		return -ENOMEM;
	for (i = 0; i < srv->nworkers; i++) {
		struct worker *w = &srv->workers[i];

		w->id = (unsigned)i;
		w->ack_fd = srv->ack_fd;
		w->latest = &srv->latest;
		w->logq = srv->logq;
		w->ring = logq_ring(srv->logq, (unsigned)i);
		err = worker_start(w);
		if (err)
			return -err;
		srv->started++;
	}
	return 0;
}

/* "EAGAIN:12 EPERM:1": the failed replies by errno; false if there are none. */
static bool reply_errors(struct server *srv, char *buf, size_t size)
{
	size_t used = 0;
	uint64_t n;
	unsigned e, i;

	buf[0] = '\0';
	for (e = 1; e < WORKER_ERRNO_MAX && used < size; e++) {
		for (i = 0, n = 0; i < srv->started; i++)
			n += counter_get(&srv->workers[i].count.reply_failed[e]);
		if (n)
			used += (size_t)snprintf(buf + used, size - used, "%s%s:%llu",
				used ? " " : "", e < WORKER_ERRNO_MAX - 1 && strerrorname_np((int)e) ?
				strerrorname_np((int)e) : "other", (unsigned long long)n);
	}
	return used > 0;
}

/*
 * "WHAT: N received, ...": the counters, and what was not logged and not
 * yet summarised (with unflushed, the records a stop could not write). The
 * stop record, and on SIGUSR1 the same counts while serving.
 */
static void counters_record(struct server *srv, const char *what, const char *msgid,
	uint64_t unflushed)
{
	char message[LOG_LINE_MAX], text[12][24], errors[512], policy[48], reasons[256];
	struct log_record rec = { .priority = LOG_INFO, .msgid = msgid, .message = message };
	struct totals t;
	size_t i;

	totals_get(srv, &t);
	t.not_logged += unflushed;
	const struct {
		const char *name;
		uint64_t value;
	} field[] = {
		{ "UDP_RECEIVED", t.received },
		{ "UDP_REPLIED", t.replied },
		{ "UDP_REPLY_FAILED", t.reply_failed },
		{ "UDP_SEND_QUEUE_FULL", t.queue_full },
		{ "UDP_KERNEL_DROPS", t.kernel_drops },
		{ "UDP_LOGGED", t.logged },
		/* what no summary counted: since the last one, and the unflushed */
		{ "UDP_NOT_LOGGED", t.not_logged - srv->summarised },
		{ "UDP_NOT_LOGGED_TOTAL", t.not_logged },
		{ "UDP_MESSAGES_LOST", log_lost() },
		{ "UDP_POLICY_DROPS", t.dropped },
		{ "UDP_REPLIES_TRUNCATED", t.reply_truncated },
	};

	policy_text(&t, policy, sizeof(policy));
	snprintf(message, sizeof(message),
		"%s: %llu received, %llu replied, %llu errors, "
		"%llu dropped by the kernel%s, %llu logged, %llu not logged",
		what, (unsigned long long)t.received,
		(unsigned long long)t.replied,
		(unsigned long long)(t.reply_failed + t.receive_errors),
		(unsigned long long)t.kernel_drops, policy, (unsigned long long)t.logged,
		(unsigned long long)field[6].value);
	for (i = 0; i < sizeof(field) / sizeof(field[0]); i++)
		/* A lost message, a cut reply, is worth a field only when there was one. */
		if (field[i].value || (strcmp(field[i].name, "UDP_MESSAGES_LOST") &&
				       strcmp(field[i].name, "UDP_REPLIES_TRUNCATED")))
			log_field_printf(&rec, field[i].name, text[i], sizeof(text[i]), "%llu",
				(unsigned long long)field[i].value);
	if (t.reply_failed && reply_errors(srv, errors, sizeof(errors)))
		log_field_bytes(&rec, "UDP_REPLY_ERRORS", errors, strlen(errors));
	if (t.dropped) {
		policy_reasons(t.dropped_by, NULL, reasons, sizeof(reasons), ":");
		log_field_bytes(&rec, "UDP_POLICY_DROP_REASONS", reasons, strlen(reasons));
	}
	log_send(&rec, STOP_RECORD_WAIT_MS);
}

static void server_free(struct server *srv)
{
	struct generation *g, *next;

	for (g = srv->oldest; g; g = next) {
		next = atomic_load(&g->next);
		generation_free(g);
	}
	if (srv->logq)
		logq_free(srv->logq);
	if (srv->ack_fd >= 0)
		close(srv->ack_fd);
	sd_event_unref(srv->event);
	free(srv->workers);
	free(srv->heartbeat_seen);
	free(srv);
}

/* Stop the workers after their batch, flush the log (bounded), say what was done. */
static void server_stop(struct server *srv, bool record)
{
	uint64_t unflushed = 0;
	char what[32];
	unsigned i;

	notify_stopping();
	for (i = 0; i < srv->started; i++)
		worker_stop(&srv->workers[i]);
	if (srv->logq)
		unflushed = logq_stop(srv->logq, STOP_FLUSH_MS);
	if (!record)
		return;
	snprintf(what, sizeof(what), "stopping on SIG%s", sigabbrev_np(srv->stop_signal));
	counters_record(srv, what, MSGID_STOPPED, unflushed);
}

int server_run(struct generation *gen, unsigned nworkers)
{
	struct server *srv = calloc(1, sizeof(*srv));
	char what[LOG_LINE_MAX - 64];
	struct totals t;
	int r;

	if (!srv) {
		log_err("out of memory");
		generation_free(gen);
		return EX_OSERR;
	}
	srv->ack_fd = -1;
	srv->nworkers = nworkers;
	srv->oldest = gen;
	atomic_init(&srv->latest, gen);
	srv->summary_usec = srv->policy_usec = clock_usec();
	r = server_setup(srv);
	if (r < 0) {
		errno = -r;
		log_err("cannot start serving");
		server_stop(srv, false);
		server_free(srv);
		return EX_OSERR;
	}
	generation_describe(gen, gen->ls->activated ? " from systemd" : "", what, sizeof(what));
	log_write(LOG_INFO, 0, MSGID_STARTED, "serving %s with %u worker%s", what, nworkers,
		nworkers == 1 ? "" : "s");
	/* Before READY=1: systemd runs no ExecReload= until then. */
	verdict(srv, RELOAD_OK, "serving %s", what);
	notify_ready();
	totals_get(srv, &t);
	report_status(srv, &t);
	r = sd_event_loop(srv->event);
	if (r < 0) {
		errno = -r;
		log_err("event loop");
	}
	server_stop(srv, r >= 0);
	server_free(srv);
	return r < 0 ? EX_OSERR : EX_OK;
}
