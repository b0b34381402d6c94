/* worker.c - one serving thread: receive batch -> reply -> send -> record */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-event.h>

#include "counter.h"
#include "log.h"
#include "ratelimit.h"
#include "thread.h"
#include "worker.h"

/* A receive queue of 1 GiB (receive_buffer's most) holds fewer batches. */
#define DRAIN_BATCHES_MAX (1 << 18)

union control {
	char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(struct in_pktinfo)) +
		 CMSG_SPACE(sizeof(uint32_t))];
	struct cmsghdr align;
};

/* One batch of datagrams and their replies; allocated once per worker. */
struct worker_batch {
	struct mmsghdr in[BATCH], out[BATCH];
	struct iovec in_iov[BATCH], out_iov[BATCH];
	union netaddr_inet peer[BATCH], local[BATCH];
	union control in_ctl[BATCH], out_ctl[BATCH];
	int reply_errno[BATCH];
	int replies[BATCH];		/* out[k] answers in[replies[k]] */
	uint64_t limit_key[BATCH];	/* its rate-limit key; 0: not limited */
	bool answered[BATCH];		/* the policy let it be answered */
};

/* A socket this worker polls. */
struct worker_watch {
	struct worker *w;
	struct listener *l;
	sd_event_source *source;
};

/*
 * Read what the kernel said about one datagram: the address it was sent to
 * (into local, and into the reply's control message so that the reply
 * leaves from it, as Knot DNS does) and the socket's drop count.
 * Returns the reply's control length, 0 without packet info.
 */
static size_t read_control(struct msghdr *in, union control *out, union netaddr_inet *local,
	struct listener *l)
{
	struct cmsghdr *c, *o = (struct cmsghdr *)out->buf;
	struct in6_pktinfo pi6;
	struct in_pktinfo pi;
	uint32_t drops;
	size_t len = 0;

	local->sa.sa_family = AF_UNSPEC;
	for (c = CMSG_FIRSTHDR(in); c; c = CMSG_NXTHDR(in, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
			memcpy(&drops, CMSG_DATA(c), sizeof(drops));
			atomic_store_explicit(&l->drops_seen, drops, memory_order_relaxed);
		} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			memset(&local->in, 0, sizeof(local->in));
			local->in.sin_family = AF_INET;
			local->in.sin_addr = pi.ipi_addr;
			local->in.sin_port = htons(l->port);
			pi.ipi_spec_dst = pi.ipi_addr;
			pi.ipi_ifindex = 0;
			o->cmsg_level = IPPROTO_IP;
			o->cmsg_type = IP_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(o), &pi, sizeof(pi));
			len = CMSG_SPACE(sizeof(pi));
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			memcpy(&pi6, CMSG_DATA(c), sizeof(pi6));
			memset(&local->in6, 0, sizeof(local->in6));
			local->in6.sin6_family = AF_INET6;
			local->in6.sin6_addr = pi6.ipi6_addr;
			local->in6.sin6_port = htons(l->port);
			/* Only a link-local source needs its interface. */
			if (!IN6_IS_ADDR_LINKLOCAL(&pi6.ipi6_addr))
				pi6.ipi6_ifindex = 0;
			o->cmsg_level = IPPROTO_IPV6;
			o->cmsg_type = IPV6_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(pi6));
			memcpy(CMSG_DATA(o), &pi6, sizeof(pi6));
			len = CMSG_SPACE(sizeof(pi6));
		}
	}
	return len;
}

static void batch_prepare(struct worker_batch *b, unsigned char *buffers, size_t size)
{
	size_t i;

	for (i = 0; i < BATCH; i++) {
		b->in_iov[i].iov_base = buffers + i * size;
		b->in_iov[i].iov_len = size;
		b->in[i].msg_hdr = (struct msghdr){
			.msg_name = &b->peer[i],
			.msg_namelen = sizeof(b->peer[i]),
			.msg_iov = &b->in_iov[i],
			.msg_iovlen = 1,
			.msg_control = b->in_ctl[i].buf,
			.msg_controllen = sizeof(b->in_ctl[i].buf),
		};
	}
}

void worker_top_add(struct worker_top *slots, size_t n, const struct netaddr_prefix *p,
	uint64_t count)
{
	struct worker_top *t, *least = &slots[0];

	for (t = slots; t < slots + n; t++) {
		if (t->count && t->prefix.len == p->len && !memcmp(&t->prefix.addr, &p->addr, 16))
			break;
		if (t->count < least->count)
			least = t;
	}
	if (t == slots + n) {
		t = least;
		t->prefix = *p;
	}
	t->count += count;
}

