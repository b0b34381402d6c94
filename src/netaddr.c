/* netaddr.c - socket addresses to and from text */
#include <arpa/inet.h>
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
