/*
 * udpbench.c - closed-loop UDP load generator and latency meter (libc only)
 *
 *   udpbench [OPTIONS] HOST PORT	measure a server (loopback only)
 *   udpbench [OPTIONS] --reference	measure the in-process reference server
 *   udpbench [OPTIONS] --reference HOST PORT	both, one after the other
 *   udpbench --free-port		print a UDP port now free on 127.0.0.1
 *   udpbench --spawn OUTFILE PROG [ARGS]	run PROG with a NOTIFY_SOCKET of
 *					its own; READY=1 time, CPU (see spawn_main)
 *
 * Each of WINDOW connected sockets has up to DEPTH requests outstanding (1 by
 * default), sent in one sendmmsg and their replies taken in one recvmmsg, so
 * that a deep window costs the generator little CPU. The server's reply is
 * fixed text, it does not echo a sequence number: a reply is matched to the
 * oldest request outstanding on the socket it arrives on. A socket that gets
 * no reply within the loss timeout counts what it has outstanding as lost and
 * is replaced by a fresh one so that a late reply cannot be taken for another.
 *
 * With --sources N the requests come from N source addresses, one in each of
 * N /24s of 127.0.0.0/8 (127.1.0.1, 127.1.1.1, ..., 127.1.255.1, 127.2.0.1,
 * ...; on Linux the whole of 127.0.0.0/8 is local on lo), taken in turn
 * request by request: a server's per-source work (access lists, rate-limit
 * buckets) then sees N sources under the same closed loop. The sockets are
 * then unconnected, bound to the wildcard address (a reply goes to the
 * address its request came from), and each request names its source in an
 * IP_PKTINFO control message; a reply from anyone but the server is stray.
 * Unconnected sockets hear no ICMP refusal: a server that is gone shows as
 * lost requests. A server whose workers take different sources (a reuseport
 * group steered by prefix) may answer one socket out of order: the counts
 * hold, the latencies are then approximate.
 *
 * Bounded: COUNT <= 10,000,000 and each measurement stops sending after the
 * time limit (default 30 s); what is still outstanding then gets at most the
 * loss timeout more. After 1000 refusals in a row (ICMP port unreachable) it
 * stops sending: the server is gone.
 *
 * Exit codes: 0 every measurement got replies, 1 one got none, 2 usage,
 * 3 system error.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <arpa/inet.h>
#include <linux/sock_diag.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXIT_NO_REPLY 1
#define EXIT_USAGE 2
#define EXIT_SYSERR 3

#define COUNT_MAX 10000000UL
#define WARMUP_MAX 1000000UL
#define WINDOW_MAX 1000U
#define SIZE_MAX_UDP 65507UL
#define TIME_LIMIT_MAX 3600.0
#define TIMEOUT_MAX 4.0		/* latencies are kept as uint32_t nanoseconds */
#define SCAN_NS 10000000ULL	/* look for timed-out requests every 10 ms */
#define DATAGRAM_MAX 65536
#define REF_BATCH 64
#define DEPTH_MAX 64
#define DATAGRAM_MAX_REQ 65536	/* a request, at most SIZE_MAX_UDP bytes */
#define REPLY_BUF 2048		/* a longer reply is taken, truncated */
#define REFUSED_IN_A_ROW_MAX 1000	/* the server is gone: stop sending */
#define REF_REPLY "Hello UDP Client"	/* udp-replyd's default reply */
#define SOURCES_MAX (254U * 256U)	/* 127.1.0.1 to 127.254.255.1 */

enum ref_mode {
	REF_NONE,
	REF_PLAIN,	/* recvfrom/sendto, one datagram per call */
	REF_MMSG,	/* recvmmsg/sendmmsg, batches of REF_BATCH */
};

struct options {
	unsigned long count, warmup;
	size_t size;
	unsigned window, depth;
	unsigned sources;	/* 0: the sockets' own address; else --sources */
	uint64_t time_limit_ns, timeout_ns;
	enum ref_mode reference;
	const char *name;
	const char *host, *port;
	int pin_gen, pin_srv;	/* CPU numbers, -1: leave to the scheduler */
	bool kv, quiet;
};

/* One socket with up to DEPTH requests in flight (see struct bench). */
struct slot {
	int fd;
	unsigned head, count;
	uint64_t last_reply_ns;
};

struct result {
	const char *name;
	char addr[INET6_ADDRSTRLEN + 8];
	unsigned long sent, replies, lost, refused, stray;		/* measured */
	unsigned long sent_total, replies_total, lost_total, send_errors;	/* with warmup */
	uint64_t first_ns, last_ns;	/* first measured send, last measured reply */
	uint32_t *lat;			/* measured round trips, ns */
	size_t nlat;
	uint64_t gen_cpu_ns, srv_cpu_ns, wall_ns;
	unsigned long srv_drops;	/* the reference socket's receive queue drops */
	bool srv_cpu_known, time_limited, refused_stop;
};

struct reference {
	int fd;
	enum ref_mode mode;
	pthread_t thread;
	atomic_bool stop;
	struct sockaddr_storage addr;
	socklen_t addrlen;
};

