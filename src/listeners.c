/* listeners.c - activated or bound datagram sockets, one per worker per address */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/membarrier.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sysexits.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "listeners.h"
#include "log.h"

static struct listeners *listeners_new(size_t n)
{
	struct listeners *ls = calloc(1, sizeof(*ls) + n * sizeof(ls->l[0]));
	size_t i;

	if (!ls)
		return NULL;
	ls->refs = 1;
	for (i = 0; i < n; i++)
		ls->l[i].fd = -1;
	return ls;
}

/* The kernel's count of datagrams dropped on fd so far (SO_MEMINFO). */
static int socket_drops(int fd, uint32_t *drops)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) < 0 ||
	    len < (SK_MEMINFO_DROPS + 1) * sizeof(mem[0]))
		return -1;
	*drops = mem[SK_MEMINFO_DROPS];
	return 0;
}

/*
 * Ask for each datagram's destination address (the reply leaves from it)
 * and for the kernel's drop count; make the socket non-blocking (replies
 * are never waited for); note its address and its drops so far.
 */
static int listener_take(struct listener *l, int fd, unsigned worker)
{
	socklen_t len = sizeof(l->addr);
	int on = 1;

	l->fd = fd;
	l->worker = worker;
	if (getsockname(fd, &l->addr.sa, &len) < 0)
		return -1;
	l->addrlen = len;
	l->port = netaddr_port(&l->addr.sa);
	if (l->addr.sa.sa_family == AF_INET) {
		if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) < 0)
			return -1;
	} else if (setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) < 0) {
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof(on)) < 0)
		return -1;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		return -1;
	if (socket_drops(fd, &l->drops_base) < 0)
		l->drops_base = 0;
	atomic_init(&l->drops_seen, l->drops_base);
	return 0;
}

static bool same_addr(const struct listener *a, const struct listener *b)
{
	return a->addrlen == b->addrlen && memcmp(&a->addr, &b->addr, a->addrlen) == 0;
}

int listeners_activated(struct listeners **out)
{
	int n = sd_listen_fds(1), i, j, fd;
	struct listeners *ls;
	unsigned same;

	*out = NULL;
	if (n < 0) {
		log_write(LOG_ERR, -n, NULL, "LISTEN_FDS");
		return EX_OSERR;
	}
	if (n == 0)
		return 0;
	if (n > LISTENERS_MAX) {
		log_errx("systemd passed %d sockets, more than the %d supported", n, LISTENERS_MAX);
		return EX_CONFIG;
	}
	ls = listeners_new((size_t)n);
	if (!ls) {
		log_err("listeners");
		return EX_OSERR;
	}
	ls->activated = true;
	for (i = 0; i < n; i++) {
		fd = SD_LISTEN_FDS_START + i;
		if (sd_is_socket_inet(fd, AF_UNSPEC, SOCK_DGRAM, -1, 0) <= 0) {
			log_errx("socket-activated fd %d is not an IPv4/IPv6 datagram socket: "
				 "use ListenDatagram= in the socket unit", fd);
			listeners_unref(ls);
			return EX_CONFIG;
		}
		if (listener_take(&ls->l[i], fd, 0) < 0) {
			log_err("socket-activated fd %d", fd);
			listeners_unref(ls);
			return EX_OSERR;
		}
		ls->n++;
		/* ReusePort=yes and the same ListenDatagram= N times: N workers. */
		for (j = 0, same = 0; j < i; j++)
			same += same_addr(&ls->l[j], &ls->l[i]);
		ls->l[i].worker = same;
		if (same + 1 > ls->nworkers)
			ls->nworkers = same + 1;
	}
	*out = ls;
	return 0;
}

/* Set a socket buffer, beyond net.core.[rw]mem_max when we may (the FORCE option). */
static void set_buffer(int fd, int force, int option, int bytes, const char *what,
	const char *where)
{
	if (bytes <= 0)
		return;
	if (setsockopt(fd, SOL_SOCKET, force, &bytes, sizeof(bytes)) == 0)
		return;
	if (setsockopt(fd, SOL_SOCKET, option, &bytes, sizeof(bytes)) < 0)
		log_warn("%s %d on %s", what, bytes, where);
}

