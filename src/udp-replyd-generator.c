/*
 * udp-replyd-generator - the config files' addresses and ports for the socket units
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
 * It does the same for every instance, a separate daemon with a config file
 * of its own: for each SYSCONFDIR/udp-replyd/NAME.conf, the drop-ins of
 * udp-replyd@NAME.socket (and .service). The template socket unit lists no
 * address at all, so an instance whose file cannot be used has no socket
 * that starts, rather than one on an address nobody chose. NAME must be
 * letters, digits, "_", "." and "-" (not first "."): what systemd takes in an
 * instance name as it is, so that %i in the units is NAME and no escaping
 * can make two files one instance; other files are skipped with a message.
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
 *	address (a FIFO only root may write, one per instance) but Wants= the
 *	service, so an enabled socket still starts the daemon at boot, and the
 *	service still Requires= a socket that loads.
 *
 * It must never break boot: when a config cannot be used it writes nothing
 * for its units (the main socket keeps the address in its unit file), says
 * why in the log, and exits 0.
 *
 * Usage: udp-replyd-generator [-c FILE] [-d DIR] NORMAL_DIR [EARLY_DIR LATE_DIR]
 * The config is FILE, else $UDP_REPLYD_CONFIG, else SYSCONFDIR/udp-replyd.conf;
 * the instances' files are in DIR, else $UDP_REPLYD_CONFIG_DIR, else
 * SYSCONFDIR/udp-replyd.
 */
#include <dirent.h>
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
#define UNIT "udp-replyd"
#define DROPIN_FILE "50-config.conf"
#define CONFIG_SUFFIX ".conf"
/*
 * Long enough for any sensible name, short enough that every file name made
 * from it fits in NAME_MAX (255): udp-replyd@NAME.service.d,
 * udp-replyd-start@NAME.fifo.
 */
#define INSTANCE_NAME_MAX 200

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

/* One config file, the units it is for, and what it says. */
struct target {
	/* UNIT, or UNIT "@NAME" for an instance: the units without .socket/.service */
	char unit[sizeof(UNIT "@") + INSTANCE_NAME_MAX];
	/* What the socket listens on when the daemon binds its own sockets. */
	char fifo[sizeof("/run/" UNIT "-start@.fifo") + INSTANCE_NAME_MAX];
	/* What becomes of the socket when we write nothing for it. */
	const char *fallback;
	struct config *cfg;
	struct listen_list listen;
};

/*
 * The socket address of service s's address:port, when the address is an IP
 * literal. Never a lookup: AI_NUMERICHOST fails a host name at once
 * (EAI_NONAME) without asking anyone. Returns 0, 1 for a host name, or -1
 * with why in err.
 */
static int service_literal(const struct config *cfg, size_t s, struct endpoint *ep, char *err,
	size_t errlen)
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
		snprintf(err, errlen, "%s:%d: address \"%s\": %s", cfg->path, svc->address_line,
			svc->address, rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
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
		snprintf(err, errlen, "%s:%d: address \"%s\": no IPv4 or IPv6 address", cfg->path,
			svc->address_line, svc->address);
		return -1;
	}
	return 0;
}

/*
 * Every service's socket address, in order, when all are IP literals.
 * Returns 0, 1 when a service has a host name (its index in l->hostname), or
 * -1 with why in err.
 */
