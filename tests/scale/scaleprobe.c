/*
 * scaleprobe.c - the client of tests/scale/run.sh (libc only)
 *
 *   scaleprobe [-n FLOWS] [-w WINDOW] [-r RATE] [-d SECONDS] [-t SECONDS]
 *              [-m MARK] [-T TAIL] [-e SECONDS] [-q SECONDS] VIP PORT COUNT
 *
 * Sends up to COUNT datagrams to the IPv4 address VIP, port PORT: datagram i
 * from source port i % FLOWS (one socket each, so that a balancer hashing
 * on the source port spreads them), its payload the decimal i. The replicas
 * answer with the template "%{hostname} %{payload}", so each reply says
 * which replica answered and which datagram it answers. A reply must come
 * from VIP:PORT (else "wrong_source") to the socket that sent its datagram
 * (else "misrouted"); each datagram must get exactly one ("lost",
 * "duplicates").
 *
 *   -n FLOWS     source ports, 1 to 1024 (default 64)
 *   -w WINDOW    datagrams in flight at most, unanswered and not expired
 *                (default 128)
 *   -r RATE      datagrams a second at most (default 0: as the window allows)
 *   -d SECONDS   stop sending after this long (a measurement; exit 0)
 *   -t SECONDS   give up sending after this long, exit 1 (default 30, at
 *                most 120)
 *   -m MARK      print "mark" once MARK datagrams are sent
 *   -T TAIL      send until SIGUSR1, then TAIL more, then stop; the replies
 *                to those TAIL are counted apart ("tail_...")
 *   -e SECONDS   a datagram unanswered this long leaves the window
 *                (default 0.5); it still counts as answered if its reply
 *                comes before the end
 *   -q SECONDS   after the last send, wait for replies until all came or
 *                none came for this long (default 0.5)
 *
 * Prints "key value" lines: sent, replied, lost, duplicates, wrong_source,
 * misrouted, malformed, send_seconds, reply_rate, one "replica NAME N" per
 * replica that answered; with losses loss_first_ms and loss_last_ms (when
 * the first and the last datagram that got no reply were sent, after the
 * start); with -T tail_sent, tail_replied and "tail_replica NAME N"; last
 * cpu_seconds, its own user + system time (getrusage).
 *
 * Exit codes: 0 sent all (or -d, or the tail), 1 time limit or COUNT
 * reached before SIGUSR1 with -T, 2 usage, 3 system error.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define EXIT_TIMEOUT 1
#define EXIT_USAGE 2
#define EXIT_SYSERR 3

#define FLOWS_MAX 1024
#define COUNT_MAX 10000000UL
#define SECONDS_MAX 120.0
#define REPLICAS_MAX 32
#define NAME_MAX_LEN 63
#define SEND_BATCH 64
#define EVENTS_MAX 64
#define RCVBUF (1 << 20)
#define NONE ULONG_MAX

static const char *progname = "scaleprobe";
static volatile sig_atomic_t got_usr1;

struct replica {
	char name[NAME_MAX_LEN + 1];
	unsigned long replies, tail;
};

struct probe {
	struct sockaddr_in vip;
	int fds[FLOWS_MAX];
	unsigned long nflows, window, count, mark, tail;
	double rate, duration, limit, expiry, quiet;
	bool tail_mode;

	/* per datagram: when it was sent (since start), how many replies */
	float *tsent;
	uint8_t *nrep;

	double start, last_send, last_reply;
	unsigned long sent, replied, duplicates, wrong_source, misrouted, malformed;
	unsigned long send_errors;
	/* the window: datagrams [oldest, sent), answered_in_window of them answered */
	unsigned long oldest, answered_in_window;
	unsigned long tail_start, tail_replied;
	struct replica replicas[REPLICAS_MAX];
	unsigned nreplicas;
};

static void usage(void) __attribute__((noreturn));
static void die_errno(const char *what) __attribute__((noreturn));

static void usage(void)
{
	fprintf(stderr,
		"usage: %s [-n FLOWS] [-w WINDOW] [-r RATE] [-d SECONDS] [-t SECONDS]\n"
		"       [-m MARK] [-T TAIL] [-e SECONDS] [-q SECONDS] VIP PORT COUNT\n",
		progname);
	exit(EXIT_USAGE);
}

