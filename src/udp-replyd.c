/* udp-replyd - answer every UDP datagram with the configured reply */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "endpoint.h"
#include "escape.h"
#include "generation.h"
#include "log.h"
#include "server.h"
#include "workers.h"

#define DEFAULT_CONFIG SYSCONFDIR "/udp-replyd.conf"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: udp-replyd [OPTIONS]\n"
		"Answer every UDP datagram with the configured reply.\n\n"
		"  -c, --config FILE         configuration file (default %s)\n"
		"  -t, --check-config        check the configuration, print it and exit\n"
		"      --listen [ADDR:]PORT  serve one service there (ADDR:PORT, [ADDR6]:PORT)\n"
		"      --reply TEXT          its reply\n"
		"      --set KEY=VALUE       any setting, in the file's syntax (repeatable)\n"
		"      --log-target=TARGET   auto, journal or console (default auto)\n"
		"  -h, --help                show this help and exit\n"
		"  -V, --version             show the version and exit\n\n"
		"Settings on the command line override the file's; without -c, a missing\n"
		"%s is no error when there are some.\n"
		"Signals: SIGHUP reloads the configuration, SIGTERM and SIGINT stop.\n",
		DEFAULT_CONFIG,
		DEFAULT_CONFIG);
}

/* Like nginx -t: a name that does not resolve fails the check. */
static int check_config(struct config *cfg)
{
	struct endpoint ep[ENDPOINTS_MAX];
	char err[CONFIG_ERROR_MAX];

	if (endpoint_resolve_all(cfg, ep, ENDPOINTS_MAX, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		config_free(cfg);
		return EX_CONFIG;
	}
	config_print(stdout, cfg);
	config_free(cfg);
	return fflush(stdout) == 0 ? EX_OK : EX_IOERR;
}

/* The first generation: systemd's sockets, or our own; then serve it. */
static int serve(struct config *cfg)
{
	char err[CONFIG_ERROR_MAX];
	struct listeners *ls;
	struct generation *gen;
	unsigned workers;
	int rc;

	rc = listeners_activated(&ls);
	if (rc != 0) {
		config_free(cfg);
		return rc;
	}
	workers = workers_wanted(cfg);
	if (ls && ls->nworkers != workers)
		log_notice("%s wants %u workers, but systemd passed %u socket%s per address: "
			   "serving with %u (after changing workers: systemctl daemon-reload "
			   "&& systemctl restart udp-replyd.socket)", cfg->path, workers,
			ls->nworkers, ls->nworkers == 1 ? "" : "s", ls->nworkers);
	if (ls)
		workers = ls->nworkers;
	rc = generation_build(cfg, ls, NULL, workers, &gen, err, sizeof(err));
	if (rc == EX_CONFIG) {
		/* An address that does not resolve: FILE:LINE as config_load()'s errors. */
		fprintf(stderr, "%s\n", err);
		return rc;
	}
	if (rc != 0) {
		log_errx("%s", err);
		return rc;
	}
	rc = server_run(gen, workers);
	log_close();
	return rc;
}

/*
 * --listen [ADDR:]PORT as settings: "127.0.0.1:20002", "[::1]:20002",
 * "20002" (the port alone). False when it is none of these.
 */
static bool add_listen(FILE *set, const char *arg)
{
	const char *colon = strrchr(arg, ':'), *port = colon ? colon + 1 : arg;
	const char *host = arg;
	size_t hostlen = colon ? (size_t)(colon - arg) : 0;
	char *end;
	unsigned long v;

	if (hostlen >= 2 && arg[0] == '[' && arg[hostlen - 1] == ']') {
		host++;
		hostlen -= 2;
	} else if (colon && memchr(arg, ':', hostlen)) {
		return false;	/* a bare IPv6 address: [ADDR6]:PORT */
	}
	errno = 0;
	v = strtoul(port, &end, 10);
	if (!*port || *end || errno || v < 1 || v > 65535 || *port == '-' || *port == '+')
		return false;
	if (colon && hostlen == 0)
		return false;
	if (memchr(host, '"', hostlen) || memchr(host, '\\', hostlen))
		return false;
	if (hostlen)
		fprintf(set, "address = \"%.*s\";\n", (int)hostlen, host);
	fprintf(set, "port = %lu;\n", v);
	return true;
}

/* --reply TEXT as a setting: the text in the file's string syntax. */
static void add_reply(FILE *set, const char *text)
{
	char piece[1024];
	size_t len = strlen(text), done = 0;

	fputs("reply = \"", set);
	while (done < len) {
		done += escape_text(piece, sizeof(piece), (const unsigned char *)text + done,
			len - done);
		fputs(piece, set);
	}
	fputs("\";\n", set);
}

/* --set KEY=VALUE as "KEY = VALUE;". False without a KEY. */
static bool add_set(FILE *set, const char *arg)
{
	const char *eq = strchr(arg, '=');
	size_t i, key;

	if (!eq)
		return false;
	for (key = (size_t)(eq - arg); key > 0 && arg[key - 1] == ' '; key--)
		;
	if (key == 0)
		return false;
	for (i = 0; i < key; i++)
		if (!(arg[i] == '_' || (arg[i] >= 'a' && arg[i] <= 'z') ||
		      (arg[i] >= 'A' && arg[i] <= 'Z') || (i && arg[i] >= '0' && arg[i] <= '9')))
			return false;
	fprintf(set, "%.*s = %s;\n", (int)key, arg, eq + 1);
	return true;
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 't' },
		{ "log-target", required_argument, NULL, 'L' },
		{ "listen", required_argument, NULL, 'l' },
		{ "reply", required_argument, NULL, 'r' },
		{ "set", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	enum log_target target = LOG_TARGET_AUTO;
	const char *path = DEFAULT_CONFIG;
	char err[CONFIG_ERROR_MAX], *settings = NULL;
	size_t settings_len = 0;
	struct config *cfg;
	int opt, check = 0, rc, given_path = 0;
	FILE *set = open_memstream(&settings, &settings_len);

	if (!set) {
		perror("udp-replyd");
		return EX_OSERR;
	}

	while ((opt = getopt_long(argc, argv, "c:thV", options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			given_path = 1;
			break;
		case 'l':
			if (!add_listen(set, optarg)) {
				fprintf(stderr, "udp-replyd: --listen: \"%s\": use ADDR:PORT, "
					"[ADDR6]:PORT or PORT\n", optarg);
				rc = EX_USAGE;
				goto done;
			}
			break;
		case 'r':
			add_reply(set, optarg);
			break;
		case 's':
			if (!add_set(set, optarg)) {
				fprintf(stderr, "udp-replyd: --set: \"%s\": use KEY=VALUE, as "
					"in the file: --set port=20002 --set 'reply=\"hi\"'\n", optarg);
				rc = EX_USAGE;
				goto done;
			}
			break;
		case 't':
			check = 1;
			break;
		case 'L':
			if (log_target_parse(optarg, &target) < 0) {
				fprintf(stderr, "udp-replyd: --log-target: \"%s\": use auto, journal or console\n",
					optarg);
				rc = EX_USAGE;
				goto done;
			}
			break;
		case 'h':
			usage(stdout);
			rc = EX_OK;
			goto done;
		case 'V':
			puts(PACKAGE_STRING);
			rc = EX_OK;
			goto done;
		default:
			usage(stderr);
			rc = EX_USAGE;
			goto done;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "udp-replyd: unexpected argument \"%s\"\n", argv[optind]);
		rc = EX_USAGE;
		goto done;
	}
	rc = fclose(set);
	set = NULL;
	if (rc != 0) {
		perror("udp-replyd");
		free(settings);
		return EX_OSERR;
	}
	if (!settings_len) {
		free(settings);
		settings = NULL;
	} else if (!given_path && access(path, F_OK) < 0 && errno == ENOENT) {
		path = NULL;	/* a try-out on a host without the file */
	}
	log_open("udp-replyd", target);
	rc = config_load_set(path, settings, &cfg, err, sizeof(err));
	free(settings);
	if (rc < 0) {
		fprintf(stderr, "%s\n", err);
		return rc == -ENOMEM ? EX_OSERR : EX_CONFIG;
	}
	if (check)
		return check_config(cfg);
	return serve(cfg);
done:
	fclose(set);
	free(settings);
	return rc;
}
