/*
 * fuzz_policy.c - libFuzzer harness for policy_decide() (access lists, loop
 * guard and amplification limit)
 *
 * From the input: a config (loop_guard on/off, a loop_guard_ports list,
 * max_amplification, a reply of 0..CONFIG_REPLY_MAX bytes, allow and deny
 * lists of 0..CONFIG_ACL_MAX prefixes each), the daemon's ports (more than
 * POLICY_PORTS_MAX, with repeats), the address the datagram was sent to
 * (none, AF_INET, AF_INET6, v4-mapped or another family), the sender
 * (independent, or the local address in the same or the other IPv4 form),
 * the local port, the payload and the datagram's size (>= the payload's
 * length: a truncated datagram). Socket addresses and the payload are heap
 * blocks of exactly their size (fuzz-util.h), so ASan sees any read beyond
 * them. Layout (struct reader, zeros past the end), in the order read:
 *
 *   u8   flags: 0x01 loop_guard; 0x02 the default loop_guard_ports;
 *        0x04 the payload is (a prefix of) the reply; 0x08 size = reply
 *        length; 0x10 a local address (else none); 0x20 access lists (else
 *        both empty); 0xc0 the sender: 0x40 the local address as it is,
 *        0x80 in the other IPv4 form (AF_INET <-> v4-mapped), else (or
 *        without a local address) read
 *   u8   sender port: &3 0 read (u16), 1 the local port, 2 a daemon port,
 *        3 a guard port (u8 index); &0x80 with flag 0x04: one payload bit
 *        flipped (bits 2..6 pick byte and bit)
 *   u8+  reply length (&3: 0..15, 56..72, any up to 65507 or 1024 (u16))
 *        and its first 64 bytes at most (repeated to the length)
 *   u8+  max_amplification (&3: 0, 1..16, the default 10, any u16)
 *   u8   guard port count, u16 each (without flag 0x02)
 *   u8   daemon port count (0..80), u16 each; u16 local port (odd: an index
 *        into the daemon's ports)
 *   the local address, the sender's port, the sender (rd_sockaddr)
 *   flag 0x20: u8 allow count, u8 deny count (each: below 0xc0 mod 8, else
 *        CONFIG_ACL_MAX - (& 0x3f): mostly short lists, which are fast),
 *        then each prefix, allow's first (rd_prefix):
 *        u8 kind: &3 written as 0 the sender's family (IPv4 for IPv4,
 *           v4-mapped and other senders), 1 IPv4 "a.b.c.d/n", 2 v4-mapped
 *           IPv6 "::ffff:a.b.c.d/96+n", 3 IPv6; &0x0c the address: 0 the
 *           sender's, 4 the sender's with one bit flipped (u8: which),
 *           8 read (4 or 16 bytes), 0x0c the local address's (else read);
 *           &0x40 an address alone, no "/n" (/32 or /128)
 *        u8 n mod the family's bits + 1 (without 0x40)
 *        So a prefix often holds the sender, or just misses it. Host bits
 *        are cleared and the text parsed by netaddr_parse_prefix(), as
 *        config_load() does: only prefixes a loaded config can hold.
 *   flag 0x04: u16 payload length (mod reply length + 1), u8 (&1: all of
 *        it), u8+ bytes beyond it; else u8+ bytes beyond it, then the
 *        payload: the rest of the input
 *
 * Checked against a reference written from policy.h, netaddr.h,
 * udp-replyd.conf(5), udp-replyd(8) and issue 7 (not from policy.c or
 * netaddr.c).
 *
 * The access lists come first, before any other work on the datagram, and
 * when one refuses the sender its verdict is the verdict, whatever else
 * applies (a denied sender from port 0 is denied, not port-zero):
 *
 *   denied       the sender matches a prefix in deny (deny wins over allow);
 *   not-allowed  allow is not empty and the sender matches none of it.
 *
 * A prefix written as IPv4, or in v4-mapped form (::ffff:0:0/96 and
 * longer), is IPv4 and matches IPv4 senders, AF_INET and v4-mapped
 * AF_INET6; any other is IPv6 and matches IPv6 senders that are not
 * v4-mapped (so "::/0" or "::fffe:0:0/95" matches no IPv4 sender). The
 * sender's scope is not compared. A sender of another family matches no
 * prefix: deny never refuses it, a non-empty allow always does.
 *
 * A sender the lists let through goes on: each rule below that applies is
 * a reason the datagram may be dropped for; policy_decide() must drop it
 * when a rule applies and reply when none does, and may name only a rule
 * that applies:
 *
 *   loop guard (only with loop_guard):
 *     bad-source   the sender is not AF_INET/AF_INET6, or it is 0.0.0.0,
 *                  255.255.255.255 or 224.0.0.0/4 (as IPv4 or v4-mapped),
 *                  :: or ff00::/8;
 *     port-zero    sender port 0;
 *     self         sender address == the local address (v4 == v4-mapped;
 *                  the scope is not compared) and sender port == local port;
 *     our-port     sender port is one of the daemon's ports (past the first
 *                  POLICY_PORTS_MAX distinct ones it may or may not count);
 *     service-port sender port in loop_guard_ports;
 *     own-reply    reply >= POLICY_OWN_REPLY_MIN bytes and the payload is
 *                  exactly the reply (a truncated datagram of the reply's
 *                  size whose bytes seen match: may count);
 *   amplification  max_amplification != 0, reply > POLICY_REPLY_FLOOR bytes
 *                  and max_amplification x size < reply length (exactly, no
 *                  wrap; size is the datagram's, not the bytes read).
 *
 * So with empty lists, loop_guard off and max_amplification 0 always
 * replies; a guard port with loop_guard on never does; a reply of up to 64
 * bytes is never an amplification. Also: policy_verdict_name() gives each
 * verdict its name in fields and STATUS ("reply", "denied", "self", ...),
 * never "unknown"; the decision does not depend on anything but its inputs
 * (the same call twice agrees) and writes none of them; policy_init() keeps
 * at most POLICY_PORTS_MAX distinct ports, all of them the daemon's;
 * netaddr_parse_prefix() takes each prefix's text and gives the prefix
 * netaddr.h describes (IPv4 as ::ffff:a.b.c.d/96+n).
 *
 * Sizes stay below 2^32 + the payload: max_amplification x size then fits
 * in 64 bits, as it always does for a real datagram.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "netaddr.h"
#include "policy.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The names the spec gives (fields, STATUS=); others must at least have one. */
static const char *const verdict_names[POLICY_VERDICTS] = {
	[POLICY_REPLY] = "reply",
	[POLICY_DENIED] = "denied",
	[POLICY_NOT_ALLOWED] = "not-allowed",
	[POLICY_SELF] = "self",
	[POLICY_PORT_ZERO] = "port-zero",
	[POLICY_OUR_PORT] = "our-port",
	[POLICY_SERVICE_PORT] = "service-port",
	[POLICY_BAD_SOURCE] = "bad-source",
	[POLICY_OWN_REPLY] = "own-reply",
	[POLICY_AMPLIFICATION] = "amplification",
	[POLICY_RATE_LIMITED] = "rate-limit",
};

