/* netaddr.c - socket addresses to and from text */
#include <arpa/inet.h>
#include <endian.h>
#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netaddr.h"

const char *netaddr_host(const struct sockaddr *sa, char *buf, size_t len)
{
	const struct sockaddr_in6 *s6;
	char ifname[IF_NAMESIZE];
	size_t n;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	switch (sa->sa_family) {
	case AF_INET:
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf,
			(socklen_t)len);
		break;
	case AF_INET6:
		s6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], buf, (socklen_t)len);
			break;
		}
		if (!inet_ntop(AF_INET6, &s6->sin6_addr, buf, (socklen_t)len))
			break;
		if (s6->sin6_scope_id == 0)
			break;
		n = strlen(buf);
		if (if_indextoname(s6->sin6_scope_id, ifname))
			snprintf(buf + n, len - n, "%%%s", ifname);
		else
			snprintf(buf + n, len - n, "%%%u", (unsigned)s6->sin6_scope_id);
		break;
	default:
		snprintf(buf, len, "(family %d)", sa->sa_family);
		break;
	}
	return buf;
}

uint16_t netaddr_port(const struct sockaddr *sa)
{
	switch (sa->sa_family) {
	case AF_INET:
		return ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);
	case AF_INET6:
		return ntohs(((const struct sockaddr_in6 *)(const void *)sa)->sin6_port);
	default:
		return 0;
	}
}

static int shows_as_ipv6(const struct sockaddr *sa)
{
	return sa->sa_family == AF_INET6 &&
	       !IN6_IS_ADDR_V4MAPPED(&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr);
}

const char *netaddr_format(const struct sockaddr *sa, char *buf, size_t len)
{
	char host[NETADDR_STRLEN];

	netaddr_host(sa, host, sizeof(host));
	if (shows_as_ipv6(sa))
		snprintf(buf, len, "[%s]:%u", host, netaddr_port(sa));
	else if (sa->sa_family == AF_INET || sa->sa_family == AF_INET6)
		snprintf(buf, len, "%s:%u", host, netaddr_port(sa));
	else
		snprintf(buf, len, "%s", host);
	return buf;
}

int netaddr_split(const char *text, char *host, size_t hostlen, const char **port)
{
	const char *end, *colon;
	size_t n;

	*port = NULL;
	if (text[0] == '[') {
		end = strchr(text, ']');
		if (!end || end == text + 1)
			return -1;
		if (end[1] == ':' && end[2] != '\0')
			*port = end + 2;
		else if (end[1] != '\0')
			return -1;
		n = (size_t)(end - text - 1);
		text++;
	} else {
		colon = strchr(text, ':');
		if (colon && strchr(colon + 1, ':'))
			colon = NULL; /* a bare IPv6 literal: no port */
		if (colon) {
			if (colon[1] == '\0')
				return -1;
			*port = colon + 1;
			n = (size_t)(colon - text);
		} else {
			n = strlen(text);
		}
	}
	if (n == 0 || n >= hostlen)
		return -1;
	memcpy(host, text, n);
	host[n] = '\0';
	return 0;
}

int netaddr_parse_port(const char *text, bool allow_zero, uint16_t *port)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)text[0]))
		return -1;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || *end != '\0' || v > 65535 || (v == 0 && !allow_zero))
		return -1;
	*port = (uint16_t)v;
	return 0;
}

bool netaddr_is_literal(const char *text)
{
	struct in6_addr a6;
	struct in_addr a4;

	return inet_pton(AF_INET, text, &a4) == 1 || inet_pton(AF_INET6, text, &a6) == 1;
}

bool netaddr_valid_hostname(const char *text)
{
	size_t label = 0, total = strlen(text), digits = 0;
	const char *p;

	struct in_addr a4;

	/* Numbers inet_aton() reads as IPv4 ("10", "127.1", "0x7f000001") are no names. */
	if (inet_aton(text, &a4))
		return false;
	/* A trailing dot (the root) does not count against the 253. */
	if (total > 0 && text[total - 1] == '.')
		total--;
	if (total == 0 || total > 253 || text[0] == '.')
		return false;
	for (p = text; p < text + total; p++) {
		if (*p == '.') {
			if (label == 0 || p[-1] == '-')
				return false;
			label = digits = 0;
		} else if (isalnum((unsigned char)*p) || *p == '_' ||
			   (*p == '-' && label > 0)) {
			if (++label > 63)
				return false;
			digits += isdigit((unsigned char)*p) != 0;
		} else {
			return false;
		}
	}
	/*
	 * The last label is not all digits: getaddrinfo() would read "127.1"
	 * as an address, and no top-level domain is numeric.
	 */
	return label > 0 && p[-1] != '-' && digits < label;
}

/* ---- CIDR prefixes ------------------------------------------------------ */

