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
/* The longest host name %{hostname} gives (HOST_NAME_MAX is 64; a UTS name 64). */
#define GENERATION_HOSTNAME_MAX 255

struct generation {
	uint64_t seq;				/* 1, 2, ... in the order built */
	struct config *cfg;
	struct listeners *ls;
	unsigned *service;			/* each listener's: cfg->services[service[i]] */
	struct policy policy;			/* of cfg, for ls's ports */
	unsigned char *buffers;			/* nworkers * BATCH * cfg->buffer_max */
	unsigned char *replies;			/* nworkers * BATCH * reply_max, for templates */
	size_t reply_max;			/* the longest templated reply; 0: none */
	char hostname[GENERATION_HOSTNAME_MAX + 1];	/* for %{hostname} */
	_Atomic(struct generation *) next;	/* the one published after it */
	char where[512];			/* "127.0.0.1:20001, ..." for messages */
};

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

/*
 * What g serves, for messages: "127.0.0.1:20001 (buffer 1024 bytes, reply
 * 16 bytes)" for one service, "2 services: a on 127.0.0.1:20001 (...), b on
 * ..." for several; from follows the addresses (" from systemd", or "").
 */
void generation_describe(const struct generation *g, const char *from, char *buf, size_t len);

/* Worker w's receive buffers. */
unsigned char *generation_buffers(const struct generation *g, unsigned w);

/* Worker w's room for the k-th templated reply of a batch (reply_max bytes). */
static inline unsigned char *generation_reply(const struct generation *g, unsigned w, int k)
{
	return g->replies + ((size_t)w * BATCH + (size_t)k) * g->reply_max;
}

/* The service that answers on listener l of g's. */
static inline const struct service *generation_service(const struct generation *g,
	const struct listener *l)
{
	return &g->cfg->services[g->service[l - g->ls->l]];
}

void generation_free(struct generation *g);

#endif
