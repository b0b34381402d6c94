/*
 * udpprobe.c - a test helper for the integration tests (libc only)
 *
 *   udpprobe freeport
 *   udpprobe ask [-t SECONDS] [-s SRCADDR[:PORT]] HOST PORT [MESSAGE | -x HEX]
 *   udpprobe notify [-t SECONDS] SOCKETPATH
 *   udpprobe burst [-t SECONDS] [-n SOCKETS] HOST PORT COUNT [SIZE]
 *   udpprobe flood [-t SECONDS] [-q SECONDS] HOST PORT COUNT [SIZE]
 *   udpprobe hold [-t SECONDS] [--reuseport] HOST PORT
 *   udpprobe connect [-t SECONDS] HOST PORT
 *   udpprobe spoof [-t SECONDS] [-n COUNT] SRCADDR SRCPORT DSTADDR DSTPORT [MESSAGE | -x HEX]
 *   udpprobe spoof-flood [-t SECONDS] COUNT DSTADDR DSTPORT
 *   udpprobe listen [-t SECONDS] [-c] HOST PORT
 *
 * Exit codes: 0 success, 1 no reply / timeout, 2 usage, 3 system error.
 * spoof and spoof-flood exit 2 for a destination outside 127.0.0.0/8 and 3
 * without CAP_NET_RAW (root).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define EXIT_TIMEOUT 1
#define EXIT_USAGE 2
#define EXIT_SYSERR 3

#define DATAGRAM_MAX 65536
#define BURST_COUNT_MAX 1000000UL
#define BURST_WINDOW 64
#define BURST_SOCKETS_MAX 64
#define BURST_SECONDS_MAX 60.0
#define NOTIFY_SECONDS_DEFAULT 120.0
#define FLOOD_SECONDS_DEFAULT 30.0
#define FLOOD_QUIET_DEFAULT 1.0
#define FLOOD_RCVBUF (64 << 20)
#define HOLD_SECONDS_DEFAULT 120.0
#define HOLD_REPLY "held"
#define SPOOF_SECONDS_DEFAULT 2.0
#define SPOOF_PAYLOAD_MAX (65535 - 20 - 8)
#define SPOOF_HEADERS (sizeof(struct ip) + sizeof(struct udphdr))
#define SPOOF_FLOOD_SECONDS_DEFAULT 60.0
#define SPOOF_FLOOD_PAYLOAD 16
#define SPOOF_FLOOD_CHUNK 64
/* The /24s of 127.0.0.0/8 less those of 127.250.0.0/16, kept for clients. */
#define SPOOF_FLOOD_PREFIXES (65536UL - 256)
#define SPOOF_FLOOD_CLIENT_OCTET 250
#define SPOOF_FLOOD_COUNT_MAX (SPOOF_FLOOD_PREFIXES * 254)
/* Bytes waiting in the destination's receive queue above which it pauses. */
#define SPOOF_FLOOD_QUEUE_HIGH (1UL << 20)
#define LISTEN_SECONDS_DEFAULT 2.0

static const char *progname = "udpprobe";

static void usage(void) __attribute__((noreturn));
static void die_errno(const char *what) __attribute__((noreturn));

static void usage(void)
{
	fprintf(stderr,
		"usage: %s freeport\n"
		"       %s ask [-t SECONDS] [-s SRCADDR[:PORT]] HOST PORT [MESSAGE | -x HEX]\n"
		"       %s notify [-t SECONDS] SOCKETPATH\n"
		"       %s burst [-t SECONDS] [-n SOCKETS] HOST PORT COUNT [SIZE]\n"
		"       %s flood [-t SECONDS] [-q SECONDS] HOST PORT COUNT [SIZE]\n"
		"       %s hold [-t SECONDS] [--reuseport] HOST PORT\n"
		"       %s connect [-t SECONDS] HOST PORT\n"
		"       %s spoof [-t SECONDS] [-n COUNT] SRCADDR SRCPORT DSTADDR DSTPORT [MESSAGE | -x HEX]\n"
		"       %s spoof-flood [-t SECONDS] COUNT DSTADDR DSTPORT\n"
		"       %s listen [-t SECONDS] [-c] HOST PORT\n",
		progname, progname, progname, progname, progname, progname, progname, progname,
		progname, progname);
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

/* Milliseconds from now until deadline, for poll(); never negative. */
static int ms_until(double deadline)
{
	double left = deadline - now();

	if (left <= 0)
		return 0;
	if (left > 3600)
		return 3600 * 1000;
	return (int)(left * 1000.0) + 1;
}

static double parse_seconds(const char *text)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(text, &end);
	if (errno || end == text || *end || !(d > 0) || d > 3600) {
		fprintf(stderr, "%s: bad number of seconds: %s\n", progname, text);
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

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "48 65 6c 6c 6f", "48656c6c6f" or "48:65:6c" into buf; returns the length. */
static size_t parse_hex(const char *text, unsigned char *buf, size_t size)
{
	size_t n = 0;
	int hi = -1;

	for (; *text; text++) {
		int v;

		if (*text == ' ' || *text == ':' || *text == '\t' || *text == '\n')
			continue;
		v = hexval((unsigned char)*text);
		if (v < 0 || (hi < 0 && n == size))
			goto bad;
		if (hi < 0) {
			hi = v;
		} else {
			buf[n++] = (unsigned char)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0)
		goto bad;
	return n;
bad:
	fprintf(stderr, "%s: bad hex payload\n", progname);
	exit(EXIT_USAGE);
}

/* Resolve HOST PORT into a datagram address (first result). */
static void resolve(const char *host, const char *port, int family, int passive,
		    struct sockaddr_storage *ss, socklen_t *sslen)
{
	struct addrinfo hints, *res;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc) {
		fprintf(stderr, "%s: %s port %s: %s\n", progname, host ? host : "*", port,
			gai_strerror(rc));
		exit(EXIT_SYSERR);
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	freeaddrinfo(res);
}

static void format_addr(const struct sockaddr_storage *ss, char *host, size_t hostlen,
			unsigned *port)
{
	const void *addr;

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

		addr = &sin6->sin6_addr;
		*port = ntohs(sin6->sin6_port);
	} else {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		addr = &sin->sin_addr;
		*port = ntohs(sin->sin_port);
	}
	if (!inet_ntop(ss->ss_family, addr, host, (socklen_t)hostlen))
		snprintf(host, hostlen, "?");
}

static void write_all(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die_errno("write");
		}
		p += n;
		len -= (size_t)n;
	}
}

