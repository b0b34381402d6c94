/* server.c - the event loop: batches of datagrams in, replies out; signals; counters */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sysexits.h>
#include <unistd.h>

#include "log.h"
#include "netaddr.h"
#include "notify.h"
#include "server.h"

#define BATCH 64
#define TAG_SIGNAL SOCKETS_MAX
#define TAG_TIMER (SOCKETS_MAX + 1)

union control {
	char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(struct in_pktinfo))];
	struct cmsghdr align;
};

/* One batch of datagrams and their replies; allocated once. */
struct batch {
	struct mmsghdr in[BATCH], out[BATCH];
	struct iovec in_iov[BATCH], out_iov[BATCH];
	struct sockaddr_storage peer[BATCH], local[BATCH];
	union control in_ctl[BATCH], out_ctl[BATCH];
};

struct counters {
	unsigned long long received, replied, errors;
};

struct server {
	struct config *cfg;
	struct sockets socks;
	uint16_t port[SOCKETS_MAX];	/* local port of each socket */
	unsigned char *buffers;		/* BATCH * cfg->buffer_size */
	int epfd, sigfd, timerfd;
	uint64_t watchdog_usec;
	struct counters count, reported;
	char where[512];		/* what we serve, for messages */
	struct batch batch;
};

/*
 * Fill the reply's control message so it leaves from the address the request
 * was sent to (as Knot DNS does), and note that address in local.
 * Returns the control length, 0 if the request carried no packet info.
 */
static size_t reply_control(struct msghdr *in, union control *out, struct sockaddr_storage *local,
	uint16_t port)
{
	struct sockaddr_in6 *l6 = (struct sockaddr_in6 *)local;
	struct sockaddr_in *l4 = (struct sockaddr_in *)local;
	struct cmsghdr *c, *o = (struct cmsghdr *)out->buf;
	struct in6_pktinfo pi6;
	struct in_pktinfo pi;

	for (c = CMSG_FIRSTHDR(in); c; c = CMSG_NXTHDR(in, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			memset(l4, 0, sizeof(*l4));
			l4->sin_family = AF_INET;
			l4->sin_addr = pi.ipi_addr;
			l4->sin_port = htons(port);
			pi.ipi_spec_dst = pi.ipi_addr;
			pi.ipi_ifindex = 0;
			o->cmsg_level = IPPROTO_IP;
			o->cmsg_type = IP_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(o), &pi, sizeof(pi));
			return CMSG_SPACE(sizeof(pi));
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			memcpy(&pi6, CMSG_DATA(c), sizeof(pi6));
			memset(l6, 0, sizeof(*l6));
			l6->sin6_family = AF_INET6;
			l6->sin6_addr = pi6.ipi6_addr;
			l6->sin6_port = htons(port);
			/* Only a link-local source needs its interface. */
			if (!IN6_IS_ADDR_LINKLOCAL(&pi6.ipi6_addr))
				pi6.ipi6_ifindex = 0;
			o->cmsg_level = IPPROTO_IPV6;
			o->cmsg_type = IPV6_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(pi6));
			memcpy(CMSG_DATA(o), &pi6, sizeof(pi6));
			return CMSG_SPACE(sizeof(pi6));
		}
	}
	local->ss_family = AF_UNSPEC;
	return 0;
}

static void batch_prepare(struct batch *b, unsigned char *buffers, size_t size)
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

/* Send the n replies, skipping (and counting) any the kernel refuses. */
static void send_replies(struct server *srv, int fd, int n)
{
	struct batch *b = &srv->batch;
	char peer[NETADDR_STRLEN];
	int done = 0, sent;

	while (done < n) {
		sent = sendmmsg(fd, &b->out[done], (unsigned)(n - done), 0);
		if (sent < 0) {
			int err = errno;

			srv->count.errors++;
			netaddr_format((struct sockaddr *)&b->peer[done], peer, sizeof(peer));
			log_write(LOG_WARNING, err, NULL, "cannot reply to %s", peer);
			done++;
			continue;
		}
		srv->count.replied += (unsigned)sent;
		done += sent;
	}
}

