/*
 * log.c - the sink: journald's native protocol on a non-blocking socket of
 * our own, or stderr through a non-blocking fd of our own
 *
 * sd_journal_sendv() cannot serve here: it returns 0 when no journald
 * listens and blocks while journald is stopped. Our own socket tells the
 * three cases apart: EAGAIN is "busy" (the caller waits or counts),
 * ENOENT/ECONNREFUSED is "gone" (stderr, and a retry a second later).
 * The protocol is systemd's documented one (systemd.journal-fields(7),
 * "Native Journal Protocol"): NAME=value lines, or NAME, a 64-bit
 * little-endian length and the bytes for values with newlines or binary.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"
#define JOURNAL_RETRY_USEC 1000000ULL

/* Set once at start-up, before any thread starts. */
static enum log_target log_chosen = LOG_TARGET_CONSOLE;
static const char *log_ident = "udp-replyd";

struct log_sink {
	int journal_fd;		/* connected, non-blocking; -1 while journald is away */
	dev_t journal_dev;	/* the socket file it is connected to */
	ino_t journal_ino;
	uint64_t journal_retry;	/* monotonic usec of the next connect attempt */
	uint64_t journal_check;	/* ... and of the next look at the socket file */
	bool journal_away;	/* a fallback notice was written */
	bool journal_busy;	/* the last BUSY came from the journal */
	int console_fd;		/* stderr, reopened non-blocking */
	bool console_socket;	/* stderr is a socket: send(MSG_DONTWAIT) */
	bool console_poll;	/* console_fd blocks: poll before writing */
	char buf[LOG_RECORD_MAX];
};

/* The daemon's own messages, from any thread. */
static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static struct log_sink *shared_sink;
static uint64_t shared_lost;
/* The "journal not reachable" notice was written and journald is still away. */
static atomic_bool journal_away_said;

int log_target_parse(const char *text, enum log_target *target)
{
	static const char *const names[] = {
		[LOG_TARGET_AUTO] = "auto",
		[LOG_TARGET_JOURNAL] = "journal",
		[LOG_TARGET_CONSOLE] = "console",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(text, names[i])) {
			*target = (enum log_target)i;
			return 0;
		}
	}
	return -1;
}

/* Is stderr the stream systemd connected to the journal (JOURNAL_STREAM=dev:ino)? */
static bool stderr_is_journal(void)
{
	unsigned long long dev, ino;
	const char *env = getenv("JOURNAL_STREAM");
	struct stat st;

	if (!env || sscanf(env, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return st.st_dev == (dev_t)dev && st.st_ino == (ino_t)ino;
}

void log_open(const char *ident, enum log_target target)
{
	log_ident = ident;
	if (target == LOG_TARGET_AUTO) {
		if (stderr_is_journal())
			target = LOG_TARGET_JOURNAL;
		else if (isatty(STDERR_FILENO))
			target = LOG_TARGET_CONSOLE;
		else if (access(JOURNAL_SOCKET, W_OK) == 0)
			target = LOG_TARGET_JOURNAL;
		else
			target = LOG_TARGET_CONSOLE;
	}
	log_chosen = target;
	pthread_mutex_lock(&shared_lock);
	if (!shared_sink)
		shared_sink = log_sink_new();
	pthread_mutex_unlock(&shared_lock);
}

enum log_target log_target(void)
{
	return log_chosen;
}

/*
 * stderr without blocking and without changing the file description we
 * share with whoever started us (O_NONBLOCK on fd 2 would surprise a shell):
 * a pipe or terminal is opened afresh through /proc, a socket gets
 * MSG_DONTWAIT, a regular file never blocks anyway.
 */
static void console_open(struct log_sink *sink)
{
	struct stat st;

	sink->console_fd = -1;
	if (fstat(STDERR_FILENO, &st) < 0)
		return;
	if (S_ISSOCK(st.st_mode)) {
		sink->console_socket = true;
	} else if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
		sink->console_fd = open("/proc/self/fd/2",
			O_WRONLY | O_NONBLOCK | O_NOCTTY | O_APPEND | O_CLOEXEC);
		if (sink->console_fd >= 0)
			return;
		/*
		 * Not ours to reopen (another user's pipe, no /proc): a copy
		 * of the blocking fd, written only when poll() says a line
		 * fits (a line is at most PIPE_BUF bytes, so it does).
		 */
		sink->console_poll = true;
	}
	sink->console_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
}

struct log_sink *log_sink_new(void)
{
	struct log_sink *sink = calloc(1, sizeof(*sink));

	if (!sink)
		return NULL;
	sink->journal_fd = -1;
	console_open(sink);
	return sink;
}

void log_sink_free(struct log_sink *sink)
{
	if (!sink)
		return;
	if (sink->journal_fd >= 0)
		close(sink->journal_fd);
	if (sink->console_fd >= 0)
		close(sink->console_fd);
	free(sink);
}

/* Connect to journald's socket; 0, or -errno. */
static int journal_connect(struct log_sink *sink)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = JOURNAL_SOCKET };
	struct stat st;
	int fd, err;

	if (sink->journal_fd >= 0)
		close(sink->journal_fd);
	sink->journal_fd = -1;
	if (stat(JOURNAL_SOCKET, &st) < 0)
		return -errno;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = errno;
		close(fd);
		return -err;
	}
	sink->journal_fd = fd;
	sink->journal_dev = st.st_dev;
	sink->journal_ino = st.st_ino;
	sink->journal_check = clock_usec() + JOURNAL_RETRY_USEC;
	sink->journal_away = false;
	atomic_store(&journal_away_said, false);
	return 0;
}