static void die_errno(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", progname, what, strerror(errno));
	exit(EXIT_SYSERR);
}

static double now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		die_errno("clock_gettime");
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double parse_double(const char *text, double max, const char *what)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(text, &end);
	if (errno || end == text || *end || !(d >= 0) || d > max) {
		fprintf(stderr, "%s: bad %s: %s\n", progname, what, text);
		exit(EXIT_USAGE);
	}
	return d;
}

static unsigned long parse_ulong(const char *text, unsigned long max, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || end == text || *end || text[0] == '-' || v > max) {
		fprintf(stderr, "%s: bad %s: %s\n", progname, what, text);
		exit(EXIT_USAGE);
	}
	return v;
}

static void on_usr1(int sig)
{
	(void)sig;
	got_usr1 = 1;
}

static void parse_args(struct probe *p, int argc, char **argv)
{
	int opt;

	p->nflows = 64;
	p->window = 128;
	p->limit = 30;
	p->expiry = 0.5;
	p->quiet = 0.5;
	while ((opt = getopt(argc, argv, "n:w:r:d:t:m:T:e:q:")) != -1) {
		switch (opt) {
		case 'n':
			p->nflows = parse_ulong(optarg, FLOWS_MAX, "number of flows");
			break;
		case 'w':
			p->window = parse_ulong(optarg, COUNT_MAX, "window");
			break;
		case 'r':
			p->rate = parse_double(optarg, 1e7, "rate");
			break;
		case 'd':
			p->duration = parse_double(optarg, SECONDS_MAX, "duration");
			break;
		case 't':
			p->limit = parse_double(optarg, SECONDS_MAX, "time limit");
			break;
		case 'm':
			p->mark = parse_ulong(optarg, COUNT_MAX, "mark");
			break;
		case 'T':
			p->tail = parse_ulong(optarg, COUNT_MAX, "tail");
			p->tail_mode = true;
			break;
		case 'e':
			p->expiry = parse_double(optarg, SECONDS_MAX, "expiry");
			break;
		case 'q':
			p->quiet = parse_double(optarg, SECONDS_MAX, "quiet time");
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 3 || p->nflows == 0 || p->window == 0 || p->limit <= 0)
		usage();
	memset(&p->vip, 0, sizeof(p->vip));
	p->vip.sin_family = AF_INET;
	if (inet_pton(AF_INET, argv[0], &p->vip.sin_addr) != 1) {
		fprintf(stderr, "%s: not an IPv4 address: %s\n", progname, argv[0]);
		exit(EXIT_USAGE);
	}
	p->vip.sin_port = htons((uint16_t)parse_ulong(argv[1], 65535, "port"));
	if (p->vip.sin_port == 0)
		usage();
	p->count = parse_ulong(argv[2], COUNT_MAX, "count");
}

/* FLOWS sockets, each bound to a port of its own, all in one epoll set. */
static int open_flows(struct probe *p)
{
	struct rlimit rl;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int buf = RCVBUF;
	unsigned long i;

	if (ep < 0)
		die_errno("epoll_create1");
	/* Enough descriptors for the flows: up to the hard limit. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < p->nflows + 16 &&
	    rl.rlim_max != rl.rlim_cur) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			die_errno("setrlimit");
	}
	for (i = 0; i < p->nflows; i++) {
		struct sockaddr_in any = { .sin_family = AF_INET };
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = i };
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		if (fd < 0)
			die_errno("socket");
		/* Best effort: as root past rmem_max, else up to it. */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) < 0)
			(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
		if (bind(fd, (struct sockaddr *)&any, sizeof(any)) < 0)
			die_errno("bind");
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
			die_errno("epoll_ctl");
		p->fds[i] = fd;
	}
	return ep;
}

static struct replica *replica_of(struct probe *p, const char *name, size_t len)
{
	unsigned i;

	for (i = 0; i < p->nreplicas; i++)
		if (strlen(p->replicas[i].name) == len && memcmp(p->replicas[i].name, name, len) == 0)
			return &p->replicas[i];
	if (p->nreplicas == REPLICAS_MAX)
		return NULL;
	memcpy(p->replicas[p->nreplicas].name, name, len);
	p->replicas[p->nreplicas].name[len] = '\0';
	return &p->replicas[p->nreplicas++];
}

