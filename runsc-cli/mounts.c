/* The bundle's mounts checked and translated for the sentry and the gofer (mounts.h). */
#include "runsc-cli/mounts.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/util.h"

static const struct {
	const char *name;
	enum sentry_mount_type type;
} mount_types[] = {
	{ "tmpfs", SENTRY_MOUNT_TMPFS },   { "devtmpfs", SENTRY_MOUNT_TMPFS },
	{ "proc", SENTRY_MOUNT_PROC },	   { "sysfs", SENTRY_MOUNT_SYSFS },
	{ "devpts", SENTRY_MOUNT_DEVPTS }, { "mqueue", SENTRY_MOUNT_MQUEUE },
	{ "cgroup", SENTRY_MOUNT_CGROUP }, { "cgroup2", SENTRY_MOUNT_CGROUP },
	{ "bind", SENTRY_MOUNT_BIND },
};

/* Mount flags as mount(8) spells them; the "r" forms (rro, rnosuid ...) are the recursive
 * mount_setattr flavours runc accepts, the same thing here. */
static const struct {
	const char *name;
	unsigned int set, clear;
} flag_options[] = {
	{ "ro", SENTRY_MOUNT_RDONLY, 0 },     { "rw", 0, SENTRY_MOUNT_RDONLY },
	{ "nosuid", SENTRY_MOUNT_NOSUID, 0 }, { "suid", 0, SENTRY_MOUNT_NOSUID },
	{ "nodev", SENTRY_MOUNT_NODEV, 0 },   { "dev", 0, SENTRY_MOUNT_NODEV },
	{ "noexec", SENTRY_MOUNT_NOEXEC, 0 }, { "exec", 0, SENTRY_MOUNT_NOEXEC },
	{ "rro", SENTRY_MOUNT_RDONLY, 0 },    { "rrw", 0, SENTRY_MOUNT_RDONLY },
	{ "rnosuid", SENTRY_MOUNT_NOSUID, 0 }, { "rsuid", 0, SENTRY_MOUNT_NOSUID },
	{ "rnodev", SENTRY_MOUNT_NODEV, 0 },  { "rdev", 0, SENTRY_MOUNT_NODEV },
	{ "rnoexec", SENTRY_MOUNT_NOEXEC, 0 }, { "rexec", 0, SENTRY_MOUNT_NOEXEC },
};

static bool has_option(const char **options, const char *name)
{
	for (size_t i = 0; options && options[i]; i++)
		if (!strcmp(options[i], name))
			return true;
	return false;
}

/* A number for uid=, gid= (decimal) or mode= (octal), within max. */
static bool parse_number(const char *s, int base, unsigned long long max, long long *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end || v > max)
		return false;
	*out = (long long)v;
	return true;
}

/* tmpfs size=: bytes with an optional k, m, g (binary) suffix, or a percentage of memory. */
static bool size_valid(const char *s)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	strtoull(s, &end, 10);
	if (errno || end == s)
		return false;
	return !*end || (!end[1] && strchr("kKmMgG%", *end));
}

/* One option of mounts[i]; what is not the sandbox's business is ignored. */
static int parse_option(struct sentry_mount *m, const char *opt, size_t i, struct cli_error **err)
{
	const char *eq = strchr(opt, '=');

	for (size_t k = 0; k < ARRAY_SIZE(flag_options); k++) {
		if (!strcmp(opt, flag_options[k].name)) {
			m->flags = (m->flags | flag_options[k].set) & ~flag_options[k].clear;
			return 0;
		}
	}
	if (!strcmp(opt, "rbind"))
		m->flags |= SENTRY_MOUNT_RECURSIVE;
	if (!eq || m->type != SENTRY_MOUNT_TMPFS)
		return 0;
	if (!strncmp(opt, "mode=", 5)) {
		long long v;

		if (!parse_number(eq + 1, 8, 07777, &v))
			return cli_error(err, 1, "config.json: mounts[%zu].options: bad %s", i, opt);
		m->mode = (int)v;
	} else if (!strncmp(opt, "uid=", 4) || !strncmp(opt, "gid=", 4)) {
		long long v;

		if (!parse_number(eq + 1, 10, UINT32_MAX - 1, &v))
			return cli_error(err, 1, "config.json: mounts[%zu].options: bad %s", i, opt);
		*(opt[0] == 'u' ? &m->uid : &m->gid) = v;
	} else if (!strncmp(opt, "size=", 5) && !size_valid(eq + 1)) {
		return cli_error(err, 1, "config.json: mounts[%zu].options: bad %s", i, opt);
	}
	return 0;
}