static const char *progname = "udpbench";

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: %s [OPTIONS] HOST PORT\n"
		"       %s [OPTIONS] --reference[=plain|mmsg] [HOST PORT]\n"
		"       %s --free-port\n"
		"       %s --spawn OUTFILE PROG [ARGS...]\n"
		"Closed-loop UDP load on a loopback server; round-trip latency and rate.\n\n"
		"  -n, --count N          measured requests (default 200000, at most %lu)\n"
		"      --warmup N         unmeasured requests first (default 2000, at most %lu)\n"
		"  -s, --size BYTES       request size (default 16, at most %lu)\n"
		"  -w, --window W         sockets, each with DEPTH requests outstanding\n"
		"                         (default 32, at most %u)\n"
		"      --depth D          requests outstanding per socket (default 1,\n"
		"                         at most %u; W x D at most %u)\n"
		"      --sources N        send from N addresses in N /24s of 127.0.0.0/8\n"
		"                         (127.1.0.1, 127.1.1.1, ...), in turn (at most %u;\n"
		"                         IPv4 only)\n"
		"  -T, --time-limit SECS  stop sending after SECS (default 30, at most %.0f)\n"
		"  -t, --timeout SECS     a request unanswered this long is lost\n"
		"                         (default 1, at most %.0f)\n"
		"  -r, --reference[=MODE] also (or, without HOST PORT, only) measure an\n"
		"                         in-process reference server on an ephemeral\n"
		"                         loopback port; MODE plain (recvfrom/sendto, the\n"
		"                         default) or mmsg (batches of %d)\n"
		"      --name NAME        what to call HOST PORT in the output (\"target\")\n"
		"      --pin GEN,SRV      generator on CPU GEN, reference server on CPU SRV\n"
		"  -k, --kv               one key=value line per measurement\n"
		"  -q, --quiet            print nothing; the exit code tells\n"
		"      --free-port        print a UDP port free on 127.0.0.1 now, and exit\n"
		"      --spawn OUTFILE PROG [ARGS...]  (first option only) run PROG with\n"
		"                         NOTIFY_SOCKET=OUTFILE.sock; its notify lines,\n"
		"                         READY=1 time since execve, exit status and CPU\n"
		"                         go to OUTFILE\n"
		"  -h, --help             show this help and exit\n\n"
		"HOST must be a loopback address (127.0.0.0/8 or ::1). Exit codes: 0 replies\n"
		"received, 1 a measurement got no reply, 2 usage error, 3 system error.\n",
		progname, progname, progname, progname, COUNT_MAX, WARMUP_MAX, SIZE_MAX_UDP, WINDOW_MAX,
		DEPTH_MAX, WINDOW_MAX * 16U, SOURCES_MAX, TIME_LIMIT_MAX, TIMEOUT_MAX, REF_BATCH);
}

static void usage_error(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help'.\n", progname);
	exit(EXIT_USAGE);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t cpu_ns(clockid_t clock)
{
	struct timespec ts;

	if (clock_gettime(clock, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static unsigned long parse_ulong(const char *text, const char *what, unsigned long min,
	unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(text, &end, 10);
	if (text[0] < '0' || text[0] > '9' || errno || *end || v < min || v > max)
		usage_error("%s: not a number in range", what);
	return v;
}

static uint64_t parse_seconds(const char *text, const char *what, double max)
{
	double v;
	char *end;

	errno = 0;
	v = strtod(text, &end);
	if (end == text || *end || errno || !(v > 0) || v > max)
		usage_error("%s: not a number of seconds in range", what);
	return (uint64_t)(v * 1e9);
}

static void parse_pin(const char *text, struct options *o)
{
	unsigned gen, srv;
	char tail;

	if (sscanf(text, "%u,%u%c", &gen, &srv, &tail) != 2 || gen >= CPU_SETSIZE ||
	    srv >= CPU_SETSIZE)
		usage_error("--pin \"%s\": want GEN,SRV (two CPU numbers)", text);
	o->pin_gen = (int)gen;
	o->pin_srv = (int)srv;
}

static bool is_loopback(const struct sockaddr *sa)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;

	if (sa->sa_family == AF_INET)
		return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
	return false;
}

static void format_addr(const struct sockaddr *sa, char *buf, size_t len)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
	char host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(s6->sin6_port));
	} else {
		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(s4->sin_port));
	}
}

