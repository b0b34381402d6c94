/*
 * listeners.h - the datagram sockets served: from systemd socket activation,
 * or bound by us, one SO_REUSEPORT socket per worker per address
 *
 * One socket per worker rather than one socket all workers read: measured
 * with 2 workers, log_datagrams = false, 16 x 8 requests in flight, the
 * shared socket served 100-112k replies/s at 7.6-8.1 CPU-s per million, the
 * SO_REUSEPORT group 116-147k at 5.7-6.3 (the workers contend for one
 * receive queue and both wake for every datagram).
 *
 * A listener set is shared by the generations that serve it and freed
 * (sockets closed) with its last reference; references are taken and
 * dropped by the main thread only.
 */
#ifndef UDP_REPLYD_LISTENERS_H
#define UDP_REPLYD_LISTENERS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "endpoint.h"
#include "netaddr.h"

/* Sockets systemd may pass; also the most one worker serves. */
#define LISTENERS_MAX 1024

struct listener {
	int fd;
	unsigned worker;		/* the worker that serves it */
	union netaddr_inet addr;	/* bound address */
	socklen_t addrlen;
	uint16_t port;
	uint32_t drops_base;		/* the kernel's drop count when we took it */
	_Atomic uint32_t drops_seen;	/* the last SO_RXQ_OVFL the worker saw */
};

struct listeners {
	unsigned refs;
	bool activated;			/* systemd's: never rebound, never closed early */
	unsigned nworkers;
	struct endpoint ep[ENDPOINTS_MAX];	/* what was bound, when we bound */
	size_t nep;
	int receive_buffer, send_buffer;
	size_t n;
	struct listener l[];
};

/*
 * The sockets systemd passed (LISTEN_FDS), grouped by address: the i-th
 * socket of each address goes to worker i. 0 with *out NULL when systemd
 * passed none; a sysexits.h code after logging why.
 */
int listeners_activated(struct listeners **out);

/*
 * Bind nworkers sockets per endpoint, after making sure no other process
 * holds the port (ours may: the nours sets we still have open). rcvbuf and
 * sndbuf 0 leave the kernel's defaults. Returns 0, or a sysexits.h code with
 * "cannot bind ADDR: why" in err.
 */
int listeners_bind(const struct endpoint *ep, size_t nep, unsigned nworkers, int rcvbuf,
	int sndbuf, const struct listeners *const *ours, size_t nours, struct listeners **out,
	char *err, size_t errlen);

/* Does ls serve exactly these endpoints with this many workers? */
bool listeners_serve(const struct listeners *ls, const struct endpoint *ep, size_t nep,
	unsigned nworkers, int rcvbuf, int sndbuf);

/*
 * Stop new datagrams from reaching ls (each socket is connected to its own
 * address, which no sender has) and wait until none is in flight, so that
 * the workers can drain what is queued without loss before the sockets
 * close. Called by the main thread once the sockets that replace them are
 * bound, while the workers may still read them (the kernel serializes
 * operations on a socket; ThreadSanitizer's fd model does not know that:
 * tests/tsan.supp).
 */
void listeners_retire(struct listeners *ls);

/*
 * Steer each sender's prefix (IPv4 /v4len, IPv6 /v6len) to one worker's
 * socket in every reuseport group of ls (SO_ATTACH_REUSEPORT_CBPF), so that
 * a per-prefix limit kept by each worker holds across all of them.
 */
void listeners_steer(const struct listeners *ls, unsigned v4len, unsigned v6len);

/* Datagrams the kernel dropped on ls's sockets since we took them. */
uint64_t listeners_kernel_drops(const struct listeners *ls);

/* "127.0.0.1:20001, [::1]:20001": each address once. */
void listeners_describe(const struct listeners *ls, char *buf, size_t len);

/* Say once when activated sockets differ from the config's endpoints. */
void listeners_check_config(const struct listeners *ls, const struct endpoint *ep, size_t nep,
	const char *path);

struct listeners *listeners_ref(struct listeners *ls);
void listeners_unref(struct listeners *ls);

#endif
