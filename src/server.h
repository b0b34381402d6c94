/* server.h - the event loop: datagrams in, replies out, signals, counters */
#ifndef UDP_REPLYD_SERVER_H
#define UDP_REPLYD_SERVER_H

#include "config.h"
#include "sockets.h"

/*
 * Serve until SIGTERM/SIGINT. Takes ownership of cfg and socks.
 * Returns a sysexits.h code (EX_OK on a clean stop).
 */
int server_run(struct config *cfg, struct sockets *socks);

#endif