/* ---- freeport ---- */

/*
 * Can we bind port on the IPv6 wildcard with V6ONLY=0 (which collides with
 * any IPv4 or IPv6 use of the port), or, without IPv6, on 0.0.0.0?  Checks
 * UDP and TCP so that a test may also use the port for a stream socket.
 * Returns the port bound (useful with port 0), or 0 when it is taken.
 */
static unsigned try_port(unsigned port, int type)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, off = 0;
	unsigned got = 0;

	memset(&ss, 0, sizeof(ss));
	fd = socket(AF_INET6, type | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) < 0)
			die_errno("setsockopt IPV6_V6ONLY");
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_any;
		sin6->sin6_port = htons((uint16_t)port);
		len = sizeof(*sin6);
	} else if (errno == EAFNOSUPPORT) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die_errno("socket");
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
		sin->sin_port = htons((uint16_t)port);
		len = sizeof(*sin);
	} else {
		die_errno("socket");
	}
	if (bind(fd, (struct sockaddr *)&ss, len) == 0) {
		len = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
			die_errno("getsockname");
		got = ntohs(ss.ss_family == AF_INET6 ?
			    ((struct sockaddr_in6 *)&ss)->sin6_port :
			    ((struct sockaddr_in *)&ss)->sin_port);
	} else if (errno != EADDRINUSE && errno != EACCES) {
		die_errno("bind");
	}
	close(fd);
	return got;
}

/* The subcommands' one option, -t SECONDS; leaves optind at the operands. */
static double parse_timeout_option(int argc, char **argv, double seconds)
{
	int opt;

	optind = 1;
	while ((opt = getopt(argc, argv, "+t:")) != -1) {
		if (opt != 't')
			usage();
		seconds = parse_seconds(optarg);
	}
	return seconds;
}

static int cmd_freeport(int argc, char **argv)
{
	unsigned low = 32768, high = 60999, lo, hi;
	FILE *f;
	int i;

	(void)argv;
	if (argc != 1)
		usage();
	f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	if (f) {
		if (fscanf(f, "%u %u", &low, &high) != 2) {
			low = 32768;
			high = 60999;
		}
		fclose(f);
	}
	/*
	 * Prefer ports below the ephemeral range: a client socket elsewhere
	 * (another test running in parallel) can never be given them by the
	 * kernel between our check and the daemon's bind.
	 */
	if (low > 11024) {
		lo = 10000;
		hi = low - 1;
	} else {
		lo = high < 65535 ? high + 1 : 1024;
		hi = high < 65535 ? 65535 : 65535;
	}
	srand((unsigned)getpid() ^ (unsigned)(now() * 1e6));
	for (i = 0; i < 200; i++) {
		unsigned port = lo + (unsigned)rand() % (hi - lo + 1);

		if (try_port(port, SOCK_DGRAM) && try_port(port, SOCK_STREAM)) {
			printf("%u\n", port);
			return 0;
		}
	}
	/* Fall back on the kernel's choice. */
	for (i = 0; i < 20; i++) {
		unsigned port = try_port(0, SOCK_DGRAM);

		if (port && try_port(port, SOCK_STREAM)) {
			printf("%u\n", port);
			return 0;
		}
	}
	fprintf(stderr, "%s: no free port found\n", progname);
	return EXIT_SYSERR;
}

/* ---- ask ---- */

/* "ADDR", "ADDR:PORT", "[V6]", "[V6]:PORT"; a bare IPv6 literal has no port. */
static void split_source(char *text, char **host, char **port)
{
	char *colon;

	*port = NULL;
	if (text[0] == '[') {
		char *end = strchr(text, ']');

		if (!end || (end[1] && end[1] != ':'))
			usage();
		*end = '\0';
		*host = text + 1;
		if (end[1] == ':')
			*port = end + 2;
		return;
	}
	*host = text;
	colon = strchr(text, ':');
	if (colon && !strchr(colon + 1, ':')) {
		*colon = '\0';
		*port = colon + 1;
	}
}

