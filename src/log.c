/* log.c - the one logging API: journal with structured fields, or stderr */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "log.h"
#include "netaddr.h"

#define LOG_LINE_MAX 2048

/* Set once at start-up, before any record is written. */
static enum log_target log_target = LOG_TARGET_CONSOLE;
static const char *log_ident = "udp-replyd";

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
		else if (access("/run/systemd/journal/socket", W_OK) == 0)
			target = LOG_TARGET_JOURNAL;
		else
			target = LOG_TARGET_CONSOLE;
	}
	log_target = target;
}

/* One line on stderr, written at once so concurrent writers do not interleave. */
static void console_write(const char *message)
{
	char line[LOG_LINE_MAX + 64];
	int n = snprintf(line, sizeof(line), "%s: %s\n", log_ident, message);

	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* Nowhere left to report it. */
	}
}

/* Point iov at buf, filled with the printf-style field "NAME=value". */
__attribute__((format(printf, 4, 5)))
static void iov_printf(struct iovec *iov, char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	iov->iov_base = buf;
	iov->iov_len = n < 0 ? 0 : (size_t)n >= size ? size - 1 : (size_t)n;
}

/*
 * Send the record; the first three iovecs are filled here with MESSAGE,
 * PRIORITY and SYSLOG_IDENTIFIER. If the journal cannot be reached the
 * message goes to stderr, so nothing is lost silently.
 */
static void record_send(struct iovec *iov, int n, int priority, const char *message)
{
	char msg[LOG_LINE_MAX + 16], prio[16], ident[64];

	if (log_target == LOG_TARGET_JOURNAL) {
		iov_printf(&iov[0], msg, sizeof(msg), "MESSAGE=%s", message);
		iov_printf(&iov[1], prio, sizeof(prio), "PRIORITY=%d", priority);
		iov_printf(&iov[2], ident, sizeof(ident), "SYSLOG_IDENTIFIER=%s", log_ident);
		if (sd_journal_sendv(iov, n) >= 0)
			return;
	}
	console_write(message);
}

void log_write(int priority, int errnum, const char *msgid, const char *fmt, ...)
{
	char message[LOG_LINE_MAX], id[64];
	struct iovec iov[4];
	int n = 3;
	size_t len;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	if (errnum > 0) {
		len = strlen(message);
		snprintf(message + len, sizeof(message) - len, ": %s", strerror(errnum));
	}
	if (msgid)
		iov_printf(&iov[n++], id, sizeof(id), "MESSAGE_ID=%s", msgid);
	record_send(iov, n, priority, message);
}

/*
 * Length of the valid, printable UTF-8 sequence at p (a multi-byte one), or 0
 * if it is invalid, overlong, a surrogate, beyond U+10FFFF or a C1 control.
 */
static size_t utf8_printable(const unsigned char *p, size_t len)
{
	size_t n, i;
	uint32_t cp;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp < 0xa0)
		return 0;
	/* Line separators and bidi controls could break or reorder a log line. */
	if (cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069))
		return 0;
	return n;
}

size_t log_escape(char *buf, size_t size, const unsigned char *data, size_t len)
{
	size_t in = 0, out = 0, n;
	char piece[5];
	const char *src;

	if (size == 0)
		return 0;
	while (in < len) {
		unsigned char c = data[in];

		src = piece;
		n = 2;
		piece[0] = '\\';
		if (c == '\\' || c == '"') {
			piece[1] = (char)c;
		} else if (c == '\n') {
			piece[1] = 'n';
		} else if (c == '\t') {
			piece[1] = 't';
		} else if (c == '\r') {
			piece[1] = 'r';
		} else if (c >= 0x20 && c < 0x7f) {
			src = (const char *)&data[in];
			n = 1;
		} else if (c >= 0x80 && (n = utf8_printable(&data[in], len - in)) > 0) {
			src = (const char *)&data[in];
		} else {
			snprintf(piece, sizeof(piece), "\\x%02x", c);
			n = 4;
		}
		if (out + n >= size)
			break;
		memcpy(buf + out, src, n);
		out += n;
		in += src == piece ? 1 : n;
	}
	buf[out] = '\0';
	return in;
}