/* A bind mount's source: resolved against the bundle, a directory or a regular file. */
static int bind_source(const struct bundle *b, const struct oci_mount *om, size_t i, char **out,
		       struct cli_error **err)
{
	struct stat st;
	char *path;

	if (!om->source || !*om->source)
		return cli_error(err, 1, "config.json: mounts[%zu]: a bind mount needs a source", i);
	if (om->source[0] == '/')
		path = strdup(om->source);
	else if (asprintf(&path, "%s/%s", b->dir, om->source) < 0)
		path = NULL;
	if (!path)
		return cli_error(err, 1, "out of memory");
	if (stat(path, &st) < 0) {
		int e = errno;

		free(path);
		return cli_error_errno(err, e, 1, "config.json: mounts[%zu].source %s", i,
				       om->source);
	}
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
		free(path);
		return cli_error(err, 1,
				 "config.json: mounts[%zu].source %s: not a directory or a "
				 "regular file",
				 i, om->source);
	}
	*out = path;
	return 0;
}

static int prepare_one(const struct bundle *b, size_t i, unsigned int *nexports,
		       struct sandbox_mounts *out, struct cli_error **err)
{
	const struct oci_mount *om = &b->mounts[i];
	struct sentry_mount *m = &out->list[i];
	const char *type = om->type ? om->type : "bind";
	bool bind = has_option(om->options, "bind") || has_option(om->options, "rbind");
	size_t k = 0;

	if (!om->destination[strspn(om->destination, "/")])
		return cli_error(err, 1, "config.json: mounts[%zu].destination: / cannot be a mount",
				 i);
	/* runc: whatever the type says, "bind" in the options makes a bind mount. */
	if (!bind) {
		for (k = 0; k < ARRAY_SIZE(mount_types); k++)
			if (!strcmp(type, mount_types[k].name))
				break;
		if (k == ARRAY_SIZE(mount_types))
			return cli_error(err, 1,
					 "config.json: mounts[%zu]: a %s mount is not supported "
					 "(bind, tmpfs, proc, sysfs, devpts, mqueue and cgroup are)",
					 i, type);
		bind = mount_types[k].type == SENTRY_MOUNT_BIND;
	}
	*m = (struct sentry_mount){
		.destination = om->destination,
		.type = bind ? SENTRY_MOUNT_BIND : mount_types[k].type,
		.source = om->source,
		.mode = -1,
		.uid = -1,
		.gid = -1,
	};
	for (size_t j = 0; om->options && om->options[j]; j++)
		if (parse_option(m, om->options[j], i, err) < 0)
			return -1;
	if (!bind)
		return 0;
	if (bind_source(b, om, i, &out->sources[i], err) < 0)
		return -1;
	m->source = out->sources[i];
	m->export_index = ++*nexports;
	return 0;
}

int mounts_prepare(const struct bundle *b, struct sandbox_mounts *out, struct cli_error **err)
{
	unsigned int nexports = 0;

	*out = (struct sandbox_mounts){ 0 };
	out->list = calloc(b->n_mounts + 1, sizeof(*out->list));
	out->sources = calloc(b->n_mounts + 1, sizeof(*out->sources));
	if (!out->list || !out->sources) {
		mounts_free(out);
		return cli_error(err, 1, "out of memory");
	}
	out->n = b->n_mounts;
	for (size_t i = 0; i < b->n_mounts; i++) {
		if (prepare_one(b, i, &nexports, out, err) < 0) {
			mounts_free(out);
			return -1;
		}
	}
	return 0;
}

void mounts_free(struct sandbox_mounts *m)
{
	for (size_t i = 0; m->sources && i < m->n; i++)
		free(m->sources[i]);
	free(m->sources);
	free(m->list);
	*m = (struct sandbox_mounts){ 0 };
}

struct gofer_export *mounts_gofer_exports(const struct sentry_config *cfg, size_t *n)
{
	struct gofer_export *exports;
	size_t count = 0;

	for (int i = 0; i < cfg->nmounts; i++)
		count += cfg->mounts[i].type == SENTRY_MOUNT_BIND;
	*n = count;
	if (count == 0)
		return NULL;
	exports = calloc(count, sizeof(*exports));
	if (!exports) {
		*n = (size_t)-1;
		return NULL;
	}
	for (int i = 0; i < cfg->nmounts; i++) {
		const struct sentry_mount *m = &cfg->mounts[i];

		if (m->type != SENTRY_MOUNT_BIND || m->export_index < 1 || m->export_index > count)
			continue;
		exports[m->export_index - 1] = (struct gofer_export){
			.path = m->source,
			.readonly = m->flags & SENTRY_MOUNT_RDONLY,
			.recursive = m->flags & SENTRY_MOUNT_RECURSIVE,
		};
	}
	return exports;
}