static int cmd_ask(int argc, char **argv)
{
	static unsigned char msg[DATAGRAM_MAX], reply[DATAGRAM_MAX];
	double timeout = 2.0, deadline;
	char *source = NULL, *hex = NULL;
	const char *host, *port;
	struct sockaddr_storage dst, src, from;
	socklen_t dstlen, srclen, fromlen;
	size_t msglen = 0;
	char fromhost[INET6_ADDRSTRLEN];
	unsigned fromport;
	ssize_t n;
	int fd, opt;

	optind = 1;
	while ((opt = getopt(argc, argv, "+t:s:x:")) != -1) {
		switch (opt) {
		case 't':
			timeout = parse_seconds(optarg);
			break;
		case 's':
			source = optarg;
			break;
		case 'x':
			hex = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	/* -x may also follow HOST PORT, as in "ask HOST PORT -x 00ff". */
	if (argc == 4 && strcmp(argv[2], "-x") == 0 && !hex) {
		hex = argv[3];
		argc = 2;
	}
	if (argc < 2 || argc > 3 || (argc == 3 && hex))
		usage();
	host = argv[0];
	port = argv[1];
	if (hex) {
		msglen = parse_hex(hex, msg, sizeof(msg));
	} else if (argc == 3) {
		msglen = strlen(argv[2]);
		if (msglen > sizeof(msg))
			usage();
		memcpy(msg, argv[2], msglen);
	}

	resolve(host, port, AF_UNSPEC, 0, &dst, &dstlen);
	fd = socket(dst.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die_errno("socket");
	if (source) {
		char *shost, *sport;

		split_source(source, &shost, &sport);
		resolve(shost, sport ? sport : "0", dst.ss_family, 0, &src, &srclen);
		if (bind(fd, (struct sockaddr *)&src, srclen) < 0)
			die_errno("bind source");
	}
	if (sendto(fd, msg, msglen, 0, (struct sockaddr *)&dst, dstlen) < 0)
		die_errno("sendto");

	memset(&from, 0, sizeof(from));
	deadline = now() + timeout;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int rc = poll(&pfd, 1, ms_until(deadline));

		if (rc < 0) {
			if (errno == EINTR)
				continue;
			die_errno("poll");
		}
		if (rc == 0) {
			fprintf(stderr, "%s: no reply within %g s\n", progname, timeout);
			return EXIT_TIMEOUT;
		}
		fromlen = sizeof(from);
		n = recvfrom(fd, reply, sizeof(reply), MSG_TRUNC, (struct sockaddr *)&from,
			     &fromlen);
		if (n < 0) {
			/* An ICMP error queued for an earlier datagram: keep waiting. */
			if (errno == EINTR || errno == ECONNREFUSED || errno == EAGAIN)
				continue;
			die_errno("recvfrom");
		}
		break;
	}
	close(fd);
	format_addr(&from, fromhost, sizeof(fromhost), &fromport);
	printf("from %s %u %zd\n", fromhost, fromport, n);
	fflush(stdout);
	write_all(STDOUT_FILENO, reply, (size_t)n < sizeof(reply) ? (size_t)n : sizeof(reply));
	return 0;
}

/* ---- notify ---- */

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static int cmd_notify(int argc, char **argv)
{
	static char buf[DATAGRAM_MAX + 1];
	struct sockaddr_un sun;
	struct sigaction sa;
	double timeout = NOTIFY_SECONDS_DEFAULT, deadline;
	const char *path;
	int fd;

	timeout = parse_timeout_option(argc, argv, timeout);
	if (argc - optind != 1)
		usage();
	path = argv[optind];
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "%s: socket path too long: %s\n", progname, path);
		return EXIT_USAGE;
	}
	memcpy(sun.sun_path, path, strlen(path));

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0)
		die_errno("sigaction");

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die_errno("socket");
	if (unlink(path) < 0 && errno != ENOENT)
		die_errno("unlink");
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		die_errno("bind");

	deadline = now() + timeout;
	while (!stop_requested) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		char *line, *save = NULL;
		ssize_t n;
		int rc;

		rc = poll(&pfd, 1, ms_until(deadline));
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			die_errno("poll");
		}
		if (rc == 0)
			break;
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die_errno("recv");
		}
		buf[n] = '\0';
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			printf("%s\n", line);
		if (fflush(stdout) == EOF)
			die_errno("stdout");
	}
	close(fd);
	unlink(path);
	return 0;
}

/* ---- burst ---- */

