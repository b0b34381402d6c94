/* sockets.h - activated or bound datagram sockets */
#ifndef UDP_REPLYD_SOCKETS_H
#define UDP_REPLYD_SOCKETS_H

#include <stdbool.h>
#include <stddef.h>

#include <netdb.h>

#include "config.h"

#define SOCKETS_MAX 64

struct sockets {
	int fd[SOCKETS_MAX];
	size_t n;
	bool activated;		/* came from systemd, not ours to rebind */
};

/*
 * The sockets systemd passed (LISTEN_FDS), or else bound from cfg.
 * Returns 0, or a sysexits.h code after logging why.
 */
int sockets_open(const struct config *cfg, struct sockets *socks);
/*
 * Bind cfg's address:port afresh. Returns 0 or a sysexits.h code.
 * With reuseport the new sockets may share a port with ours still open
 * (see sockets_set_reuseport), so a reload can bind before it closes.
 */
int sockets_bind(const struct config *cfg, struct sockets *socks, bool reuseport);
/* Let (or stop letting) sockets of the same user bind these sockets' ports. */
void sockets_set_reuseport(const struct sockets *socks, bool on);
/* Resolve cfg's address; 0, or -1 with "FILE:LINE: ..." in err. */
int sockets_resolve(const struct config *cfg, struct addrinfo **res, char *err, size_t errlen);
/* Log once when activated sockets differ from cfg's address:port. */
void sockets_check_config(const struct sockets *socks, const struct config *cfg);
/* "127.0.0.1:20001, [::1]:20001" */
void sockets_describe(const struct sockets *socks, char *buf, size_t len);
void sockets_close(struct sockets *socks);

#endif