/* One reply: check where it came from and what it answers, and count it. */
static void take_reply(struct probe *p, unsigned long flow, const struct sockaddr_in *from,
		       char *buf, size_t len)
{
	struct replica *r;
	unsigned long seq = 0;
	char *space, *end;

	if (from->sin_family != AF_INET || from->sin_addr.s_addr != p->vip.sin_addr.s_addr ||
	    from->sin_port != p->vip.sin_port) {
		p->wrong_source++;
		return;
	}
	buf[len] = '\0';
	space = memrchr(buf, ' ', len);
	if (!space || space == buf || (size_t)(space - buf) > NAME_MAX_LEN || !space[1] ||
	    memchr(buf, '\0', len)) {
		p->malformed++;
		return;
	}
	errno = 0;
	seq = strtoul(space + 1, &end, 10);
	if (errno || *end || space[1] == '-') {
		p->malformed++;
		return;
	}
	if (seq >= p->sent || seq % p->nflows != flow) {
		p->misrouted++;
		return;
	}
	r = replica_of(p, buf, (size_t)(space - buf));
	if (!r) {
		p->malformed++;
		return;
	}
	if (p->nrep[seq] < UINT8_MAX)
		p->nrep[seq]++;
	if (p->nrep[seq] > 1) {
		p->duplicates++;
		return;
	}
	p->replied++;
	r->replies++;
	if (seq >= p->oldest)
		p->answered_in_window++;
	if (p->tail_start != NONE && seq >= p->tail_start) {
		p->tail_replied++;
		r->tail++;
	}
	p->last_reply = now();
}

static void drain(struct probe *p, unsigned long flow)
{
	char buf[2048];

	for (;;) {
		struct sockaddr_in from;
		socklen_t fromlen = sizeof(from);
		ssize_t n = recvfrom(p->fds[flow], buf, sizeof(buf) - 1, MSG_DONTWAIT,
				     (struct sockaddr *)&from, &fromlen);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			/* An ICMP error queued on the socket: not a reply. */
			if (errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH)
				continue;
			die_errno("recvfrom");
		}
		take_reply(p, flow, &from, buf, (size_t)n);
	}
}

/* Wait up to timeout_ms for replies and take them. */
static void receive(struct probe *p, int ep, int timeout_ms)
{
	struct epoll_event ev[EVENTS_MAX];
	int n, i;

	n = epoll_wait(ep, ev, EVENTS_MAX, timeout_ms);
	if (n < 0) {
		if (errno == EINTR)
			return;
		die_errno("epoll_wait");
	}
	for (i = 0; i < n; i++)
		drain(p, (unsigned long)ev[i].data.u64);
}

/* Move the window's start past answered and expired datagrams. */
static void slide_window(struct probe *p, double t)
{
	while (p->oldest < p->sent) {
		if (p->nrep[p->oldest]) {
			p->answered_in_window--;
		} else if (t - p->start - p->tsent[p->oldest] < p->expiry) {
			break;
		}
		p->oldest++;
	}
}

/* Send datagram number p->sent; false when the socket is full (try again later). */
static bool send_one(struct probe *p, double t)
{
	char msg[32];
	int len = snprintf(msg, sizeof(msg), "%lu", p->sent);
	int fd = p->fds[p->sent % p->nflows];

	if (sendto(fd, msg, (size_t)len, MSG_DONTWAIT, (const struct sockaddr *)&p->vip,
		   sizeof(p->vip)) < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS || errno == EINTR)
			return false;
		/* Unreachable and the like: it is sent, and will count as lost. */
		p->send_errors++;
	}
	p->tsent[p->sent] = (float)(t - p->start);
	p->sent++;
	p->last_send = t;
	if (p->mark && p->sent == p->mark) {
		printf("mark\n");
		if (fflush(stdout) == EOF)
			die_errno("stdout");
	}
	return true;
}

/* Milliseconds to wait before the next send may go; 0 to send now. */
static int send_wait_ms(struct probe *p, double t)
{
	double due;

	if (p->sent - p->oldest - p->answered_in_window >= p->window)
		return 5;
	if (p->rate > 0) {
		due = p->start + (double)p->sent / p->rate;
		if (due > t)
			return (int)((due - t) * 1000.0) + 1;
	}
	return 0;
}