static int connect_to(const char *host, const char *port, int type)
{
	struct sockaddr_storage dst;
	socklen_t dstlen;
	int fd;

	resolve(host, port, AF_UNSPEC, 0, &dst, &dstlen);
	fd = socket(dst.ss_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die_errno("socket");
	if (connect(fd, (struct sockaddr *)&dst, dstlen) < 0)
		die_errno("connect");
	return fd;
}

/* Read every reply waiting on fd; returns how many. */
static unsigned long drain_replies(int fd, unsigned char *buf, size_t size)
{
	unsigned long got = 0;

	for (;;) {
		ssize_t n = recv(fd, buf, size, MSG_DONTWAIT);

		if (n >= 0) {
			got++;
			continue;
		}
		if (errno == EINTR || errno == ECONNREFUSED)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return got;
		die_errno("recv");
	}
}

/* The burst's payload: SIZE letters that change with the sequence number. */
static void fill_payload(unsigned char *msg, size_t size, unsigned long seq)
{
	size_t i;

	for (i = 0; i < size; i++)
		msg[i] = (unsigned char)('a' + (seq + i) % 26);
}

/* A connected socket with a big receive buffer, so replies are not lost here. */
static int connect_client(const char *host, const char *port, int bufsize)
{
	int fd = connect_to(host, port, SOCK_DGRAM);

	/* Best effort: as root past rmem_max, else up to it. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufsize, sizeof(bufsize)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof(bufsize));
	return fd;
}

/* One source port of a burst, with its own window of unanswered datagrams. */
struct burst_flow {
	int fd;
	unsigned long sent, replies, lost;
};

/*
 * COUNT datagrams, at most a window unanswered per source port; with
 * -n SOCKETS from that many source ports (so that SO_REUSEPORT spreads
 * them over a group), round robin.
 */
static int cmd_burst(int argc, char **argv)
{
	static unsigned char msg[DATAGRAM_MAX], reply[DATAGRAM_MAX];
	static struct burst_flow flows[BURST_SOCKETS_MAX];
	static struct pollfd pfds[BURST_SOCKETS_MAX];
	double limit = BURST_SECONDS_MAX, deadline;
	unsigned long count, size = 16, nflows = 1, window, sent = 0, replies = 0, i;
	bool finished;
	int opt;

	optind = 1;
	while ((opt = getopt(argc, argv, "+t:n:")) != -1) {
		switch (opt) {
		case 't':
			limit = parse_seconds(optarg);
			break;
		case 'n':
			nflows = parse_ulong(optarg, BURST_SOCKETS_MAX, "number of sockets");
			if (nflows == 0)
				usage();
			break;
		default:
			usage();
		}
	}
	if (limit > BURST_SECONDS_MAX)
		limit = BURST_SECONDS_MAX;
	argc -= optind;
	argv += optind;
	if (argc < 3 || argc > 4)
		usage();
	count = parse_ulong(argv[2], BURST_COUNT_MAX, "count");
	if (argc == 4)
		size = parse_ulong(argv[3], 65507, "size");
	/* The same number in flight in all, however many source ports. */
	window = (BURST_WINDOW + nflows - 1) / nflows;
	if (window < 4)
		window = 4;

	for (i = 0; i < nflows; i++) {
		flows[i].fd = connect_client(argv[0], argv[1], 4 << 20);
		flows[i].sent = flows[i].replies = flows[i].lost = 0;
		pfds[i].fd = flows[i].fd;
		pfds[i].events = POLLIN;
	}

	deadline = now() + limit;
	while (sent < count && now() < deadline) {
		int rc;

		for (i = 0; i < nflows && sent < count; i++) {
			struct burst_flow *f = &flows[i];

			while (sent < count && f->sent - f->replies - f->lost < window) {
				fill_payload(msg, size, sent);
				if (send(f->fd, msg, size, MSG_DONTWAIT) < 0) {
					if (errno == EINTR || errno == ENOBUFS || errno == EAGAIN)
						break;
					if (errno == ECONNREFUSED)
						continue;
					die_errno("send");
				}
				f->sent++;
				sent++;
			}
		}
		rc = poll(pfds, (nfds_t)nflows, 200);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			die_errno("poll");
		}
		for (i = 0; i < nflows; i++) {
			struct burst_flow *f = &flows[i];
			unsigned long got;

			if (rc == 0) {
				/* Nothing came back in 200 ms: count the windows as lost. */
				f->lost = f->sent - f->replies;
				continue;
			}
			if (!pfds[i].revents)
				continue;
			got = drain_replies(f->fd, reply, sizeof(reply));
			f->replies += got;
			replies += got;
			if (f->replies + f->lost > f->sent)
				f->lost = f->sent - f->replies;
		}
	}
	finished = sent == count;
	/* Collect the stragglers, up to a second. */
	deadline = now() + 1.0;
	while (replies < sent) {
		int rc = poll(pfds, (nfds_t)nflows, ms_until(deadline));

		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			break;
		for (i = 0; i < nflows; i++)
			if (pfds[i].revents)
				replies += drain_replies(flows[i].fd, reply, sizeof(reply));
	}
	for (i = 0; i < nflows; i++)
		close(flows[i].fd);
	printf("sent %lu replies %lu\n", sent, replies);
	return finished ? 0 : EXIT_TIMEOUT;
}

/* ---- flood: COUNT datagrams without waiting, then the replies ---- */

/* Wait until fd may be written again, up to 100 ms. */
static void wait_writable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };

	if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
		die_errno("poll");
}

