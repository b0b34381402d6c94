/*
 * template.h - reply templates: compiled once at load, expanded per datagram
 * (pure: libc only, no I/O, no allocation per datagram)
 *
 * Syntax: %{name} is a placeholder, %% a percent sign; any other % is an
 * error at compile time, so a typo never goes out as text. Names are lower
 * case, the journal's field names where there is one (UDP_REMOTE_ADDR is
 * %{remote_addr}):
 *
 *   %{remote_addr}  the sender's address: 192.0.2.7, 2001:db8::7
 *   %{remote_port}  the sender's port: 40000
 *   %{remote}       both: 192.0.2.7:40000, [2001:db8::7]:40000
 *   %{local_addr}   the address the datagram was sent to
 *   %{local_port}   the port it was sent to
 *   %{local}        both, as %{remote}
 *   %{size}         the datagram's size in bytes, in decimal (all of it,
 *                   also when only buffer_size bytes were read)
 *   %{payload}      the datagram's bytes as read (up to buffer_size): an
 *                   echo, binary-safe, NUL bytes and all
 *   %{time}         the time it was answered, RFC 3339 in UTC:
 *                   2025-06-01T12:00:00Z
 *   %{time_us}      the same with microseconds: 2025-06-01T12:00:00.123456Z
 *   %{hostname}     the host name
 *   %{service}      the name of the service that answers
 *   %%              %
 *
 * Addresses are written as the sender would write its own: IPv4-mapped IPv6
 * addresses (IPv4 senders on a dual-stack socket) as plain IPv4, and IPv6
 * without a zone ("%eth0"): a zone index names an interface of this host and
 * means nothing to the peer (RFC 4007). An unknown address (NULL,
 * or a family other than IPv4 and IPv6) and its port expand to nothing.
 * Times are UTC, so that no time zone file is read on the serving path, and
 * clamped to 1970-01-01T00:00:00Z .. 9999-12-31T23:59:59Z.
 */
#ifndef UDP_REPLYD_TEMPLATE_H
#define UDP_REPLYD_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <time.h>

enum template_field {
	TEMPLATE_TEXT,		/* literal bytes, not a placeholder */
	TEMPLATE_REMOTE,
	TEMPLATE_REMOTE_ADDR,
	TEMPLATE_REMOTE_PORT,
	TEMPLATE_LOCAL,
	TEMPLATE_LOCAL_ADDR,
	TEMPLATE_LOCAL_PORT,
	TEMPLATE_SIZE,
	TEMPLATE_PAYLOAD,
	TEMPLATE_TIME,
	TEMPLATE_TIME_US,
	TEMPLATE_HOSTNAME,
	TEMPLATE_SERVICE,
	TEMPLATE_FIELDS
};

/* Masks for template_uses(): what the caller must fill in. */
#define TEMPLATE_USES(field) (1u << (field))
#define TEMPLATE_USES_TIME (TEMPLATE_USES(TEMPLATE_TIME) | TEMPLATE_USES(TEMPLATE_TIME_US))
#define TEMPLATE_USES_LOCAL                                                        \
	(TEMPLATE_USES(TEMPLATE_LOCAL) | TEMPLATE_USES(TEMPLATE_LOCAL_ADDR) |       \
		TEMPLATE_USES(TEMPLATE_LOCAL_PORT))

/* One piece of a compiled template (private to template.c). */
struct template_part {
	enum template_field field;
	size_t off, len;	/* TEMPLATE_TEXT: these bytes of text */
};

/*
 * A compiled template. It owns text and parts (template_free); it is never
 * written after template_compile(), so any number of threads may expand it.
 */
struct template {
	unsigned char *text;	/* the literal bytes, %% as %; NUL-terminated */
	size_t text_len;
	struct template_part *parts;
	size_t nparts;
	unsigned uses;		/* TEMPLATE_USES() of each placeholder in it */
};

/* Why a template did not compile: offset is the byte where the bad % is. */
struct template_error {
	size_t offset;
	char message[128];	/* "unknown placeholder '%{nmae}'", no offset, no newline */
};

/* What a template is expanded with: one datagram. */
struct template_input {
	const struct sockaddr *remote;	/* the sender; AF_INET or AF_INET6 */
	const struct sockaddr *local;	/* the address it was sent to, with the socket's
					   port; NULL when unknown */
	const unsigned char *payload;	/* the bytes read */
	size_t len;			/* how many were read */
	size_t size;			/* how long the datagram was (>= len) */
	struct timespec now;		/* CLOCK_REALTIME; read once a batch will do */
	const char *hostname;		/* NUL-terminated; NULL expands to nothing */
	const char *service;		/* NUL-terminated; NULL expands to nothing */
};

/*
 * Compile len bytes of text (which may hold any byte, NUL too) into t.
 * Returns 0; -EINVAL for a syntax error, with err (if not NULL) saying
 * where and why; -ENOMEM. On error t holds nothing (template_free is safe).
 */
int template_compile(struct template *t, const void *text, size_t len,
	struct template_error *err);

/* Free what t holds and empty it; safe on an empty or zeroed t, and twice. */
void template_free(struct template *t);

/*
 * Has t no placeholder? Then its reply is template_literal() for every
 * datagram, and the caller should send those bytes as they are: a fixed
 * reply costs nothing per datagram.
 */
bool template_is_literal(const struct template *t);

/* The reply of a literal t (with %% as %) and its length; NULL if t is not literal. */
const unsigned char *template_literal(const struct template *t, size_t *len);

/* Does t use any of the fields in mask (TEMPLATE_USES_TIME, ...)? */
bool template_uses(const struct template *t, unsigned mask);

/*
 * How long t's reply to in is, in full (before any cap; SIZE_MAX if that
 * does not fit a size_t): what template_expand() writes when out_size is at
 * least this. Costs about as much as expanding, without writing: for the
 * amplification limit, where echoed bytes count.
 */
size_t template_reply_size(const struct template *t, const struct template_input *in);

/*
 * The longest reply t can give: to a datagram of which payload_max bytes
 * are read, with a host name and service name of at most names_max bytes.
 */
size_t template_reply_max(const struct template *t, size_t payload_max, size_t names_max);

/*
 * Write t's reply to in into out, at most out_size bytes (the daemon: 65507,
 * the largest UDP payload over IPv4); a reply that would be longer is cut
 * there, and *truncated (if not NULL) says so. Returns the bytes written.
 * out may be NULL when out_size is 0.
 */
size_t template_expand(const struct template *t, const struct template_input *in,
	unsigned char *out, size_t out_size, bool *truncated);

/* "remote_addr", ...: the name of a placeholder; NULL for TEMPLATE_TEXT. */
const char *template_field_name(enum template_field f);

#endif
