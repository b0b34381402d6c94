/*
 * log.h - the sink: journald's native protocol or stderr, never blocking;
 * and the daemon's own messages (log_write and friends)
 *
 * A sink is owned by one thread. The log writer thread has its own; the
 * daemon's messages go through a shared one behind a mutex (they are rare).
 */
#ifndef UDP_REPLYD_LOG_H
#define UDP_REPLYD_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <syslog.h>

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
#define MSGID_NOT_LOGGED    "4f0d5f1c8a6e4b7fa3c1d2e9b8a7f606"
#define MSGID_POLICY_DROPS  "4f0d5f1c8a6e4b7fa3c1d2e9b8a7f607"
#define MSGID_COUNTERS      "4f0d5f1c8a6e4b7fa3c1d2e9b8a7f608"

/* The longest MESSAGE= text; longer ones are cut. */
#define LOG_LINE_MAX 2048
/* A whole record in the native protocol: MESSAGE, a 4 KiB payload, the fields. */
#define LOG_RECORD_MAX 8192
#define LOG_FIELDS_MAX 16

/* One structured field beyond MESSAGE, PRIORITY and SYSLOG_IDENTIFIER. */
struct log_field {
	const char *name;
	const void *value;
	size_t len;
};

struct log_record {
	int priority;
	const char *msgid;		/* NULL: none */
	const char *message;		/* MESSAGE=, and the console line */
	struct log_field field[LOG_FIELDS_MAX];
	size_t nfields;
};

/* Add NAME=printf(...) to rec; the text lives in buf (size bytes). */
void log_field_printf(struct log_record *rec, const char *name, char *buf, size_t size,
	const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void log_field_bytes(struct log_record *rec, const char *name, const void *value, size_t len);

/* What log_sink_send() did with a record. */
enum log_sent {
	LOG_SENT_JOURNAL,
	LOG_SENT_CONSOLE,	/* the target, or the fallback while journald is away */
	LOG_SENT_BUSY,		/* nothing written: wait for log_sink_fd() to be writable */
	LOG_SENT_LOST,		/* neither took it (stderr closed): count it */
};

struct log_sink;

int log_target_parse(const char *text, enum log_target *target);
/* Resolve AUTO and set up the daemon's shared sink. */
void log_open(const char *ident, enum log_target target);
/* The target log_open() chose. */
enum log_target log_target(void);
/* Release the shared sink (at exit). */
void log_close(void);

/* A sink of one's own, for the log writer thread; NULL when out of memory. */
struct log_sink *log_sink_new(void);
void log_sink_free(struct log_sink *sink);
/* Send rec without blocking; journald away means stderr, and a retry a second later. */
enum log_sent log_sink_send(struct log_sink *sink, const struct log_record *rec);
/* The fd to poll for POLLOUT after LOG_SENT_BUSY, and which sink was busy. */
int log_sink_fd(const struct log_sink *sink);
bool log_sink_journal_busy(const struct log_sink *sink);

/*
 * A record through the shared sink: when the sink is busy it waits up to
 * wait_ms for it, then falls back to stderr. With wait_ms < 0 it tries once
 * and may return LOG_SENT_BUSY (the caller keeps the record's counts).
 */
enum log_sent log_send(const struct log_record *rec, int wait_ms);

/* errnum > 0 appends ": strerror(errnum)"; msgid may be NULL. */
void log_write(int priority, int errnum, const char *msgid, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/*
 * The same from a worker: a busy journal means stderr at once, never a
 * wait (the shared sink's lock is only held for non-blocking sends).
 */
void log_write_nowait(int priority, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* How many daemon messages found neither the journal nor stderr. */
uint64_t log_lost(void);

#define log_err(...)    log_write(LOG_ERR, errno, NULL, __VA_ARGS__)
#define log_errx(...)   log_write(LOG_ERR, 0, NULL, __VA_ARGS__)
#define log_warn(...)   log_write(LOG_WARNING, errno, NULL, __VA_ARGS__)
#define log_warnx(...)  log_write(LOG_WARNING, 0, NULL, __VA_ARGS__)
#define log_notice(...) log_write(LOG_NOTICE, 0, NULL, __VA_ARGS__)
#define log_info(...)   log_write(LOG_INFO, 0, NULL, __VA_ARGS__)

#endif