/* HOST PORT to one address, refusing anything that is not loopback. */
static int resolve_loopback(const char *host, const char *port, struct sockaddr_storage *ss,
	socklen_t *len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res, *ai;
	int rc;

	parse_ulong(port, "PORT", 1, 65535);
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		fprintf(stderr, "%s: %s: %s\n", progname, host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		if (!is_loopback(ai->ai_addr)) {
			fprintf(stderr, "%s: %s: not a loopback address; no load sent there\n",
				progname, host);
			freeaddrinfo(res);
			return -1;
		}
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int pin_thread(pthread_t thread, int cpu)
{
	cpu_set_t set;
	int rc;

	if (cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET((unsigned)cpu, &set);
	rc = pthread_setaffinity_np(thread, sizeof(set), &set);
	if (rc != 0) {
		fprintf(stderr, "%s: cannot pin to CPU %d: %s\n", progname, cpu, strerror(rc));
		return -1;
	}
	return 0;
}

/* Enough descriptors for the window and a few more. */
static int fd_limit_raise(unsigned need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	if (rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
		fprintf(stderr, "%s: need %u file descriptors, the hard limit is %llu\n", progname,
			need, (unsigned long long)rl.rlim_max);
		return -1;
	}
	rl.rlim_cur = need;
	return setrlimit(RLIMIT_NOFILE, &rl);
}

/* ---- the reference server: no logging, nothing but the reply ---- */

static void reference_plain(struct reference *ref)
{
	static unsigned char buf[DATAGRAM_MAX];
	struct sockaddr_storage peer;
	socklen_t len;
	ssize_t n;

	while (!atomic_load_explicit(&ref->stop, memory_order_relaxed)) {
		len = sizeof(peer);
		n = recvfrom(ref->fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &len);
		if (n < 0)
			continue; /* the receive timeout: look at the stop flag */
		if (sendto(ref->fd, REF_REPLY, sizeof(REF_REPLY) - 1, 0, (struct sockaddr *)&peer,
			    len) < 0) {
			/* dropped, as a real server would */
		}
	}
}

static void reference_mmsg(struct reference *ref)
{
	static unsigned char bufs[REF_BATCH][2048];
	struct sockaddr_storage peer[REF_BATCH];
	struct mmsghdr in[REF_BATCH], out[REF_BATCH];
	struct iovec iin[REF_BATCH], iout[REF_BATCH];
	int n, i, done, sent;

	while (!atomic_load_explicit(&ref->stop, memory_order_relaxed)) {
		for (i = 0; i < REF_BATCH; i++) {
			iin[i].iov_base = bufs[i];
			iin[i].iov_len = sizeof(bufs[i]);
			in[i].msg_hdr = (struct msghdr){ .msg_name = &peer[i],
				.msg_namelen = sizeof(peer[i]), .msg_iov = &iin[i],
				.msg_iovlen = 1 };
		}
		n = recvmmsg(ref->fd, in, REF_BATCH, MSG_WAITFORONE, NULL);
		if (n <= 0)
			continue;
		for (i = 0; i < n; i++) {
			iout[i] = (struct iovec){ .iov_base = (void *)(uintptr_t)REF_REPLY,
				.iov_len = sizeof(REF_REPLY) - 1 };
			out[i].msg_hdr = (struct msghdr){ .msg_name = &peer[i],
				.msg_namelen = in[i].msg_hdr.msg_namelen, .msg_iov = &iout[i],
				.msg_iovlen = 1 };
		}
		/* A reply the kernel refuses is skipped, as the daemon does. */
		for (done = 0; done < n; done += sent) {
			sent = sendmmsg(ref->fd, &out[done], (unsigned)(n - done), 0);
			if (sent <= 0)
				sent = 1;
		}
	}
}

static void *reference_main(void *arg)
{
	struct reference *ref = arg;

	if (ref->mode == REF_MMSG)
		reference_mmsg(ref);
	else
		reference_plain(ref);
	return NULL;
}

/* Bind an ephemeral port on the loopback address of family and start serving. */
static int reference_start(struct reference *ref, int family, enum ref_mode mode, int cpu)
{
	struct timeval tick = { .tv_usec = 50000 };
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	int rc;

	s4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ref->mode = mode;
	atomic_init(&ref->stop, false);
	ref->fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (ref->fd < 0)
		goto fail;
	if (setsockopt(ref->fd, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof(tick)) < 0)
		goto fail;
	rc = family == AF_INET6 ? bind(ref->fd, (struct sockaddr *)&s6, sizeof(s6)) :
				  bind(ref->fd, (struct sockaddr *)&s4, sizeof(s4));
	if (rc < 0)
		goto fail;
	ref->addrlen = sizeof(ref->addr);
	if (getsockname(ref->fd, (struct sockaddr *)&ref->addr, &ref->addrlen) < 0)
		goto fail;
	rc = pthread_create(&ref->thread, NULL, reference_main, ref);
	if (rc != 0) {
		errno = rc;
		goto fail;
	}
	if (pin_thread(ref->thread, cpu) < 0) {
		atomic_store(&ref->stop, true);
		pthread_join(ref->thread, NULL);
		close(ref->fd);
		return -1;
	}
	return 0;
fail:
	fprintf(stderr, "%s: reference server: %s\n", progname, strerror(errno));
	if (ref->fd >= 0)
		close(ref->fd);
	return -1;
}

static uint64_t reference_cpu_ns(const struct reference *ref)
{
	clockid_t clock;

	if (pthread_getcpuclockid(ref->thread, &clock) != 0)
		return 0;
	return cpu_ns(clock);
}

/* Datagrams the kernel dropped at the reference's socket so far (SO_MEMINFO). */
static unsigned long reference_drops(const struct reference *ref)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	if (getsockopt(ref->fd, SOL_SOCKET, SO_MEMINFO, mem, &len) < 0 ||
	    len <= SK_MEMINFO_DROPS * sizeof(mem[0]))
		return 0;
	return mem[SK_MEMINFO_DROPS];
}

static void reference_stop(struct reference *ref)
{
	atomic_store(&ref->stop, true);
	pthread_join(ref->thread, NULL);
	close(ref->fd);
}

/* ---- the load generator ---- */

/*
 * Slot i has up to DEPTH requests in flight, in a ring (oldest at head). The
 * server's replies carry no sequence number, so a reply is taken for the
 * oldest request outstanding on its socket: a server answers one socket's
 * requests in order (a reuseport group hashes a socket to one member). A
 * request the server never answered leaves a phantom at the tail that the next
 * replies move past; a slot that gets no reply for the loss timeout counts all
 * it has in flight as lost and starts afresh on a new socket.
 */
union pktinfo_control {
	char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	struct cmsghdr align;
};

struct bench {
	const struct options *o;
	const struct sockaddr *to;
	socklen_t tolen;
	int epfd;
	struct slot *slots;
	uint64_t *ring_ns;		/* window * depth send times */
	bool *ring_measured;
	unsigned char (*payload)[DATAGRAM_MAX_REQ];
	struct mmsghdr *msgs;
	struct iovec *iov;
	union pktinfo_control *ctl;	/* --sources: each request's source */
	unsigned long next_seq, total, inflight, refused_in_a_row;
	uint64_t send_until;
	bool sending;
	struct result *r;
};

/* The source address of request seq with --sources: 127.(1 + k / 256).(k % 256).1. */
static struct in_addr source_addr(const struct options *o, unsigned long seq)
{
	unsigned long k = seq % o->sources;

	return (struct in_addr){ .s_addr = htonl(0x7f000001UL | (1 + k / 256) << 16 |
						 (k % 256) << 8) };
}

static int slot_open(struct bench *b, unsigned i)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };
	struct sockaddr_in any = { .sin_family = AF_INET };
	struct slot *s = &b->slots[i];
	int rc;

	s->head = 0;
	s->count = 0;
	s->last_reply_ns = now_ns();
	s->fd = socket(b->to->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return -1;
	/* A connected socket would take replies to its one source address only. */
	if (b->o->sources)
		rc = bind(s->fd, (struct sockaddr *)&any, sizeof(any));
	else
		rc = connect(s->fd, b->to, b->tolen);
	if (rc < 0 ||
	    epoll_ctl(b->epfd, EPOLL_CTL_ADD, s->fd, &ev) < 0) {
		close(s->fd);
		s->fd = -1;
		return -1;
	}
	return 0;
}

/* The oldest request in flight on slot i ended: its ring index. */
static unsigned slot_pop(struct bench *b, unsigned i)
{
	struct slot *s = &b->slots[i];
	unsigned at = i * b->o->depth + s->head;

	s->head = (s->head + 1) % b->o->depth;
	s->count--;
	b->inflight--;
	return at;
}

/* A request ended without a reply: lost (or refused). */
static void request_failed(struct bench *b, unsigned at, bool refused)
{
	if (refused)
		b->refused_in_a_row++;
	b->r->lost_total++;
	if (!b->ring_measured[at])
		return;
	b->r->lost++;
	if (refused)
		b->r->refused++;
}

/* Everything in flight on slot i is lost; it starts afresh on a new socket. */
static int slot_replace(struct bench *b, unsigned i)
{
	while (b->slots[i].count > 0)
		request_failed(b, slot_pop(b, i), false);
	close(b->slots[i].fd); /* also leaves the epoll set */
	return slot_open(b, i);
}

/* Is there a request left to send now? Clears b->sending when not. */
static bool may_send(struct bench *b)
{
	if (!b->sending)
		return false;
	if (b->refused_in_a_row >= REFUSED_IN_A_ROW_MAX) {
		b->r->refused_stop = true;
		b->sending = false;
	} else if (b->next_seq >= b->total || now_ns() >= b->send_until) {
		if (b->next_seq < b->total)
			b->r->time_limited = true;
		b->sending = false;
	}
	return b->sending;
}

/* Request j of a batch goes to the server from the source of seq. */
static void set_source(struct bench *b, int j, unsigned long seq)
{
	struct msghdr *m = &b->msgs[j].msg_hdr;
	struct in_pktinfo pi = { .ipi_spec_dst = source_addr(b->o, seq) };
	struct cmsghdr *c;

	m->msg_name = (void *)(uintptr_t)b->to;
	m->msg_namelen = b->tolen;
	m->msg_control = b->ctl[j].buf;
	m->msg_controllen = sizeof(b->ctl[j].buf);
	c = CMSG_FIRSTHDR(m);
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
}

/* Did a reply to an unconnected socket come from the server? */
static bool from_server(const struct bench *b, const struct sockaddr_in *from, socklen_t len)
{
	const struct sockaddr_in *to = (const struct sockaddr_in *)(const void *)b->to;

	return len >= sizeof(*from) && from->sin_family == AF_INET &&
	       from->sin_port == to->sin_port && from->sin_addr.s_addr == to->sin_addr.s_addr;
}

/* Top slot i up to DEPTH requests in flight, in one sendmmsg. */
static int slot_fill(struct bench *b, unsigned i)
{
	struct slot *s = &b->slots[i];
	size_t size = b->o->size;
	unsigned long want;
	uint64_t t;
	char seq[24];
	int j, n, len;

	if (s->count >= b->o->depth || !may_send(b))
		return 0;
	want = b->o->depth - s->count;
	if (want > b->total - b->next_seq)
		want = b->total - b->next_seq;
	for (j = 0; j < (int)want; j++) {
		len = snprintf(seq, sizeof(seq), "udpbench %lu ", b->next_seq + (unsigned long)j);
		memcpy(b->payload[j], seq, (size_t)len < size ? (size_t)len : size);
		b->iov[j] = (struct iovec){ .iov_base = b->payload[j], .iov_len = size };
		b->msgs[j].msg_hdr = (struct msghdr){ .msg_iov = &b->iov[j], .msg_iovlen = 1 };
		if (b->o->sources)
			set_source(b, j, b->next_seq + (unsigned long)j);
	}
	t = now_ns();
	n = sendmmsg(s->fd, b->msgs, (unsigned)want, 0);
	if (n < 0) {
		if (errno == ECONNREFUSED || errno == EAGAIN || errno == ENOBUFS ||
		    errno == EINTR) {
			/* not sent; the scan tops the slot up again */
			b->r->send_errors++;
			if (errno == ECONNREFUSED)
				b->refused_in_a_row++;
			return 0;
		}
		fprintf(stderr, "%s: sendmmsg: %s\n", progname, strerror(errno));
		return -1;
	}
	for (j = 0; j < n; j++) {
		unsigned at = i * b->o->depth + (s->head + s->count) % b->o->depth;
		bool measured = b->next_seq >= b->o->warmup;

		b->ring_ns[at] = t;
		b->ring_measured[at] = measured;
		s->count++;
		b->inflight++;
		b->next_seq++;
		b->r->sent_total++;
		if (measured) {
			b->r->sent++;
			if (b->r->first_ns == 0)
				b->r->first_ns = t;
		}
	}
	return 0;
}

/* Replies (or an error) are waiting on slot i: take them all, then top up. */
static int slot_receive(struct bench *b, unsigned i)
{
	static unsigned char bufs[DEPTH_MAX][REPLY_BUF];
	static struct iovec iov[DEPTH_MAX];
	static struct mmsghdr msgs[DEPTH_MAX];
	static struct sockaddr_in from[DEPTH_MAX];
	struct slot *s = &b->slots[i];
	struct result *r = b->r;
	uint64_t now, rtt;
	unsigned at;
	int j, n;

	for (j = 0; j < (int)b->o->depth; j++) {
		iov[j] = (struct iovec){ .iov_base = bufs[j], .iov_len = sizeof(bufs[j]) };
		msgs[j].msg_hdr = (struct msghdr){ .msg_iov = &iov[j], .msg_iovlen = 1 };
		if (b->o->sources) {
			msgs[j].msg_hdr.msg_name = &from[j];
			msgs[j].msg_hdr.msg_namelen = sizeof(from[j]);
		}
	}
	for (;;) {
		n = recvmmsg(s->fd, msgs, b->o->depth, MSG_DONTWAIT, NULL);
		if (n >= 0)
			break;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return slot_fill(b, i);
		if (errno == EINTR)
			continue;
		if (errno == ECONNREFUSED) {
			if (s->count > 0)
				request_failed(b, slot_pop(b, i), true);
			return slot_fill(b, i);
		}
		fprintf(stderr, "%s: recvmmsg: %s\n", progname, strerror(errno));
		return -1;
	}
	now = now_ns();
	for (j = 0; j < n; j++) {
		if (s->count == 0 ||
		    (b->o->sources && !from_server(b, &from[j], msgs[j].msg_hdr.msg_namelen))) {
			r->stray++;
			continue;
		}
		at = slot_pop(b, i);
		r->replies_total++;
		b->refused_in_a_row = 0;
		s->last_reply_ns = now;
		if (!b->ring_measured[at])
			continue;
		rtt = now - b->ring_ns[at];
		if (r->nlat < b->o->count)
			r->lat[r->nlat++] = rtt > UINT32_MAX ? UINT32_MAX : (uint32_t)rtt;
		r->replies++;
		r->last_ns = now;
	}
	return slot_fill(b, i);
}

/* A slot that got no reply for the loss timeout starts afresh. */
static int slots_expire(struct bench *b, uint64_t now)
{
	unsigned i;

	for (i = 0; i < b->o->window; i++) {
		struct slot *s = &b->slots[i];
		unsigned oldest = i * b->o->depth + s->head;
		uint64_t since = s->last_reply_ns > b->ring_ns[oldest] ? s->last_reply_ns :
									 b->ring_ns[oldest];

		if (s->count == 0 || now - since < b->o->timeout_ns)
			continue;
		if (slot_replace(b, i) < 0 || slot_fill(b, i) < 0)
			return -1;
	}
	return 0;
}

static int bench_loop(struct bench *b)
{
	struct epoll_event ev[64];
	uint64_t now, last_scan = now_ns();
	int n, i;
	unsigned w;

	for (w = 0; w < b->o->window; w++) {
		if (slot_fill(b, w) < 0)
			return -1;
	}
	while (b->sending || b->inflight > 0) {
		n = epoll_wait(b->epfd, ev, 64, 10);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "%s: epoll_wait: %s\n", progname, strerror(errno));
			return -1;
		}
		for (i = 0; i < n; i++) {
			if (slot_receive(b, ev[i].data.u32) < 0)
				return -1;
		}
		now = now_ns();
		if (now - last_scan >= SCAN_NS) {
			last_scan = now;
			if (slots_expire(b, now) < 0)
				return -1;
			/* Slots short of DEPTH wake no one: top them up (after a refusal). */
			for (w = 0; b->sending && w < b->o->window; w++) {
				if (slot_fill(b, w) < 0)
					return -1;
			}
		}
	}
	return 0;
}

