/*
 * runsc update: new resource limits for a container's cgroup (the sandbox as a whole), from
 * runc's flags or its JSON resources (-r FILE, - for stdin).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "runsc-cli/bundle.h"
#include "runsc-cli/cgroup.h"
#include "runsc-cli/commands.h"
#include "runsc-cli/container.h"

static const char usage[] =
	"runsc update [--memory N] [--memory-swap N] [--memory-reservation N] [--pids-limit N] "
	"[--cpu-shares N] [--cpu-quota N] [--cpu-period N] [--cpuset-cpus LIST] "
	"[--cpuset-mems LIST] [-r FILE|-] ID";

/* The resources file is small; more is a mistake. */
#define RESOURCES_MAX (1 << 20)

/* A decimal integer, nothing around it. */
static int parse_int(const char *flag, const char *s, int64_t *out, struct cli_error **err)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (!*s || *end || errno)
		return cli_error(err, 1, "update: %s: invalid value \"%s\"", flag, s);
	*out = v;
	return 0;
}

/* Bytes as runc takes them (units.RAMInBytes): N, Nk, Nm, Ng, Nt (b or ib after), or -1. */
static int parse_bytes(const char *flag, const char *s, int64_t *out, struct cli_error **err)
{
	static const char units[] = "kmgt";
	char *end;
	double v;
	int64_t mult = 1;

	if (!strcmp(s, "-1")) {
		*out = -1;
		return 0;
	}
	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || v < 0 || s[0] == '-' || s[0] == '+')
		return cli_error(err, 1, "update: %s: invalid size \"%s\"", flag, s);
	if (*end) {
		const char *u = strchr(units, end[0] | 0x20);

		if (!u)
			return cli_error(err, 1, "update: %s: invalid size \"%s\"", flag, s);
		for (const char *p = units; p <= u; p++)
			mult *= 1024;
		end++;
		if ((end[0] | 0x20) == 'i' && (end[1] | 0x20) == 'b')
			end += 2;
		else if ((end[0] | 0x20) == 'b')
			end++;
		if (*end)
			return cli_error(err, 1, "update: %s: invalid size \"%s\"", flag, s);
	}
	if (v * mult >= 9.2e18)
		return cli_error(err, 1, "update: %s: size \"%s\" is too large", flag, s);
	*out = (int64_t)(v * mult);
	return 0;
}

/* An integer member of a JSON object (left as it is when absent). */
static int json_int(json_object *obj, const char *path, const char *key, int64_t *out,
		    struct cli_error **err)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return cli_error(err, 1, "update: resources: %s.%s must be an integer", path, key);
	*out = json_object_get_int64(v) == INT64_MAX ? -1 : json_object_get_int64(v);
	return 0;
}

static int json_str(json_object *obj, const char *path, const char *key, const char **out,
		    struct cli_error **err)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return cli_error(err, 1, "update: resources: %s.%s must be a string", path, key);
	*out = json_object_get_string(v);
	return 0;
}

/* A member object (NULL when absent). */
static int json_obj(json_object *obj, const char *key, json_object **out, struct cli_error **err)
{
	*out = NULL;
	if (!json_object_object_get_ex(obj, key, out) ||
	    json_object_is_type(*out, json_type_null)) {
		*out = NULL;
		return 0;
	}
	if (!json_object_is_type(*out, json_type_object))
		return cli_error(err, 1, "update: resources: %s must be an object", key);
	return 0;
}

/* Reads all of f. */
static char *read_all(FILE *f)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap + 1);

	while (buf) {
		size_t n = fread(buf + len, 1, cap - len, f);

		len += n;
		if (n == 0 || len > RESOURCES_MAX)
			break;
		if (len == cap) {
			char *more = realloc(buf, cap * 2 + 1);

			if (!more) {
				free(buf);
				return NULL;
			}
			buf = more;
			cap *= 2;
		}
	}
	if (buf)
		buf[len] = 0;
	return buf;
}

/*
 * runc's -r: linux.resources as config.json has them ({"memory": {"limit": ...}, "pids":
 * {"limit": ...}, "cpu": {...}}). Strings in r point into *json, which the caller puts.
 */
static int load_resources(const char *path, struct oci_resources *r, json_object **json,
			  struct cli_error **err)
{
	cleanup_free char *text = NULL;
	json_object *top, *o;
	FILE *f = strcmp(path, "-") ? fopen(path, "re") : stdin;

