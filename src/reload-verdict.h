/*
 * reload-verdict.h - how the last reload went, in a file that
 * udp-replyd-reload waits on
 *
 * systemd 252 fails a reload job only by ExecReload='s exit code, and does
 * not wait for READY=1 after SIGHUP; so the helper that ExecReload= runs
 * signals the daemon and waits for its verdict here. The daemon writes
 * $RUNTIME_DIRECTORY/reload (its first entry; nothing without it), one line:
 *
 *	SEQ PID STATE MESSAGE
 *
 * SEQ counts the reloads begun (0 at start), PID is the daemon's, STATE is
 * "ok", "failed" or "reloading" (written as a reload begins, before the file
 * is read). Each version is written to a temporary file and renamed over
 * the last, so a reader sees one whole version or the one before it.
 */
#ifndef UDP_REPLYD_RELOAD_VERDICT_H
#define UDP_REPLYD_RELOAD_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RELOAD_VERDICT_FILE "reload"
/* The longest MESSAGE kept; longer ones are cut. */
#define RELOAD_VERDICT_MESSAGE_MAX 2048

enum reload_state {
	RELOAD_OK,
	RELOAD_FAILED,
	RELOAD_RUNNING,
};

struct reload_verdict {
	uint64_t seq;
	pid_t pid;
	enum reload_state state;
	char message[RELOAD_VERDICT_MESSAGE_MAX];
};

/* The first directory of $RUNTIME_DIRECTORY into buf; false when there is none. */
bool reload_verdict_dir(char *buf, size_t size);
/* Write our own verdict (pid = getpid()) into dir; 0 or -errno. */
int reload_verdict_write(const char *dir, uint64_t seq, enum reload_state state,
	const char *message);
/* Read dir's verdict; 0, -errno, or -EBADMSG when it is not one. */
int reload_verdict_read(const char *dir, struct reload_verdict *v);

#endif