/* Every verdict's name: the spec's, or (for ones this harness does not know) some name. */
static void check_names(void)
{
	const char *name, *other;
	int i, j;

	for (i = 0; i < POLICY_VERDICTS; i++) {
		name = policy_verdict_name((enum policy_verdict)i);
		CHECK(name && *name && strcmp(name, "unknown") != 0, "verdict %d has no name", i);
		CHECK(!verdict_names[i] || strcmp(name, verdict_names[i]) == 0,
			"verdict %d named \"%s\", not \"%s\"", i, name, verdict_names[i]);
		for (j = 0; j < i; j++) {
			other = policy_verdict_name((enum policy_verdict)j);
			CHECK(strcmp(name, other) != 0, "verdicts %d and %d both \"%s\"", j, i,
				name);
		}
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_env_init();
	check_names();
	return 0;
}

/* A rule that applies (must) or may apply (may) to the datagram. */
#define MUST(v) (must |= 1u << (v))
#define MAY(v) (may |= 1u << (v))

/* An IP sender or local address as 16 bytes, IPv4 as v4-mapped; false for others. */
static bool ref_addr16(const struct sockaddr *sa, uint8_t out[16], uint16_t *port)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;

		memset(out, 0, 16);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &s4->sin_addr, 4);
		*port = ntohs(s4->sin_port);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;

		memcpy(out, &s6->sin6_addr, 16);
		*port = ntohs(s6->sin6_port);
		return true;
	}
	return false;
}

