/* netaddr.h - socket addresses to and from text; shared by daemon and client */
#ifndef UDP_REPLYD_NETADDR_H
#define UDP_REPLYD_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <netinet/in.h>

/* An IPv4 or IPv6 socket address in the room it needs (not 128 bytes). */
union netaddr_inet {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

/* "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255%" + scope + "[]:65535" */
#define NETADDR_STRLEN 72

/*
 * The address part of sa as text ("192.0.2.1", "2001:db8::1", "fe80::1%eth0").
 * IPv4-mapped IPv6 addresses are shown as plain IPv4, as the sender sent them.
 */
const char *netaddr_host(const struct sockaddr *sa, char *buf, size_t len);
/* The port of an AF_INET/AF_INET6 address, 0 for others. */
uint16_t netaddr_port(const struct sockaddr *sa);
/* "192.0.2.1:53" or "[2001:db8::1]:53". */
const char *netaddr_format(const struct sockaddr *sa, char *buf, size_t len);

/*
 * Split "HOST", "HOST:PORT", "[V6]", "[V6]:PORT" or a bare IPv6 literal into
 * host and port text. host must hold strlen(text)+1 bytes; *port is NULL when
 * no port was given. Returns 0, or -1 on a malformed text.
 */
int netaddr_split(const char *text, char *host, size_t hostlen, const char **port);

/* Parse a decimal port 1..65535 (allow_zero also takes 0). */
int netaddr_parse_port(const char *text, bool allow_zero, uint16_t *port);

/* Is text an IPv4 or IPv6 literal (and not a host name)? */
bool netaddr_is_literal(const char *text);
/* Is text a syntactically valid DNS host name? */
bool netaddr_valid_hostname(const char *text);

/*
 * CIDR prefixes, for access lists and rate-limit exemptions.
 *
 * An IPv4 or IPv6 prefix; IPv4 is kept as v4-mapped IPv6 (::ffff:a.b.c.d/96+len),
 * so "192.0.2.0/24" and "::ffff:192.0.2.0/120" are the same prefix, byte for byte.
 *
 * Families do not cross, as nginx and pf users expect:
 *  - an IPv4 prefix (one written as IPv4, or in v4-mapped form: ::ffff:0:0/96
 *    and longer) matches IPv4 senders, both AF_INET and v4-mapped AF_INET6;
 *    "0.0.0.0/0" (= "::ffff:0:0/96") matches every IPv4 sender and no IPv6 one;
 *  - any other prefix is IPv6 and matches IPv6 senders only, never an IPv4 or
 *    v4-mapped one: "::/0" matches every IPv6 sender and no IPv4 one.
 * A sender's IPv6 scope id is ignored: "fe80::/10" matches fe80::1%eth0.
 */
struct netaddr_prefix {
	struct in6_addr addr; /* masked: host bits zero */
	unsigned len;	      /* 0..128, in IPv6 bits (an IPv4 /24 is 120) */
};

/* "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128" and its NUL (and more) */
#define NETADDR_PREFIX_STRLEN 52

/*
 * Parse "192.0.2.0/24", "192.0.2.7" (= /32), "2001:db8::/32", "::1" (= /128),
 * "::ffff:192.0.2.0/120". Strict: no white space, no scope id ("fe80::1%eth0"),
 * no leading zeros in IPv4 octets or in the length ("10.0.0.0/08"), IPv4
 * lengths 0..32, IPv6 lengths 0..128. Host bits set ("192.0.2.7/24") is an
 * error, not silently masked away.
 * Returns 0, or -1 with *out unchanged and *why (if why is not NULL) set to a
 * static English reason: "not an address", "bad prefix length" or
 * "host bits set".
 */
int netaddr_parse_prefix(const char *text, struct netaddr_prefix *out, const char **why);
/* Does sa (AF_INET or AF_INET6; others never match) fall in p? See above. */
bool netaddr_prefix_match(const struct netaddr_prefix *p, const struct sockaddr *sa);
/*
 * "192.0.2.0/24" or "2001:db8::/32" (IPv4, and v4-mapped form, shown as IPv4),
 * into buf (NETADDR_PREFIX_STRLEN bytes hold any; shorter is cut, NUL-terminated).
 * Returns buf. The text parses back to the same prefix.
 */
const char *netaddr_prefix_format(const struct netaddr_prefix *p, char *buf, size_t len);
/* The prefix of sa's address: /v4len of IPv4 (v4-mapped too), /v6len of IPv6. */
bool netaddr_prefix_of(const struct sockaddr *sa, unsigned v4len, unsigned v6len,
	struct netaddr_prefix *out);

#endif