static const uint8_t v4mapped_head[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* Is (addr, len) an IPv4 prefix: in ::ffff:0:0/96 and no shorter? */
static bool prefix_is_v4(const struct in6_addr *addr, unsigned len)
{
	return len >= 96 && memcmp(addr->s6_addr, v4mapped_head, sizeof(v4mapped_head)) == 0;
}

/* Are all bits of addr from bit len on zero? */
static bool host_bits_zero(const struct in6_addr *addr, unsigned len)
{
	unsigned i;

	if (len % 8 != 0 && (addr->s6_addr[len / 8] & (0xffu >> (len % 8))) != 0)
		return false;
	for (i = (len + 7) / 8; i < 16; i++)
		if (addr->s6_addr[i] != 0)
			return false;
	return true;
}

int netaddr_parse_prefix(const char *text, struct netaddr_prefix *out, const char **why)
{
	char host[INET6_ADDRSTRLEN];
	const char *slash, *lp;
	struct netaddr_prefix p;
	struct in_addr a4;
	unsigned len, max;
	size_t n;

	if (why)
		*why = "not an address";
	if (!text)
		return -1;
	slash = strchr(text, '/');
	n = slash ? (size_t)(slash - text) : strlen(text);
	/* inet_pton() refuses white space, scope ids and leading zeros in octets. */
	if (n == 0 || n >= sizeof(host))
		return -1;
	memcpy(host, text, n);
	host[n] = '\0';
	memset(&p, 0, sizeof(p));
	if (inet_pton(AF_INET, host, &a4) == 1) {
		memcpy(p.addr.s6_addr, v4mapped_head, sizeof(v4mapped_head));
		memcpy(&p.addr.s6_addr[12], &a4, 4);
		max = 32;
	} else if (inet_pton(AF_INET6, host, &p.addr) == 1) {
		max = 128;
	} else {
		return -1;
	}

	len = max;
	if (slash) {
		if (why)
			*why = "bad prefix length";
		/* Decimal, 1 to 3 digits, no sign, no leading zero, no white space. */
		lp = slash + 1;
		for (n = 0; isdigit((unsigned char)lp[n]); n++)
			if (n == 3)
				return -1;
		if (n == 0 || lp[n] != '\0' || (n > 1 && lp[0] == '0'))
			return -1;
		len = (unsigned)atoi(lp);
		if (len > max)
			return -1;
	}
	if (max == 32)
		len += 96;

	if (!host_bits_zero(&p.addr, len)) {
		if (why)
			*why = "host bits set";
		return -1;
	}
	p.len = len;
	*out = p;
	return 0;
}

/* 8 bytes as a big-endian number. */
static uint64_t load_be64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return be64toh(v);
}

/* The mask of the first bits of an address's 64-bit half (half 0 or 1), of a /len. */
static uint64_t half_mask(unsigned len, unsigned half)
{
	unsigned bits = len > half * 64 ? len - half * 64 : 0;

	return bits >= 64 ? ~0ULL : bits == 0 ? 0 : ~0ULL << (64 - bits);
}

/*
 * On every datagram of a config with access lists: two masked 64-bit
 * compares, no memcmp. A v4 prefix (v4-mapped, /96 and longer) matches
 * only v4-mapped senders by its own bits; an IPv6 prefix shorter than /96
 * could cover the v4-mapped range, so it is kept from IPv4 senders.
 */
bool netaddr_prefix_match(const struct netaddr_prefix *p, const struct sockaddr *sa)
{
	uint64_t hi, lo, len = p->len > 128 ? 128 : p->len;
	const uint8_t *a;
	uint32_t v4;

	switch (sa->sa_family) {
	case AF_INET:
		memcpy(&v4, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		hi = 0;
		lo = 0xffff00000000ULL | ntohl(v4);
		break;
	case AF_INET6:
		a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
		hi = load_be64(a);
		lo = load_be64(a + 8);
		break;
	default:
		return false;
	}
	/* Families do not cross: IPv4 prefixes for IPv4 senders, IPv6 for IPv6. */
	if (len < 96 && hi == 0 && lo >> 32 == 0xffff)
		return false;
	return ((hi ^ load_be64(p->addr.s6_addr)) & half_mask((unsigned)len, 0)) == 0 &&
	       ((lo ^ load_be64(p->addr.s6_addr + 8)) & half_mask((unsigned)len, 1)) == 0;
}

bool netaddr_prefix_of(const struct sockaddr *sa, unsigned v4len, unsigned v6len,
	struct netaddr_prefix *out)
{
	unsigned bits, i;

	switch (sa->sa_family) {
	case AF_INET:
		memcpy(out->addr.s6_addr, v4mapped_head, sizeof(v4mapped_head));
		memcpy(&out->addr.s6_addr[12],
			&((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		break;
	case AF_INET6:
		out->addr = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		break;
	default:
		return false;
	}
	out->len = IN6_IS_ADDR_V4MAPPED(&out->addr) ? 96 + (v4len > 32 ? 32 : v4len) :
		(v6len > 128 ? 128 : v6len);
	for (i = 0; i < 16; i++) {
		bits = out->len > i * 8 ? out->len - i * 8 : 0;
		if (bits < 8)
			out->addr.s6_addr[i] &= (uint8_t)(0xff00 >> bits);
	}
	return true;
}

const char *netaddr_prefix_format(const struct netaddr_prefix *p, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (len == 0)
		return buf;
	if (prefix_is_v4(&p->addr, p->len)) {
		inet_ntop(AF_INET, &p->addr.s6_addr[12], host, sizeof(host));
		snprintf(buf, len, "%s/%u", host, p->len - 96);
	} else {
		inet_ntop(AF_INET6, &p->addr, host, sizeof(host));
		snprintf(buf, len, "%s/%u", host, p->len);
	}
	return buf;
}