/*
 * Sends COUNT datagrams as fast as the socket takes them, never waiting for
 * a reply, and prints "sent N" once they are out. Then collects replies:
 * until the first one up to the -t limit (the server may be stopped), then
 * until none came for -q SECONDS. Prints "sent N replies M". The receive
 * buffer is big (64 MiB as root), so no reply is lost on this side.
 */
static int cmd_flood(int argc, char **argv)
{
	static unsigned char msg[DATAGRAM_MAX], reply[DATAGRAM_MAX];
	double limit = FLOOD_SECONDS_DEFAULT, quiet = FLOOD_QUIET_DEFAULT, deadline, until;
	unsigned long count, size = 16, sent = 0, replies = 0;
	int fd, opt;

	optind = 1;
	while ((opt = getopt(argc, argv, "+t:q:")) != -1) {
		switch (opt) {
		case 't':
			limit = parse_seconds(optarg);
			break;
		case 'q':
			quiet = parse_seconds(optarg);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 3 || argc > 4)
		usage();
	count = parse_ulong(argv[2], BURST_COUNT_MAX, "count");
	if (argc == 4)
		size = parse_ulong(argv[3], 65507, "size");

	fd = connect_client(argv[0], argv[1], FLOOD_RCVBUF);
	deadline = now() + limit;
	while (sent < count && now() < deadline) {
		fill_payload(msg, size, sent);
		if (send(fd, msg, size, MSG_DONTWAIT) < 0) {
			if (errno == EINTR || errno == ECONNREFUSED)
				continue;
			if (errno == EAGAIN || errno == ENOBUFS) {
				wait_writable(fd);
				continue;
			}
			die_errno("send");
		}
		sent++;
	}
	printf("sent %lu\n", sent);
	if (fflush(stdout) == EOF)
		die_errno("stdout");

	until = deadline;
	while (replies < sent) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		unsigned long got;
		int rc = poll(&pfd, 1, ms_until(until));

		if (rc < 0) {
			if (errno == EINTR)
				continue;
			die_errno("poll");
		}
		if (rc == 0)
			break;
		got = drain_replies(fd, reply, sizeof(reply));
		replies += got;
		if (got) {
			until = now() + quiet;
			if (until > deadline)
				until = deadline;
		}
	}
	close(fd);
	printf("sent %lu replies %lu\n", sent, replies);
	return sent == count ? 0 : EXIT_TIMEOUT;
}

/* ---- hold: bind a port as another process would, and answer "held" ---- */

static int cmd_hold(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "reuseport", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	static unsigned char buf[DATAGRAM_MAX];
	double timeout = HOLD_SECONDS_DEFAULT, deadline;
	struct sockaddr_storage ss, from;
	struct sigaction sa;
	socklen_t sslen, fromlen;
	unsigned long received = 0;
	int fd, opt, on = 1;
	bool reuseport = false;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+t:r", longopts, NULL)) != -1) {
		switch (opt) {
		case 't':
			timeout = parse_seconds(optarg);
			break;
		case 'r':
			reuseport = true;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2)
		usage();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0)
		die_errno("sigaction");

	resolve(argv[optind], argv[optind + 1], AF_UNSPEC, 1, &ss, &sslen);
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die_errno("socket");
	if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) < 0)
		die_errno("setsockopt SO_REUSEPORT");
	if (bind(fd, (struct sockaddr *)&ss, sslen) < 0)
		die_errno("bind");
	printf("bound\n");
	if (fflush(stdout) == EOF)
		die_errno("stdout");

	deadline = now() + timeout;
	while (!stop_requested) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;
		int rc = poll(&pfd, 1, ms_until(deadline));

		if (rc < 0) {
			if (errno == EINTR)
				continue;
			die_errno("poll");
		}
		if (rc == 0)
			break;
		fromlen = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fromlen);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die_errno("recvfrom");
		}
		received++;
		/* Best effort, like any UDP server. */
		(void)sendto(fd, HOLD_REPLY, strlen(HOLD_REPLY), MSG_DONTWAIT,
			     (struct sockaddr *)&from, fromlen);
	}
	close(fd);
	printf("received %lu\n", received);
	return 0;
}

/* ---- connect: open a TCP connection and hold it (wakes a stream listener) ---- */

static int cmd_connect(int argc, char **argv)
{
	double timeout = 5.0;
	int fd;

	timeout = parse_timeout_option(argc, argv, timeout);
	if (argc - optind != 2)
		usage();
	fd = connect_to(argv[optind], argv[optind + 1], SOCK_STREAM);
	/* Hold the connection until the peer closes it or the time is up. */
	{
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		double deadline = now() + timeout;

		while (poll(&pfd, 1, ms_until(deadline)) < 0 && errno == EINTR)
			;
	}
	close(fd);
	return 0;
}

/* ---- spoof: one UDP datagram with a forged IPv4 source, over a raw socket ---- */