/* The send phase; returns false when the time limit stopped it. */
static bool send_all(struct probe *p, int ep)
{
	for (;;) {
		double t = now();
		int wait_ms, n;

		if (t - p->start >= p->limit)
			return false;
		if (p->duration > 0 && t - p->start >= p->duration)
			return true;
		if (p->tail_mode) {
			if (got_usr1 && p->tail_start == NONE)
				p->tail_start = p->sent;
			if (p->tail_start != NONE && p->sent >= p->tail_start + p->tail)
				return true;
			if (p->sent >= p->count)
				return false;
		} else if (p->sent >= p->count) {
			return true;
		}
		slide_window(p, t);
		for (n = 0; n < SEND_BATCH && p->sent < p->count; n++) {
			if (p->tail_start != NONE && p->sent >= p->tail_start + p->tail)
				break;
			if (send_wait_ms(p, t) > 0 || !send_one(p, t))
				break;
		}
		wait_ms = p->sent < p->count ? send_wait_ms(p, now()) : 5;
		/* A full socket buffer: a short pause, the replies meanwhile. */
		if (n == 0 && wait_ms == 0)
			wait_ms = 1;
		receive(p, ep, n == SEND_BATCH ? 0 : wait_ms);
	}
}

/* After the last send: until every datagram is answered or none came for -q. */
static void collect(struct probe *p, int ep)
{
	double t = now(), quiet_until = t + p->quiet;

	while (p->replied < p->sent && t < quiet_until) {
		unsigned long before = p->replied + p->duplicates;

		receive(p, ep, (int)((quiet_until - t) * 1000.0) + 1);
		t = now();
		if (p->replied + p->duplicates != before)
			quiet_until = t + p->quiet;
	}
}

static void report(struct probe *p)
{
	unsigned long i, first = NONE, last = NONE;
	double span = p->last_reply - p->start;
	struct rusage ru;
	unsigned r;

	printf("sent %lu\nreplied %lu\nlost %lu\nduplicates %lu\nwrong_source %lu\n"
	       "misrouted %lu\nmalformed %lu\nsend_errors %lu\nsend_seconds %.3f\n"
	       "reply_rate %.0f\n",
	       p->sent, p->replied, p->sent - p->replied, p->duplicates, p->wrong_source,
	       p->misrouted, p->malformed, p->send_errors, p->last_send - p->start,
	       span > 0 ? (double)p->replied / span : 0.0);
	for (r = 0; r < p->nreplicas; r++)
		printf("replica %s %lu\n", p->replicas[r].name, p->replicas[r].replies);
	for (i = 0; i < p->sent; i++) {
		if (p->nrep[i])
			continue;
		if (first == NONE)
			first = i;
		last = i;
	}
	if (first != NONE)
		printf("loss_first_ms %.0f\nloss_last_ms %.0f\n", p->tsent[first] * 1000.0,
		       p->tsent[last] * 1000.0);
	if (p->tail_mode) {
		printf("tail_sent %lu\ntail_replied %lu\n",
		       p->tail_start == NONE ? 0 : p->sent - p->tail_start, p->tail_replied);
		for (r = 0; r < p->nreplicas; r++)
			printf("tail_replica %s %lu\n", p->replicas[r].name, p->replicas[r].tail);
	}
	if (getrusage(RUSAGE_SELF, &ru) < 0)
		die_errno("getrusage");
	printf("cpu_seconds %.3f\n", (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
					     (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
	if (fflush(stdout) == EOF)
		die_errno("stdout");
}

int main(int argc, char **argv)
{
	static struct probe p;
	struct sigaction sa;
	bool finished;
	int ep;

	parse_args(&p, argc, argv);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) < 0)
		die_errno("sigaction");
	p.tsent = calloc(p.count ? p.count : 1, sizeof(*p.tsent));
	p.nrep = calloc(p.count ? p.count : 1, sizeof(*p.nrep));
	if (!p.tsent || !p.nrep)
		die_errno("calloc");
	p.tail_start = NONE;
	ep = open_flows(&p);

	p.start = p.last_send = p.last_reply = now();
	finished = send_all(&p, ep);
	collect(&p, ep);
	report(&p);
	return finished ? 0 : EXIT_TIMEOUT;
}