static int bench_run(const struct options *o, const struct sockaddr *to, socklen_t tolen,
	struct result *r)
{
	struct bench b = { .o = o, .to = to, .tolen = tolen, .r = r, .sending = true };
	size_t ring = (size_t)o->window * o->depth;
	uint64_t cpu0, wall0;
	unsigned i;
	int rc = -1;

	format_addr(to, r->addr, sizeof(r->addr));
	b.total = o->warmup + o->count;
	b.slots = calloc(o->window, sizeof(*b.slots));
	b.ring_ns = calloc(ring, sizeof(*b.ring_ns));
	b.ring_measured = calloc(ring, sizeof(*b.ring_measured));
	b.payload = calloc(o->depth, sizeof(*b.payload));
	b.msgs = calloc(o->depth, sizeof(*b.msgs));
	b.iov = calloc(o->depth, sizeof(*b.iov));
	b.ctl = calloc(o->depth, sizeof(*b.ctl));
	r->lat = malloc(o->count * sizeof(*r->lat));
	b.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!b.slots || !b.ring_ns || !b.ring_measured || !b.payload || !b.msgs || !b.iov ||
	    !b.ctl || !r->lat || b.epfd < 0) {
		fprintf(stderr, "%s: %s\n", progname, strerror(errno));
		goto out;
	}
	for (i = 0; i < o->depth; i++)
		memset(b.payload[i], 'x', o->size);
	for (i = 0; i < o->window; i++)
		b.slots[i].fd = -1;
	for (i = 0; i < o->window; i++) {
		if (slot_open(&b, i) < 0) {
			fprintf(stderr, "%s: socket %u: %s\n", progname, i, strerror(errno));
			goto out;
		}
	}
	cpu0 = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
	wall0 = now_ns();
	b.send_until = wall0 + o->time_limit_ns;
	rc = bench_loop(&b);
	r->gen_cpu_ns = cpu_ns(CLOCK_THREAD_CPUTIME_ID) - cpu0;
	r->wall_ns = now_ns() - wall0;