/* One line on stderr: the message as it is, or LOG_SENT_BUSY/LOST. */
static enum log_sent console_send(struct log_sink *sink, const char *message)
{
	struct pollfd pfd = { .fd = sink->console_fd, .events = POLLOUT };
	char *line = sink->buf;
	size_t size = PIPE_BUF;	/* written at once, never interleaved */
	int n = snprintf(line, size, "%s: %s\n", log_ident, message);
	ssize_t w;

	if (n < 0)
		return LOG_SENT_LOST;
	if ((size_t)n >= size) {
		n = (int)size - 1;
		line[n - 1] = '\n';
	}
	if (sink->console_socket) {
		w = send(STDERR_FILENO, line, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
	} else if (sink->console_poll && poll(&pfd, 1, 0) != 1) {
		w = -1;
		errno = EAGAIN;
	} else {
		w = write(sink->console_fd, line, (size_t)n);
	}
	if (w >= 0)
		return LOG_SENT_CONSOLE;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
		sink->journal_busy = false;
		return LOG_SENT_BUSY;
	}
	return LOG_SENT_LOST;
}

/* Append one field in the native protocol; false when the record is full. */
static bool native_field(char *buf, size_t size, size_t *used, const char *name,
	const void *value, size_t len)
{
	size_t nlen = strlen(name), need = nlen + 1 + len + 1;
	bool binary = memchr(value, '\n', len) != NULL;
	char *p = buf + *used;
	uint64_t le;

	if (binary)
		need += sizeof(le);
	if (*used + need > size)
		return false;
	memcpy(p, name, nlen);
	p += nlen;
	if (binary) {
		*p++ = '\n';
		le = htole64((uint64_t)len);
		memcpy(p, &le, sizeof(le));
		p += sizeof(le);
	} else {
		*p++ = '=';
	}
	if (len)
		memcpy(p, value, len);
	p[len] = '\n';
	*used += need;
	return true;
}

static size_t native_encode(char *buf, size_t size, const struct log_record *rec)
{
	char prio[4];
	size_t used = 0, i;

	prio[0] = (char)('0' + (rec->priority & 7));
	native_field(buf, size, &used, "MESSAGE", rec->message, strlen(rec->message));
	native_field(buf, size, &used, "PRIORITY", prio, 1);
	native_field(buf, size, &used, "SYSLOG_IDENTIFIER", log_ident, strlen(log_ident));
	if (rec->msgid)
		native_field(buf, size, &used, "MESSAGE_ID", rec->msgid, strlen(rec->msgid));
	for (i = 0; i < rec->nfields; i++)
		native_field(buf, size, &used, rec->field[i].name, rec->field[i].value,
			rec->field[i].len);
	return used;
}

/* journald went away: say so once on stderr, and try again in a second. */
static void journal_lost(struct log_sink *sink, int err)
{
	char notice[256];

	if (sink->journal_fd >= 0)
		close(sink->journal_fd);
	sink->journal_fd = -1;
	sink->journal_retry = clock_usec() + JOURNAL_RETRY_USEC;
	if (sink->journal_away)
		return;
	sink->journal_away = true;
	/* One notice for the process, not one per sink. */
	if (atomic_exchange(&journal_away_said, true))
		return;
	snprintf(notice, sizeof(notice),
		"journal not reachable (%s): writing records to stderr until it is back",
		strerror(err));
	console_send(sink, notice);
}

/*
 * Once a second, see whether the socket file we are connected to is still
 * journald's: removed means journald is away (stderr until it is back); a
 * new one means a new journald (connect to it).
 */
static void journal_check(struct log_sink *sink, uint64_t now)
{
	struct stat st;
	int rc;

	if (now < sink->journal_check)
		return;
	sink->journal_check = now + JOURNAL_RETRY_USEC;
	if (stat(JOURNAL_SOCKET, &st) < 0)
		journal_lost(sink, errno);
	else if (st.st_ino != sink->journal_ino || st.st_dev != sink->journal_dev)
		if ((rc = journal_connect(sink)) < 0)
			journal_lost(sink, -rc);
}

static bool journal_gone(int err)
{
	return err == ENOENT || err == ECONNREFUSED || err == ENOTCONN || err == EPIPE ||
	       err == ECONNRESET;
}

enum log_sent log_sink_send(struct log_sink *sink, const struct log_record *rec)
{
	uint64_t now;
	size_t len;
	int rc, tries;