	if (!f)
		return cli_error_errno(err, errno, 1, "update: %s", path);
	text = read_all(f);
	if (f != stdin)
		fclose(f);
	if (!text)
		return cli_error(err, 1, "out of memory");
	if (strlen(text) > RESOURCES_MAX)
		return cli_error(err, 1, "update: %s is larger than %d bytes", path, RESOURCES_MAX);
	top = *json = json_tokener_parse(text);
	if (!top || !json_object_is_type(top, json_type_object))
		return cli_error(err, 1, "update: %s: not a JSON object of resources", path);
	if (json_obj(top, "memory", &o, err) < 0 ||
	    (o && (json_int(o, "memory", "limit", &r->memory_limit, err) < 0 ||
		   json_int(o, "memory", "reservation", &r->memory_reservation, err) < 0 ||
		   json_int(o, "memory", "swap", &r->memory_swap, err) < 0)))
		return -1;
	if (json_obj(top, "pids", &o, err) < 0 ||
	    (o && json_int(o, "pids", "limit", &r->pids_limit, err) < 0))
		return -1;
	if (json_obj(top, "cpu", &o, err) < 0 ||
	    (o && (json_int(o, "cpu", "shares", &r->cpu_shares, err) < 0 ||
		   json_int(o, "cpu", "quota", &r->cpu_quota, err) < 0 ||
		   json_int(o, "cpu", "period", &r->cpu_period, err) < 0 ||
		   json_str(o, "cpu", "cpus", &r->cpuset_cpus, err) < 0 ||
		   json_str(o, "cpu", "mems", &r->cpuset_mems, err) < 0)))
		return -1;
	return 0;
}

int cmd_update(struct global_flags *g, int argc, char **argv, struct cli_error **err)
{
	static const struct option opts[] = {
		{ "memory", required_argument, NULL, 'm' },
		{ "memory-swap", required_argument, NULL, 's' },
		{ "memory-reservation", required_argument, NULL, 'R' },
		{ "pids-limit", required_argument, NULL, 'p' },
		{ "cpu-shares", required_argument, NULL, 'S' },
		{ "cpu-quota", required_argument, NULL, 'q' },
		{ "cpu-period", required_argument, NULL, 'P' },
		{ "cpuset-cpus", required_argument, NULL, 'c' },
		{ "cpuset-mems", required_argument, NULL, 'M' },
		{ "resources", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct oci_resources r = {
		.memory_limit = RESOURCE_UNSET,
		.memory_reservation = RESOURCE_UNSET,
		.memory_swap = RESOURCE_UNSET,
		.pids_limit = RESOURCE_UNSET,
		.cpu_shares = RESOURCE_UNSET,
		.cpu_quota = RESOURCE_UNSET,
		.cpu_period = RESOURCE_UNSET,
	};
	struct oci_resources flags = r;
	const char *file = NULL;
	json_object *json = NULL;
	struct container *c;
	int ch, lock_fd, ret = -1, e = 0;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "+:r:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			e = parse_bytes("--memory", optarg, &flags.memory_limit, err);
			break;
		case 's':
			e = parse_bytes("--memory-swap", optarg, &flags.memory_swap, err);
			break;
		case 'R':
			e = parse_bytes("--memory-reservation", optarg, &flags.memory_reservation,
					err);
			break;
		case 'p':
			e = parse_int("--pids-limit", optarg, &flags.pids_limit, err);
			break;
		case 'S':
			e = parse_int("--cpu-shares", optarg, &flags.cpu_shares, err);
			break;
		case 'q':
			e = parse_int("--cpu-quota", optarg, &flags.cpu_quota, err);
			break;
		case 'P':
			e = parse_int("--cpu-period", optarg, &flags.cpu_period, err);
			break;
		case 'c':
			flags.cpuset_cpus = optarg;
			break;
		case 'M':
			flags.cpuset_mems = optarg;
			break;
		case 'r':
			file = optarg;
			break;
		case 'h':
			printf("usage: %s\n", usage);
			return 0;
		default:
			return usage_error(err, "update", ch, argv, usage);
		}
		if (e < 0)
			return -1;
	}
	if (expect_args(err, "update", argc - optind, 1, 1, usage) < 0)
		return -1;
	if (file && load_resources(file, &r, &json, err) < 0)
		goto out_json;
		/* As runc: the flags win over the file. */
#define TAKE(f)                                                                                    \
	do {                                                                                       \
		if (flags.f != RESOURCE_UNSET)                                                     \
			r.f = flags.f;                                                             \
	} while (0)
	TAKE(memory_limit);
	TAKE(memory_reservation);
	TAKE(memory_swap);
	TAKE(pids_limit);
	TAKE(cpu_shares);
	TAKE(cpu_quota);
	TAKE(cpu_period);
#undef TAKE
	if (flags.cpuset_cpus)
		r.cpuset_cpus = flags.cpuset_cpus;
	if (flags.cpuset_mems)
		r.cpuset_mems = flags.cpuset_mems;
	if (container_load(g->root, argv[optind], &lock_fd, &c, err) < 0)
		goto out_json;
	if (!strcmp(container_status(c), "stopped"))
		cli_error(err, 1, "cannot update a stopped container");
	else
		ret = cgroup_update(c->cgroup, &r, err);
	close(lock_fd);
	container_free(c);
out_json:
	json_object_put(json);
	return ret;
}