out:
	if (b.slots) {
		for (i = 0; i < o->window; i++) {
			if (b.slots[i].fd >= 0)
				close(b.slots[i].fd);
		}
	}
	if (b.epfd >= 0)
		close(b.epfd);
	free(b.slots);
	free(b.ring_ns);
	free(b.ring_measured);
	free(b.payload);
	free(b.msgs);
	free(b.iov);
	free(b.ctl);
	return rc;
}

/* ---- statistics and output ---- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile, p in parts per 100,000, as microseconds. */
static double percentile_us(const uint32_t *v, size_t n, uint64_t p)
{
	uint64_t rank;

	if (n == 0)
		return 0;
	rank = (p * n + 99999) / 100000;
	if (rank == 0)
		rank = 1;
	return v[rank - 1] / 1000.0;
}

static void result_print(const struct options *o, struct result *r)
{
	double secs = r->last_ns > r->first_ns ? (r->last_ns - r->first_ns) / 1e9 : 0;
	double rps = secs > 0 ? r->replies / secs : 0;
	double p50, p90, p99, p999, max;

	qsort(r->lat, r->nlat, sizeof(*r->lat), cmp_u32);
	p50 = percentile_us(r->lat, r->nlat, 50000);
	p90 = percentile_us(r->lat, r->nlat, 90000);
	p99 = percentile_us(r->lat, r->nlat, 99000);
	p999 = percentile_us(r->lat, r->nlat, 99900);
	max = percentile_us(r->lat, r->nlat, 100000);
	if (o->quiet)
		return;
	if (o->kv) {
		printf("name=%s addr=%s window=%u size=%zu sent=%lu replies=%lu lost=%lu "
		       "refused=%lu stray=%lu rps=%.0f p50_us=%.1f p90_us=%.1f p99_us=%.1f "
		       "p999_us=%.1f max_us=%.1f secs=%.3f sent_total=%lu gen_cpu_ns_per_req=%.0f",
			r->name, r->addr, o->window, o->size, r->sent, r->replies, r->lost,
			r->refused, r->stray, rps, p50, p90, p99, p999, max, secs, r->sent_total,
			r->sent_total ? (double)r->gen_cpu_ns / r->sent_total : 0.0);
		if (r->srv_cpu_known)
			printf(" srv_cpu_ns_per_req=%.0f srv_cpu_us=%.0f srv_kdrops=%lu",
				r->sent_total ? (double)r->srv_cpu_ns / r->sent_total : 0.0,
				r->srv_cpu_ns / 1e3, r->srv_drops);
		printf(" depth=%u sources=%u replies_total=%lu lost_total=%lu send_errors=%lu "
		       "wall_secs=%.3f gen_cpu_pct=%.1f",
			o->depth, o->sources, r->replies_total, r->lost_total, r->send_errors,
			r->wall_ns / 1e9,
			r->wall_ns ? 100.0 * (double)r->gen_cpu_ns / (double)r->wall_ns : 0.0);
		printf(" time_limited=%d refused_stop=%d\n", r->time_limited, r->refused_stop);
		fflush(stdout);
		return;
	}
	printf("%s %s: window %u x depth %u, %zu-byte requests", r->name, r->addr, o->window,
		o->depth, o->size);
	if (o->sources)
		printf(" from %u sources", o->sources);
	printf("%s%s\n",
		r->time_limited ? " (stopped by the time limit)" : "",
		r->refused_stop ? " (stopped: the server refuses)" : "");
	printf("  sent %lu  replies %lu  lost %lu", r->sent, r->replies, r->lost);
	if (r->refused)
		printf(" (%lu refused)", r->refused);
	if (r->stray)
		printf("  stray %lu", r->stray);
	printf("  in %.3f s\n", secs);
	printf("  replies/s %.0f\n", rps);
	printf("  latency us: p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f\n", p50, p90, p99,
		p999, max);
	printf("  cpu ns/request: generator %.0f",
		r->sent_total ? (double)r->gen_cpu_ns / r->sent_total : 0.0);
	if (r->srv_cpu_known)
		printf("  server %.0f",
			r->sent_total ? (double)r->srv_cpu_ns / r->sent_total : 0.0);
	printf("\n");
	fflush(stdout);
}

