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
 * A generator runs before the network is up, and must not talk to other
 * processes: so IP literals only (getaddrinfo with AI_NUMERICHOST, never a
 * lookup), and no journal. Its few messages go to the kernel log
 * (/dev/kmsg, which journald imports), as systemd's own generators do, and
 * to stderr when run by hand or when there is no /dev/kmsg (a container).
 *
 * A host name in a service's address cannot go into ListenDatagram= (systemd
 * takes IP addresses only), and resolving it is the daemon's job, once the
 * network is up. So with a host name the daemon binds its own sockets, for
 * every service, and the generator says so (at priority notice) and writes
 * two drop-ins instead:
 *   udp-replyd.service.d/50-config.conf: After= and Wants=
 *	network-online.target; UnsetEnvironment=LISTEN_FDS LISTEN_PID
 *	LISTEN_FDNAMES, so that the daemon does not take the socket unit's fd;
 *	the host's network (PrivateNetwork=no, AF_INET and AF_INET6, no
 *	IPAddressDeny=); and, when a port is below 1024, CAP_NET_BIND_SERVICE;
 *   udp-replyd.socket.d/50-config.conf: the socket listens on no network
 *	address (a FIFO only root may write) but Wants= the service, so an
 *	enabled socket still starts the daemon at boot, and the service still
 *	Requires= a socket that loads.
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

#include "config.h"
#include "netaddr.h"
#include "endpoint.h"
#include "listeners.h"
#include "workers.h"

#define GENERATOR_NAME "udp-replyd-generator"
#define SOCKET_DROPIN_DIR "udp-replyd.socket.d"
#define SERVICE_DROPIN_DIR "udp-replyd.service.d"
#define DROPIN_FILE "50-config.conf"
/* What the socket listens on when the daemon binds its own sockets. */
#define START_FIFO "/run/udp-replyd-start.fifo"

/*
 * Where our few messages go. Run by systemd ($SYSTEMD_SCOPE set), the kernel
 * log, which journald imports once it runs, as systemd's generators do
 * (log_setup_generator(): journal IPC prohibited, kmsg). One write() is one
 * record, and the kernel takes at most about 1000 bytes in it. Run by hand
 * (tests, an admin), or with no /dev/kmsg (systemd-nspawn gives a container
 * none), stderr.
 */