/* Is this socket inode one of ours? */
static bool inode_ours(unsigned long ino, const struct listeners *const *ours, size_t nours)
{
	struct stat st;
	size_t i, k;

	for (k = 0; k < nours; k++)
		for (i = 0; i < ours[k]->n; i++)
			if (fstat(ours[k]->l[i].fd, &st) == 0 && (unsigned long)st.st_ino == ino)
				return true;
	return false;
}

/*
 * Does a socket that is not ours hold UDP port? From /proc/net/udp{,6}:
 * "sl local_address rem_address st tx:rx tr:tm retrnsmt uid timeout inode".
 * When the tables cannot be read, assume it does.
 */
static bool port_held_by_others(uint16_t port, const struct listeners *const *ours,
	size_t nours)
{
	static const char *const tables[] = { "/proc/net/udp", "/proc/net/udp6" };
	char line[512], local[64];
	unsigned long ino;
	unsigned lport;
	bool held = false;
	size_t t;
	FILE *f;

	for (t = 0; t < 2 && !held; t++) {
		f = fopen(tables[t], "re");
		if (!f)
			return true;
		while (!held && fgets(line, sizeof(line), f)) {
			if (sscanf(line, " %*s %63s %*s %*s %*s %*s %*s %*s %*s %lu", local, &ino) != 2)
				continue;
			if (!strchr(local, ':') || sscanf(strchr(local, ':') + 1, "%x", &lport) != 1)
				continue;
			held = lport == port && !inode_ours(ino, ours, nours);
		}
		fclose(f);
	}
	return held;
}

/*
 * Before forming a reuseport group, make sure nobody else holds the port:
 * a bind without SO_REUSEPORT fails if anyone does. If it fails and the
 * holder may be us (a reload to an address overlapping ours), the socket
 * tables tell whose the sockets are. A process of our own user could still
 * join the group later; the unit's DynamicUser= is what prevents that.
 */
static int probe_port(const struct endpoint *ep, const struct listeners *const *ours, size_t nours,
	const char *where, char *err, size_t errlen)
{
	int fd = socket(ep->addr.sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0), v6only = ep->v6only;
	int rc = 0;

	if (fd < 0) {
		snprintf(err, errlen, "socket for %s: %s", where, strerror(errno));
		return EX_OSERR;
	}
	if (ep->addr.sa.sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
	if (bind(fd, &ep->addr.sa, ep->len) < 0) {
		if (errno != EADDRINUSE) {
			snprintf(err, errlen, "cannot bind %s: %s", where, strerror(errno));
			rc = EX_UNAVAILABLE;
		} else if (!nours || port_held_by_others(netaddr_port(&ep->addr.sa), ours, nours)) {
			snprintf(err, errlen, "cannot bind %s: port held by another process", where);
			rc = EX_UNAVAILABLE;
		}
	}
	close(fd);
	return rc;
}

/* One socket of the group for ep; the fd, or a negative sysexits.h code. */
static int bind_one(const struct endpoint *ep, int rcvbuf, int sndbuf, const char *where,
	char *err, size_t errlen)
{
	int fd, on = 1, v6only = ep->v6only, code = EX_OSERR;
	const char *what;

	fd = socket(ep->addr.sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		what = "socket for";
		goto fail;
	}
	if (ep->addr.sa.sa_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0) {
		what = "IPV6_V6ONLY on";
		goto fail;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) < 0) {
		what = "SO_REUSEPORT on";
		goto fail;
	}
	set_buffer(fd, SO_RCVBUFFORCE, SO_RCVBUF, rcvbuf, "receive_buffer", where);
	set_buffer(fd, SO_SNDBUFFORCE, SO_SNDBUF, sndbuf, "send_buffer", where);
	if (bind(fd, &ep->addr.sa, ep->len) < 0) {
		what = "cannot bind";
		code = EX_UNAVAILABLE;
		goto fail;
	}
	return fd;
fail:
	snprintf(err, errlen, "%s %s: %s", what, where, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -code;
}

int listeners_bind(const struct endpoint *ep, size_t nep, unsigned nworkers, int rcvbuf,
	int sndbuf, const struct listeners *const *ours, size_t nours, struct listeners **out,
	char *err, size_t errlen)
{
	struct listeners *ls = listeners_new(nep * nworkers);
	char where[NETADDR_STRLEN];
	struct listener *l;
	size_t e;
	unsigned w;
	int fd, rc;

	*out = NULL;
	if (!ls) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return EX_OSERR;
	}
	ls->nworkers = nworkers;
	ls->receive_buffer = rcvbuf;
	ls->send_buffer = sndbuf;
	memcpy(ls->ep, ep, nep * sizeof(*ep));
	ls->nep = nep;
	/* Every port first: a socket joins its group, and takes traffic, when bound. */
	for (e = 0; e < nep; e++) {
		netaddr_format(&ep[e].addr.sa, where, sizeof(where));
		rc = probe_port(&ep[e], ours, nours, where, err, errlen);
		if (rc)
			goto fail;
	}
	for (e = 0; e < nep; e++) {
		netaddr_format(&ep[e].addr.sa, where, sizeof(where));
		for (w = 0; w < nworkers; w++) {
			fd = bind_one(&ep[e], rcvbuf, sndbuf, where, err, errlen);
			if (fd < 0) {
				rc = -fd;
				goto fail;
			}
			l = &ls->l[ls->n++];
			if (listener_take(l, fd, w) < 0) {
				snprintf(err, errlen, "socket options on %s: %s", where,
					strerror(errno));
				rc = EX_OSERR;
				goto fail;
			}
		}
	}
	*out = ls;
	return 0;
fail:
	listeners_unref(ls);
	return rc;
}

