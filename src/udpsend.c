/* udpsend - send one datagram, print the reply; for shell scripts */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "netaddr.h"

enum exit_code {
	EXIT_REPLY = 0,		/* a reply came */
	EXIT_NO_REPLY = 1,	/* nothing answered in time, after all tries */
	EXIT_USAGE = 2,
	EXIT_REFUSED = 3,	/* ICMP port unreachable, or the network said no */
	EXIT_RESOLVE = 4,	/* the host name did not resolve */
	EXIT_LOCAL = 5,		/* a local error: socket, --source, stdin, stdout */
};

struct options {
	double timeout;
	unsigned long retries;
	int family;
	const char *source;
	bool no_wait, hex, quiet;
};

struct message {
	unsigned char data[CONFIG_REPLY_MAX + 1];
	size_t len;
};

static bool quiet;

__attribute__((format(printf, 1, 2)))
static void complain(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	fputs("udpsend: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(FILE *out)
{
	fputs("Usage: udpsend [OPTIONS] HOST PORT [MESSAGE]\n"
	      "Send MESSAGE (or standard input) as one UDP datagram and print the reply.\n\n"
	      "  -t, --timeout SECONDS  wait this long for a reply to each try (default 1)\n"
	      "  -r, --retries N        send up to N more times when no reply comes (default 0)\n"
	      "  -4, -6                 use IPv4 or IPv6 only\n"
	      "  -s, --source ADDR[:PORT]  send from this local address and port\n"
	      "  -n, --no-wait          send and exit without waiting for a reply\n"
	      "  -x, --hex              print the reply as a hex dump\n"
	      "  -q, --quiet            print nothing; the exit status tells\n"
	      "  -h, --help             show this help and exit\n"
	      "  -V, --version          show the version and exit\n\n"
	      "Exit status: 0 reply received, 1 no reply, 2 usage error, 3 refused or\n"
	      "unreachable, 4 host name did not resolve, 5 local error.\n",
		out);
}

static bool is_refusal(int err)
{
	return err == ECONNREFUSED || err == ENETUNREACH || err == EHOSTUNREACH ||
	       err == EACCES || err == EPERM || err == ENETDOWN || err == EHOSTDOWN ||
	       err == EADDRNOTAVAIL;
}

static int write_all(const unsigned char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(STDOUT_FILENO, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The layout of hexdump -C. */
static int print_hex(const unsigned char *buf, size_t len)
{
	size_t off, i;

	for (off = 0; off < len; off += 16) {
		printf("%08zx ", off);
		for (i = 0; i < 16; i++) {
			if (i == 8)
				putchar(' ');
			if (off + i < len)
				printf(" %02x", buf[off + i]);
			else
				fputs("   ", stdout);
		}
		fputs("  |", stdout);
		for (i = 0; i < 16 && off + i < len; i++)
			putchar(buf[off + i] >= 0x20 && buf[off + i] < 0x7f ? buf[off + i] : '.');
		puts("|");
	}
	printf("%08zx\n", len);
	return fflush(stdout) == 0 ? 0 : -1;
}

static int print_reply(const struct options *opt, const unsigned char *buf, size_t len)
{
	int rc;

	if (opt->quiet)
		return 0;
	if (opt->hex)
		rc = print_hex(buf, len);
	else
		rc = write_all(buf, len);
	/* A person at a terminal gets the prompt on a line of its own. */
	if (rc == 0 && !opt->hex && isatty(STDOUT_FILENO) && (len == 0 || buf[len - 1] != '\n'))
		rc = write_all((const unsigned char *)"\n", 1);
	if (rc < 0) {
		complain("writing the reply: %s", strerror(errno));
		return EXIT_LOCAL;
	}
	return EXIT_REPLY;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wait up to timeout seconds for the reply on the connected socket fd. */
static int await_reply(const struct options *opt, int fd, const char *peer)
{
	static unsigned char buf[65536];
	double deadline = now() + opt->timeout, left;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct timespec ts;
	ssize_t n;
	int rc;

	while ((left = deadline - now()) > 0) {
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
		rc = ppoll(&pfd, 1, &ts, NULL);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0) {
			complain("poll: %s", strerror(errno));
			return EXIT_LOCAL;
		}
		if (rc == 0)
			break;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n >= 0)
			return print_reply(opt, buf, (size_t)n);
		if (errno == EAGAIN || errno == EINTR)
			continue;
		complain("%s: %s", peer, strerror(errno));
		return is_refusal(errno) ? EXIT_REFUSED : EXIT_LOCAL;
	}
	return EXIT_NO_REPLY;
}

static int bind_source(const struct options *opt, int fd, int family)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_family = family,
		.ai_socktype = SOCK_DGRAM };
	char host[NETADDR_STRLEN + 8];
	struct addrinfo *res;
	const char *port;
	uint16_t portnum;
	int rc;

	if (netaddr_split(opt->source, host, sizeof(host), &port) < 0 ||
	    (port && netaddr_parse_port(port, true, &portnum) < 0)) {
		complain("--source: \"%s\": use ADDR, ADDR:PORT or [ADDR]:PORT", opt->source);
		return EXIT_USAGE;
	}
	rc = getaddrinfo(host, port ? port : "0", &hints, &res);
	if (rc) {
		complain("--source: %s: %s", opt->source, gai_strerror(rc));
		return rc == EAI_SYSTEM || rc == EAI_MEMORY ? EXIT_LOCAL : EXIT_RESOLVE;
	}
	rc = bind(fd, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	if (rc < 0) {
		complain("--source: cannot bind %s: %s", opt->source, strerror(errno));
		return EXIT_LOCAL;
	}
	return 0;
}

/* Send to one address, with retries; returns an exit code. */
static int exchange(const struct options *opt, const struct addrinfo *ai, const struct message *msg)
{
	char peer[NETADDR_STRLEN];
	unsigned long try;
	int fd, rc = EXIT_NO_REPLY;

	netaddr_format(ai->ai_addr, peer, sizeof(peer));
	fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		complain("socket: %s", strerror(errno));
		return EXIT_LOCAL;
	}
	if (opt->source && (rc = bind_source(opt, fd, ai->ai_family)) != 0)
		goto out;
	/* Connected, so ICMP port unreachable comes back as ECONNREFUSED. */
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		complain("%s: %s", peer, strerror(errno));
		rc = is_refusal(errno) ? EXIT_REFUSED : EXIT_LOCAL;
		goto out;
	}
	for (try = 0; try <= opt->retries; try++) {
		if (send(fd, msg->data, msg->len, 0) < 0) {
			complain("%s: %s", peer, strerror(errno));
			rc = is_refusal(errno) ? EXIT_REFUSED : EXIT_LOCAL;
			goto out;
		}
		if (opt->no_wait) {
			rc = EXIT_REPLY;
			goto out;
		}
		rc = await_reply(opt, fd, peer);
		if (rc != EXIT_NO_REPLY)
			goto out;
	}
	complain("no reply from %s after %lu %s", peer, opt->retries + 1,
		opt->retries ? "tries" : "try");
out:
	close(fd);
	return rc;
}

