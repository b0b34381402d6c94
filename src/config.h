/* config.h - /etc/udp-replyd.conf into a validated, immutable struct config */
#ifndef UDP_REPLYD_CONFIG_H
#define UDP_REPLYD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_DEFAULT_ADDRESS "127.0.0.1"
#define CONFIG_DEFAULT_PORT 20001
#define CONFIG_DEFAULT_BUFFER_SIZE 1024
#define CONFIG_DEFAULT_REPLY "Hello UDP Client"

#define CONFIG_BUFFER_SIZE_MIN 1
#define CONFIG_BUFFER_SIZE_MAX 65535
/* The largest UDP payload over IPv4; a longer reply could never be sent. */
#define CONFIG_REPLY_MAX 65507

#define CONFIG_WORKERS_AUTO 0
#define CONFIG_WORKERS_MAX 256

/* Room for one "FILE:LINE: what is wrong" line. */
#define CONFIG_ERROR_MAX 1024

struct config {
	char *path;		/* the file this came from */
	char *address;		/* IPv4/IPv6 literal or host name; "::" is dual-stack */
	int address_line;	/* line of the setting in path, 0 when defaulted */
	uint16_t port;
	int port_line;
	size_t buffer_size;
	char *reply;		/* reply_len bytes, NUL-terminated for printing */
	size_t reply_len;
	bool log_datagrams;	/* one record per datagram (default true) */
	unsigned workers;	/* serving threads; CONFIG_WORKERS_AUTO = one per usable CPU */
	int receive_buffer;	/* SO_RCVBUF bytes for sockets we bind; 0 = kernel default */
};

/*
 * Read and validate PATH. On success *out is a new config and 0 is returned.
 * On failure -1 is returned and err holds "PATH:LINE: what is wrong"
 * (LINE is 0 when the problem is the file as a whole).
 */
int config_load(const char *path, struct config **out, char *err, size_t errlen);
void config_free(struct config *cfg);

/* Do two configs bind the same address and port (so the same sockets)? */
int config_same_endpoint(const struct config *a, const struct config *b);

#endif
