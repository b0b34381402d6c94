/* sockets.h - activated or bound datagram sockets */
#ifndef UDP_REPLYD_SOCKETS_H
#define UDP_REPLYD_SOCKETS_H

#include <stdbool.h>
#include <stddef.h>

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
/* Bind cfg's address:port afresh. Returns 0 or a sysexits.h code. */
int sockets_bind(const struct config *cfg, struct sockets *socks);
/* Log once when activated sockets differ from cfg's address:port. */
void sockets_check_config(const struct sockets *socks, const struct config *cfg);
/* "127.0.0.1:20001, [::1]:20001" */
void sockets_describe(const struct sockets *socks, char *buf, size_t len);
void sockets_close(struct sockets *socks);

#endif