/* Count a dropped datagram's source prefix among the most dropped. */
static void note_dropped(struct worker *w, const struct sockaddr *sa, const struct config *cfg)
{
	struct netaddr_prefix p;

	if (!netaddr_prefix_of(sa, cfg->ipv4_prefix, cfg->ipv6_prefix, &p))
		return;
	pthread_mutex_lock(&w->top_lock);
	worker_top_add(w->top, WORKER_TOP, &p, 1);
	pthread_mutex_unlock(&w->top_lock);
}

void worker_take_top(struct worker *w, struct worker_top *out)
{
	pthread_mutex_lock(&w->top_lock);
	memcpy(out, w->top, sizeof(w->top));
	memset(w->top, 0, sizeof(w->top));
	pthread_mutex_unlock(&w->top_lock);
}

/* Send the n replies without waiting; one the kernel refuses is counted, not retried. */
static void send_replies(struct worker *w, int fd, int n)
{
	struct worker_batch *b = w->batch;
	int done = 0, sent, err;

	while (done < n) {
		sent = sendmmsg(fd, &b->out[done], (unsigned)(n - done), MSG_DONTWAIT);
		if (sent < 0) {
			err = errno == EWOULDBLOCK ? EAGAIN : errno;
			b->reply_errno[b->replies[done]] = err;
			counter_add(&w->count.reply_failed[err < WORKER_ERRNO_MAX ? err :
				WORKER_ERRNO_MAX - 1], 1);
			done++;
			continue;
		}
		counter_add(&w->count.replied, (unsigned)sent);
		done += sent;
	}
}

static void log_batch(struct worker *w, const struct service *svc, int n)
{
	struct worker_batch *b = w->batch;
	struct datagram dg = { .service = svc->name, .service_len = strlen(svc->name) };
	int i;

	for (i = 0; i < n; i++) {
		/* A dropped datagram has no record: the policy summaries count it. */
		if (!b->answered[i])
			continue;
		dg.remote = &b->peer[i].sa;
		dg.local = b->local[i].sa.sa_family == AF_UNSPEC ? NULL : &b->local[i].sa;
		dg.payload = b->in_iov[i].iov_base;
		dg.size = b->in[i].msg_len;
		dg.len = dg.size < svc->buffer_size ? dg.size : svc->buffer_size;
		dg.reply_errno = b->reply_errno[i];
		logq_push(w->ring, &dg);
	}
	logq_commit(w->logq, w->ring);
}

/*
 * A templated reply to datagram i into out (the generation's room for it:
 * reply_max bytes); its length. The wall clock is read once a batch, when
 * the template shows the time.
 */
static size_t expand(struct worker *w, const struct generation *g, const struct service *svc,
	int i, const struct sockaddr *local, size_t len, struct timespec *realtime,
	unsigned char *out)
{
	struct worker_batch *b = w->batch;
	struct template_input in = {
		.remote = &b->peer[i].sa,
		.local = local,
		.payload = b->in_iov[i].iov_base,
		.len = len,
		.size = b->in[i].msg_len,
		.hostname = g->hostname,
		.service = svc->name,
	};
	bool cut = false;
	size_t n;

	if (!realtime->tv_sec && template_uses(&svc->tmpl, TEMPLATE_USES_TIME))
		clock_gettime(CLOCK_REALTIME, realtime);
	in.now = *realtime;
	n = template_expand(&svc->tmpl, &in, out, g->reply_max, &cut);
	if (cut)
		counter_add(&w->count.reply_truncated, 1);
	return n;
}

/*
 * Read one batch from l, answer it, queue its records; how many were read,
 * or -EAGAIN when nothing was queued, or another -errno.
 */