/* Read one batch from fd, answer it, and log each datagram. */
static void serve_batch(struct server *srv, int fd, uint16_t port, const struct config *cfg,
	unsigned char *buffers)
{
	struct batch *b = &srv->batch;
	struct datagram dg;
	int n, i;

	batch_prepare(b, buffers, cfg->buffer_size);
	n = recvmmsg(fd, b->in, BATCH, MSG_DONTWAIT | MSG_TRUNC, NULL);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			srv->count.errors++;
			log_warn("receive");
		}
		return;
	}
	for (i = 0; i < n; i++) {
		struct msghdr *out = &b->out[i].msg_hdr;

		b->out_iov[i].iov_base = cfg->reply;
		b->out_iov[i].iov_len = cfg->reply_len;
		*out = (struct msghdr){
			.msg_name = &b->peer[i],
			.msg_namelen = b->in[i].msg_hdr.msg_namelen,
			.msg_iov = &b->out_iov[i],
			.msg_iovlen = 1,
			.msg_control = b->out_ctl[i].buf,
		};
		out->msg_controllen = reply_control(&b->in[i].msg_hdr, &b->out_ctl[i], &b->local[i],
			port);
		if (out->msg_controllen == 0)
			out->msg_control = NULL;
	}
	srv->count.received += (unsigned)n;
	send_replies(srv, fd, n);
	for (i = 0; i < n; i++) {
		dg.remote = (struct sockaddr *)&b->peer[i];
		dg.local = b->local[i].ss_family == AF_UNSPEC ? NULL : (struct sockaddr *)&b->local[i];
		dg.payload = b->in_iov[i].iov_base;
		dg.size = b->in[i].msg_len;
		dg.len = dg.size < cfg->buffer_size ? dg.size : cfg->buffer_size;
		log_datagram(&dg);
	}
}

static void report_status(struct server *srv)
{
	notify_status("Serving %s: %llu received, %llu replied, %llu errors", srv->where,
		srv->count.received, srv->count.replied, srv->count.errors);
	srv->reported = srv->count;
}

/* Note each socket's port and what we serve, for replies and messages. */
static void sockets_index(struct server *srv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	size_t i;

	for (i = 0; i < srv->socks.n; i++) {
		len = sizeof(ss);
		srv->port[i] = getsockname(srv->socks.fd[i], (struct sockaddr *)&ss, &len) < 0 ?
			0 : netaddr_port((struct sockaddr *)&ss);
	}
	sockets_describe(&srv->socks, srv->where, sizeof(srv->where));
}

static int sockets_watch(struct server *srv)
{
	struct epoll_event ev = { .events = EPOLLIN };
	size_t i;

	sockets_index(srv);
	for (i = 0; i < srv->socks.n; i++) {
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->socks.fd[i], &ev) < 0)
			return -1;
	}
	return 0;
}

/* Serve what is queued on the old sockets, then close them. */
static void sockets_retire(struct server *srv, struct sockets *old, const struct config *cfg,
	unsigned char *buffers)
{
	struct sockaddr_storage ss;
	socklen_t len;
	size_t i;

	for (i = 0; i < old->n; i++) {
		unsigned long long before;

		len = sizeof(ss);
		if (getsockname(old->fd[i], (struct sockaddr *)&ss, &len) < 0)
			continue;
		do {
			before = srv->count.received;
			serve_batch(srv, old->fd[i], netaddr_port((struct sockaddr *)&ss), cfg,
				buffers);
		} while (srv->count.received - before == BATCH);
	}
	sockets_close(old); /* closing also removes them from the epoll set */
}

static void reload_failed(const char *why)
{
	log_write(LOG_ERR, 0, MSGID_RELOAD_FAILED,
		"reload failed, keeping the old configuration: %s", why);
}

/* SIGHUP: a new config is swapped in whole, or the old one keeps serving. */
static void server_reload(struct server *srv)
{
	char err[CONFIG_ERROR_MAX];
	struct sockets fresh, old;
	struct config *cfg, *prev = srv->cfg;
	unsigned char *buffers, *prev_buffers = srv->buffers;

	notify_reloading();
	if (config_load(prev->path, &cfg, err, sizeof(err)) < 0) {
		reload_failed(err);
		goto out;
	}
	buffers = malloc(BATCH * cfg->buffer_size);
	if (!buffers) {
		reload_failed(strerror(errno));
		config_free(cfg);
		goto out;
	}
	if (srv->socks.activated) {
		sockets_check_config(&srv->socks, cfg);
	} else if (!config_same_endpoint(cfg, prev)) {
		/*
		 * Bind before closing, also when the new address overlaps the
		 * old one on the same port (127.0.0.1 -> 0.0.0.0): the old
		 * sockets share their port with ours for the moment of the
		 * handover, and with no one else's.
		 */
		sockets_set_reuseport(&srv->socks, true);
		if (sockets_bind(cfg, &fresh, true) != 0) {
			sockets_set_reuseport(&srv->socks, false);
			reload_failed("cannot bind the new address");
			free(buffers);
			config_free(cfg);
			goto out;
		}
		old = srv->socks;
		srv->socks = fresh;
		if (sockets_watch(srv) < 0) {
			log_err("epoll");
			sockets_close(&fresh);
			srv->socks = old;
			sockets_index(srv);
			sockets_set_reuseport(&srv->socks, false);
			reload_failed("cannot watch the new sockets");
			free(buffers);
			config_free(cfg);
			goto out;
		}
		sockets_retire(srv, &old, prev, prev_buffers);
		sockets_set_reuseport(&srv->socks, false);
	}
	srv->cfg = cfg;
	srv->buffers = buffers;
	config_free(prev);
	free(prev_buffers);
	log_write(LOG_INFO, 0, MSGID_RELOADED, "reloaded %s: serving %s (buffer %zu bytes, reply %zu bytes)",
		cfg->path, srv->where, cfg->buffer_size, cfg->reply_len);
out:
	notify_ready();
	report_status(srv);
}

