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

#endif
