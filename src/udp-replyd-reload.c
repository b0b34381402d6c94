/*
 * udp-replyd-reload - reload udp-replyd and wait for its verdict
 *
 * systemd 252 fails "systemctl reload" only when ExecReload= exits
 * non-zero, and does not wait for the daemon's READY=1 after SIGHUP. This
 * runs as ExecReload=: it sends SIGHUP and waits, bounded, until the daemon
 * says in $RUNTIME_DIRECTORY/reload how the reload went (reload-verdict.h).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "clock.h"
#include "reload-verdict.h"

/* The reload itself waits at most 2 s for the workers; the rest is the file. */
#define DEFAULT_TIMEOUT 20.0
#define POLL_NSEC 10000000L

enum exit_code {
	EXIT_RELOADED = 0,
	EXIT_REJECTED = 1,	/* the daemon kept its old configuration */
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: udp-replyd-reload [OPTIONS] PID\n"
		"Reload udp-replyd (process PID) with SIGHUP and wait for its verdict.\n\n"
		"  -d, --directory DIR     where the daemon writes it (default $RUNTIME_DIRECTORY)\n"
		"  -t, --timeout SECONDS   how long to wait for it (default %.0f)\n"
		"  -q, --quiet             print nothing when the reload succeeded\n"
		"  -h, --help              show this help and exit\n"
		"  -V, --version           show the version and exit\n\n"
		"Exit status: 0 reloaded, 1 the daemon kept its old configuration (why is on\n"
		"stderr), 64 usage, 69 no such daemon or no verdict from it, 75 no verdict in\n"
		"time, 77 not allowed to signal PID.\n",
		DEFAULT_TIMEOUT);
}

static void __attribute__((format(printf, 1, 2))) complain(const char *fmt, ...)
{
	va_list ap;

	fputs("udp-replyd-reload: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int parse_pid(const char *text, pid_t *pid)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || end == text || *end || v <= 0 || v != (pid_t)v)
		return -1;
	*pid = (pid_t)v;
	return 0;
}

/* Read the verdict; a message and EX_UNAVAILABLE when there is none from pid. */
static int read_verdict(const char *dir, pid_t pid, struct reload_verdict *v)
{
	int r = reload_verdict_read(dir, v);

	if (r == -ENOENT) {
		complain("%s/%s: no such file: is udp-replyd %ld running with "
		      "RUNTIME_DIRECTORY=%s?", dir, RELOAD_VERDICT_FILE, (long)pid, dir);
		return EX_UNAVAILABLE;
	}
	if (r < 0) {
		complain("%s/%s: %s", dir, RELOAD_VERDICT_FILE, strerror(-r));
		return EX_UNAVAILABLE;
	}
	if (v->pid != pid) {
		complain("%s/%s is process %ld's, not %ld's", dir, RELOAD_VERDICT_FILE,
		      (long)v->pid, (long)pid);
		return EX_UNAVAILABLE;
	}
	return 0;
}

/*
 * Until a reload numbered after seen has finished. One that began after
 * seen was read also read the file after the caller's edits; SIGHUPs that
 * come together (another reload, a "kill -HUP") may share one reload.
 */
static int wait_verdict(const char *dir, pid_t pid, uint64_t seen, double timeout, bool quiet)
{
	uint64_t deadline = clock_usec() + (uint64_t)(timeout * 1e6);
	const struct timespec pause = { 0, POLL_NSEC };
	struct reload_verdict v;
	int rc;

	for (;;) {
		rc = read_verdict(dir, pid, &v);
		if (rc)
			return rc;
		if (v.seq > seen && v.state != RELOAD_RUNNING)
			break;
		if (kill(pid, 0) < 0 && errno == ESRCH) {
			complain("process %ld exited during the reload", (long)pid);
			return EX_UNAVAILABLE;
		}
		if (clock_usec() >= deadline) {
			complain("no verdict from process %ld within %g s (the reload may still "
			      "finish: see its log)", (long)pid, timeout);
			return EX_TEMPFAIL;
		}
		nanosleep(&pause, NULL);
	}
	if (v.state == RELOAD_FAILED) {
		fprintf(stderr, "%s\n", v.message);
		return EXIT_REJECTED;
	}
	if (!quiet)
		printf("%s\n", v.message);
	return fflush(stdout) == 0 ? EXIT_RELOADED : EX_IOERR;
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "directory", required_argument, NULL, 'd' },
		{ "timeout", required_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char dirbuf[4096], *end;
	const char *dir = NULL;
	double timeout = DEFAULT_TIMEOUT;
	struct reload_verdict v;
	bool quiet = false;
	pid_t pid;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "+d:t:qhV", options, NULL)) != -1) {
		switch (opt) {
		case 'd':
			dir = optarg;
			break;
		case 't':
			errno = 0;
			timeout = strtod(optarg, &end);
			if (errno || end == optarg || *end || !isfinite(timeout) || timeout <= 0 ||
			    timeout > 3600) {
				complain("--timeout: \"%s\": use seconds, more than 0 and at most 3600",
				      optarg);
				return EX_USAGE;
			}
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		case 'V':
			puts(PACKAGE_STRING);
			return EX_OK;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (argc - optind != 1 || parse_pid(argv[optind], &pid) < 0) {
		if (argc - optind == 1)
			complain("\"%s\" is not a process id", argv[optind]);
		usage(stderr);
		return EX_USAGE;
	}
	if (!dir) {
		if (!reload_verdict_dir(dirbuf, sizeof(dirbuf))) {
			complain("no directory: give -d DIR, or set RUNTIME_DIRECTORY as systemd "
			      "does (RuntimeDirectory=)");
			return EX_USAGE;
		}
		dir = dirbuf;
	}
	/* The reload number before our signal: what we wait to see pass. */
	rc = read_verdict(dir, pid, &v);
	if (rc)
		return rc;
	if (kill(pid, SIGHUP) < 0) {
		rc = errno;
		complain("cannot signal process %ld: %s", (long)pid, strerror(rc));
		return rc == EPERM ? EX_NOPERM : EX_UNAVAILABLE;
	}
	return wait_verdict(dir, pid, v.seq, timeout, quiet);
}
