/*
 * replay.c - runs a libFuzzer harness without libFuzzer: its seeds and
 * reproducers, once each, in `make check` (tests/Makefile.am links it with
 * one harness as replay_<name>).
 *
 * usage: replay_NAME [PATH...]
 *   Calls LLVMFuzzerInitialize() (when the harness has one), then
 *   LLVMFuzzerTestOneInput() on each PATH that is a file and on every file
 *   of each PATH that is a directory (in name order, not recursing, not
 *   names starting with "."). Without PATH, the harness's own inputs:
 *   SRCDIR/fuzz/corpus/NAME/ and the files SRCDIR/fuzz/repro/NAME-* (NAME
 *   and SRCDIR from the build: REPLAY_HARNESS, SRCDIR).
 *
 * A broken invariant aborts (the harness's CHECK), as under libFuzzer; the
 * name of the input being run is printed before it runs. Exits 0 after
 * "replayed N inputs", 1 if an input could not be read or there was none.
 *
 * Known upstream leaks (tests/fuzz/repro/README, "STILL UPSTREAM"): the
 * leak is suppressed for LeakSanitizer as run.sh's lsan.supp does, and
 * under valgrind (UDP_REPLYD_VALGRIND=1, see valgrind-wrap) such an input
 * is skipped, with a line saying so: valgrind cannot be told from here.
 */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef REPLAY_HARNESS
#error "REPLAY_HARNESS: the harness's name, e.g. \"fuzz_policy\""
#endif
#ifndef SRCDIR
#define SRCDIR "."
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Weak: a harness without one leaves it NULL. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
const char *__lsan_default_suppressions(void);

/* libconfig 1.5 leaks the string token being scanned before a syntax error. */
static const char *const upstream_leaks[] = {
	"fuzz_config-libconfig-leak.conf",
};

const char *__lsan_default_suppressions(void)
{
	return "leak:strbuf_append\nleak:libconfig_yylex\n";
}

static unsigned long replayed, skipped;

static int replay_file(const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	const char *vg = getenv("UDP_REPLYD_VALGRIND");
	unsigned char *buf = NULL;
	size_t len = 0, cap = 0, n;
	FILE *f;
	size_t i;

	if (vg && strcmp(vg, "1") == 0)
		for (i = 0; i < sizeof(upstream_leaks) / sizeof(upstream_leaks[0]); i++)
			if (strcmp(base, upstream_leaks[i]) == 0) {
				printf("skip %s: leaks in libconfig 1.5 (repro/README), not under valgrind\n",
					path);
				skipped++;
				return 0;
			}
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (len == cap) {
			unsigned char *nb;

			cap = cap ? cap * 2 : 4096;
			nb = realloc(buf, cap);
			if (!nb) {
				fprintf(stderr, "replay: %s: out of memory\n", path);
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	printf("%s (%zu bytes)\n", path, len);
	fflush(stdout);
	/* An exact copy, so that ASan sees a read past the input as libFuzzer would. */
	{
		unsigned char *exact = malloc(len ? len : 1);

		if (len)
			memcpy(exact, buf, len);
		free(buf);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	replayed++;
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Every file of dir whose name starts with prefix (and not with "."). */
static int replay_dir(const char *dir, const char *prefix)
{
	struct dirent **ents;
	int n, i, rc = 0;

	n = scandir(dir, &ents, NULL, by_name);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		struct stat st;
		size_t plen = strlen(dir) + strlen(name) + 2;
		char *path = malloc(plen);

		snprintf(path, plen, "%s/%s", dir, name);
		if (name[0] != '.' && strncmp(name, prefix, strlen(prefix)) == 0 &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode) && replay_file(path) < 0)
			rc = -1;
		free(path);
		free(ents[i]);
	}
	free(ents);
	return rc;
}

static int replay_path(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return S_ISDIR(st.st_mode) ? replay_dir(path, "") : replay_file(path);
}

int main(int argc, char **argv)
{
	int i, rc = 0;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	if (argc > 1) {
		for (i = 1; i < argc; i++)
			if (replay_path(argv[i]) < 0)
				rc = 1;
	} else {
		if (replay_dir(SRCDIR "/fuzz/corpus/" REPLAY_HARNESS, "") < 0 ||
		    replay_dir(SRCDIR "/fuzz/repro", REPLAY_HARNESS "-") < 0)
			rc = 1;
	}
	printf("%s: replayed %lu inputs", REPLAY_HARNESS, replayed);
	if (skipped)
		printf(", skipped %lu", skipped);
	printf("\n");
	if (replayed == 0) {
		fprintf(stderr, "replay: no input found\n");
		rc = 1;
	}
	return rc;
}