static int read_stdin(struct message *msg)
{
	ssize_t n;

	msg->len = 0;
	while (msg->len < sizeof(msg->data)) {
		n = read(STDIN_FILENO, msg->data + msg->len, sizeof(msg->data) - msg->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			complain("reading standard input: %s", strerror(errno));
			return EXIT_LOCAL;
		}
		if (n == 0)
			return 0;
		msg->len += (size_t)n;
	}
	complain("message longer than %d bytes, the most one datagram holds", CONFIG_REPLY_MAX);
	return EXIT_USAGE;
}

/* One line for a bad option; optopt names a short one, else it is in arg. */
static void bad_option(const char *what, const char *arg)
{
	if (optopt)
		fprintf(stderr, "udpsend: option -%c %s; see udpsend --help\n", optopt, what);
	else
		fprintf(stderr, "udpsend: option %s %s; see udpsend --help\n", arg, what);
}

static int parse_options(int argc, char *argv[], struct options *opt)
{
	static const struct option longopts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "retries", required_argument, NULL, 'r' },
		{ "source", required_argument, NULL, 's' },
		{ "no-wait", no_argument, NULL, 'n' },
		{ "hex", no_argument, NULL, 'x' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	opterr = 0; /* one line of our own instead */
	while ((c = getopt_long(argc, argv, ":t:r:46s:nxqhV", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			errno = 0;
			opt->timeout = strtod(optarg, &end);
			if (errno || *end || end == optarg || !isfinite(opt->timeout) ||
			    opt->timeout <= 0 || opt->timeout > 86400) {
				fprintf(stderr, "udpsend: --timeout: \"%s\": use seconds from 0.001 to 86400\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'r':
			errno = 0;
			opt->retries = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || optarg[0] == '-' || opt->retries > 1000) {
				fprintf(stderr, "udpsend: --retries: \"%s\": use a number from 0 to 1000\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case '4':
			opt->family = AF_INET;
			break;
		case '6':
			opt->family = AF_INET6;
			break;
		case 's':
			opt->source = optarg;
			break;
		case 'n':
			opt->no_wait = true;
			break;
		case 'x':
			opt->hex = true;
			break;
		case 'q':
			opt->quiet = quiet = true;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_REPLY);
		case 'V':
			puts("udpsend " PACKAGE_VERSION);
			exit(EXIT_REPLY);
		default:
			bad_option(c == ':' ? "needs an argument" : "is unknown", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (argc - optind < 2 || argc - optind > 3) {
		fprintf(stderr, "udpsend: need HOST PORT [MESSAGE]; see udpsend --help\n");
		return EXIT_USAGE;
	}
	return 0;
}

int main(int argc, char *argv[])
{
	struct options opt = { .timeout = 1.0, .family = AF_UNSPEC };
	struct addrinfo hints = { .ai_flags = AI_NUMERICSERV, .ai_socktype = SOCK_DGRAM };
	static struct message msg;
	struct addrinfo *res, *ai;
	const char *host, *portarg;
	uint16_t port;
	int rc;

	rc = parse_options(argc, argv, &opt);
	if (rc)
		return rc;
	host = argv[optind];
	portarg = argv[optind + 1];
	if (netaddr_parse_port(portarg, false, &port) < 0) {
		fprintf(stderr, "udpsend: port \"%s\": use a number from 1 to 65535\n", portarg);
		return EXIT_USAGE;
	}
	if (optind + 2 < argc) {
		msg.len = strlen(argv[optind + 2]);
		if (msg.len > CONFIG_REPLY_MAX) {
			fprintf(stderr, "udpsend: message longer than %d bytes\n", CONFIG_REPLY_MAX);
			return EXIT_USAGE;
		}
		memcpy(msg.data, argv[optind + 2], msg.len);
	} else if ((rc = read_stdin(&msg)) != 0) {
		return rc;
	}
	hints.ai_family = opt.family;
	rc = getaddrinfo(host, portarg, &hints, &res);
	if (rc) {
		complain("%s: %s", host, rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return rc == EAI_SYSTEM || rc == EAI_MEMORY ? EXIT_LOCAL : EXIT_RESOLVE;
	}
	/* Like nc: the addresses in order, moving on when one refuses. */
	for (ai = res; ai; ai = ai->ai_next) {
		rc = exchange(&opt, ai, &msg);
		if (rc != EXIT_REFUSED)
			break;
	}
	freeaddrinfo(res);
	return rc;
}