bool listeners_serve(const struct listeners *ls, const struct endpoint *ep, size_t nep,
	unsigned nworkers, int rcvbuf, int sndbuf)
{
	size_t i;

	if (ls->activated)
		return true;
	if (ls->nep != nep || ls->nworkers != nworkers || ls->receive_buffer != rcvbuf ||
	    ls->send_buffer != sndbuf)
		return false;
	for (i = 0; i < nep; i++)
		if (!endpoint_equal(&ls->ep[i], &ep[i]))
			return false;
	return true;
}

/* The address a retired socket connects to: its own, loopback for a wildcard. */
static void own_address(const struct listener *l, union netaddr_inet *to)
{
	*to = l->addr;
	if (to->sa.sa_family == AF_INET && to->in.sin_addr.s_addr == htonl(INADDR_ANY))
		to->in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else if (to->sa.sa_family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&to->in6.sin6_addr))
		to->in6.sin6_addr = in6addr_loopback;
}

void listeners_retire(struct listeners *ls)
{
	union netaddr_inet self;
	size_t i;

	if (ls->activated)
		return;
	/*
	 * A connected UDP socket only takes datagrams from its peer; the
	 * others go to the sockets that replace it (the kernel's reuseport
	 * selection skips connected members since Linux 5.4). Then wait for an
	 * RCU grace period (membarrier), so that a datagram already looked up
	 * for one of these sockets has been queued to it before it is drained.
	 */
	for (i = 0; i < ls->n; i++) {
		own_address(&ls->l[i], &self);
		if (connect(ls->l[i].fd, &self.sa, ls->l[i].addrlen) < 0)
			log_warn("retiring socket %d", ls->l[i].fd);
	}
	if (syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) < 0)
		log_warn("membarrier");
}

/* The mask of the first bits of a 32-bit word, of a prefix len bits into it. */
static uint32_t word_mask(unsigned len, unsigned word)
{
	unsigned bits = len > word * 32 ? len - word * 32 : 0;

	return bits >= 32 ? 0xffffffffu : bits == 0 ? 0 : ~(0xffffffffu >> bits);
}

/*
 * A classic BPF program for a reuseport group of n sockets: the index of
 * the socket is a hash of the sender's prefix (IPv4 /v4len, IPv6 /v6len),
 * read from the network header, which IPv4 datagrams on IPv6 sockets have
 * too. So every datagram of a prefix goes to one worker.
 */