static int serve_batch(struct worker *w, struct listener *l, const struct generation *g)
{
	struct worker_batch *b = w->batch;
	const struct service *svc = generation_service(g, l);
	enum policy_verdict verdict;
	struct timespec ts, realtime = { 0, 0 };
	uint32_t now_ms = 0;
	int n, i, k;

	batch_prepare(b, generation_buffers(g, w->id), svc->buffer_size);
	n = recvmmsg(l->fd, b->in, BATCH, MSG_DONTWAIT | MSG_TRUNC, NULL);
	if (n < 0) {
		if (errno == EWOULDBLOCK)
			return -EAGAIN;
		if (errno != EAGAIN && errno != EINTR)
			counter_add(&w->count.receive_errors, 1);
		return -errno;
	}
	/* The buckets of the batch's senders, fetched together (cache misses overlap). */
	for (i = 0; i < n; i++) {
		b->limit_key[i] = 0;
		if (g->cfg->rate_limit && !policy_exempt(g->cfg, &b->peer[i].sa)) {
			b->limit_key[i] = ratelimit_key(w->ratelimit, &b->peer[i].sa);
			ratelimit_prefetch(w->ratelimit, b->limit_key[i]);
		}
	}
	for (i = 0, k = 0; i < n; i++) {
		struct msghdr *out = &b->out[k].msg_hdr;
		const struct sockaddr *local;
		size_t ctl, len = b->in[i].msg_len < svc->buffer_size ? b->in[i].msg_len :
			svc->buffer_size;

		b->reply_errno[i] = 0;
		ctl = read_control(&b->in[i].msg_hdr, &b->out_ctl[k], &b->local[i], l);
		local = b->local[i].sa.sa_family == AF_UNSPEC ? NULL : &b->local[i].sa;
		verdict = policy_decide(&g->policy, &b->peer[i].sa, local, l->port,
			b->in_iov[i].iov_base, len, b->in[i].msg_len,
			svc->literal ? svc->literal_len : 0);
		if (svc->literal) {
			b->out_iov[k].iov_base = (void *)(uintptr_t)svc->literal;
			b->out_iov[k].iov_len = svc->literal_len;
		} else if (verdict == POLICY_REPLY) {
			/* Expanded first: the limit counts what is sent, echoed bytes too. */
			b->out_iov[k].iov_base = generation_reply(g, w->id, k);
			b->out_iov[k].iov_len = expand(w, g, svc, i, local, len, &realtime,
				b->out_iov[k].iov_base);
			verdict = policy_amplification(&g->policy, b->in[i].msg_len,
				b->out_iov[k].iov_len);
		}
		if (verdict == POLICY_REPLY && b->limit_key[i]) {
			if (!now_ms) {
				clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
				now_ms = (uint32_t)(ts.tv_sec * 1000 + ts.tv_nsec / 1000000) | 1;
			}
			if (!ratelimit_allow_key(w->ratelimit, b->limit_key[i], now_ms))
				verdict = POLICY_RATE_LIMITED;
		}
		b->answered[i] = verdict == POLICY_REPLY;
		if (!b->answered[i]) {
			counter_add(&w->count.dropped[verdict], 1);
			note_dropped(w, &b->peer[i].sa, g->cfg);
			continue;
		}
		*out = (struct msghdr){
			.msg_name = &b->peer[i],
			.msg_namelen = b->in[i].msg_hdr.msg_namelen,
			.msg_iov = &b->out_iov[k],
			.msg_iovlen = 1,
			.msg_control = ctl ? b->out_ctl[k].buf : NULL,
			.msg_controllen = ctl,
		};
		b->replies[k++] = i;
	}
	counter_add(&w->count.received, (unsigned)n);
	send_replies(w, l->fd, k);
	if (g->cfg->log_datagrams)
		log_batch(w, svc, n);
	return n;
}

static int on_readable(sd_event_source *s, int fd, uint32_t revents, void *data)
{
	struct worker_watch *watch = data;
	int round;

	(void)s;
	(void)fd;
	(void)revents;
	/* A few full batches per wake-up, then let the other sockets have a turn. */
	for (round = 0; round < 4; round++)
		if (serve_batch(watch->w, watch->l, watch->w->gen) != BATCH)
			break;
	return 0;
}

static void unwatch(struct worker *w)
{
	size_t i;

	for (i = 0; i < w->nwatch; i++)
		sd_event_source_disable_unref(w->watch[i].source);
	free(w->watch);
	w->watch = NULL;
	w->nwatch = 0;
}

static int watch(struct worker *w, struct listeners *ls)
{
	size_t i, n = 0;
	int r;

	w->watch = calloc(ls->n ? ls->n : 1, sizeof(*w->watch));
	if (!w->watch)
		return -ENOMEM;
	for (i = 0; i < ls->n; i++) {
		if (ls->l[i].worker != w->id)
			continue;
		w->watch[n] = (struct worker_watch){ .w = w, .l = &ls->l[i] };
		r = sd_event_add_io(w->event, &w->watch[n].source, ls->l[i].fd, EPOLLIN, on_readable,
			&w->watch[n]);
		if (r < 0)
			return r;
		w->nwatch = ++n;
	}
	return 0;
}