static int free_port(void)
{
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	socklen_t len = sizeof(s4);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	s4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&s4, sizeof(s4)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&s4, &len) < 0) {
		fprintf(stderr, "%s: free port: %s\n", progname, strerror(errno));
		return EXIT_SYSERR;
	}
	close(fd);
	printf("%u\n", ntohs(s4.sin_port));
	return 0;
}

/* ---- --spawn: run a daemon with a NOTIFY_SOCKET of our own ---- */

/*
 * udpbench --spawn OUTFILE PROG [ARGS...] forks PROG with NOTIFY_SOCKET set to
 * a datagram socket it listens on, and stays its parent until it exits:
 *   pid=PID                    first line, once PROG runs
 *   T_MS LINE                  each line PROG sent to NOTIFY_SOCKET, T_MS the
 *                              milliseconds since the child called execve
 *   ready_ms=T_MS              the first READY=1
 *   exit=RC cpu_us=U maxrss_kb=K   when PROG is gone (RC 128+N: signal N);
 *                              U is utime+stime of all its threads (wait4)
 * SIGTERM, SIGINT and SIGHUP are passed on to PROG. Bounded: after
 * SPAWN_LIMIT_S PROG gets SIGTERM, 5 s later SIGKILL. Exits 0 when PROG was
 * run (its exit status is in OUTFILE), 3 when it could not be.
 */