static int listen_literal(const struct config *cfg, struct listen_list *l, char *err,
	size_t errlen)
{
	size_t s;
	int rc;

	memset(l, 0, sizeof(*l));
	for (s = 0; s < cfg->nservices && s < ENDPOINTS_MAX; s++) {
		rc = service_literal(cfg, s, &l->ep[l->n], err, errlen);
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
static int socket_dropin_print(FILE *f, const struct target *t)
{
	const struct config *cfg = t->cfg;
	const struct listen_list *l = &t->listen;
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
		"systemctl restart %s.socket\n"
		"[Socket]\n"
		"ListenDatagram=\n",
		cfg->path, t->unit);
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
static int socket_start_dropin_print(FILE *f, const struct target *t)
{
	fprintf(f,
		"# Written by " GENERATOR_NAME " from %s.\n"
		"# address \"%s\" is a host name, which systemd cannot listen on and a\n"
		"# generator must not resolve: udp-replyd binds its own sockets (see\n"
		"# %s.service.d/" DROPIN_FILE "). This socket listens on no network\n"
		"# address, only on a FIFO that root alone may write, and starts the\n"
		"# daemon with itself.\n"
		"# Edit that file, then: systemctl daemon-reload && "
		"systemctl restart %s.socket\n"
		"[Unit]\n"
		"Wants=%s.service\n"
		"[Socket]\n"
		"ListenDatagram=\n"
		"ListenFIFO=%s\n"
		"SocketMode=0600\n"
		"RemoveOnStop=yes\n",
		t->cfg->path, t->cfg->services[t->listen.hostname].address, t->unit, t->unit,
		t->unit, t->fifo);
	return ferror(f) ? -1 : 0;
}

/*
 * For a host name: the daemon resolves it when it starts, once the network
 * is online, and binds its own sockets, so it needs the host's network that
 * the shipped unit takes away, and must not take the socket unit's FIFO.
 */
static int service_dropin_print(FILE *f, const struct target *t)
{
	const struct config *cfg = t->cfg;
	const struct service *svc = &cfg->services[t->listen.hostname];
	size_t s;
	unsigned low = 0;

	for (s = 0; s < cfg->nservices; s++)
		if (cfg->services[s].port < 1024 && !low)
			low = cfg->services[s].port;
	fprintf(f,
		"# Written by " GENERATOR_NAME " from %s.\n"
		"# address \"%s\" is a host name: udp-replyd resolves it when it starts,\n"
		"# once the network is online, and binds its own sockets; a reload\n"
		"# resolves it again. It ignores %s.socket, which listens on no\n"
		"# network address (see %s.socket.d/" DROPIN_FILE ").\n"
		"# Edit that file, then: systemctl daemon-reload && "
		"systemctl restart %s.socket\n"
		"[Unit]\n"
		"Wants=network-online.target\n"
		"After=network-online.target\n"
		"[Service]\n"
		"UnsetEnvironment=LISTEN_FDS LISTEN_PID LISTEN_FDNAMES\n"
		"PrivateNetwork=no\n"
		"RestrictAddressFamilies=AF_INET AF_INET6\n"
		"IPAddressDeny=\n",
		cfg->path, svc->address, t->unit, t->unit, t->unit);
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

typedef int dropin_printer(FILE *f, const struct target *t);

/* DIR/UNIT.TYPE.d[/DROPIN_FILE]; -1 when it does not fit. */
static int dropin_path(char *buf, size_t size, const char *dir, const struct target *t,
	const char *type, bool file)
{
	int n = snprintf(buf, size, "%s/%s.%s.d%s", dir, t->unit, type,
		file ? "/" DROPIN_FILE : "");

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/*
 * Write the drop-in DIR/UNIT.TYPE.d/DROPIN_FILE (TYPE socket or service),
 * all or nothing: a half-written one could reset ListenDatagram= and leave
 * the socket with no address at all. Returns 0, or -1 after logging why.
 */
static int dropin_write(const char *dir, const struct target *t, const char *type,
	dropin_printer *print)
{
	char sub[4096], path[4096], tmp[4096];
	FILE *f;
	int fd;

	if (dropin_path(sub, sizeof(sub), dir, t, type, false) < 0 ||
		dropin_path(path, sizeof(path), dir, t, type, true) < 0 ||
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
	if (print(f, t) < 0 || fchmod(fd, 0644) < 0) {
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
static int hostname_dropins_write(const char *dir, const struct target *t)
{
	const struct service *svc = &t->cfg->services[t->listen.hostname];
	char path[4096];

	gen_log(LOG_NOTICE, "%s:%d: address \"%s\" is a host name, which a generator does not "
		"resolve; %s will bind its own sockets, resolving it when it starts "
		"once the network is online, and %s.socket listens on no network address",
		t->cfg->path, svc->address_line, svc->address, t->unit, t->unit);
	if (dropin_write(dir, t, "service", service_dropin_print) < 0)
		return -1;
	if (dropin_write(dir, t, "socket", socket_start_dropin_print) < 0) {
		if (dropin_path(path, sizeof(path), dir, t, "service", true) == 0)
			unlink(path);
		return -1;
	}
	return 0;
}

/*
 * The drop-ins for the units of one config file: udp-replyd.socket (and
 * .service) for the main one (instance NULL), udp-replyd@NAME.socket (and
 * .service) for an instance's. A file that cannot be used is logged and
 * gets none: that must never fail boot. Returns -1 only when a drop-in could
 * not be written.
 */
static int generate(const char *dir, const char *config, const char *instance)
{
	char err[CONFIG_ERROR_MAX];
	struct target *t;
	int rc, ret = 0;

	t = calloc(1, sizeof(*t));
	if (!t) {
		gen_log(LOG_ERR, "out of memory");
		return -1;
	}
	if (instance) {
		snprintf(t->unit, sizeof(t->unit), UNIT "@%s", instance);
		snprintf(t->fifo, sizeof(t->fifo), "/run/" UNIT "-start@%s.fifo", instance);
		t->fallback = "so the socket, which has no address of its own, will not start";
	} else {
		snprintf(t->unit, sizeof(t->unit), UNIT);
		snprintf(t->fifo, sizeof(t->fifo), "/run/" UNIT "-start.fifo");
		t->fallback = "the socket keeps the address of its unit file";
	}

	if (config_load(config, &t->cfg, err, sizeof(err)) < 0)
		rc = -1;
	else
		rc = listen_literal(t->cfg, &t->listen, err, sizeof(err));
	if (rc < 0)
		gen_log(LOG_ERR, "%s; not writing the %s.socket.d drop-in, %s", err, t->unit,
			t->fallback);
	else if (rc == 0)
		ret = dropin_write(dir, t, "socket", socket_dropin_print);
	else
		ret = hostname_dropins_write(dir, t);
	config_free(t->cfg);
	free(t);
	return ret;
}

/*
 * What systemd takes in an instance name as it is (unit_name_is_valid(),
 * less the backslash and ":", which its escaping and paths use): so %i is
 * NAME in every unit setting and path, and no two files map to one instance.
 */
static bool instance_name_valid(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && len <= INSTANCE_NAME_MAX && name[0] != '.' &&
	       strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			    "0123456789_.-") == len;
}

/* NAME.conf, not hidden (an editor's lock or backup, as systemd skips them). */
static int instance_file(const struct dirent *e)
{
	size_t len = strlen(e->d_name), suffix = strlen(CONFIG_SUFFIX);

	return e->d_name[0] != '.' && len >= suffix &&
	       strcmp(e->d_name + len - suffix, CONFIG_SUFFIX) == 0;
}

/*
 * The drop-ins of every instance, one per DIR/NAME.conf, in name order so
 * that the messages come in the same order every time. No DIR is no
 * instance. Returns -1 when a drop-in could not be written.
 */
static int instances_generate(const char *dir, const char *confdir)
{
	struct dirent **list;
	char path[4096], name[256];
	int i, n, ret = 0;

	n = scandir(confdir, &list, instance_file, alphasort);
	if (n < 0) {
		if (errno != ENOENT)
			gen_log(LOG_ERR, "cannot read %s: %s; no instances", confdir,
				strerror(errno));
		return 0;
	}
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%.*s",
			(int)(strlen(list[i]->d_name) - strlen(CONFIG_SUFFIX)), list[i]->d_name);
		if (!instance_name_valid(name)) {
			gen_log(LOG_WARNING, "%s/%s: skipped: an instance name is 1 to %d letters, "
				"digits, \"_\", \".\" and \"-\", not beginning with \".\"",
				confdir, list[i]->d_name, INSTANCE_NAME_MAX);
		} else if (snprintf(path, sizeof(path), "%s/%s", confdir, list[i]->d_name) >=
			   (int)sizeof(path)) {
			gen_log(LOG_ERR, "%s: path too long", confdir);
		} else if (generate(dir, path, name) < 0) {
			ret = -1;
		}
		free(list[i]);
	}
	free(list);
	return ret;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: " GENERATOR_NAME " [-c FILE] [-d DIR] NORMAL_DIR [EARLY_DIR LATE_DIR]\n"
		"Write NORMAL_DIR/" UNIT ".socket.d/" DROPIN_FILE " with the ListenDatagram=\n"
		"lines for the addresses and ports in FILE ($UDP_REPLYD_CONFIG, default\n"
		SYSCONFDIR "/udp-replyd.conf), and the same for " UNIT "@NAME.socket from\n"
		"every DIR/NAME.conf ($UDP_REPLYD_CONFIG_DIR, default " SYSCONFDIR "/udp-replyd).\n"
		"For a host name, which it does not resolve, it writes drop-ins that make\n"
		"udp-replyd bind its own sockets instead.\n"
		"systemd runs it at boot and on daemon-reload.\n");
}

/* $NAME when set and not empty, else def. */
static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

int main(int argc, char *argv[])
{
	const char *path = env_or("UDP_REPLYD_CONFIG", SYSCONFDIR "/udp-replyd.conf");
	const char *confdir = env_or("UDP_REPLYD_CONFIG_DIR", SYSCONFDIR "/udp-replyd");
	int opt, ret;

	while ((opt = getopt(argc, argv, "c:d:h")) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'd':
			confdir = optarg;
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

	ret = generate(argv[optind], path, NULL);
	if (instances_generate(argv[optind], confdir) < 0)
		ret = -1;
	return ret < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
