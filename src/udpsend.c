/* udpsend - send one datagram, print the reply; for shell scripts */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

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
	const char *source;			/* as given, for messages */
	char source_host[NETADDR_STRLEN + 8];
	const char *source_port;		/* NULL: the kernel picks */
	bool no_wait, hex, quiet;
	bool stdin_closed, stdout_closed;	/* at start; /dev/null stands in */
};

/* What to send where: from the operands. */
struct target {
	char host[NI_MAXHOST];
	char port[6];				/* decimal, from a number or a service */
	const char *message;			/* NULL: standard input */
};

struct message {
	unsigned char data[CONFIG_REPLY_MAX + 1];
	size_t len;
};

struct reply {
	unsigned char data[65536];
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

/*
 * One address's failure, kept in why: it is told only when every address
 * has failed, so that a fallback from ::1 to 127.0.0.1 is quiet.
 */
__attribute__((format(printf, 2, 3)))
static void defer(FILE *why, const char *fmt, ...)
{
	va_list ap;

	fputs("udpsend: ", why);
	va_start(ap, fmt);
	vfprintf(why, fmt, ap);
	va_end(ap);
	fputc('\n', why);
}

static void usage(FILE *out)
{
	fputs("Usage: udpsend [OPTIONS] [--] HOST PORT [MESSAGE]\n"
	      "       udpsend [OPTIONS] [--] HOST:PORT [MESSAGE]\n"
	      "Send MESSAGE (or standard input) as one UDP datagram and print the reply.\n"
	      "Options come before HOST; PORT is a number or a service name.\n\n"
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

/*
 * A closed 0, 1 or 2 would be taken by the socket, and the reply written
 * back into it: /dev/null stands in, and the flags remember, so that
 * reading a closed stdin or writing a closed stdout is still an error.
 */
static int stdio_safe(struct options *opt)
{
	int fd;

	for (fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* The lowest free descriptor: fd itself, as those below are open. */
		if (open("/dev/null", O_RDWR) != fd)
			return -1;
		if (fd == STDIN_FILENO)
			opt->stdin_closed = true;
		else if (fd == STDOUT_FILENO)
			opt->stdout_closed = true;
	}
	return 0;
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

static void print_hex_line(const unsigned char *buf, size_t off, size_t len)
{
	size_t i;

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

/*
 * The layout of hexdump -C: a full line equal to the one before is folded
 * into one "*" per run; a short last line is always shown; no bytes, no
 * output.
 */
static int print_hex(const unsigned char *buf, size_t len)
{
	bool folding = false;
	size_t off;

	for (off = 0; off < len; off += 16) {
		if (off > 0 && len - off >= 16 && memcmp(buf + off - 16, buf + off, 16) == 0) {
			if (!folding)
				puts("*");
			folding = true;
			continue;
		}
		folding = false;
		print_hex_line(buf, off, len);
	}
	if (len > 0)
		printf("%08zx\n", len);
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : -1;
}

static int print_reply(const struct options *opt, const struct reply *reply)
{
	const unsigned char *buf = reply->data;
	size_t len = reply->len;
	int rc;

	if (opt->quiet)
		return EXIT_REPLY;
	if (opt->stdout_closed) {
		complain("writing the reply: standard output is closed");
		return EXIT_LOCAL;
	}
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
static int await_reply(const struct options *opt, int fd, const char *peer,
	struct reply *reply, FILE *why)
{
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
			defer(why, "poll: %s", strerror(errno));
			return EXIT_LOCAL;
		}
		if (rc == 0)
			break;
		n = recv(fd, reply->data, sizeof(reply->data), MSG_DONTWAIT);
		if (n >= 0) {
			reply->len = (size_t)n;
			return EXIT_REPLY;
		}
		if (errno == EAGAIN || errno == EINTR)
			continue;
		defer(why, "%s: %s", peer, strerror(errno));
		return is_refusal(errno) ? EXIT_REFUSED : EXIT_LOCAL;
	}
	return EXIT_NO_REPLY;
}

static int bind_source(const struct options *opt, int fd, int family, FILE *why)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_family = family,
		.ai_socktype = SOCK_DGRAM };
	struct addrinfo *res;
	int rc;

	rc = getaddrinfo(opt->source_host, opt->source_port ? opt->source_port : "0", &hints, &res);
	if (rc) {
		defer(why, "--source: %s: %s", opt->source,
			rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return rc == EAI_SYSTEM || rc == EAI_MEMORY ? EXIT_LOCAL : EXIT_RESOLVE;
	}
	rc = bind(fd, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	if (rc < 0) {
		defer(why, "--source: cannot bind %s: %s", opt->source, strerror(errno));
		return EXIT_LOCAL;
	}
	return 0;
}

/* Send to one address, with retries; returns an exit code. */
static int exchange(const struct options *opt, const struct addrinfo *ai,
	const struct message *msg, struct reply *reply, FILE *why)
{
	char peer[NETADDR_STRLEN];
	unsigned long try;
	int fd, rc = EXIT_NO_REPLY;

	netaddr_format(ai->ai_addr, peer, sizeof(peer));
	fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		defer(why, "%s: socket: %s", peer, strerror(errno));
		return EXIT_LOCAL;
	}
	if (opt->source && (rc = bind_source(opt, fd, ai->ai_family, why)) != 0)
		goto out;
	/* Connected, so ICMP port unreachable comes back as ECONNREFUSED. */
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		defer(why, "%s: %s", peer, strerror(errno));
		rc = is_refusal(errno) ? EXIT_REFUSED : EXIT_LOCAL;
		goto out;
	}
	for (try = 0; try <= opt->retries; try++) {
		if (send(fd, msg->data, msg->len, 0) < 0) {
			defer(why, "%s: %s", peer, strerror(errno));
			rc = is_refusal(errno) ? EXIT_REFUSED : EXIT_LOCAL;
			goto out;
		}
		if (opt->no_wait) {
			rc = EXIT_REPLY;
			goto out;
		}
		rc = await_reply(opt, fd, peer, reply, why);
		if (rc != EXIT_NO_REPLY)
			goto out;
	}
	defer(why, "no reply from %s after %lu %s", peer, opt->retries + 1,
		opt->retries ? "tries" : "try");
out:
	close(fd);
	return rc;
}

/* How far an address got: when all fail, the furthest one's status is told. */
static int progress(int rc)
{
	switch (rc) {
	case EXIT_REPLY:
		return 4;
	case EXIT_NO_REPLY:
		return 3;	/* sent, and silence: something may be there */
	case EXIT_REFUSED:
		return 2;
	case EXIT_LOCAL:
		return 1;
	default:
		return 0;
	}
}

/*
 * Like nc: the addresses in order until one answers. A refusal, a timeout
 * or a local error (say, no IPv6 here) moves on, quietly unless every
 * address fails.
 */
static int exchange_any(const struct options *opt, const struct addrinfo *res,
	const struct message *msg, struct reply *reply)
{
	const struct addrinfo *ai;
	int rc, status = -1;
	char *text = NULL;
	size_t textlen;
	FILE *why;

	why = open_memstream(&text, &textlen);
	if (!why) {
		complain("open_memstream: %s", strerror(errno));
		return EXIT_LOCAL;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		rc = exchange(opt, ai, msg, reply, why);
		if (progress(rc) >= progress(status))
			status = rc;
		if (rc == EXIT_REPLY)
			break;
	}
	if (fclose(why) != 0) {
		complain("open_memstream: %s", strerror(errno));
		status = EXIT_LOCAL;
	} else if (status != EXIT_REPLY && !quiet) {
		fputs(text, stderr);
	}
	free(text);
	return status;
}

static int read_stdin(const struct options *opt, struct message *msg)
{
	ssize_t n;

	if (opt->stdin_closed) {
		complain("reading standard input: it is closed; give MESSAGE as an operand");
		return EXIT_LOCAL;
	}
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

/* After -h or -V: their text was written, or it is a local error. */
static int stdout_written(const struct options *opt)
{
	if (opt->stdout_closed) {
		fputs("udpsend: writing standard output: it is closed\n", stderr);
		return EXIT_LOCAL;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "udpsend: writing standard output: %s\n", strerror(errno));
		return EXIT_LOCAL;
	}
	return EXIT_REPLY;
}

/* One line for a bad option; optopt names a short one, else it is in arg. */
static void bad_option(const char *what, const char *arg)
{
	if (optopt)
		fprintf(stderr, "udpsend: option -%c %s; see udpsend --help\n", optopt, what);
	else
		fprintf(stderr, "udpsend: option %s %s; see udpsend --help\n", arg, what);
}

static int parse_source(struct options *opt)
{
	uint16_t portnum;

	if (netaddr_split(opt->source, opt->source_host, sizeof(opt->source_host),
		    &opt->source_port) < 0 ||
	    (opt->source_port && netaddr_parse_port(opt->source_port, true, &portnum) < 0)) {
		fprintf(stderr, "udpsend: --source: \"%s\": use ADDR, ADDR:PORT or [ADDR]:PORT\n",
			opt->source);
		return EXIT_USAGE;
	}
	return 0;
}

/*
 * Parse the options; -1 when the program is to go on, else an exit code.
 * "+": options end at the first operand, so a MESSAGE such as "-n" or
 * "--" is sent as it is, whatever POSIXLY_CORRECT says.
 */
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
	while ((c = getopt_long(argc, argv, "+:t:r:46s:nxqhV", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			errno = 0;
			opt->timeout = strtod(optarg, &end);
			if (errno || *end || end == optarg || !isfinite(opt->timeout) ||
			    opt->timeout < 0.001 || opt->timeout > 86400) {
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
			if (parse_source(opt))
				return EXIT_USAGE;
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
			return stdout_written(opt);
		case 'V':
			puts("udpsend " PACKAGE_VERSION);
			return stdout_written(opt);
		default:
			bad_option(c == ':' ? "needs an argument" : "is unknown", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	return -1;
}

/* PORT: a number, or the name of a UDP service in /etc/services. */
static int parse_port(const char *text, struct target *to)
{
	struct servent *se;
	uint16_t port = 0;

	if (text[strspn(text, "0123456789")] == '\0') {
		if (netaddr_parse_port(text, false, &port) < 0)
			port = 0;
	} else {
		se = getservbyname(text, "udp");
		if (se)
			port = ntohs((uint16_t)se->s_port);
		endservent();
	}
	if (port == 0) {
		fprintf(stderr, "udpsend: port \"%s\": use a number from 1 to 65535 or a UDP service name\n",
			text);
		return EXIT_USAGE;
	}
	snprintf(to->port, sizeof(to->port), "%u", port);
	return 0;
}

/*
 * HOST PORT [MESSAGE] or, as nc and socat users write it, HOST:PORT
 * [MESSAGE]: a first operand with one colon ("192.0.2.1:53") or "]:"
 * ("[::1]:53") holds the port; a bare IPv6 address never does.
 */
static int parse_operands(int n, char *const ops[], struct target *to)
{
	const char *port;
	int next;

	if (n < 1)
		goto usage;
	if (netaddr_split(ops[0], to->host, sizeof(to->host), &port) < 0) {
		fprintf(stderr, "udpsend: \"%s\": use HOST PORT, HOST:PORT or [IPV6]:PORT\n", ops[0]);
		return EXIT_USAGE;
	}
	next = 1;
	if (!port) {
		if (n < 2)
			goto usage;
		port = ops[next++];
	}
	if (n - next > 1)
		goto usage;
	to->message = n > next ? ops[next] : NULL;
	return parse_port(port, to);
usage:
	fprintf(stderr, "udpsend: need HOST PORT [MESSAGE] or HOST:PORT [MESSAGE]; see udpsend --help\n");
	return EXIT_USAGE;
}

int main(int argc, char *argv[])
{
	struct options opt = { .timeout = 1.0, .family = AF_UNSPEC };
	struct addrinfo hints = { .ai_flags = AI_NUMERICSERV, .ai_socktype = SOCK_DGRAM };
	static struct message msg;
	static struct reply reply;
	static struct target to;
	struct addrinfo *res;
	int rc;

	if (stdio_safe(&opt) < 0)
		return EXIT_LOCAL;
	/* A reader that went away is EPIPE, a local error, not death by signal. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		return EXIT_LOCAL;
	rc = parse_options(argc, argv, &opt);
	if (rc >= 0)
		return rc;
	rc = parse_operands(argc - optind, argv + optind, &to);
	if (rc)
		return rc;
	if (to.message) {
		msg.len = strlen(to.message);
		if (msg.len > CONFIG_REPLY_MAX) {
			fprintf(stderr, "udpsend: message longer than %d bytes\n", CONFIG_REPLY_MAX);
			return EXIT_USAGE;
		}
		memcpy(msg.data, to.message, msg.len);
	} else if ((rc = read_stdin(&opt, &msg)) != 0) {
		return rc;
	}
	hints.ai_family = opt.family;
	rc = getaddrinfo(to.host, to.port, &hints, &res);
	if (rc) {
		complain("%s: %s", to.host, rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return rc == EAI_SYSTEM || rc == EAI_MEMORY ? EXIT_LOCAL : EXIT_RESOLVE;
	}
	rc = exchange_any(&opt, res, &msg, &reply);
	freeaddrinfo(res);
	if (rc == EXIT_REPLY && !opt.no_wait)
		rc = print_reply(&opt, &reply);
	return rc;
}