/*
 * Serve what is queued on g's sockets of ours, which the main thread has
 * retired (they take no new datagrams), until the queue is empty: a pending
 * socket error (an ICMP report) or a signal interrupts a receive, not the
 * drain. Bounded, should retiring have failed under a flood.
 */
static void drain(struct worker *w, const struct generation *g)
{
	int n, errors, batches;
	size_t i;

	for (i = 0; i < g->ls->n; i++) {
		if (g->ls->l[i].worker != w->id)
			continue;
		errors = batches = 0;
		do
			n = serve_batch(w, &g->ls->l[i], g);
		while (n != -EAGAIN && (n >= 0 || ++errors < 16) && ++batches < DRAIN_BATCHES_MAX);
	}
}

/* Move to the newest generation, draining each one whose sockets were replaced. */
static int switch_generation(struct worker *w)
{
	struct generation *latest = atomic_load_explicit(w->latest, memory_order_acquire);
	struct generation *g, *next;
	bool rewatch = false;
	int r = 0;

	if (latest == w->gen)
		return 0;
	for (g = w->gen; g != latest; g = next) {
		next = atomic_load_explicit(&g->next, memory_order_acquire);
		if (next->ls != g->ls) {
			drain(w, g);
			rewatch = true;
		}
	}
	if (rewatch) {
		unwatch(w);
		r = watch(w, latest->ls);
	}
	w->gen = latest;
	ratelimit_configure(w->ratelimit, latest->cfg);
	atomic_store_explicit(&w->serving, latest, memory_order_release);
	if (eventfd_write(w->ack_fd, 1) < 0) {
		/* The main thread also collects on its timer. */
	}
	return r;
}

static int on_poke(sd_event_source *s, int fd, uint32_t revents, void *data)
{
	struct worker *w = data;
	eventfd_t v;
	int r;

	(void)s;
	(void)revents;
	/*
	 * Never fail: sd-event would disable this source, and then neither a
	 * new generation nor the stop would reach the worker.
	 */
	if (eventfd_read(fd, &v) < 0 && errno != EAGAIN)
		log_write_nowait(LOG_WARNING, errno, "worker %u: poke", w->id);
	if (atomic_load(&w->stop))
		return sd_event_exit(w->event, 0);
	r = switch_generation(w);
	if (r < 0)
		log_write_nowait(LOG_ERR, -r, "worker %u: cannot watch the new sockets", w->id);
	counter_add(&w->heartbeat, 1);
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	sd_event *event = w->event;
	int r;

	r = sd_event_loop(event);
	if (r < 0) {
		errno = -r;
		log_err("worker %u stopped", w->id);
	}
	unwatch(w);
	return NULL;
}

int worker_start(struct worker *w)
{
	sd_event *event = NULL;
	int r;

	w->gen = atomic_load(w->latest);
	atomic_init(&w->serving, w->gen);
	pthread_mutex_init(&w->top_lock, NULL);
	w->batch = calloc(1, sizeof(*w->batch));
	w->ratelimit = calloc(1, sizeof(*w->ratelimit));
	w->ctl_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!w->batch || !w->ratelimit || w->ctl_fd < 0)
		return ENOMEM;
	ratelimit_configure(w->ratelimit, w->gen->cfg);
	r = sd_event_new(&event);
	if (r < 0)
		return -r;
	w->event = event;
	r = sd_event_add_io(event, NULL, w->ctl_fd, EPOLLIN, on_poke, w);
	if (r >= 0)
		r = watch(w, w->gen->ls);
	if (r < 0)
		return -r;
	return thread_start(&w->thread, worker_main, w);
}

void worker_poke(struct worker *w)
{
	if (eventfd_write(w->ctl_fd, 1) < 0) {
		/* Only a counter overflow fails, and a pending poke is enough. */
	}
}

void worker_stop(struct worker *w)
{
	atomic_store(&w->stop, true);
	worker_poke(w);
	pthread_join(w->thread, NULL);
	sd_event_unref(w->event);
	close(w->ctl_fd);
	free(w->batch);
	free(w->ratelimit);
}