/* The Internet checksum's running sum of len bytes (RFC 1071). */
static uint32_t sum16(uint32_t sum, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len > 1) {
		sum += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t fold16(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void parse_ipv4(const char *text, struct in_addr *addr, const char *what)
{
	if (inet_pton(AF_INET, text, addr) != 1) {
		fprintf(stderr, "%s: bad %s (an IPv4 address): %s\n", progname, what, text);
		exit(EXIT_USAGE);
	}
}

/*
 * The IPv4 and UDP headers of a datagram from saddr:sport to daddr:dport
 * whose len bytes of payload are already at packet + SPOOF_HEADERS, with a
 * correct UDP checksum; returns the packet's length. For a raw socket
 * (IPPROTO_RAW implies IP_HDRINCL): the kernel fills in the IP header
 * checksum and, when they are 0, the packet id (id 0) and the source
 * address, so a 0.0.0.0 source cannot be forged this way.
 */
static size_t spoof_packet(unsigned char *packet, struct in_addr saddr, unsigned sport,
			   struct in_addr daddr, unsigned dport, size_t len, uint16_t id)
{
	struct ip *ip = (struct ip *)packet;
	struct udphdr *udp = (struct udphdr *)(packet + sizeof(struct ip));
	size_t total = SPOOF_HEADERS + len;
	uint32_t sum;
	uint16_t csum;

	memset(packet, 0, SPOOF_HEADERS);
	ip->ip_v = 4;
	ip->ip_hl = sizeof(struct ip) / 4;
	ip->ip_tos = 0;
	ip->ip_len = htons((uint16_t)total);
	ip->ip_id = htons(id);
	ip->ip_off = 0;
	ip->ip_ttl = 64;
	ip->ip_p = IPPROTO_UDP;
	ip->ip_src = saddr;
	ip->ip_dst = daddr;
	ip->ip_sum = fold16(sum16(0, ip, sizeof(struct ip)));

	udp->uh_sport = htons((uint16_t)sport);
	udp->uh_dport = htons((uint16_t)dport);
	udp->uh_ulen = htons((uint16_t)(sizeof(struct udphdr) + len));
	udp->uh_sum = 0;
	/* The pseudo-header: source, destination, zero, protocol, UDP length. */
	sum = sum16(0, &ip->ip_src, 4);
	sum = sum16(sum, &ip->ip_dst, 4);
	sum += IPPROTO_UDP;
	sum += (uint32_t)(sizeof(struct udphdr) + len);
	sum = sum16(sum, udp, sizeof(struct udphdr) + len);
	csum = fold16(sum);
	/* 0 means "no checksum" in UDP over IPv4: send all ones instead. */
	udp->uh_sum = htons(csum ? csum : 0xffff);
	return total;
}

/* The destination of spoof and spoof-flood: a loopback address and a port. */
static void spoof_destination(const char *addr, const char *port, const char *cmd,
			      struct sockaddr_in *dst, unsigned *dport)
{
	memset(dst, 0, sizeof(*dst));
	dst->sin_family = AF_INET;
	parse_ipv4(addr, &dst->sin_addr, "destination address");
	*dport = (unsigned)parse_ulong(port, 65535, "destination port");
	if ((ntohl(dst->sin_addr.s_addr) >> 24) != 127) {
		fprintf(stderr, "%s: %s sends to loopback (127.0.0.0/8) only, not %s\n",
			progname, cmd, addr);
		exit(EXIT_USAGE);
	}
	if (*dport == 0) {
		fprintf(stderr, "%s: bad destination port: 0\n", progname);
		exit(EXIT_USAGE);
	}
}

/* The raw socket that sends forged datagrams; exits 3 without CAP_NET_RAW. */
static int spoof_socket(const char *cmd)
{
	int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);

	if (fd < 0) {
		if (errno == EPERM || errno == EACCES) {
			fprintf(stderr, "%s: %s needs root (CAP_NET_RAW): socket: %s\n",
				progname, cmd, strerror(errno));
			exit(EXIT_SYSERR);
		}
		die_errno("socket");
	}
	return fd;
}

/*
 * Sends the datagram to a loopback destination, COUNT times with -n (1 to
 * BURST_COUNT_MAX; all within -t, else exit 1 after "sent N").
 */
static int cmd_spoof(int argc, char **argv)
{
	static unsigned char packet[65535];
	unsigned char *payload = packet + SPOOF_HEADERS;
	double timeout = SPOOF_SECONDS_DEFAULT, deadline;
	struct sockaddr_in dst;
	struct in_addr saddr;
	unsigned long sport;
	unsigned dport;
	size_t len = 0, total;
	unsigned long count = 1, sent = 0;
	char *hex = NULL;
	int fd, opt;

	optind = 1;
	while ((opt = getopt(argc, argv, "+t:n:x:")) != -1) {
		switch (opt) {
		case 't':
			timeout = parse_seconds(optarg);
			break;
		case 'n':
			count = parse_ulong(optarg, BURST_COUNT_MAX, "count");
			if (count == 0)
				usage();
			break;
		case 'x':
			hex = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	/* -x may also follow the addresses, as with ask. */
	if (argc == 6 && strcmp(argv[4], "-x") == 0 && !hex) {
		hex = argv[5];
		argc = 4;
	}
	if (argc < 4 || argc > 5 || (argc == 5 && hex))
		usage();
	parse_ipv4(argv[0], &saddr, "source address");
	sport = parse_ulong(argv[1], 65535, "source port");
	spoof_destination(argv[2], argv[3], "spoof", &dst, &dport);
	if (hex) {
		len = parse_hex(hex, payload, SPOOF_PAYLOAD_MAX);
	} else if (argc == 5) {
		len = strlen(argv[4]);
		if (len > SPOOF_PAYLOAD_MAX) {
			fprintf(stderr, "%s: payload longer than %d bytes\n", progname,
				SPOOF_PAYLOAD_MAX);
			return EXIT_USAGE;
		}
		memcpy(payload, argv[4], len);
	}
	total = spoof_packet(packet, saddr, (unsigned)sport, dst.sin_addr, dport, len,
			     (uint16_t)(getpid() ^ (unsigned)(now() * 1e6)));

	fd = spoof_socket("spoof");
	deadline = now() + timeout;
	while (sent < count) {
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };

		if (sendto(fd, packet, total, MSG_DONTWAIT, (struct sockaddr *)&dst,
			   sizeof(dst)) >= 0) {
			sent++;
			continue;
		}
		if (errno != EINTR && errno != EAGAIN && errno != ENOBUFS)
			die_errno("sendto");
		if (now() >= deadline)
			break;
		if (poll(&pfd, 1, ms_until(deadline)) < 0 && errno != EINTR)
			die_errno("poll");
	}
	close(fd);
	if (count > 1)
		printf("sent %lu\n", sent);
	if (fflush(stdout) == EOF)
		die_errno("stdout");
	if (sent < count) {
		fprintf(stderr, "%s: sent %lu of %lu within %g s\n", progname, sent, count, timeout);
		return EXIT_TIMEOUT;
	}
	return 0;
}

/* ---- spoof-flood: COUNT datagrams from as many forged sources, over one raw socket ---- */

/*
 * The forged source of datagram i (from 0): consecutive datagrams come from
 * consecutive /24s of 127.0.0.0/8, all 65280 of them but 127.250.0.0/16's
 * (kept for a client that must not share a prefix with the flood), before
 * any /24 sends again; the host part (1 to 254, never .0 nor .255) moves
 * on at each round, so the first 65280 x 254 sources are all distinct.
 * Source port 40000 + i % 20000.
 */
static void flood_source(unsigned long i, struct in_addr *addr, unsigned *port)
{
	unsigned long k = i % SPOOF_FLOOD_PREFIXES;
	unsigned a = (unsigned)(k >> 8), b = (unsigned)(k & 0xff);
	unsigned h = 1 + (unsigned)(i / SPOOF_FLOOD_PREFIXES % 254);

	if (a >= SPOOF_FLOOD_CLIENT_OCTET)
		a++;
	addr->s_addr = htonl(127u << 24 | a << 16 | b << 8 | h);
	*port = 40000 + (unsigned)(i % 20000);
}

/*
 * The bytes waiting in the receive queues of the UDP sockets bound to port
 * (the largest, over /proc/net/udp and udp6); 0 when none is listed, or
 * when the files cannot be read (then there is nothing to pace by).
 */
static unsigned long receive_queue(unsigned port)
{
	static const char *const files[] = { "/proc/net/udp", "/proc/net/udp6" };
	unsigned long most = 0;
	size_t f;

	for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		char line[512];
		FILE *in = fopen(files[f], "re");

		if (!in)
			continue;
		while (fgets(line, sizeof(line), in)) {
			unsigned lport;
			unsigned long rxq;

			/* "  12: 0100007F:3039 00000000:0000 07 00000000:00000000 ..." */
			if (sscanf(line, " %*u: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %*x %*x:%lx",
				   &lport, &rxq) == 2 &&
			    lport == port && rxq > most)
				most = rxq;
		}
		fclose(in);
	}
	return most;
}

static void sleep_seconds(double seconds)
{
	struct timespec ts = { .tv_sec = (time_t)seconds,
			       .tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * Sends COUNT datagrams of SPOOF_FLOOD_PAYLOAD bytes from forged sources
 * (flood_source) to DSTADDR DSTPORT, in chunks of SPOOF_FLOOD_CHUNK with
 * sendmmsg. Paced by the destination, as a flood that wants its datagrams
 * to arrive would be: after each chunk, while more than
 * SPOOF_FLOOD_QUEUE_HIGH bytes wait in the receive queue of the socket
 * bound to DSTPORT (in /proc/net/udp, so in this network namespace), it
 * pauses. Stops after -t SECONDS; prints "sent N" (exit 1 when N < COUNT).
 */
static int cmd_spoof_flood(int argc, char **argv)
{
	static unsigned char packet[SPOOF_FLOOD_CHUNK][SPOOF_HEADERS + SPOOF_FLOOD_PAYLOAD];
	static struct mmsghdr msgs[SPOOF_FLOOD_CHUNK];
	static struct iovec iov[SPOOF_FLOOD_CHUNK];
	double limit = SPOOF_FLOOD_SECONDS_DEFAULT, deadline;
	struct sockaddr_in dst;
	unsigned long count, sent = 0;
	unsigned dport;
	int fd;

	limit = parse_timeout_option(argc, argv, limit);
	argc -= optind;
	argv += optind;
	if (argc != 3)
		usage();
	count = parse_ulong(argv[0], SPOOF_FLOOD_COUNT_MAX, "count");
	spoof_destination(argv[1], argv[2], "spoof-flood", &dst, &dport);

	fd = spoof_socket("spoof-flood");
	deadline = now() + limit;
	while (sent < count && now() < deadline) {
		unsigned n = 0, done = 0, j;

		for (j = 0; j < SPOOF_FLOOD_CHUNK && sent + j < count; j++, n++) {
			struct in_addr saddr;
			unsigned sport;

			flood_source(sent + j, &saddr, &sport);
			fill_payload(packet[j] + SPOOF_HEADERS, SPOOF_FLOOD_PAYLOAD, sent + j);
			iov[j].iov_base = packet[j];
			iov[j].iov_len = spoof_packet(packet[j], saddr, sport, dst.sin_addr, dport,
						      SPOOF_FLOOD_PAYLOAD, 0);
			memset(&msgs[j], 0, sizeof(msgs[j]));
			msgs[j].msg_hdr.msg_name = &dst;
			msgs[j].msg_hdr.msg_namelen = sizeof(dst);
			msgs[j].msg_hdr.msg_iov = &iov[j];
			msgs[j].msg_hdr.msg_iovlen = 1;
		}
		while (done < n && now() < deadline) {
			int rc = sendmmsg(fd, msgs + done, n - done, MSG_DONTWAIT);

			if (rc > 0) {
				done += (unsigned)rc;
				continue;
			}
			if (rc < 0 && errno != EINTR && errno != EAGAIN && errno != ENOBUFS)
				die_errno("sendmmsg");
			if (rc < 0 && errno != EINTR)
				wait_writable(fd);
		}
		sent += done;
		while (sent < count && receive_queue(dport) > SPOOF_FLOOD_QUEUE_HIGH &&
		       now() < deadline)
			sleep_seconds(0.0002);
	}
	close(fd);
	printf("sent %lu\n", sent);
	if (fflush(stdout) == EOF)
		die_errno("stdout");
	return sent == count ? 0 : EXIT_TIMEOUT;
}

/* ---- listen: bind HOST PORT and count what arrives, answering nothing ---- */

/*
 * Prints "bound" once bound, then, when the time is up or on SIGTERM,
 * "received N". With -c also "received N" after every datagram, so that a
 * test can watch the count grow.
 */
static int cmd_listen(int argc, char **argv)
{
	static unsigned char buf[DATAGRAM_MAX];
	double timeout = LISTEN_SECONDS_DEFAULT, deadline;
	struct sockaddr_storage ss;
	struct sigaction sa;
	socklen_t sslen;
	unsigned long received = 0;
	bool each = false;
	int fd, opt, on = 1;

	optind = 1;
	while ((opt = getopt(argc, argv, "+t:c")) != -1) {
		switch (opt) {
		case 't':
			timeout = parse_seconds(optarg);
			break;
		case 'c':
			each = true;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2)
		usage();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0)
		die_errno("sigaction");

	resolve(argv[optind], argv[optind + 1], AF_UNSPEC, 1, &ss, &sslen);
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die_errno("socket");
	/* Next to a wildcard socket that also says SO_REUSEADDR. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0)
		die_errno("setsockopt SO_REUSEADDR");
	if (bind(fd, (struct sockaddr *)&ss, sslen) < 0)
		die_errno("bind");
	printf("bound\n");
	if (fflush(stdout) == EOF)
		die_errno("stdout");

	deadline = now() + timeout;
	while (!stop_requested) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;
		int rc = poll(&pfd, 1, ms_until(deadline));

		if (rc < 0) {
			if (errno == EINTR)
				continue;
			die_errno("poll");
		}
		if (rc == 0)
			break;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == ECONNREFUSED)
				continue;
			die_errno("recv");
		}
		received++;
		if (each) {
			printf("received %lu\n", received);
			if (fflush(stdout) == EOF)
				die_errno("stdout");
		}
	}
	close(fd);
	printf("received %lu\n", received);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2)
		usage();
	cmd = argv[1];
	argc--;
	argv++;
	if (strcmp(cmd, "freeport") == 0)
		return cmd_freeport(argc, argv);
	if (strcmp(cmd, "ask") == 0)
		return cmd_ask(argc, argv);
	if (strcmp(cmd, "notify") == 0)
		return cmd_notify(argc, argv);
	if (strcmp(cmd, "burst") == 0)
		return cmd_burst(argc, argv);
	if (strcmp(cmd, "flood") == 0)
		return cmd_flood(argc, argv);
	if (strcmp(cmd, "hold") == 0)
		return cmd_hold(argc, argv);
	if (strcmp(cmd, "connect") == 0)
		return cmd_connect(argc, argv);
	if (strcmp(cmd, "spoof") == 0)
		return cmd_spoof(argc, argv);
	if (strcmp(cmd, "spoof-flood") == 0)
		return cmd_spoof_flood(argc, argv);
	if (strcmp(cmd, "listen") == 0)
		return cmd_listen(argc, argv);
	usage();
	return EXIT_USAGE;
}
