/*
 * udp-replyd-generator - the config file's address and port for udp-replyd.socket
 *
 * Under socket activation the listening address belongs to the socket unit,
 * but the config file stays the one place an admin sets it. systemd runs this
 * generator (systemd.generator(7)) at boot and on every daemon-reload; it
 * reads the config and writes NORMAL_DIR/udp-replyd.socket.d/50-config.conf:
 *
 *	[Socket]
 *	ListenDatagram=
 *	ListenDatagram=127.0.0.1:20001
 *
 * It must never break boot: when the config cannot be used it writes nothing
 * (the socket keeps the address in its unit file), says why in the log, and
 * exits 0.
 *
 * Usage: udp-replyd-generator [-c FILE] NORMAL_DIR [EARLY_DIR LATE_DIR]
 * The config is FILE, else $UDP_REPLYD_CONFIG, else SYSCONFDIR/udp-replyd.conf.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "config.h"
#include "netaddr.h"
#include "endpoint.h"
#include "generation.h"

#define GENERATOR_NAME "udp-replyd-generator"
#define DROPIN_DIR "udp-replyd.socket.d"
#define DROPIN_FILE "50-config.conf"

/*
 * Where our few messages go. Run by hand (tests, an admin) they go to stderr.
 * Run by systemd ($SYSTEMD_SCOPE set) on a daemon-reload, journald is up and
 * the journal is where an admin looks; early at boot it is not, and the kernel
 * log (which journald imports once it starts) is the place systemd's own
 * generators use.
 */