	if (log_chosen != LOG_TARGET_JOURNAL)
		return console_send(sink, rec->message);
	now = clock_usec();
	if (sink->journal_fd >= 0)
		journal_check(sink, now);
	else if (now >= sink->journal_retry && (rc = journal_connect(sink)) < 0)
		journal_lost(sink, -rc);
	len = sink->journal_fd >= 0 ? native_encode(sink->buf, sizeof(sink->buf), rec) : 0;
	/* A connection to a journald that went: one new connection, then stderr. */
	for (tries = 0; sink->journal_fd >= 0 && tries < 2; tries++) {
		if (send(sink->journal_fd, sink->buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
			return LOG_SENT_JOURNAL;
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
			sink->journal_busy = true;
			return LOG_SENT_BUSY;
		}
		if (!journal_gone(errno))
			break; /* this record goes to stderr rather than nowhere */
		rc = errno;
		if (tries == 0 && journal_connect(sink) == 0)
			continue;
		journal_lost(sink, rc);
	}
	return console_send(sink, rec->message);
}

int log_sink_fd(const struct log_sink *sink)
{
	if (sink->journal_busy && sink->journal_fd >= 0)
		return sink->journal_fd;
	return sink->console_socket ? STDERR_FILENO : sink->console_fd;
}

bool log_sink_journal_busy(const struct log_sink *sink)
{
	return sink->journal_busy;
}

void log_field_printf(struct log_record *rec, const char *name, char *buf, size_t size,
	const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	log_field_bytes(rec, name, buf, n < 0 ? 0 : (size_t)n >= size ? size - 1 : (size_t)n);
}

void log_field_bytes(struct log_record *rec, const char *name, const void *value, size_t len)
{
	if (rec->nfields == LOG_FIELDS_MAX)
		return;
	rec->field[rec->nfields++] = (struct log_field){ name, value, len };
}

enum log_sent log_send(const struct log_record *rec, int wait_ms)
{
	struct pollfd pfd = { .events = POLLOUT };
	uint64_t deadline = clock_usec() + (uint64_t)wait_ms * 1000;
	enum log_sent sent = LOG_SENT_LOST;
	bool journal;

	pthread_mutex_lock(&shared_lock);
	if (!shared_sink) {
		/* Before log_open(), or out of memory: plain stderr. */
		fprintf(stderr, "%s: %s\n", log_ident, rec->message);
		pthread_mutex_unlock(&shared_lock);
		return LOG_SENT_CONSOLE;
	}
	for (;;) {
		sent = log_sink_send(shared_sink, rec);
		if (sent != LOG_SENT_BUSY)
			break;
		if (wait_ms < 0) {
			pthread_mutex_unlock(&shared_lock);
			return sent;
		}
		journal = log_sink_journal_busy(shared_sink);
		pfd.fd = log_sink_fd(shared_sink);
		if (clock_usec() >= deadline || pfd.fd < 0) {
			sent = journal ? console_send(shared_sink, rec->message) : LOG_SENT_LOST;
			break;
		}
		/* Others (a worker's log_write_nowait) must not wait for this wait. */
		pthread_mutex_unlock(&shared_lock);
		poll(&pfd, 1, (int)((deadline - clock_usec()) / 1000) + 1);
		pthread_mutex_lock(&shared_lock);
	}
	if (sent == LOG_SENT_LOST || sent == LOG_SENT_BUSY) {
		sent = LOG_SENT_LOST;
		shared_lost++;
	}
	pthread_mutex_unlock(&shared_lock);
	return sent;
}

/* How long a daemon message may wait for a busy journal before it takes stderr. */
#define LOG_WRITE_WAIT_MS 100

static void log_vwrite(int wait_ms, int priority, int errnum, const char *msgid,
	const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

static void log_vwrite(int wait_ms, int priority, int errnum, const char *msgid,
	const char *fmt, va_list ap)
{
	struct log_record rec = { .priority = priority, .msgid = msgid };
	char message[LOG_LINE_MAX];
	size_t len;

	vsnprintf(message, sizeof(message), fmt, ap);
	if (errnum > 0) {
		len = strlen(message);
		snprintf(message + len, sizeof(message) - len, ": %s", strerror(errnum));
	}
	rec.message = message;
	log_send(&rec, wait_ms);
}

void log_write(int priority, int errnum, const char *msgid, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WRITE_WAIT_MS, priority, errnum, msgid, fmt, ap);
	va_end(ap);
}

void log_write_nowait(int priority, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(0, priority, errnum, NULL, fmt, ap);
	va_end(ap);
}

void log_close(void)
{
	pthread_mutex_lock(&shared_lock);
	log_sink_free(shared_sink);
	shared_sink = NULL;
	pthread_mutex_unlock(&shared_lock);
}

uint64_t log_lost(void)
{
	uint64_t lost;

	pthread_mutex_lock(&shared_lock);
	lost = shared_lost;
	pthread_mutex_unlock(&shared_lock);
	return lost;
}