#define SPAWN_LIMIT_S 1800
#define SPAWN_KILL_AFTER_S 5

static void spawn_notify_lines(FILE *out, int fd, uint64_t t0, bool *ready)
{
	static char buf[4097];
	double ms;
	ssize_t n;
	char *line, *save = NULL;

	for (;;) {
		n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		if (n < 0)
			return;
		ms = (now_ns() - t0) / 1e6;
		buf[n] = '\0';
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			fprintf(out, "%.3f %s\n", ms, line);
			if (!*ready && !strcmp(line, "READY=1")) {
				*ready = true;
				fprintf(out, "ready_ms=%.3f\n", ms);
			}
		}
		save = NULL;
		fflush(out);
	}
}

static int spawn_main(int argc, char *argv[])
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *outfile = argv[1];
	volatile uint64_t *t0;	/* set by the child just before execve */
	struct rusage ru;
	sigset_t sigs, old;
	struct signalfd_siginfo si;
	struct pollfd pfd[2];
	uint64_t deadline, killed_at = 0;
	bool ready = false;
	int nfd, sfd, status, rc;
	FILE *out;
	pid_t pid;

	if (argc < 3)
		usage_error("--spawn OUTFILE PROG [ARGS...]");
	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s.sock", outfile) >=
	    sizeof(sun.sun_path))
		usage_error("--spawn: %s: path too long for a socket", outfile);
	out = fopen(outfile, "we");
	t0 = mmap(NULL, sizeof(*t0), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (!out || t0 == MAP_FAILED || nfd < 0)
		goto fail;
	if ((unlink(sun.sun_path) < 0 && errno != ENOENT) ||
	    bind(nfd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		goto fail;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGCHLD);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &sigs, &old) < 0)
		goto fail;
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		goto fail;
	pid = fork();
	if (pid < 0)
		goto fail;
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (setenv("NOTIFY_SOCKET", sun.sun_path, 1) < 0)
			_exit(127);
		*t0 = now_ns();
		execvp(argv[2], argv + 2);
		fprintf(stderr, "%s: %s: %s\n", progname, argv[2], strerror(errno));
		_exit(127);
	}
	fprintf(out, "pid=%ld\n", (long)pid);
	fflush(out);
	deadline = now_ns() + SPAWN_LIMIT_S * 1000000000ULL;
	pfd[0] = (struct pollfd){ .fd = nfd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	for (;;) {
		if (poll(pfd, 2, 100) < 0 && errno != EINTR)
			goto fail;
		spawn_notify_lines(out, nfd, *t0, &ready);
		while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo != SIGCHLD)
				kill(pid, (int)si.ssi_signo);
		}
		rc = wait4(pid, &status, WNOHANG, &ru);
		if (rc == pid)
			break;
		if (rc < 0 && errno != EINTR)
			goto fail;
		if (now_ns() >= deadline && !killed_at) {
			fprintf(out, "time limit: SIGTERM\n");
			kill(pid, SIGTERM);
			killed_at = now_ns();
		} else if (killed_at && now_ns() - killed_at > SPAWN_KILL_AFTER_S * 1000000000ULL) {
			kill(pid, SIGKILL);
		}
	}
	spawn_notify_lines(out, nfd, *t0, &ready);
	fprintf(out, "exit=%d cpu_us=%lld maxrss_kb=%ld\n",
		WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
		(long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL +
			ru.ru_utime.tv_usec + ru.ru_stime.tv_usec,
		ru.ru_maxrss);
	unlink(sun.sun_path);
	return fclose(out) == 0 ? 0 : EXIT_SYSERR;
fail:
	fprintf(stderr, "%s: --spawn: %s\n", progname, strerror(errno));
	unlink(sun.sun_path);
	return EXIT_SYSERR;
}