static bool ref_bad_source(const uint8_t a[16])
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	static const uint8_t zero[16];

	if (memcmp(a, mapped, 12) == 0) {
		uint32_t v4 = (uint32_t)a[12] << 24 | (uint32_t)a[13] << 16 | (uint32_t)a[14] << 8 | a[15];

		return v4 == 0 || v4 == 0xffffffffu || (v4 >> 28) == 0xe;
	}
	return memcmp(a, zero, 16) == 0 || a[0] == 0xff;
}

static bool in_list(uint16_t port, const uint16_t *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i] == port)
			return true;
	return false;
}

static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };

/* An access list's prefix as the reference reads its text. */
struct ref_prefix {
	bool v4;	/* IPv4: the address in a[0..3] */
	uint8_t a[16];
	unsigned bits;	/* 0..32 or 0..128 */
};

/* Do a and b agree in their first bits bits (most significant first)? */
static bool ref_same_bits(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned i;

	for (i = 0; i < bits; i++)
		if ((a[i / 8] ^ b[i / 8]) & (0x80u >> (i % 8)))
			return false;
	return true;
}

/* IPv4 prefixes hold IPv4 and v4-mapped senders, IPv6 ones the other IPv6 senders. */
static bool ref_listed(const struct ref_prefix *list, size_t n, const struct sockaddr *sa)
{
	uint8_t a[16];
	uint16_t port;
	bool mapped;
	size_t i;

	if (!ref_addr16(sa, a, &port))
		return false;
	mapped = memcmp(a, v4mapped, sizeof(v4mapped)) == 0;
	for (i = 0; i < n; i++)
		if (list[i].v4 == mapped &&
		    ref_same_bits(list[i].a, mapped ? a + 12 : a, list[i].bits))
			return true;
	return false;
}

/*
 * One prefix of allow or deny, read as the header says: written out as text
 * and parsed as config_load() parses it into *out; *ref is what the text
 * says, by the spec.
 */
static void rd_prefix(struct reader *r, const struct sockaddr *remote,
	const struct sockaddr *local, struct netaddr_prefix *out, struct ref_prefix *ref)
{
	uint8_t kind = rd_u8(r), a[16] = { 0 }, b;
	unsigned form = kind & 3, max, off, n, i;
	char host[INET6_ADDRSTRLEN], text[INET6_ADDRSTRLEN + 16];
	struct netaddr_prefix want;
	const char *why = "";
	uint16_t port;
	bool ip;

	ip = ref_addr16(remote, a, &port);
	if (form == 0)
		form = ip && memcmp(a, v4mapped, sizeof(v4mapped)) != 0 ? 3 : 1;
	max = form == 3 ? 128 : 32;
	/* The address, 16 bytes; an IPv4 one in a[12..15]. */
	off = 16 - max / 8;
	switch (kind & 0x0c) {
	case 0x0c:
		if (local && ref_addr16(local, a, &port))
			break;
		/* fall through */
	case 0x08:
		rd_bytes(r, a + off, max / 8);
		break;
	case 0x04:
		b = rd_u8(r);
		a[off + b % max / 8] ^= (uint8_t)(0x80u >> (b % max % 8));
		break;
	}
	n = kind & 0x40 ? max : rd_u8(r) % (max + 1);
	for (i = n; i < max; i++)
		a[off + i / 8] &= (uint8_t) ~(0x80u >> (i % 8));

	/* As written in the file. */
	if (form == 3)
		inet_ntop(AF_INET6, a, host, sizeof(host));
	else
		inet_ntop(AF_INET, a + 12, host, sizeof(host));
	if (kind & 0x40)
		snprintf(text, sizeof(text), "%s%s", form == 2 ? "::ffff:" : "", host);
	else
		snprintf(text, sizeof(text), "%s%s/%u", form == 2 ? "::ffff:" : "", host,
			form == 2 ? 96 + n : n);

	/* What it means: IPv4 if written so or in v4-mapped form, ::ffff:0:0/96 and longer. */
	memset(ref, 0, sizeof(*ref));
	ref->v4 = form != 3 || (n >= 96 && memcmp(a, v4mapped, sizeof(v4mapped)) == 0);
	if (ref->v4) {
		memcpy(ref->a, a + 12, 4);
		ref->bits = form == 3 ? n - 96 : n;
	} else {
		memcpy(ref->a, a, 16);
		ref->bits = n;
	}
	/* netaddr.h: kept as IPv6, IPv4 as ::ffff:a.b.c.d/96+n. */
	memset(&want, 0, sizeof(want));
	if (ref->v4) {
		memcpy(want.addr.s6_addr, v4mapped, sizeof(v4mapped));
		memcpy(&want.addr.s6_addr[12], ref->a, 4);
		want.len = 96 + ref->bits;
	} else {
		memcpy(want.addr.s6_addr, a, 16);
		want.len = n;
	}
#ifdef FUZZ_POLICY_TRACE
	fprintf(stderr, "prefix \"%s\": IPv%c /%u\n", text, ref->v4 ? '4' : '6', ref->bits);
#endif
	CHECK(netaddr_parse_prefix(text, out, &why) == 0, "config_load() refuses \"%s\": %s",
		text, why);
	CHECK(memcmp(&out->addr, &want.addr, sizeof(want.addr)) == 0 && out->len == want.len,
		"\"%s\" parsed to length %u", text, out->len);
}