static unsigned steer_program(struct sock_filter *f, unsigned n, unsigned v4len, unsigned v6len)
{
	unsigned i = 0, w, v6;

	f[i++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_B | BPF_ABS, SKF_NET_OFF);
	f[i++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 4);
	v6 = i;
	f[i++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 4, 0, 0);
	f[i++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_NET_OFF + 12);
	f[i++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, word_mask(v4len, 0));
	f[i++] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, 0);	/* to the hash */
	f[v6].jf = (uint8_t)(i - v6 - 1);
	/* IPv6: the source is 4 words at 8; A = ((w0 * K + w1) * K + w2) * K + w3 */
	for (w = 0; w < 4; w++) {
		f[i++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_NET_OFF + 8 + 4 * w);
		f[i++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, word_mask(v6len, w));
		if (w > 0) {
			f[i++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_ADD | BPF_X, 0);
		}
		if (w < 3) {
			f[i++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 0x9e3779b1u);
			f[i++] = (struct sock_filter)BPF_STMT(BPF_MISC | BPF_TAX, 0);
		}
	}
	f[v6 + 3].k = i - (v6 + 3) - 1;	/* the IPv4 branch jumps here */
	f[i++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 0x9e3779b1u);
	f[i++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 16);
	f[i++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, n);
	f[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_A, 0);
	return i;
}

void listeners_steer(const struct listeners *ls, unsigned v4len, unsigned v6len)
{
	struct sock_filter f[40];
	struct sock_fprog prog = { .filter = f };
	unsigned members;
	size_t i, j;

	for (i = 0; i < ls->n; i++) {
		if (ls->l[i].worker != 0)
			continue;
		for (j = 0, members = 0; j < ls->n; j++)
			members += same_addr(&ls->l[j], &ls->l[i]);
		if (members < 2)
			continue;
		prog.len = (unsigned short)steer_program(f, members, v4len, v6len);
		if (setsockopt(ls->l[i].fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog,
			       sizeof(prog)) < 0)
			log_warn("cannot steer source prefixes to workers on socket %d: the rate "
				 "limit holds per worker", ls->l[i].fd);
	}
}

uint64_t listeners_kernel_drops(const struct listeners *ls)
{
	uint64_t total = 0;
	uint32_t now;
	size_t i;

	for (i = 0; i < ls->n; i++) {
		if (socket_drops(ls->l[i].fd, &now) < 0)
			now = atomic_load_explicit(&ls->l[i].drops_seen, memory_order_relaxed);
		total += (uint32_t)(now - ls->l[i].drops_base);
	}
	return total;
}

void listeners_describe(const struct listeners *ls, char *buf, size_t len)
{
	char one[NETADDR_STRLEN];
	size_t i, j, used = 0;

	buf[0] = '\0';
	for (i = 0; i < ls->n && used < len; i++) {
		for (j = 0; j < i && !same_addr(&ls->l[j], &ls->l[i]); j++)
			;
		if (j < i)
			continue;
		netaddr_format(&ls->l[i].addr.sa, one, sizeof(one));
		used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "", one);
	}
}

void listeners_check_config(const struct listeners *ls, const struct endpoint *ep, size_t nep,
	const char *path)
{
	char list[512], want[NETADDR_STRLEN];
	bool match = true;
	size_t i, j;

	for (i = 0; i < ls->n && match; i++) {
		for (j = 0; j < nep; j++)
			if (ls->l[i].addrlen == ep[j].len &&
			    !memcmp(&ls->l[i].addr, &ep[j].addr, ep[j].len))
				break;
		match = j < nep;
	}
	if (match)
		return;
	listeners_describe(ls, list, sizeof(list));
	netaddr_format(&ep[0].addr.sa, want, sizeof(want));
	log_notice("socket-activated on %s; address/port in %s (%s) not used", list, path, want);
}

struct listeners *listeners_ref(struct listeners *ls)
{
	ls->refs++;
	return ls;
}

void listeners_unref(struct listeners *ls)
{
	size_t i;

	if (!ls || --ls->refs > 0)
		return;
	for (i = 0; i < ls->n; i++)
		if (ls->l[i].fd >= 0)
			close(ls->l[i].fd);
	free(ls);
}
