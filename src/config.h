/* config.h - /etc/udp-replyd.conf into a validated, immutable struct config */
#ifndef UDP_REPLYD_CONFIG_H
#define UDP_REPLYD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "netaddr.h"
#include "template.h"

#define CONFIG_DEFAULT_ADDRESS "127.0.0.1"
#define CONFIG_DEFAULT_PORT 20001
#define CONFIG_DEFAULT_BUFFER_SIZE 1024
#define CONFIG_DEFAULT_REPLY "Hello UDP Client"

#define CONFIG_BUFFER_SIZE_MIN 1
#define CONFIG_BUFFER_SIZE_MAX 65535
/* The largest UDP payload over IPv4; a longer reply could never be sent. */
#define CONFIG_REPLY_MAX 65507

/*
 * Services that answer unsolicited datagrams, so a spoofed datagram from
 * one of their ports could start a reply loop: echo, daytime, qotd,
 * chargen, time, DNS, TFTP, NTP, NetBIOS name and datagram, SNMP and its
 * traps, SSDP, mDNS, memcached.
 */
#define CONFIG_GUARD_PORTS_DEFAULT \
	{ 7, 13, 17, 19, 37, 53, 69, 123, 137, 138, 161, 162, 1900, 5353, 11211 }
#define CONFIG_GUARD_PORTS_MAX 64
#define CONFIG_MAX_AMPLIFICATION_DEFAULT 10
#define CONFIG_MAX_AMPLIFICATION_MAX 65535

/* Prefixes in allow, and in deny: each sender is checked against them all. */
#define CONFIG_ACL_MAX 64

/* The rate limit's defaults: a /24 or /56 may send 100 requests a second, 200 at once. */
#define CONFIG_RATE_DEFAULT 100
#define CONFIG_BURST_DEFAULT 200
#define CONFIG_IPV4_PREFIX_DEFAULT 24
#define CONFIG_IPV6_PREFIX_DEFAULT 56

#define CONFIG_WORKERS_AUTO 0
#define CONFIG_WORKERS_MAX 256
#define CONFIG_RECEIVE_BUFFER_MIN 4096
#define CONFIG_RECEIVE_BUFFER_MAX (1 << 30)

/*
 * Caps checked before libconfig reads the file. libconfig (1.5 and still
 * 1.8) compares each new setting's name with every sibling's, character by
 * character, so its parse time grows with the number of settings times the
 * bytes of their names: 143,364 settings in 857 KB took 67 s. The worst file
 * within both caps (128 names of 4 KiB sharing a prefix, in one group) parses
 * in 0.15 s with 1.5; each further setting would add about 1.2 ms.
 */
/* Room for the longest reply written as \xHH escapes (262,028 bytes), and comments. */
#define CONFIG_FILE_MAX (512 * 1024)
/* A name followed by '=' or ':', at any depth; a file with every setting has 19 names. */
#define CONFIG_SETTINGS_MAX 128
/*
 * Groups, lists and arrays inside one another: libconfig (every version)
 * runs out of parser stack (bison's 10,000 states: 4,996 lists in one
 * another) and says only "memory exhausted"; services need 2 levels.
 */
#define CONFIG_DEPTH_MAX 16

/* Room for one "FILE:LINE: what is wrong" line. */
#define CONFIG_ERROR_MAX 1024

/* Services in one file (services = ( { ... }, ... )), and a name's longest. */
#define CONFIG_SERVICES_MAX 64
#define CONFIG_NAME_MAX 64

/* One listener: where it listens, and what it answers. */
struct service {
	char *name;		/* UDP_SERVICE: "name", else "ADDRESS:PORT" */
	int line;		/* of its group in services; 0 for the top-level one */
	char *address;		/* IPv4/IPv6 literal or host name; "::" is dual-stack */
	int address_line;	/* line of the setting in path, 0 when defaulted */
	uint16_t port;
	int port_line;
	size_t buffer_size;
	char *reply;		/* reply_len bytes as written, NUL-terminated for printing */
	size_t reply_len;
	int reply_line;
	struct template tmpl;	/* reply, compiled */
	const unsigned char *literal;	/* without placeholders: the bytes sent; else NULL */
	size_t literal_len;
};

struct config {
	char *path;		/* the file this came from (CONFIG_CMDLINE for none) */
	char *file;		/* the file read, NULL for none; what a reload reads */
	char *set;		/* the command line's settings, NULL for none; reapplied */
	struct service *services;	/* at least one */
	size_t nservices;
	size_t buffer_max;	/* the largest buffer_size of the services */
	bool log_datagrams;	/* one record per datagram (default true) */
	unsigned workers;	/* serving threads; CONFIG_WORKERS_AUTO = one per usable CPU */
	int receive_buffer;	/* SO_RCVBUF bytes for sockets we bind; 0 = kernel default */
	bool loop_guard;	/* refuse datagrams that could start a reply loop (default true) */
	uint16_t guard_ports[CONFIG_GUARD_PORTS_MAX];	/* no reply to these source ports */
	size_t nguard_ports;
	unsigned max_amplification;	/* reply <= this x request (above a floor); 0 = off */
	struct netaddr_prefix allow[CONFIG_ACL_MAX];	/* if any: only these senders */
	size_t nallow;
	struct netaddr_prefix deny[CONFIG_ACL_MAX];	/* never these senders */
	size_t ndeny;
	int send_buffer;	/* SO_SNDBUF bytes for sockets we bind; 0 = kernel default */
	bool rate_limit;	/* rate > 0 */
	unsigned rate, burst;	/* replies per second per source prefix, bucket size */
	unsigned ipv4_prefix, ipv6_prefix;	/* the prefix a bucket counts */
	struct netaddr_prefix exempt[CONFIG_ACL_MAX];	/* never limited */
	size_t nexempt;
};

/* What parsing a file of len bytes may need at most (config_load checks it is there). */
#define CONFIG_PARSE_ROOM(len) (16 * (len) + 1024 * 1024)

/*
 * Read and validate PATH. On success *out is a new config and 0 is returned.
 * On failure -1 is returned and err holds "PATH:LINE: what is wrong"
 * (LINE is 0 when the problem is the file as a whole); -ENOMEM when there
 * is not the memory to parse it (err says so too).
 */
int config_load(const char *path, struct config **out, char *err, size_t errlen);

/* Errors in the settings given on the command line name it this way. */
#define CONFIG_CMDLINE "command line"

/*
 * config_load(), then the settings of set (libconfig text, "KEY = VALUE;"
 * ..., NULL for none) over the file's: a service setting there (address,
 * port, buffer_size, reply) sets the one service, replacing a services
 * list. path NULL: the defaults and set only.
 */
int config_load_set(const char *path, const char *set, struct config **out, char *err,
	size_t errlen);
void config_free(struct config *cfg);

/*
 * What udp-replyd --check-config prints: "PATH: OK", then each setting,
 * one per line, the reply escaped as in the log. A write error is left in
 * ferror(out) for the caller.
 */
void config_print(FILE *out, const struct config *cfg);

/* Do two configs name the same addresses and ports, in the same order? */
int config_same_endpoint(const struct config *a, const struct config *b);

#endif