/* 0..7 prefixes, or 1..CONFIG_ACL_MAX: each costs a text and a parse. */
static size_t rd_acl_count(struct reader *r)
{
	uint8_t c = rd_u8(r);

	return c < 0xc0 ? c % 8 : CONFIG_ACL_MAX - (c & 0x3f);
}

/* A new heap block of exactly sa's size holding sa's family, address and port. */
static struct sockaddr *copy_as(const struct sockaddr *sa, bool other_form, uint16_t port)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (sa->sa_family == AF_INET && other_form) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
		struct sockaddr_in6 *s6 = calloc(1, sizeof(*s6));

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(s6->sin6_addr.s6_addr, mapped, 12);
		memcpy(&s6->sin6_addr.s6_addr[12], &s4->sin_addr, 4);
		return (struct sockaddr *)s6;
	}
	if (sa->sa_family == AF_INET6 && other_form) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;

		if (memcmp(s6->sin6_addr.s6_addr, mapped, 12) == 0) {
			struct sockaddr_in *s4 = calloc(1, sizeof(*s4));

			s4->sin_family = AF_INET;
			s4->sin_port = htons(port);
			memcpy(&s4->sin_addr, &s6->sin6_addr.s6_addr[12], 4);
			return (struct sockaddr *)s4;
		}
	}
	if (sa->sa_family == AF_INET) {
		struct sockaddr_in *s4 = malloc(sizeof(*s4));

		memcpy(s4, sa, sizeof(*s4));
		s4->sin_port = htons(port);
		return (struct sockaddr *)s4;
	}
	if (sa->sa_family == AF_INET6) {
		struct sockaddr_in6 *s6 = malloc(sizeof(*s6));

		memcpy(s6, sa, sizeof(*s6));
		s6->sin6_port = htons(port);
		return (struct sockaddr *)s6;
	}
	{
		struct sockaddr *o = malloc(sizeof(*o));

		memcpy(o, sa, sizeof(*o));
		return o;
	}
}

static size_t sockaddr_size(const struct sockaddr *sa)
{
	return sa->sa_family == AF_INET ? sizeof(struct sockaddr_in) :
	       sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr);
}

static void set_port(struct sockaddr *sa, uint16_t port)
{
	if (sa->sa_family == AF_INET)
		((struct sockaddr_in *)(void *)sa)->sin_port = htons(port);
	else if (sa->sa_family == AF_INET6)
		((struct sockaddr_in6 *)(void *)sa)->sin6_port = htons(port);
}

/* Reply length: short, around the floor, any, or up to 1 KiB. */
static size_t rd_reply_len(struct reader *r)
{
	uint8_t mode = rd_u8(r);

	switch (mode & 3) {
	case 0:
		return (size_t)(mode >> 2) % 16;
	case 1:
		return (size_t)(POLICY_REPLY_FLOOR - 8 + (mode >> 2) % 17);
	case 2:
		return (size_t)rd_u16(r) % (CONFIG_REPLY_MAX + 1);
	default:
		return (size_t)rd_u16(r) % 1025;
	}
}