void log_format_datagram(char *buf, size_t size, const struct datagram *dg)
{
	char remote[NETADDR_STRLEN], local[NETADDR_STRLEN + 4] = "", trunc[48] = "";
	char payload[LOG_PAYLOAD_MESSAGE_MAX * 4 + 1];
	size_t shown = dg->len < LOG_PAYLOAD_MESSAGE_MAX ? dg->len : LOG_PAYLOAD_MESSAGE_MAX;
	size_t used;

	used = log_escape(payload, sizeof(payload), dg->payload, shown);
	netaddr_format(dg->remote, remote, sizeof(remote));
	if (dg->local) {
		memcpy(local, " to ", 4);
		netaddr_format(dg->local, local + 4, sizeof(local) - 4);
	}
	if (dg->len < dg->size)
		snprintf(trunc, sizeof(trunc), " (truncated to %zu)", dg->len);
	snprintf(buf, size, "%zu byte%s%s from %s%s: \"%s\"%s", dg->size, dg->size == 1 ? "" : "s",
		trunc, remote, local, payload, used < dg->len ? "..." : "");
}

void log_datagram(const struct datagram *dg)
{
	static const char field[] = "UDP_PAYLOAD=";
	char message[LOG_LINE_MAX], raddr[NETADDR_STRLEN + 20], rport[32], laddr[NETADDR_STRLEN + 20];
	char lport[32], size[32], trunc[32];
	unsigned char payload[sizeof(field) - 1 + LOG_PAYLOAD_FIELD_MAX];
	size_t plen = dg->len < LOG_PAYLOAD_FIELD_MAX ? dg->len : LOG_PAYLOAD_FIELD_MAX;
	bool truncated = dg->len < dg->size;
	struct iovec iov[12];
	int n = 3;

	log_format_datagram(message, sizeof(message), dg);
	if (log_target != LOG_TARGET_JOURNAL) {
		console_write(message);
		return;
	}
	iov[n].iov_base = (void *)(uintptr_t)"MESSAGE_ID=" MSGID_DATAGRAM;
	iov[n++].iov_len = sizeof("MESSAGE_ID=" MSGID_DATAGRAM) - 1;
	memcpy(raddr, "UDP_REMOTE_ADDR=", 16);
	netaddr_host(dg->remote, raddr + 16, sizeof(raddr) - 16);
	iov[n].iov_base = raddr;
	iov[n++].iov_len = strlen(raddr);
	iov_printf(&iov[n++], rport, sizeof(rport), "UDP_REMOTE_PORT=%u", netaddr_port(dg->remote));
	if (dg->local) {
		memcpy(laddr, "UDP_LOCAL_ADDR=", 15);
		netaddr_host(dg->local, laddr + 15, sizeof(laddr) - 15);
		iov[n].iov_base = laddr;
		iov[n++].iov_len = strlen(laddr);
		iov_printf(&iov[n++], lport, sizeof(lport), "UDP_LOCAL_PORT=%u", netaddr_port(dg->local));
	}
	iov_printf(&iov[n++], size, sizeof(size), "UDP_SIZE=%zu", dg->size);
	iov_printf(&iov[n++], trunc, sizeof(trunc), "UDP_TRUNCATED=%d", truncated);
	memcpy(payload, field, sizeof(field) - 1);
	if (plen)
		memcpy(payload + sizeof(field) - 1, dg->payload, plen);
	iov[n].iov_base = payload;
	iov[n++].iov_len = sizeof(field) - 1 + plen;
	record_send(iov, n, truncated ? LOG_NOTICE : LOG_INFO, message);
}
