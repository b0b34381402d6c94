/*
 * server.h - the main thread: workers, log writer, signals, reloads,
 * STATUS=, summaries, the watchdog and the stop record
 */
#ifndef UDP_REPLYD_SERVER_H
#define UDP_REPLYD_SERVER_H

#include "generation.h"

/*
 * Serve gen with nworkers workers until SIGTERM/SIGINT. Takes ownership of
 * gen. Returns a sysexits.h code (EX_OK on a clean stop).
 */
int server_run(struct generation *gen, unsigned nworkers);

#endif