static unsigned rd_amplification(struct reader *r)
{
	uint8_t mode = rd_u8(r);

	switch (mode & 3) {
	case 0:
		return 0;
	case 1:
		return 1u + (mode >> 2) % 16;
	case 2:
		return CONFIG_MAX_AMPLIFICATION_DEFAULT;
	default:
		return rd_u16(r); /* 0..CONFIG_MAX_AMPLIFICATION_MAX */
	}
}

/* Bytes beyond the payload: none, a few, up to 64 KiB, up to 4 GiB. */
static size_t rd_extra(struct reader *r)
{
	uint8_t mode = rd_u8(r);

	switch (mode & 3) {
	case 0:
		return 0;
	case 1:
		return mode >> 2;
	case 2:
		return rd_u16(r);
	default:
		return rd_u32(r);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t default_guard[] = CONFIG_GUARD_PORTS_DEFAULT;
	struct ref_prefix allow[CONFIG_ACL_MAX], deny[CONFIG_ACL_MAX];
	struct reader r = { data, size };
	uint8_t flags = rd_u8(&r), port_mode = rd_u8(&r);
	struct config cfg, cfg_copy;
	struct service svc, svc_copy;
	struct policy pol;
	uint16_t ports[POLICY_PORTS_MAX + 16], distinct[POLICY_PORTS_MAX + 16];
	uint16_t local_port, rport = 0, sport = 0, lport;
	size_t nports, ndistinct = 0, i, j, reply_len, len, dsize, extra, seen;
	struct sockaddr *local = NULL, *remote;
	unsigned char *reply, *payload, *copy, *reply_copy;
	uint8_t raddr[16], laddr[16], *saved_l = NULL, *saved_r;
	unsigned must = 0, may = 0;
	enum policy_verdict v, again, acl = POLICY_REPLY;
	bool ip;

	/* The config: what config_load() can give (reply NUL-terminated). */
	memset(&cfg, 0, sizeof(cfg));
	reply_len = rd_reply_len(&r);
	reply = malloc(reply_len + 1);
	seen = reply_len < 64 ? reply_len : 64;
	rd_bytes(&r, reply, seen);
	if (!seen && reply_len)
		reply[seen++] = 'x';
	/* The bytes read, over and over (doubling: long replies are common). */
	for (i = seen; i < reply_len; i += j) {
		j = i < reply_len - i ? i : reply_len - i;
		memcpy(reply + i, reply, j);
	}
	reply[reply_len] = '\0';
	memset(&svc, 0, sizeof(svc));
	svc.reply = (char *)reply;
	svc.reply_len = reply_len;
	svc.literal = reply;	/* a fixed reply: templated ones are exempt */
	svc.literal_len = reply_len;
	svc.buffer_size = CONFIG_DEFAULT_BUFFER_SIZE;
	cfg.services = &svc;
	cfg.nservices = 1;
	cfg.buffer_max = svc.buffer_size;
	cfg.loop_guard = flags & 0x01;
	cfg.max_amplification = rd_amplification(&r);
	if (flags & 0x02) {
		cfg.nguard_ports = sizeof(default_guard) / sizeof(default_guard[0]);
		memcpy(cfg.guard_ports, default_guard, sizeof(default_guard));
	} else {
		cfg.nguard_ports = rd_u8(&r) % (CONFIG_GUARD_PORTS_MAX + 1);
		for (i = 0; i < cfg.nguard_ports; i++)
			cfg.guard_ports[i] = rd_u16(&r);
	}

	/* The daemon's ports, the local port, often one of them. */
	nports = rd_u8(&r) % (sizeof(ports) / sizeof(ports[0]) + 1);
	for (i = 0; i < nports; i++)
		ports[i] = rd_u16(&r);
	local_port = rd_u16(&r);
	if (nports && (local_port & 1))
		local_port = ports[(local_port >> 1) % nports];
	for (i = 0; i < nports; i++)
		if (!in_list(ports[i], distinct, ndistinct))
			distinct[ndistinct++] = ports[i];

	/* The addresses. */
	if (flags & 0x10)
		local = rd_sockaddr(&r);
	switch (port_mode & 3) {
	case 0:
		rport = rd_u16(&r);
		break;
	case 1:
		rport = local_port;
		break;
	case 2:
		rport = nports ? ports[rd_u8(&r) % nports] : rd_u16(&r);
		break;
	default:
		rport = cfg.nguard_ports ? cfg.guard_ports[rd_u8(&r) % cfg.nguard_ports] :
					   rd_u16(&r);
		break;
	}
	if (local && (flags & 0xc0) && (flags & 0xc0) != 0xc0) {
		remote = copy_as(local, (flags & 0xc0) == 0x80, rport);
	} else {
		remote = rd_sockaddr(&r);
		set_port(remote, rport);
	}

	/* The access lists, often holding the sender or just missing it. */
	if (flags & 0x20) {
		cfg.nallow = rd_acl_count(&r);
		cfg.ndeny = rd_acl_count(&r);
		for (i = 0; i < cfg.nallow; i++)
			rd_prefix(&r, remote, local, &cfg.allow[i], &allow[i]);
		for (i = 0; i < cfg.ndeny; i++)
			rd_prefix(&r, remote, local, &cfg.deny[i], &deny[i]);
	}

	/* The datagram: the payload read, and its size. */
	if (flags & 0x04) {
		len = reply_len ? rd_u16(&r) % (reply_len + 1) : 0;
		if (rd_u8(&r) & 1)
			len = reply_len;
		payload = malloc(len ? len : 1);
		memcpy(payload, reply, len);
		/* Sometimes one bit off: not the reply after all. */
		if (len && (port_mode & 0x80))
			payload[(port_mode >> 2) % len] ^= (uint8_t)(1u << (port_mode >> 5 & 3));
		extra = rd_extra(&r);
	} else {
		extra = rd_extra(&r);
		len = r.n;
		payload = malloc(len ? len : 1);
		memcpy(payload, r.p, len);
	}
	dsize = len + extra;
	if ((flags & 0x08) && reply_len >= len)
		dsize = reply_len;

	/* The reference, from the socket addresses as given: the lists first, deny wins. */
	if (ref_listed(deny, cfg.ndeny, remote))
		acl = POLICY_DENIED;
	else if (cfg.nallow && !ref_listed(allow, cfg.nallow, remote))
		acl = POLICY_NOT_ALLOWED;
	ip = ref_addr16(remote, raddr, &sport);
	if (cfg.loop_guard) {
		if (!ip) {
			MUST(POLICY_BAD_SOURCE);
		} else {
			if (ref_bad_source(raddr))
				MUST(POLICY_BAD_SOURCE);
			if (sport == 0)
				MUST(POLICY_PORT_ZERO);
			if (local && ref_addr16(local, laddr, &lport) && sport == local_port &&
			    memcmp(raddr, laddr, 16) == 0)
				MUST(POLICY_SELF);
			for (i = 0; i < ndistinct; i++)
				if (distinct[i] == sport) {
					if (i < POLICY_PORTS_MAX)
						MUST(POLICY_OUR_PORT);
					else
						MAY(POLICY_OUR_PORT);
				}
			if (in_list(sport, cfg.guard_ports, cfg.nguard_ports))
				MUST(POLICY_SERVICE_PORT);
			if (reply_len >= POLICY_OWN_REPLY_MIN && dsize == reply_len &&
			    memcmp(payload, reply, len) == 0) {
				if (len == dsize)
					MUST(POLICY_OWN_REPLY);
				else
					MAY(POLICY_OWN_REPLY);
			}
		}
	}
	/* max_amplification x dsize < reply_len, without the product. */
	if (cfg.max_amplification && reply_len > POLICY_REPLY_FLOOR &&
	    dsize < (reply_len + cfg.max_amplification - 1) / cfg.max_amplification)
		MUST(POLICY_AMPLIFICATION);
	may |= must;

	/* The decision, on copies kept to see that nothing is written. */
	memcpy(&cfg_copy, &cfg, sizeof(cfg));
	memcpy(&svc_copy, &svc, sizeof(svc));
	reply_copy = malloc(reply_len + 1);
	memcpy(reply_copy, reply, reply_len + 1);
	copy = malloc(len ? len : 1);
	memcpy(copy, payload, len);
	saved_r = malloc(sockaddr_size(remote));
	memcpy(saved_r, remote, sockaddr_size(remote));
	if (local) {
		saved_l = malloc(sockaddr_size(local));
		memcpy(saved_l, local, sockaddr_size(local));
	}
	policy_init(&pol, &cfg, ports, nports);
	CHECK(pol.cfg == &cfg, "policy_init: cfg");
	CHECK(pol.nports == (ndistinct < POLICY_PORTS_MAX ? ndistinct : POLICY_PORTS_MAX),
		"policy_init: %zu ports of %zu distinct", pol.nports, ndistinct);
	for (i = 0; i < pol.nports; i++) {
		CHECK(in_list(pol.ports[i], ports, nports), "policy_init: port %u is not ours",
			pol.ports[i]);
		for (j = 0; j < i; j++)
			CHECK(pol.ports[j] != pol.ports[i], "policy_init: port %u twice",
				pol.ports[i]);
	}

	v = policy_decide(&pol, remote, local, local_port, payload, len, dsize, reply_len);
	again = policy_decide(&pol, remote, local, local_port, payload, len, dsize, reply_len);

#ifdef FUZZ_POLICY_TRACE
	fprintf(stderr, "verdict %s, lists %s, must %#x, may %#x (allow %zu, deny %zu, guard %d, amp %u, reply %zu, len %zu, size %zu, sender port %u, local port %u)\n",
		policy_verdict_name(v), policy_verdict_name(acl), must, may, cfg.nallow,
		cfg.ndeny, cfg.loop_guard, cfg.max_amplification, reply_len, len, dsize, sport,
		local_port);
#endif
	CHECK((unsigned)v < POLICY_VERDICTS, "verdict %d out of range", (int)v);
	CHECK(v == again, "two calls, two verdicts: %s, %s", policy_verdict_name(v),
		policy_verdict_name(again));
	CHECK(strcmp(policy_verdict_name(v), "unknown") != 0, "verdict %d named \"unknown\"",
		(int)v);
	if (acl != POLICY_REPLY)
		CHECK(v == acl, "%s, but the access lists refuse the sender: %s (allow %zu, deny %zu, rules %#x)",
			policy_verdict_name(v), policy_verdict_name(acl), cfg.nallow, cfg.ndeny,
			must);
	else if (v == POLICY_REPLY)
		CHECK(must == 0, "replied, but rules apply: %#x (guard %d, amp %u, reply %zu, size %zu, sender port %u)",
			must, cfg.loop_guard, cfg.max_amplification, reply_len, dsize, sport);
	else
		CHECK(may & (1u << v), "dropped as %s, which does not apply (applies: %#x)",
			policy_verdict_name(v), must);
	/* The brief's invariants, spelt out (the reference implies them). */
	if (acl == POLICY_REPLY && !cfg.loop_guard && !cfg.max_amplification)
		CHECK(v == POLICY_REPLY, "no guard, no limit, and %s", policy_verdict_name(v));
	if (cfg.loop_guard && ip && in_list(sport, cfg.guard_ports, cfg.nguard_ports))
		CHECK(v != POLICY_REPLY, "a reply to guard port %u", sport);
	if (v == POLICY_AMPLIFICATION)
		CHECK(reply_len > POLICY_REPLY_FLOOR &&
			      (unsigned long long)cfg.max_amplification * dsize < reply_len,
			"amplification: %u x %zu >= %zu", cfg.max_amplification, dsize, reply_len);

	/* Nothing written. */
	CHECK(memcmp(&cfg, &cfg_copy, sizeof(cfg)) == 0, "the config changed");
	CHECK(memcmp(&svc, &svc_copy, sizeof(svc)) == 0, "the service changed");
	CHECK(memcmp(reply_copy, reply, reply_len + 1) == 0, "the reply changed");
	CHECK(memcmp(copy, payload, len) == 0, "the payload changed");
	CHECK(memcmp(saved_r, remote, sockaddr_size(remote)) == 0, "the sender changed");
	CHECK(!local || memcmp(saved_l, local, sockaddr_size(local)) == 0, "the local address changed");

	free(saved_l);
	free(saved_r);
	free(copy);
	free(reply_copy);
	free(payload);
	free(remote);
	free(local);
	free(reply);
	return 0;
}