static void timer_tick(struct server *srv)
{
	uint64_t expirations;

	if (read(srv->timerfd, &expirations, sizeof(expirations)) < 0)
		return;
	if (memcmp(&srv->count, &srv->reported, sizeof(srv->count)) != 0)
		report_status(srv);
	if (srv->watchdog_usec)
		notify_watchdog();
}

/* Returns the signal that asks us to stop, or 0. */
static int signal_read(struct server *srv)
{
	struct signalfd_siginfo si;

	while (read(srv->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			server_reload(srv);
		else
			return (int)si.ssi_signo;
	}
	return 0;
}

static int server_setup(struct server *srv)
{
	struct itimerspec tick = { .it_interval = { .tv_sec = 1 } };
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -1;
	/* A closed log pipe is an error to ignore, not a reason to die. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		return -1;
	srv->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	srv->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	srv->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (srv->sigfd < 0 || srv->timerfd < 0 || srv->epfd < 0)
		return -1;
	/* Status once a second; watchdog pings at half the interval systemd asked for. */
	srv->watchdog_usec = notify_watchdog_usec();
	if (srv->watchdog_usec && srv->watchdog_usec < 2000000) {
		tick.it_interval.tv_sec = 0;
		tick.it_interval.tv_nsec = (long)(srv->watchdog_usec / 2 * 1000);
	}
	/* Nobody to tell: no timer, no wake-ups when idle. */
	if (notify_enabled())
		tick.it_value = tick.it_interval;
	if (timerfd_settime(srv->timerfd, 0, &tick, NULL) < 0)
		return -1;
	ev.data.u32 = TAG_SIGNAL;
	if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->sigfd, &ev) < 0)
		return -1;
	ev.data.u32 = TAG_TIMER;
	if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->timerfd, &ev) < 0)
		return -1;
	srv->buffers = malloc(BATCH * srv->cfg->buffer_size);
	if (!srv->buffers)
		return -1;
	return sockets_watch(srv);
}

static void server_free(struct server *srv)
{
	sockets_close(&srv->socks);
	if (srv->epfd >= 0)
		close(srv->epfd);
	if (srv->sigfd >= 0)
		close(srv->sigfd);
	if (srv->timerfd >= 0)
		close(srv->timerfd);
	free(srv->buffers);
	config_free(srv->cfg);
	free(srv);
}

/* Wait for and handle one round of events; returns a stop signal or 0. */
static int server_step(struct server *srv)
{
	struct epoll_event ev[SOCKETS_MAX + 2];
	int n, i, stop;
	uint32_t tag;

	n = epoll_wait(srv->epfd, ev, SOCKETS_MAX + 2, -1);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	for (i = 0; i < n; i++) {
		tag = ev[i].data.u32;
		if (tag == TAG_TIMER) {
			timer_tick(srv);
		} else if (tag == TAG_SIGNAL) {
			/* A reload may renumber the sockets: wait afresh. */
			stop = signal_read(srv);
			return stop;
		} else {
			serve_batch(srv, srv->socks.fd[tag], srv->port[tag], srv->cfg,
				srv->buffers);
		}
	}
	return 0;
}

int server_run(struct config *cfg, struct sockets *socks)
{
	struct server *srv = calloc(1, sizeof(*srv));
	int stop = 0;

	if (!srv) {
		log_err("out of memory");
		config_free(cfg);
		sockets_close(socks);
		return EX_OSERR;
	}
	srv->cfg = cfg;
	srv->socks = *socks;
	srv->epfd = srv->sigfd = srv->timerfd = -1;
	if (server_setup(srv) < 0) {
		log_err("cannot set up the event loop");
		server_free(srv);
		return EX_OSERR;
	}
	log_write(LOG_INFO, 0, MSGID_STARTED, "serving %s%s (buffer %zu bytes, reply %zu bytes)",
		srv->where, srv->socks.activated ? " from systemd" : "", cfg->buffer_size,
		cfg->reply_len);
	notify_ready();
	report_status(srv);
	while (stop == 0)
		stop = server_step(srv);
	notify_stopping();
	if (stop < 0) {
		log_err("epoll_wait");
		server_free(srv);
		return EX_OSERR;
	}
	log_write(LOG_INFO, 0, MSGID_STOPPED, "stopping on SIG%s: %llu received, %llu replied, %llu errors",
		sigabbrev_np(stop), srv->count.received, srv->count.replied, srv->count.errors);
	server_free(srv);
	return EX_OK;
}
