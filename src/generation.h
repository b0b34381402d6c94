/*
 * generation.h - one generation: a config, the sockets that serve it and the
 * workers' receive buffers; built by the main thread off the serving path,
 * published to the workers whole, freed when no worker uses it
 */
#ifndef UDP_REPLYD_GENERATION_H
#define UDP_REPLYD_GENERATION_H

#include <stdatomic.h>
#include <stdint.h>

#include "config.h"
#include "listeners.h"
#include "policy.h"

/* Datagrams a worker reads (and answers) per system call. */
#define BATCH 64

struct generation {
	uint64_t seq;				/* 1, 2, ... in the order built */
	struct config *cfg;
	struct listeners *ls;
	struct policy policy;			/* of cfg, for ls's ports */
	unsigned char *buffers;			/* nworkers * BATCH * cfg->buffer_size */
	_Atomic(struct generation *) next;	/* the one published after it */
	char where[512];			/* "127.0.0.1:20001, ..." for messages */
};

/* How many workers cfg asks for: its number, or one per CPU we may use. */
unsigned generation_workers(const struct config *cfg);

/*
 * The generation for cfg, served by nworkers workers, to follow the newest
 * of the live ones (live: the oldest still in use, NULL at start). Its
 * sockets: ls when given (systemd's, at start), else the newest one's when
 * they serve the same endpoints, else bound anew. Takes ownership of cfg
 * and ls, also on failure. Returns 0, or a sysexits.h code with the reason
 * in err.
 */
int generation_build(struct config *cfg, struct listeners *ls, const struct generation *live,
	unsigned nworkers, struct generation **out, char *err, size_t errlen);

/* Worker w's receive buffers. */
unsigned char *generation_buffers(const struct generation *g, unsigned w);

void generation_free(struct generation *g);

#endif
