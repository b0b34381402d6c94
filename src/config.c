/* config.c - /etc/udp-replyd.conf into a validated, immutable struct config */
#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "log.h"
#include "netaddr.h"

struct loader {
	const char *path;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 3, 4)))
static int fail(const struct loader *ld, int line, const char *fmt, ...)
{
	size_t n;
	va_list ap;

	if (ld->errlen == 0)
		return -1;
	snprintf(ld->err, ld->errlen, "%s:%d: ", ld->path, line);
	n = strlen(ld->err);
	va_start(ap, fmt);
	vsnprintf(ld->err + n, ld->errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP:
		return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a float";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array";
	case CONFIG_TYPE_LIST:
		return "a list";
	default:
		return "of an unknown type";
	}
}

static int get_integer(const struct loader *ld, const config_setting_t *s, long long min,
	long long max, long long *out)
{
	int line = (int)config_setting_source_line(s);
	int type = config_setting_type(s);
	long long v = 0;

	if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
		return fail(ld, line, "%s: must be an integer, not %s", config_setting_name(s),
			type_name(type));
	v = config_setting_get_int64(s);
	if (v < min || v > max)
		return fail(ld, line, "%s: must be an integer from %lld to %lld, not %lld",
			config_setting_name(s), min, max, v);
	*out = v;
	return 0;
}

static int get_string(const struct loader *ld, const config_setting_t *s, const char **out)
{
	int type = config_setting_type(s);

	if (type != CONFIG_TYPE_STRING)
		return fail(ld, (int)config_setting_source_line(s), "%s: must be a string, not %s",
			config_setting_name(s), type_name(type));
	*out = config_setting_get_string(s);
	return 0;
}

static int set_string(char **dst, const char *src)
{
	char *copy = strdup(src);

	if (!copy)
		return -1;
	free(*dst);
	*dst = copy;
	return 0;
}

/* Apply one top-level setting to cfg, validating it. */
static int apply_setting(const struct loader *ld, const config_setting_t *s, struct config *cfg)
{
	const char *name = config_setting_name(s);
	int line = (int)config_setting_source_line(s);
	const char *str = NULL;
	long long v = 0;

	if (!strcmp(name, "address")) {
		if (get_string(ld, s, &str))
			return -1;
		if (!netaddr_is_literal(str) && !netaddr_valid_hostname(str)) {
			char shown[256];

			log_escape(shown, sizeof(shown), (const unsigned char *)str, strlen(str));
			return fail(ld, line, "address: \"%s\": not an IP address or host name",
				shown);
		}
		cfg->address_line = line;
		return set_string(&cfg->address, str) ? fail(ld, line, "%s", strerror(errno)) : 0;
	}
	if (!strcmp(name, "port")) {
		if (get_integer(ld, s, 1, 65535, &v))
			return -1;
		cfg->port = (uint16_t)v;
		cfg->port_line = line;
		return 0;
	}
	if (!strcmp(name, "buffer_size")) {
		if (get_integer(ld, s, CONFIG_BUFFER_SIZE_MIN, CONFIG_BUFFER_SIZE_MAX, &v))
			return -1;
		cfg->buffer_size = (size_t)v;
		return 0;
	}
	if (!strcmp(name, "reply")) {
		if (get_string(ld, s, &str))
			return -1;
		if (strlen(str) > CONFIG_REPLY_MAX)
			return fail(ld, line, "reply: must be at most %d bytes, not %zu",
				CONFIG_REPLY_MAX, strlen(str));
		if (set_string(&cfg->reply, str))
			return fail(ld, line, "%s", strerror(errno));
		cfg->reply_len = strlen(str);
		return 0;
	}
	return fail(ld, line, "unknown setting \"%s\"", name);
}

static struct config *config_new(const char *path)
{
	struct config *cfg = calloc(1, sizeof(*cfg));

	if (!cfg)
		return NULL;
	cfg->path = strdup(path);
	cfg->address = strdup(CONFIG_DEFAULT_ADDRESS);
	cfg->reply = strdup(CONFIG_DEFAULT_REPLY);
	cfg->port = CONFIG_DEFAULT_PORT;
	cfg->buffer_size = CONFIG_DEFAULT_BUFFER_SIZE;
	cfg->reply_len = strlen(CONFIG_DEFAULT_REPLY);
	if (!cfg->path || !cfg->address || !cfg->reply) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

int config_load(const char *path, struct config **out, char *err, size_t errlen)
{
	struct loader ld = { .path = path, .err = err, .errlen = errlen };
	struct config *cfg = NULL;
	config_setting_t *root;
	struct stat st = { 0 };
	config_t cf;
	FILE *fp;
	int i, rc = -1;

	fp = fopen(path, "re");
	if (!fp)
		return fail(&ld, 0, "cannot open: %s", strerror(errno));
	/* libconfig's scanner exits the process on a directory. */
	if (fstat(fileno(fp), &st) < 0 || !S_ISREG(st.st_mode)) {
		fail(&ld, 0, "cannot open: %s", S_ISDIR(st.st_mode) ? strerror(EISDIR) :
			"not a regular file");
		fclose(fp);
		return -1;
	}
	config_init(&cf);
	if (!config_read(&cf, fp)) {
		ld.path = config_error_file(&cf) ? config_error_file(&cf) : path;
		if (config_error_type(&cf) == CONFIG_ERR_FILE_IO)
			fail(&ld, config_error_line(&cf), "cannot read: %s",
				config_error_text(&cf));
		else
			fail(&ld, config_error_line(&cf), "%s", config_error_text(&cf));
		goto out;
	}
	cfg = config_new(path);
	if (!cfg) {
		fail(&ld, 0, "%s", strerror(errno));
		goto out;
	}
	root = config_root_setting(&cf);
	for (i = 0; i < config_setting_length(root); i++) {
		const config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
		struct loader at = ld;

		/* A setting from an @include file is reported at its own file. */
		if (config_setting_source_file(s))
			at.path = config_setting_source_file(s);
		if (apply_setting(&at, s, cfg))
			goto out;
	}
	*out = cfg;
	cfg = NULL;
	rc = 0;
out:
	config_free(cfg);
	config_destroy(&cf);
	fclose(fp);
	return rc;
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	free(cfg->path);
	free(cfg->address);
	free(cfg->reply);
	free(cfg);
}

int config_same_endpoint(const struct config *a, const struct config *b)
{
	return a->port == b->port && strcmp(a->address, b->address) == 0;
}