static void parse_options(int argc, char *argv[], struct options *o)
{
	enum { OPT_WARMUP = 256, OPT_NAME, OPT_PIN, OPT_FREE_PORT, OPT_DEPTH, OPT_SOURCES };
	static const struct option longopts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "warmup", required_argument, NULL, OPT_WARMUP },
		{ "size", required_argument, NULL, 's' },
		{ "window", required_argument, NULL, 'w' },
		{ "depth", required_argument, NULL, OPT_DEPTH },
		{ "sources", required_argument, NULL, OPT_SOURCES },
		{ "time-limit", required_argument, NULL, 'T' },
		{ "timeout", required_argument, NULL, 't' },
		{ "reference", optional_argument, NULL, 'r' },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "pin", required_argument, NULL, OPT_PIN },
		{ "kv", no_argument, NULL, 'k' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "free-port", no_argument, NULL, OPT_FREE_PORT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "n:s:w:T:t:rkqh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			o->count = parse_ulong(optarg, "--count", 1, COUNT_MAX);
			break;
		case OPT_WARMUP:
			o->warmup = parse_ulong(optarg, "--warmup", 0, WARMUP_MAX);
			break;
		case 's':
			o->size = parse_ulong(optarg, "--size", 0, SIZE_MAX_UDP);
			break;
		case 'w':
			o->window = (unsigned)parse_ulong(optarg, "--window", 1, WINDOW_MAX);
			break;
		case OPT_DEPTH:
			o->depth = (unsigned)parse_ulong(optarg, "--depth", 1, DEPTH_MAX);
			break;
		case OPT_SOURCES:
			o->sources = (unsigned)parse_ulong(optarg, "--sources", 1, SOURCES_MAX);
			break;
		case 'T':
			o->time_limit_ns = parse_seconds(optarg, "--time-limit", TIME_LIMIT_MAX);
			break;
		case 't':
			o->timeout_ns = parse_seconds(optarg, "--timeout", TIMEOUT_MAX);
			break;
		case 'r':
			if (!optarg || !strcmp(optarg, "plain"))
				o->reference = REF_PLAIN;
			else if (!strcmp(optarg, "mmsg"))
				o->reference = REF_MMSG;
			else
				usage_error("--reference=%s: use plain or mmsg", optarg);
			break;
		case OPT_NAME:
			o->name = optarg;
			break;
		case OPT_PIN:
			parse_pin(optarg, o);
			break;
		case 'k':
			o->kv = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case OPT_FREE_PORT:
			exit(free_port());
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(EXIT_USAGE);
		}
	}
	if (argc - optind == 2) {
		o->host = argv[optind];
		o->port = argv[optind + 1];
	} else if (argc - optind != 0 || o->reference == REF_NONE) {
		usage_error("%s", argc - optind == 0 ? "HOST PORT or --reference wanted" :
						       "wrong number of arguments");
	}
}

/* Measure one server; 0 replies received, 1 none, 3 system error. */
static int measure(const struct options *o, const char *name, const struct sockaddr *to,
	socklen_t tolen, struct reference *ref)
{
	struct result r = { .name = name };
	uint64_t srv0 = ref ? reference_cpu_ns(ref) : 0;
	unsigned long drops0 = ref ? reference_drops(ref) : 0;
	int rc;

	rc = bench_run(o, to, tolen, &r);
	if (ref) {
		r.srv_drops = reference_drops(ref) - drops0;
		r.srv_cpu_ns = reference_cpu_ns(ref) - srv0;
		r.srv_cpu_known = true;
	}
	if (rc == 0)
		result_print(o, &r);
	free(r.lat);
	if (rc < 0)
		return EXIT_SYSERR;
	if (r.replies == 0 && !o->quiet)
		fprintf(stderr, "%s: %s %s: no reply\n", progname, name, r.addr);
	return r.replies ? 0 : EXIT_NO_REPLY;
}

int main(int argc, char *argv[])
{
	struct options o = {
		.count = 200000,
		.warmup = 2000,
		.size = 16,
		.window = 32,
		.depth = 1,
		.time_limit_ns = 30 * 1000000000ULL,
		.timeout_ns = 1000000000ULL,
		.name = "target",
		.pin_gen = -1,
		.pin_srv = -1,
	};
	struct sockaddr_storage to;
	struct reference ref;
	socklen_t tolen = 0;
	int family = AF_INET, rc = 0, rc2;

	if (argc >= 2 && !strcmp(argv[1], "--spawn"))
		return spawn_main(argc - 1, argv + 1);
	parse_options(argc, argv, &o);
	if (o.host) {
		if (resolve_loopback(o.host, o.port, &to, &tolen) < 0)
			return EXIT_USAGE;
		family = to.ss_family;
	}
	if (o.sources && family != AF_INET)
		usage_error("--sources: IPv4 only (127.0.0.0/8 is local, ::1 alone is)");
	if ((unsigned long)o.window * o.depth > WINDOW_MAX * 16UL)
		usage_error("--window times --depth: at most %u", WINDOW_MAX * 16U);
	if (fd_limit_raise(o.window + 16) < 0) {
		fprintf(stderr, "%s: cannot raise the descriptor limit: %s\n", progname,
			strerror(errno));
		return EXIT_SYSERR;
	}
	if (pin_thread(pthread_self(), o.pin_gen) < 0)
		return EXIT_SYSERR;
	if (o.host)
		rc = measure(&o, o.name, (struct sockaddr *)&to, tolen, NULL);
	if (o.reference != REF_NONE && rc != EXIT_SYSERR) {
		if (reference_start(&ref, family, o.reference, o.pin_srv) < 0)
			return EXIT_SYSERR;
		rc2 = measure(&o, o.reference == REF_MMSG ? "reference-mmsg" : "reference",
			(struct sockaddr *)&ref.addr, ref.addrlen, &ref);
		reference_stop(&ref);
		if (rc2 > rc)
			rc = rc2;
	}
	return rc;
}
