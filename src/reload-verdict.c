/* reload-verdict.c - the reload verdict file, written by the daemon, read by the helper */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reload-verdict.h"

static const char *const state_name[] = {
	[RELOAD_OK] = "ok",
	[RELOAD_FAILED] = "failed",
	[RELOAD_RUNNING] = "reloading",
};

bool reload_verdict_dir(char *buf, size_t size)
{
	const char *dirs = getenv("RUNTIME_DIRECTORY");
	size_t len;

	if (!dirs)
		return false;
	/* systemd joins several RuntimeDirectory= entries with ':'. */
	len = strcspn(dirs, ":");
	if (len == 0 || len >= size)
		return false;
	memcpy(buf, dirs, len);
	buf[len] = '\0';
	return true;
}

static int file_path(char *buf, size_t size, const char *dir, const char *suffix)
{
	int n = snprintf(buf, size, "%s/%s%s", dir, RELOAD_VERDICT_FILE, suffix);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int reload_verdict_write(const char *dir, uint64_t seq, enum reload_state state,
	const char *message)
{
	char path[4096], tmp[4096], line[RELOAD_VERDICT_MESSAGE_MAX + 64], *p;
	int fd, r, n;

	r = file_path(path, sizeof(path), dir, "");
	if (r == 0)
		r = file_path(tmp, sizeof(tmp), dir, ".tmp");
	if (r < 0)
		return r;
	n = snprintf(line, sizeof(line), "%" PRIu64 " %ld %s %.*s", seq, (long)getpid(),
		state_name[state], RELOAD_VERDICT_MESSAGE_MAX - 1, message);
	if (n < 0)
		return -EINVAL;
	/* One line, whatever the message held. */
	for (p = line; *p; p++)
		if (*p == '\n')
			*p = ' ';
	if ((size_t)n >= sizeof(line) - 1)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	r = write_all(fd, line, (size_t)n);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

int reload_verdict_read(const char *dir, struct reload_verdict *v)
{
	char path[4096], buf[RELOAD_VERDICT_MESSAGE_MAX + 64], state[16];
	unsigned long long seq;
	size_t len = 0, i;
	ssize_t n;
	long pid;
	int fd, r, at = -1;

	r = file_path(path, sizeof(path), dir, "");
	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len < sizeof(buf) - 1) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : 0;
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	if (r < 0)
		return r;
	buf[len] = '\0';
	if (len == 0 || buf[len - 1] != '\n')
		return -EBADMSG;
	buf[len - 1] = '\0';
	if (sscanf(buf, "%llu %ld %15s %n", &seq, &pid, state, &at) != 3 || at < 0 || pid <= 0)
		return -EBADMSG;
	for (i = 0; i < sizeof(state_name) / sizeof(state_name[0]); i++)
		if (strcmp(state, state_name[i]) == 0)
			break;
	if (i == sizeof(state_name) / sizeof(state_name[0]))
		return -EBADMSG;
	v->seq = seq;
	v->pid = (pid_t)pid;
	v->state = (enum reload_state)i;
	snprintf(v->message, sizeof(v->message), "%s", buf + at);
	return 0;
}
