/* sockets.c - datagram sockets from systemd socket activation, or bound from the config */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "log.h"
#include "netaddr.h"
#include "sockets.h"

/*
 * Ask for the destination address of every datagram, so the reply can leave
 * from it, and make sends blocking: a full send buffer then slows us down
 * instead of dropping replies. Receives use MSG_DONTWAIT.
 */
static int prepare_socket(int fd, int family)
{
	int on = 1, flags;

	if (family == AF_INET) {
		if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) < 0)
			return -1;
	} else if (setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) < 0) {
		return -1;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
		return -1;
	return 0;
}

static int socket_family(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	return ss.ss_family;
}

static int sockets_activated(int n, struct sockets *socks)
{
	int i, fd;

	if (n > SOCKETS_MAX) {
		log_errx("systemd passed %d sockets, more than the %d supported", n, SOCKETS_MAX);
		return EX_CONFIG;
	}
	for (i = 0; i < n; i++) {
		fd = SD_LISTEN_FDS_START + i;
		if (sd_is_socket_inet(fd, AF_UNSPEC, SOCK_DGRAM, -1, 0) <= 0) {
			log_errx("socket-activated fd %d is not an IPv4/IPv6 datagram socket: "
				 "use ListenDatagram= in the socket unit", fd);
			return EX_CONFIG;
		}
		if (prepare_socket(fd, socket_family(fd)) < 0) {
			log_err("socket-activated fd %d", fd);
			return EX_OSERR;
		}
		socks->fd[socks->n++] = fd;
	}
	socks->activated = true;
	return 0;
}

int sockets_open(const struct config *cfg, struct sockets *socks)
{
	int n = sd_listen_fds(1);

	socks->n = 0;
	socks->activated = false;
	if (n < 0) {
		log_write(LOG_ERR, -n, NULL, "LISTEN_FDS");
		return EX_OSERR;
	}
	if (n > 0)
		return sockets_activated(n, socks);
	return sockets_bind(cfg, socks, false);
}

static bool same_sockaddr(const struct addrinfo *a, const struct addrinfo *b)
{
	return a->ai_addrlen == b->ai_addrlen && memcmp(a->ai_addr, b->ai_addr, a->ai_addrlen) == 0;
}

/* Bind one resolved address; returns the fd or a negative sysexits.h code. */
static int bind_one(const struct config *cfg, const struct addrinfo *ai, bool reuseport)
{
	char where[NETADDR_STRLEN];
	int fd, v6only = strcmp(cfg->address, "::") != 0, on = reuseport, code;

	netaddr_format(ai->ai_addr, where, sizeof(where));
	fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_err("socket for %s", where);
		return -EX_OSERR;
	}
	if (ai->ai_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0) {
		log_err("IPV6_V6ONLY on %s", where);
		code = EX_OSERR;
		goto fail;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) < 0) {
		log_err("SO_REUSEPORT on %s", where);
		code = EX_OSERR;
		goto fail;
	}
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		log_err("cannot bind %s", where);
		code = EX_UNAVAILABLE;
		goto fail;
	}
	if (prepare_socket(fd, ai->ai_family) < 0) {
		log_err("socket options on %s", where);
		code = EX_OSERR;
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -code;
}

int sockets_resolve(const struct config *cfg, struct addrinfo **res, char *err, size_t errlen)
{
	struct addrinfo hints = {
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_DGRAM,
	};
	char port[8];
	int rc;

	snprintf(port, sizeof(port), "%u", cfg->port);
	rc = getaddrinfo(cfg->address, port, &hints, res);
	if (rc == 0)
		return 0;
	snprintf(err, errlen, "%s:%d: address \"%s\": cannot resolve: %s", cfg->path,
		cfg->address_line, cfg->address,
		rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
	return -1;
}

int sockets_bind(const struct config *cfg, struct sockets *socks, bool reuseport)
{
	char err[CONFIG_ERROR_MAX];
	struct addrinfo *res, *ai, *prev;
	int fd;

	socks->n = 0;
	socks->activated = false;
	if (sockets_resolve(cfg, &res, err, sizeof(err)) < 0) {
		log_errx("%s", err);
		return EX_CONFIG;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		for (prev = res; prev != ai && !same_sockaddr(prev, ai); prev = prev->ai_next)
			;
		if (prev != ai || socks->n == SOCKETS_MAX)
			continue; /* resolved twice: bound already */
		fd = bind_one(cfg, ai, reuseport);
		if (fd < 0) {
			sockets_close(socks);
			freeaddrinfo(res);
			return -fd;
		}
		socks->fd[socks->n++] = fd;
	}
	freeaddrinfo(res);
	return 0;
}

/* cfg's address in the canonical text netaddr_host() gives, or as written for a name. */
static void canonical_address(const char *address, char *buf, size_t len)
{
	unsigned char raw[sizeof(struct in6_addr)];

	if (inet_pton(AF_INET, address, raw) == 1)
		inet_ntop(AF_INET, raw, buf, (socklen_t)len);
	else if (inet_pton(AF_INET6, address, raw) == 1)
		inet_ntop(AF_INET6, raw, buf, (socklen_t)len);
	else
		snprintf(buf, len, "%s", address);
}

void sockets_check_config(const struct sockets *socks, const struct config *cfg)
{
	char want[NETADDR_STRLEN], have[NETADDR_STRLEN], list[512];
	bool literal = netaddr_is_literal(cfg->address), match = true;
	struct sockaddr_storage ss;
	socklen_t len;
	size_t i;

	if (!socks->activated)
		return;
	canonical_address(cfg->address, want, sizeof(want));
	for (i = 0; i < socks->n; i++) {
		len = sizeof(ss);
		if (getsockname(socks->fd[i], (struct sockaddr *)&ss, &len) < 0)
			continue;
		netaddr_host((struct sockaddr *)&ss, have, sizeof(have));
		if (netaddr_port((struct sockaddr *)&ss) != cfg->port ||
		    (literal && strcmp(have, want) != 0))
			match = false;
	}
	if (match)
		return;
	sockets_describe(socks, list, sizeof(list));
	log_notice("socket-activated on %s; address/port in %s (%s%s%s:%u) not used", list,
		cfg->path, strchr(want, ':') ? "[" : "", want, strchr(want, ':') ? "]" : "",
		cfg->port);
}

void sockets_describe(const struct sockets *socks, char *buf, size_t len)
{
	char one[NETADDR_STRLEN];
	struct sockaddr_storage ss;
	socklen_t sslen;
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < socks->n && used < len; i++) {
		sslen = sizeof(ss);
		if (getsockname(socks->fd[i], (struct sockaddr *)&ss, &sslen) < 0)
			snprintf(one, sizeof(one), "fd %d", socks->fd[i]);
		else
			netaddr_format((struct sockaddr *)&ss, one, sizeof(one));
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", one);
	}
}

void sockets_set_reuseport(const struct sockets *socks, bool on)
{
	int value = on;
	size_t i;

	for (i = 0; i < socks->n; i++)
		if (setsockopt(socks->fd[i], SOL_SOCKET, SO_REUSEPORT, &value, sizeof(value)) < 0)
			log_warn("SO_REUSEPORT");
}

void sockets_close(struct sockets *socks)
{
	size_t i;

	for (i = 0; i < socks->n; i++)
		close(socks->fd[i]);
	socks->n = 0;
}