static void gen_log(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void gen_log(int priority, const char *fmt, ...)
{
	char msg[CONFIG_ERROR_MAX + 256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (getenv("SYSTEMD_SCOPE")) {
		int fd;

		if (access("/run/systemd/journal/socket", W_OK) == 0 &&
			sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", priority,
				"SYSLOG_IDENTIFIER=" GENERATOR_NAME, NULL) >= 0)
			return;
		fd = open("/dev/kmsg", O_WRONLY | O_NOCTTY | O_CLOEXEC);
		if (fd >= 0) {
			dprintf(fd, "<%d>" GENERATOR_NAME ": %s\n", priority, msg);
			close(fd);
			return;
		}
	}
	fprintf(stderr, GENERATOR_NAME ": %s\n", msg);
}

struct listen_list {
	struct endpoint ep[ENDPOINTS_MAX];
	size_t n;
	bool dual_stack; /* the IPv6 wildcard: one socket for IPv6 and IPv4 */
};

/*
 * The socket addresses cfg's address:port stands for: a literal is itself,
 * a host name every address it resolves to now. Returns 0, or -1 after
 * logging why.
 */
static int listen_resolve(const struct config *cfg, struct listen_list *l)
{
	char err[CONFIG_ERROR_MAX];
	int n;
	size_t i;

	memset(l, 0, sizeof(*l));
	n = endpoint_resolve(cfg, l->ep, ENDPOINTS_MAX, err, sizeof(err));
	if (n < 0) {
		gen_log(LOG_ERR, "%s; not writing the " DROPIN_DIR " drop-in, "
			"the socket keeps the address of its unit file", err);
		return -1;
	}
	l->n = (size_t)n;
	for (i = 0; i < l->n; i++)
		l->dual_stack |= endpoint_dual_stack(&l->ep[i].addr.sa);
	return 0;
}

/*
 * One ListenDatagram= per worker per address, all in one SO_REUSEPORT group
 * (systemd 252 opens a socket for each identical line); the daemon gives
 * the i-th socket of each address to worker i.
 */
static int dropin_print(FILE *f, const struct config *cfg, const struct listen_list *l)
{
	char addr[NETADDR_STRLEN];
	unsigned workers = generation_workers(cfg), w;
	size_t i;

	/* The daemon takes at most LISTENERS_MAX activated sockets. */
	if (l->n * workers > LISTENERS_MAX) {
		gen_log(LOG_WARNING, "%s: %u workers on %zu addresses would be %zu sockets, "
			"more than the %d udp-replyd takes; writing %zu per address",
			cfg->path, workers, l->n, l->n * workers, LISTENERS_MAX,
			(size_t)LISTENERS_MAX / l->n);
		workers = (unsigned)(LISTENERS_MAX / l->n);
	}

	fprintf(f,
		"# Written by " GENERATOR_NAME " from %s.\n"
		"# Edit that file, then: systemctl daemon-reload && "
		"systemctl restart udp-replyd.socket\n"
		"[Socket]\n"
		"ListenDatagram=\n",
		cfg->path);
	for (i = 0; i < l->n; i++) {
		netaddr_format(&l->ep[i].addr.sa, addr, sizeof(addr));
		for (w = 0; w < workers; w++)
			fprintf(f, "ListenDatagram=%s\n", addr);
	}
	fprintf(f, "ReusePort=yes\n");
	if (l->dual_stack)
		fprintf(f, "BindIPv6Only=both\n");
	if (cfg->receive_buffer)
		fprintf(f, "ReceiveBuffer=%d\n", cfg->receive_buffer);
	if (cfg->send_buffer)
		fprintf(f, "SendBuffer=%d\n", cfg->send_buffer);
	return ferror(f) ? -1 : 0;
}

/*
 * Write the drop-in under dir, all or nothing: a half-written one could reset
 * ListenDatagram= and leave the socket with no address at all.
 */
static int dropin_write(const char *dir, const struct config *cfg, const struct listen_list *l)
{
	char sub[4096], path[4096], tmp[4096];
	FILE *f;
	int fd;

	if (snprintf(sub, sizeof(sub), "%s/" DROPIN_DIR, dir) >= (int)sizeof(sub) ||
		snprintf(path, sizeof(path), "%s/" DROPIN_FILE, sub) >= (int)sizeof(path) ||
		snprintf(tmp, sizeof(tmp), "%s/." DROPIN_FILE ".XXXXXX", sub) >= (int)sizeof(tmp)) {
		gen_log(LOG_ERR, "%s: path too long", dir);
		return -1;
	}
	if (mkdir(sub, 0755) < 0 && errno != EEXIST) {
		gen_log(LOG_ERR, "cannot create %s: %s", sub, strerror(errno));
		return -1;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		gen_log(LOG_ERR, "cannot create a file in %s: %s", sub, strerror(errno));
		return -1;
	}
	f = fdopen(fd, "w");
	if (!f) {
		gen_log(LOG_ERR, "%s: %s", tmp, strerror(errno));
		close(fd);
		goto fail;
	}
	if (dropin_print(f, cfg, l) < 0 || fchmod(fd, 0644) < 0) {
		gen_log(LOG_ERR, "cannot write %s: %s", tmp, strerror(errno));
		fclose(f);
		goto fail;
	}
	if (fclose(f) != 0) {
		gen_log(LOG_ERR, "cannot write %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		gen_log(LOG_ERR, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	unlink(tmp);
	return -1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: " GENERATOR_NAME " [-c FILE] NORMAL_DIR [EARLY_DIR LATE_DIR]\n"
		"Write NORMAL_DIR/" DROPIN_DIR "/" DROPIN_FILE " with the ListenDatagram=\n"
		"lines for the address and port in FILE ($UDP_REPLYD_CONFIG, default\n" SYSCONFDIR
		"/udp-replyd.conf). systemd runs it at boot and on daemon-reload.\n");
}

int main(int argc, char *argv[])
{
	const char *path = getenv("UDP_REPLYD_CONFIG");
	char err[CONFIG_ERROR_MAX];
	struct listen_list *listen;
	struct config *cfg;
	int opt, ret;

	if (!path || !*path)
		path = SYSCONFDIR "/udp-replyd.conf";
	while ((opt = getopt(argc, argv, "c:h")) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return EXIT_FAILURE;
		}
	}
	/* systemd passes three directories; by hand one is enough. */
	if (argc - optind != 1 && argc - optind != 3) {
		usage(stderr);
		return EXIT_FAILURE;
	}

	if (config_load(path, &cfg, err, sizeof(err)) < 0) {
		gen_log(LOG_ERR,
			"%s; not writing the " DROPIN_DIR " drop-in, "
			"the socket keeps the address of its unit file",
			err);
		return EXIT_SUCCESS;
	}
	listen = calloc(1, sizeof(*listen));
	if (!listen) {
		gen_log(LOG_ERR, "out of memory");
		config_free(cfg);
		return EXIT_FAILURE;
	}
	ret = EXIT_SUCCESS;
	if (listen_resolve(cfg, listen) == 0 && dropin_write(argv[optind], cfg, listen) < 0)
		ret = EXIT_FAILURE;
	free(listen);
	config_free(cfg);
	return ret;
}