static void gen_log(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void gen_log(int priority, const char *fmt, ...)
{
	char msg[CONFIG_ERROR_MAX + 512], rec[960];
	va_list ap;
	int fd, n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (getenv("SYSTEMD_SCOPE")) {
		fd = open("/dev/kmsg", O_WRONLY | O_NOCTTY | O_CLOEXEC);
		if (fd >= 0) {
			n = snprintf(rec, sizeof(rec), "<%d>" GENERATOR_NAME "[%d]: %s\n",
				LOG_DAEMON | priority, (int)getpid(), msg);
			if (n >= (int)sizeof(rec))
				n = (int)sizeof(rec) - 1;
			n = (int)write(fd, rec, (size_t)n);
			close(fd);
			if (n > 0)
				return;
		}
	}
	fprintf(stderr, GENERATOR_NAME ": %s\n", msg);
}

struct listen_list {
	struct endpoint ep[ENDPOINTS_MAX];
	size_t n;
	bool dual_stack; /* the IPv6 wildcard: one socket for IPv6 and IPv4 */
	size_t hostname; /* with a host name: the first service that has one */
};

/*
 * The socket address of service s's address:port, when the address is an IP
 * literal. Never a lookup: AI_NUMERICHOST fails a host name at once
 * (EAI_NONAME) without asking anyone. Returns 0, 1 for a host name, or -1
 * after logging why.
 */
static int service_literal(const struct config *cfg, size_t s, struct endpoint *ep)
{
	const struct service *svc = &cfg->services[s];
	struct addrinfo hints = {
		.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV,
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_DGRAM,
	};
	struct addrinfo *res, *ai;
	char port[8];
	int rc;

	snprintf(port, sizeof(port), "%u", svc->port);
	rc = getaddrinfo(svc->address, port, &hints, &res);
	if (rc == EAI_NONAME)
		return 1;
	if (rc != 0) {
		gen_log(LOG_ERR, "%s:%d: address \"%s\": %s; not writing the " SOCKET_DROPIN_DIR
			" drop-in, the socket keeps the address of its unit file", cfg->path,
			svc->address_line, svc->address,
			rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -1;
	}
	/* A literal is one address of one family. */
	for (ai = res; ai; ai = ai->ai_next)
		if ((ai->ai_family == AF_INET || ai->ai_family == AF_INET6) &&
		    ai->ai_addrlen <= sizeof(ep->addr))
			break;
	if (ai) {
		memset(ep, 0, sizeof(*ep));
		memcpy(&ep->addr, ai->ai_addr, ai->ai_addrlen);
		ep->len = ai->ai_addrlen;
		ep->v6only = ai->ai_family == AF_INET6 && !endpoint_dual_stack(ai->ai_addr);
		ep->service = (unsigned)s;
	}
	freeaddrinfo(res);
	if (!ai) {
		gen_log(LOG_ERR, "%s:%d: address \"%s\": no IPv4 or IPv6 address; not writing the "
			SOCKET_DROPIN_DIR " drop-in, the socket keeps the address of its unit file",
			cfg->path, svc->address_line, svc->address);
		return -1;
	}
	return 0;
}

/*
 * Every service's socket address, in order, when all are IP literals.
 * Returns 0, 1 when a service has a host name (its index in l->hostname), or
 * -1 after logging why.
 */
static int listen_literal(const struct config *cfg, struct listen_list *l)
{
	size_t s;
	int rc;

	memset(l, 0, sizeof(*l));
	for (s = 0; s < cfg->nservices && s < ENDPOINTS_MAX; s++) {
		rc = service_literal(cfg, s, &l->ep[l->n]);
		if (rc == 1)
			l->hostname = s;
		if (rc != 0)
			return rc;
		l->dual_stack |= endpoint_dual_stack(&l->ep[l->n].addr.sa);
		l->n++;
	}
	return 0;
}

/*
 * One ListenDatagram= per worker per address, all in one SO_REUSEPORT group
 * (systemd 252 opens a socket for each identical line); the daemon gives
 * the i-th socket of each address to worker i.
 */
static int socket_dropin_print(FILE *f, const struct config *cfg, const struct listen_list *l)
{
	char addr[NETADDR_STRLEN];
	unsigned workers = workers_wanted(cfg), w;
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
 * For a host name: the socket stays (the service Requires= it, and an
 * enabled socket is what starts the daemon at boot), but holds no network
 * address, so that the daemon's own sockets are the only ones.
 */
static int socket_start_dropin_print(FILE *f, const struct config *cfg,
	const struct listen_list *l)
{
	fprintf(f,
		"# Written by " GENERATOR_NAME " from %s.\n"
		"# address \"%s\" is a host name, which systemd cannot listen on and a\n"
		"# generator must not resolve: udp-replyd binds its own sockets (see\n"
		"# " SERVICE_DROPIN_DIR "/" DROPIN_FILE "). This socket listens on no network\n"
		"# address, only on a FIFO that root alone may write, and starts the\n"
		"# daemon with itself.\n"
		"# Edit that file, then: systemctl daemon-reload && "
		"systemctl restart udp-replyd.socket\n"
		"[Unit]\n"
		"Wants=udp-replyd.service\n"
		"[Socket]\n"
		"ListenDatagram=\n"
		"ListenFIFO=" START_FIFO "\n"
		"SocketMode=0600\n"
		"RemoveOnStop=yes\n",
		cfg->path, cfg->services[l->hostname].address);
	return ferror(f) ? -1 : 0;
}

/*
 * For a host name: the daemon resolves it when it starts, once the network
 * is online, and binds its own sockets, so it needs the host's network that
 * the shipped unit takes away, and must not take the socket unit's FIFO.
 */
static int service_dropin_print(FILE *f, const struct config *cfg, const struct listen_list *l)
{
	const struct service *svc = &cfg->services[l->hostname];
	size_t s;
	unsigned low = 0;

	for (s = 0; s < cfg->nservices; s++)
		if (cfg->services[s].port < 1024 && !low)
			low = cfg->services[s].port;
	fprintf(f,
		"# Written by " GENERATOR_NAME " from %s.\n"
		"# address \"%s\" is a host name: udp-replyd resolves it when it starts,\n"
		"# once the network is online, and binds its own sockets; a reload\n"
		"# resolves it again. It ignores udp-replyd.socket, which listens on no\n"
		"# network address (see " SOCKET_DROPIN_DIR "/" DROPIN_FILE ").\n"
		"# Edit that file, then: systemctl daemon-reload && "
		"systemctl restart udp-replyd.socket\n"
		"[Unit]\n"
		"Wants=network-online.target\n"
		"After=network-online.target\n"
		"[Service]\n"
		"UnsetEnvironment=LISTEN_FDS LISTEN_PID LISTEN_FDNAMES\n"
		"PrivateNetwork=no\n"
		"RestrictAddressFamilies=AF_INET AF_INET6\n"
		"IPAddressDeny=\n",
		cfg->path, svc->address);
	if (low)
		fprintf(f,
			"# Port %u is below 1024: binding it takes CAP_NET_BIND_SERVICE in the\n"
			"# host's user namespace.\n"
			"PrivateUsers=no\n"
			"CapabilityBoundingSet=CAP_NET_BIND_SERVICE\n"
			"AmbientCapabilities=CAP_NET_BIND_SERVICE\n",
			low);
	return ferror(f) ? -1 : 0;
}

typedef int dropin_printer(FILE *f, const struct config *cfg, const struct listen_list *l);

/*
 * Write the drop-in DIR/UNIT_D/DROPIN_FILE, all or nothing: a half-written
 * one could reset ListenDatagram= and leave the socket with no address at
 * all. Returns 0, or -1 after logging why.
 */
static int dropin_write(const char *dir, const char *unit_d, dropin_printer *print,
	const struct config *cfg, const struct listen_list *l)
{
	char sub[4096], path[4096], tmp[4096];
	FILE *f;
	int fd;

	if (snprintf(sub, sizeof(sub), "%s/%s", dir, unit_d) >= (int)sizeof(sub) ||
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
	if (print(f, cfg, l) < 0 || fchmod(fd, 0644) < 0) {
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

/*
 * A host name: both drop-ins or neither. The service's alone would bind
 * beside the socket's default address; the socket's alone would pass the
 * daemon a FIFO, which it refuses.
 */
static int hostname_dropins_write(const char *dir, const struct config *cfg,
	const struct listen_list *l)
{
	const struct service *svc = &cfg->services[l->hostname];
	char path[4096];

	gen_log(LOG_NOTICE, "%s:%d: address \"%s\" is a host name, which a generator does not "
		"resolve; udp-replyd will bind its own sockets, resolving it when it starts "
		"once the network is online, and udp-replyd.socket listens on no network address",
		cfg->path, svc->address_line, svc->address);
	if (dropin_write(dir, SERVICE_DROPIN_DIR, service_dropin_print, cfg, l) < 0)
		return -1;
	if (dropin_write(dir, SOCKET_DROPIN_DIR, socket_start_dropin_print, cfg, l) < 0) {
		snprintf(path, sizeof(path), "%s/" SERVICE_DROPIN_DIR "/" DROPIN_FILE, dir);
		unlink(path);
		return -1;
	}
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: " GENERATOR_NAME " [-c FILE] NORMAL_DIR [EARLY_DIR LATE_DIR]\n"
		"Write NORMAL_DIR/" SOCKET_DROPIN_DIR "/" DROPIN_FILE " with the ListenDatagram=\n"
		"lines for the address and port in FILE ($UDP_REPLYD_CONFIG, default\n" SYSCONFDIR
		"/udp-replyd.conf). For a host name, which it does not resolve, it writes\n"
		"drop-ins that make udp-replyd bind its own sockets instead.\n"
		"systemd runs it at boot and on daemon-reload.\n");
}

int main(int argc, char *argv[])
{
	const char *path = getenv("UDP_REPLYD_CONFIG");
	char err[CONFIG_ERROR_MAX];
	struct listen_list *listen;
	struct config *cfg;
	int opt, ret, rc;

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
			"%s; not writing the " SOCKET_DROPIN_DIR " drop-in, "
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
	rc = listen_literal(cfg, listen);
	if (rc == 0 && dropin_write(argv[optind], SOCKET_DROPIN_DIR, socket_dropin_print, cfg,
				    listen) < 0)
		ret = EXIT_FAILURE;
	else if (rc == 1 && hostname_dropins_write(argv[optind], cfg, listen) < 0)
		ret = EXIT_FAILURE;
	free(listen);
	config_free(cfg);
	return ret;
}
