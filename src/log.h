/* log.h - the one logging API: daemon messages and per-datagram records */
#ifndef UDP_REPLYD_LOG_H
#define UDP_REPLYD_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>
#include <sys/socket.h>

enum log_target {
	LOG_TARGET_AUTO,
	LOG_TARGET_JOURNAL,
	LOG_TARGET_CONSOLE,
};

/* MESSAGE_IDs, documented in the journal catalog. */
#define MSGID_DATAGRAM      "4f0d5f1c8a6e4b7fa3c1d2e9b8a7f601"
#define MSGID_STARTED       "4f0d5f1c8a6e4b7fa3c1d2e9b8a7f602"
#define MSGID_RELOADED      "4f0d5f1c8a6e4b7fa3c1d2e9b8a7f603"
#define MSGID_RELOAD_FAILED "4f0d5f1c8a6e4b7fa3c1d2e9b8a7f604"
#define MSGID_STOPPED       "4f0d5f1c8a6e4b7fa3c1d2e9b8a7f605"

/* How many payload bytes a record carries in UDP_PAYLOAD and in MESSAGE. */
#define LOG_PAYLOAD_FIELD_MAX 4096
#define LOG_PAYLOAD_MESSAGE_MAX 64

int log_target_parse(const char *text, enum log_target *target);
void log_open(const char *ident, enum log_target target);

/* errnum > 0 appends ": strerror(errnum)"; msgid may be NULL. */
void log_write(int priority, int errnum, const char *msgid, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define log_err(...)    log_write(LOG_ERR, errno, NULL, __VA_ARGS__)
#define log_errx(...)   log_write(LOG_ERR, 0, NULL, __VA_ARGS__)
#define log_warn(...)   log_write(LOG_WARNING, errno, NULL, __VA_ARGS__)
#define log_warnx(...)  log_write(LOG_WARNING, 0, NULL, __VA_ARGS__)
#define log_notice(...) log_write(LOG_NOTICE, 0, NULL, __VA_ARGS__)
#define log_info(...)   log_write(LOG_INFO, 0, NULL, __VA_ARGS__)

/* One received datagram, as the record describes it. */
struct datagram {
	const struct sockaddr *remote;
	const struct sockaddr *local;	/* NULL when unknown */
	const unsigned char *payload;	/* the bytes read */
	size_t len;			/* how many were read */
	size_t size;			/* how long the datagram was */
};

/* Write the journal record (or console line) for one datagram. */
void log_datagram(const struct datagram *dg);

/*
 * Escape len bytes of data for a one-line human message: printable ASCII and
 * valid UTF-8 (but no control characters, line separators or bidi controls)
 * stay, the rest become \n, \t, \r,
 * \\, \" or \xHH. Writes at most size-1 bytes plus NUL, never splitting an
 * escape; returns how many input bytes were consumed.
 */
size_t log_escape(char *buf, size_t size, const unsigned char *data, size_t len);

/* The MESSAGE= text of a datagram's record, into buf. */
void log_format_datagram(char *buf, size_t size, const struct datagram *dg);

#endif
