/*
 * config.json of an OCI bundle: parsing (json-c) and validation. Every check names the field
 * as a JSON path ("process.user.uid"), so a bad bundle gets one line that says what to fix.
 * Unknown fields are ignored, as the runtime spec requires.
 */
#include "runsc-cli/bundle.h"
#include "runsc-cli/bundle_json.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"

/* A config.json larger than this is not a configuration. */
#define CONFIG_MAX (4 << 20)

/* The document being checked, for messages: config.json, or runc exec's --process file. */
static const char *document = "config.json";
#define BAD(fmt, ...) cli_error(err, 1, "%s: " fmt, document, ##__VA_ARGS__)

const char *type_name(json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "a boolean";
	case json_type_double:
		return "a fractional number";
	case json_type_int:
		return "an integer";
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	case json_type_string:
		return "a string";
	}
	return "unknown";
}

static const char *want_name(json_type t)
{
	switch (t) {
	case json_type_boolean:
		return "a boolean";
	case json_type_int:
		return "an integer";
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	case json_type_string:
		return "a string";
	default:
		return "?";
	}
}

/*
 * obj's member key, of type want. *out is NULL when it is absent or null and not required.
 * path names obj for messages ("" for the top level).
 */
int member(json_object *obj, const char *path, const char *key, json_type want, bool required,
	   json_object **out, struct cli_error **err)
{
	json_object *v = NULL;
	const char *dot = *path ? "." : "";

	*out = NULL;
	if (!json_object_object_get_ex(obj, key, &v) || json_object_is_type(v, json_type_null)) {
		if (required)
			return BAD("%s%s%s is required", path, dot, key);
		return 0;
	}
	if (!json_object_is_type(v, want))
		return BAD("%s%s%s must be %s, not %s", path, dot, key, want_name(want),
			   type_name(v));
	*out = v;
	return 0;
}

/* An integer member in [0, max]; *out untouched when absent and not required. */
int member_uint(json_object *obj, const char *path, const char *key, bool required, uint64_t max,
		uint64_t *out, struct cli_error **err)
{
	json_object *v;
	uint64_t n;

	if (member(obj, path, key, json_type_int, required, &v, err) < 0)
		return -1;
	if (!v)
		return 0;
	/* json-c keeps values above INT64_MAX as unsigned; get_int64 says whether it is < 0. */
	if (json_object_get_int64(v) < 0)
		return BAD("%s%s%s must not be negative", path, *path ? "." : "", key);
	n = json_object_get_uint64(v);
	if (n > max)
		return BAD("%s%s%s is out of range (at most %llu)", path, *path ? "." : "", key,
			   (unsigned long long)max);
	*out = n;
	return 0;
}

static int member_bool(json_object *obj, const char *path, const char *key, bool *out,
		       struct cli_error **err)
{
	json_object *v;

	if (member(obj, path, key, json_type_boolean, false, &v, err) < 0)
		return -1;
	if (v)
		*out = json_object_get_boolean(v);
	return 0;
}

int member_string(json_object *obj, const char *path, const char *key, bool required,
		  const char **out, struct cli_error **err)
{
	json_object *v;

	*out = NULL;
	if (member(obj, path, key, json_type_string, required, &v, err) < 0)
		return -1;
	if (v)
		*out = json_object_get_string(v);
	return 0;
}

/*
 * An array of strings as a NULL-terminated vector pointing into the JSON (*out NULL when
 * absent and not required). nonempty: at least one element.
 */
int member_strv(json_object *obj, const char *path, const char *key, bool required, bool nonempty,
		const char ***out, struct cli_error **err)
{
	const char *dot = *path ? "." : "";
	json_object *v;
	const char **vec;
	size_t n;

	*out = NULL;
	if (member(obj, path, key, json_type_array, required, &v, err) < 0)
		return -1;
	if (!v)
		return 0;
	n = json_object_array_length(v);
	if (nonempty && n == 0)
		return BAD("%s%s%s must not be empty", path, dot, key);
	vec = calloc(n + 1, sizeof(*vec));
	if (!vec)
		return cli_error(err, 1, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(v, i);

		if (!json_object_is_type(e, json_type_string)) {
			free(vec);
			return BAD("%s%s%s[%zu] must be a string, not %s", path, dot, key, i,
				   type_name(e));
		}
		vec[i] = json_object_get_string(e);
	}
	*out = vec;
	return 0;
}

static int absolute_paths(const char **vec, const char *path, struct cli_error **err)
{
	for (size_t i = 0; vec && vec[i]; i++)
		if (vec[i][0] != '/')
			return BAD("%s[%zu] must be an absolute path, not \"%s\"", path, i, vec[i]);
	return 0;
}

static const struct {
	const char *name;
	int resource;
} rlimit_names[] = {
	{ "RLIMIT_CPU", RLIMIT_CPU },		{ "RLIMIT_FSIZE", RLIMIT_FSIZE },
	{ "RLIMIT_DATA", RLIMIT_DATA },		{ "RLIMIT_STACK", RLIMIT_STACK },
	{ "RLIMIT_CORE", RLIMIT_CORE },		{ "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_NPROC", RLIMIT_NPROC },	{ "RLIMIT_NOFILE", RLIMIT_NOFILE },
	{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },	{ "RLIMIT_AS", RLIMIT_AS },
	{ "RLIMIT_LOCKS", RLIMIT_LOCKS },	{ "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE }, { "RLIMIT_NICE", RLIMIT_NICE },
	{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO },	{ "RLIMIT_RTTIME", RLIMIT_RTTIME },
};

static int parse_rlimits(json_object *process, struct bundle *b, struct cli_error **err)
{
	json_object *arr;
	size_t n;

	if (member(process, "process", "rlimits", json_type_array, false, &arr, err) < 0)
		return -1;
	if (!arr)
		return 0;
	n = json_object_array_length(arr);
	b->process.rlimits = calloc(n ? n : 1, sizeof(*b->process.rlimits));
	if (!b->process.rlimits)
		return cli_error(err, 1, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		struct oci_rlimit *rl = &b->process.rlimits[i];
		char path[64];
		const char *type;
		size_t k;

		snprintf(path, sizeof(path), "process.rlimits[%zu]", i);
		if (!json_object_is_type(e, json_type_object))
			return BAD("%s must be an object, not %s", path, type_name(e));
		if (member_string(e, path, "type", true, &type, err) < 0 ||
		    member_uint(e, path, "soft", true, UINT64_MAX, &rl->soft, err) < 0 ||
		    member_uint(e, path, "hard", true, UINT64_MAX, &rl->hard, err) < 0)
			return -1;
		for (k = 0; k < ARRAY_SIZE(rlimit_names); k++)
			if (!strcmp(type, rlimit_names[k].name))
				break;
		if (k == ARRAY_SIZE(rlimit_names))
			return BAD("%s.type: unknown resource \"%s\"", path, type);
		rl->resource = rlimit_names[k].resource;
		if (rl->soft > rl->hard)
			return BAD("%s: soft limit %llu is above the hard limit %llu", path,
				   (unsigned long long)rl->soft, (unsigned long long)rl->hard);
		for (size_t j = 0; j < i; j++)
			if (b->process.rlimits[j].resource == rl->resource)
				return BAD("%s: %s is given twice", path, type);
		b->process.n_rlimits++;
	}
	return 0;
}

/* Linux's capability names, CAP_CHOWN (0) to CAP_CHECKPOINT_RESTORE (40). */
const char *const bundle_capability_names[] = {
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_DAC_READ_SEARCH",
	"CAP_FOWNER",
	"CAP_FSETID",
	"CAP_KILL",
	"CAP_SETGID",
	"CAP_SETUID",
	"CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST",
	"CAP_NET_ADMIN",
	"CAP_NET_RAW",
	"CAP_IPC_LOCK",
	"CAP_IPC_OWNER",
	"CAP_SYS_MODULE",
	"CAP_SYS_RAWIO",
	"CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE",
	"CAP_SYS_PACCT",
	"CAP_SYS_ADMIN",
	"CAP_SYS_BOOT",
	"CAP_SYS_NICE",
	"CAP_SYS_RESOURCE",
	"CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG",
	"CAP_MKNOD",
	"CAP_LEASE",
	"CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL",
	"CAP_SETFCAP",
	"CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN",
	"CAP_SYSLOG",
	"CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND",
	"CAP_AUDIT_READ",
	"CAP_PERFMON",
	"CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
	NULL,
};

static int parse_capabilities(json_object *process, struct bundle *b, struct cli_error **err)
{
	static const char *const sets[] = { "bounding", "effective", "inheritable", "permitted",
					    "ambient" };
	uint64_t *bits[] = { &b->process.cap_bounding, &b->process.cap_effective,
			     &b->process.cap_inheritable, &b->process.cap_permitted,
			     &b->process.cap_ambient };
	json_object *caps;

	if (member(process, "process", "capabilities", json_type_object, false, &caps, err) < 0)
		return -1;
	/* A set not given is empty, as runc leaves it. */
	b->process.has_capabilities = caps != NULL;
	for (size_t s = 0; caps && s < ARRAY_SIZE(sets); s++) {
		cleanup_free const char **names = NULL;

		if (member_strv(caps, "process.capabilities", sets[s], false, false, &names, err) <
		    0)
			return -1;
		for (size_t i = 0; names && names[i]; i++) {
			size_t k;

			for (k = 0; bundle_capability_names[k]; k++)
				if (!strcmp(names[i], bundle_capability_names[k]))
					break;
			if (!bundle_capability_names[k])
				return BAD(
					"process.capabilities.%s[%zu]: unknown capability \"%s\"",
					sets[s], i, names[i]);
			*bits[s] |= 1ULL << k;
		}
	}
	return 0;
}

/* The members of a process object: config.json's "process", or runc exec's --process file. */
static int parse_process_object(json_object *process, struct bundle *b, struct cli_error **err)
{
	json_object *user, *gids;
	uint64_t v;

	if (member_strv(process, "process", "args", true, true, (const char ***)&b->process.args,
			err) < 0)
		return -1;
	if (member_strv(process, "process", "env", false, false, (const char ***)&b->process.env,
			err) < 0)
		return -1;
	if (!b->process.env && !(b->process.env = calloc(1, sizeof(char *))))
		return cli_error(err, 1, "out of memory");
	if (member_string(process, "process", "cwd", true, &b->process.cwd, err) < 0)
		return -1;
	if (b->process.cwd[0] != '/')
		return BAD("process.cwd must be an absolute path, not \"%s\"", b->process.cwd);
	if (member_bool(process, "process", "terminal", &b->process.terminal, err) < 0 ||
	    member_bool(process, "process", "noNewPrivileges", &b->process.no_new_privileges, err) <
		    0)
		return -1;

	if (member(process, "process", "user", json_type_object, true, &user, err) < 0)
		return -1;
	/* (uid_t)-1 means "unchanged" to the kernel: never a real id. */
	v = 0;
	if (member_uint(user, "process.user", "uid", true, UINT32_MAX - 1, &v, err) < 0)
		return -1;
	b->process.uid = v;
	if (member_uint(user, "process.user", "gid", true, UINT32_MAX - 1, &v, err) < 0)
		return -1;
	b->process.gid = v;
	b->process.umask = -1;
	v = UINT64_MAX;
	if (member_uint(user, "process.user", "umask", false, 0777, &v, err) < 0)
		return -1;
	if (v != UINT64_MAX)
		b->process.umask = v;
	if (member(user, "process.user", "additionalGids", json_type_array, false, &gids, err) < 0)
		return -1;
	if (gids) {
		size_t n = json_object_array_length(gids);

		b->process.additional_gids = calloc(n ? n : 1, sizeof(gid_t));
		if (!b->process.additional_gids)
			return cli_error(err, 1, "out of memory");
		for (size_t i = 0; i < n; i++) {
			json_object *e = json_object_array_get_idx(gids, i);

			if (!json_object_is_type(e, json_type_int) ||
			    json_object_get_int64(e) < 0 ||
			    json_object_get_uint64(e) > UINT32_MAX - 1)
				return BAD(
					"process.user.additionalGids[%zu] must be a group id, not "
					"%s",
					i, json_object_to_json_string(e));
			b->process.additional_gids[i] = json_object_get_uint64(e);
		}
		b->process.n_additional_gids = n;
	}
	if (parse_rlimits(process, b, err) < 0 || parse_capabilities(process, b, err) < 0)
		return -1;
	{
		const char *s;
		json_object *o;

		if (member_string(process, "process", "apparmorProfile", false, &s, err) < 0 ||
		    member_string(process, "process", "selinuxLabel", false, &s, err) < 0 ||
		    member(process, "process", "oomScoreAdj", json_type_int, false, &o, err) < 0 ||
		    member(process, "process", "consoleSize", json_type_object, false, &o, err) < 0)
			return -1;
	}
	return 0;
}

static int parse_process(json_object *top, struct bundle *b, struct cli_error **err)
{
	json_object *process;

	if (member(top, "", "process", json_type_object, true, &process, err) < 0)
		return -1;
	return parse_process_object(process, b, err);
}

static int parse_mounts(json_object *top, struct bundle *b, struct cli_error **err)
{
	json_object *arr;
	size_t n;

	if (member(top, "", "mounts", json_type_array, false, &arr, err) < 0)
		return -1;
	if (!arr)
		return 0;
	n = json_object_array_length(arr);
	b->mounts = calloc(n ? n : 1, sizeof(*b->mounts));
	if (!b->mounts)
		return cli_error(err, 1, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		struct oci_mount *m = &b->mounts[i];
		char path[64];

		snprintf(path, sizeof(path), "mounts[%zu]", i);
		if (!json_object_is_type(e, json_type_object))
			return BAD("%s must be an object, not %s", path, type_name(e));
		b->n_mounts++;
		if (member_string(e, path, "destination", true, &m->destination, err) < 0 ||
		    member_string(e, path, "type", false, &m->type, err) < 0 ||
		    member_string(e, path, "source", false, &m->source, err) < 0 ||
		    member_strv(e, path, "options", false, false, &m->options, err) < 0)
			return -1;
		if (m->destination[0] != '/')
			return BAD("%s.destination must be an absolute path, not \"%s\"", path,
				   m->destination);
	}
	return 0;
}

static const struct {
	const char *name;
	unsigned bit;
} ns_names[] = {
	{ "pid", OCI_NS_PID },	     { "network", OCI_NS_NETWORK }, { "mount", OCI_NS_MOUNT },
	{ "ipc", OCI_NS_IPC },	     { "uts", OCI_NS_UTS },	    { "user", OCI_NS_USER },
	{ "cgroup", OCI_NS_CGROUP }, { "time", OCI_NS_TIME },
};

static int parse_namespaces(json_object *lnx, struct bundle *b, struct cli_error **err)
{
	json_object *arr;

	if (member(lnx, "linux", "namespaces", json_type_array, false, &arr, err) < 0)
		return -1;
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		const char *type, *nspath;
		char path[64];
		size_t k;

		snprintf(path, sizeof(path), "linux.namespaces[%zu]", i);
		if (!json_object_is_type(e, json_type_object))
			return BAD("%s must be an object, not %s", path, type_name(e));
		if (member_string(e, path, "type", true, &type, err) < 0 ||
		    member_string(e, path, "path", false, &nspath, err) < 0)
			return -1;
		for (k = 0; k < ARRAY_SIZE(ns_names); k++)
			if (!strcmp(type, ns_names[k].name))
				break;
		if (k == ARRAY_SIZE(ns_names))
			return BAD("%s.type: unknown namespace type \"%s\"", path, type);
		if (b->namespaces & ns_names[k].bit)
			return BAD("%s: namespace %s is given twice", path, type);
		/* A path names a host namespace to join; the sandbox is its own kernel and the
		 * guest always gets namespaces of its own (Docker's network namespace path
		 * included). */
		b->namespaces |= ns_names[k].bit;
	}
	return 0;
}

/* linux.resources: checked for types; what is applied is said in README.md. */
/* An integer member into *out (left as it is when absent). */
static int member_int64(json_object *obj, const char *path, const char *key, int64_t *out,
			struct cli_error **err)
{
	json_object *v;

	if (member(obj, path, key, json_type_int, false, &v, err) < 0)
		return -1;
	if (v) {
		/* Above INT64_MAX (an unsigned "unlimited"): as unlimited as -1. */
		if (json_object_get_int64(v) == INT64_MAX)
			*out = -1;
		else
			*out = json_object_get_int64(v);
	}
	return 0;
}

/*
 * linux.resources: memory, pids and cpu are kept for the sandbox's cgroup; the rest is checked
 * for types only (README.md says what is applied).
 */
static int parse_resources(json_object *lnx, struct bundle *b, struct cli_error **err)
{
	static const char *const memory[] = { "swap", "kernel", "kernelTCP", "swappiness" };
	static const char *const cpu[] = { "realtimeRuntime", "realtimePeriod" };
	json_object *res, *o, *v;
	const char *s;

	if (member(lnx, "linux", "resources", json_type_object, false, &res, err) < 0)
		return -1;
	if (!res)
		return 0;
	if (member(res, "linux.resources", "memory", json_type_object, false, &o, err) < 0)
		return -1;
	for (size_t i = 0; o && i < ARRAY_SIZE(memory); i++)
		if (member(o, "linux.resources.memory", memory[i], json_type_int, false, &v, err) <
		    0)
			return -1;
	if (o && (member_int64(o, "linux.resources.memory", "limit", &b->resources.memory_limit,
			       err) < 0 ||
		  member_int64(o, "linux.resources.memory", "reservation",
			       &b->resources.memory_reservation, err) < 0))
		return -1;
	if (member(res, "linux.resources", "cpu", json_type_object, false, &o, err) < 0)
		return -1;
	for (size_t i = 0; o && i < ARRAY_SIZE(cpu); i++)
		if (member(o, "linux.resources.cpu", cpu[i], json_type_int, false, &v, err) < 0)
			return -1;
	if (o &&
	    (member_int64(o, "linux.resources.cpu", "shares", &b->resources.cpu_shares, err) < 0 ||
	     member_int64(o, "linux.resources.cpu", "quota", &b->resources.cpu_quota, err) < 0 ||
	     member_int64(o, "linux.resources.cpu", "period", &b->resources.cpu_period, err) < 0 ||
	     member_string(o, "linux.resources.cpu", "cpus", false, &s, err) < 0 ||
	     member_string(o, "linux.resources.cpu", "mems", false, &s, err) < 0))
		return -1;
	if (member(res, "linux.resources", "pids", json_type_object, false, &o, err) < 0)
		return -1;
	if (o &&
	    (member(o, "linux.resources.pids", "limit", json_type_int, true, &v, err) < 0 ||
	     member_int64(o, "linux.resources.pids", "limit", &b->resources.pids_limit, err) < 0))
		return -1;
	if (member(res, "linux.resources", "devices", json_type_array, false, &o, err) < 0)
		return -1;
	for (size_t i = 0; o && i < json_object_array_length(o); i++) {
		json_object *d = json_object_array_get_idx(o, i);
		char path[64];

		snprintf(path, sizeof(path), "linux.resources.devices[%zu]", i);
		if (!json_object_is_type(d, json_type_object))
			return BAD("%s must be an object, not %s", path, type_name(d));
		if (member(d, path, "allow", json_type_boolean, true, &v, err) < 0 ||
		    member_string(d, path, "type", false, &s, err) < 0 ||
		    member_string(d, path, "access", false, &s, err) < 0)
			return -1;
	}
	return 0;
}

static int parse_linux(json_object *top, struct bundle *b, struct cli_error **err)
{
	json_object *lnx, *o;

	b->resources.memory_limit = b->resources.memory_reservation = RESOURCE_UNSET;
	b->resources.pids_limit = RESOURCE_UNSET;
	b->resources.cpu_shares = b->resources.cpu_quota = b->resources.cpu_period = RESOURCE_UNSET;
	b->resources.memory_swap = RESOURCE_UNSET;
	if (member(top, "", "linux", json_type_object, false, &lnx, err) < 0)
		return -1;
	if (!lnx)
		return 0;
	if (parse_namespaces(lnx, b, err) < 0 || parse_resources(lnx, b, err) < 0 ||
	    member_string(lnx, "linux", "cgroupsPath", false, &b->cgroups_path, err) < 0)
		return -1;
	if (member_strv(lnx, "linux", "maskedPaths", false, false, &b->masked_paths, err) < 0 ||
	    absolute_paths(b->masked_paths, "linux.maskedPaths", err) < 0 ||
	    member_strv(lnx, "linux", "readonlyPaths", false, false, &b->readonly_paths, err) < 0 ||
	    absolute_paths(b->readonly_paths, "linux.readonlyPaths", err) < 0)
		return -1;
	if (member(lnx, "linux", "uidMappings", json_type_array, false, &o, err) < 0 ||
	    member(lnx, "linux", "gidMappings", json_type_array, false, &o, err) < 0 ||
	    bundle_parse_seccomp(lnx, &b->seccomp, err) < 0 ||
	    member(lnx, "linux", "sysctl", json_type_object, false, &o, err) < 0)
		return -1;
	return 0;
}

static int parse_annotations(json_object *top, struct bundle *b, struct cli_error **err)
{
	json_object *ann;

	if (member(top, "", "annotations", json_type_object, false, &ann, err) < 0)
		return -1;
	if (!ann)
		return 0;
	json_object_object_foreach(ann, key, val)
	{
		if (!json_object_is_type(val, json_type_string))
			return BAD("annotations.%s must be a string, not %s", key, type_name(val));
	}
	b->annotations = ann;
	return 0;
}

static int parse_top(struct bundle *b, struct cli_error **err)
{
	json_object *top = b->json, *root, *hooks;
	const char *root_path;

	if (!json_object_is_type(top, json_type_object))
		return BAD("the top level must be an object, not %s", type_name(top));
	if (member_string(top, "", "ociVersion", true, &b->oci_version, err) < 0)
		return -1;
	if (parse_process(top, b, err) < 0)
		return -1;
	if (member(top, "", "root", json_type_object, true, &root, err) < 0 ||
	    member_string(root, "root", "path", true, &root_path, err) < 0 ||
	    member_bool(root, "root", "readonly", &b->root_readonly, err) < 0)
		return -1;
	if (!*root_path)
		return BAD("root.path must not be empty");
	if (root_path[0] == '/')
		b->rootfs = strdup(root_path);
	else if (asprintf(&b->rootfs, "%s/%s", b->dir, root_path) < 0)
		b->rootfs = NULL;
	if (!b->rootfs)
		return cli_error(err, 1, "out of memory");
	if (member_string(top, "", "hostname", false, &b->hostname, err) < 0)
		return -1;
	if (b->hostname && strlen(b->hostname) > 64)
		return BAD("hostname is longer than 64 bytes");
	if (parse_mounts(top, b, err) < 0 || parse_linux(top, b, err) < 0 ||
	    parse_annotations(top, b, err) < 0)
		return -1;
	if (member(top, "", "hooks", json_type_object, false, &hooks, err) < 0)
		return -1;
	for (int k = 0; hooks && k < HOOK_KINDS; k++) {
		char path[64];
		json_object *arr;

		snprintf(path, sizeof(path), "hooks.%s", hook_kind_name(k));
		if (member(hooks, "hooks", hook_kind_name(k), json_type_array, false, &arr, err) <
			    0 ||
		    (arr &&
		     bundle_parse_hooks(arr, path, &b->hooks.list[k], &b->hooks.n[k], err) < 0))
			return -1;
	}
	b->hooks_json = hooks;
	return 0;
}

const char *hook_kind_name(enum hook_kind kind)
{
	static const char *const names[] = { "prestart",       "createRuntime", "createContainer",
					     "startContainer", "poststart",	"poststop" };

	return names[kind];
}

int bundle_parse_hooks(json_object *arr, const char *path, struct oci_hook **out, size_t *n,
		       struct cli_error **err)
{
	size_t len = json_object_array_length(arr);
	struct oci_hook *list = calloc(len ? len : 1, sizeof(*list));

	if (!list)
		return cli_error(err, 1, "out of memory");
	*out = list;
	*n = 0;
	for (size_t i = 0; i < len; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		struct oci_hook *h = &list[i];
		char p[64];
		uint64_t timeout = 0;

		snprintf(p, sizeof(p), "%s[%zu]", path, i);
		if (!json_object_is_type(e, json_type_object))
			return BAD("%s must be an object, not %s", p, type_name(e));
		(*n)++;
		if (member_string(e, p, "path", true, &h->path, err) < 0 ||
		    member_strv(e, p, "args", false, false, &h->args, err) < 0 ||
		    member_strv(e, p, "env", false, false, &h->env, err) < 0 ||
		    member_uint(e, p, "timeout", false, INT32_MAX, &timeout, err) < 0)
			return -1;
		if (h->path[0] != '/')
			return BAD("%s.path must be an absolute path, not \"%s\"", p, h->path);
		h->timeout = timeout;
	}
	return 0;
}

void hooks_free_list(struct oci_hook *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(list[i].args);
		free(list[i].env);
	}
	free(list);
}

/* One JSON document, nothing after it; the messages start with what (e.g. "config.json"). */
static int parse_json(const char *what, const char *text, json_object **out,
		      struct cli_error **err)
{
	struct json_tokener *tok = json_tokener_new();
	size_t len = strlen(text);

	if (!tok)
		return cli_error(err, 1, "out of memory");
	*out = json_tokener_parse_ex(tok, text, len);
	if (!*out) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		/* A document cut short is "continue": the parser wanted more. */
		cli_error(err, 1, "%s: malformed JSON at byte %zu: %s", what,
			  json_tokener_get_parse_end(tok),
			  e == json_tokener_continue ? "unexpected end of the file" :
						       json_tokener_error_desc(e));
		json_tokener_free(tok);
		return -1;
	}
	for (size_t i = json_tokener_get_parse_end(tok); i < len; i++) {
		if (!strchr(" \t\r\n", text[i])) {
			cli_error(err, 1,
				  "%s: malformed JSON at byte %zu: text after the end of the "
				  "document",
				  what, i);
			json_tokener_free(tok);
			json_object_put(steal_pointer(out));
			return -1;
		}
	}
	json_tokener_free(tok);
	return 0;
}

int bundle_parse(const char *dir, const char *text, struct bundle **out, struct cli_error **err)
{
	struct bundle *b = calloc(1, sizeof(*b));

	if (!b || !(b->dir = strdup(dir))) {
		free(b);
		return cli_error(err, 1, "out of memory");
	}
	if (parse_json("config.json", text, &b->json, err) < 0) {
		bundle_free(b);
		return -1;
	}
	if (parse_top(b, err) < 0) {
		bundle_free(b);
		return -1;
	}
	*out = b;
	return 0;
}

/* Reads name (from dirfd) whole; what names it in messages ("bundle DIR: config.json"). */
static int read_json_file(int dirfd, const char *name, const char *what, char **out,
			  struct cli_error **err)
{
	cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	cleanup_free char *buf = NULL;
	struct stat st;
	size_t done = 0;

	if (fd < 0)
		return cli_error_errno(err, errno, 1, "%s", what);
	if (fstat(fd, &st) < 0)
		return cli_error_errno(err, errno, 1, "%s", what);
	if (!S_ISREG(st.st_mode))
		return cli_error(err, 1, "%s is not a regular file", what);
	if (st.st_size > CONFIG_MAX)
		return cli_error(err, 1, "%s is larger than %d bytes", what, CONFIG_MAX);
	buf = malloc(st.st_size + 1);
	if (!buf)
		return cli_error(err, 1, "out of memory");
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cli_error_errno(err, errno, 1, "%s: reading it", what);
		if (n == 0)
			break;
		done += n;
	}
	buf[done] = 0;
	if (strlen(buf) != done)
		return cli_error(err, 1, "%s: malformed JSON: it contains a NUL byte", name);
	*out = steal_pointer(&buf);
	return 0;
}

int bundle_load(const char *dir, struct bundle **out, struct cli_error **err)
{
	cleanup_free char *abs = realpath(dir, NULL);
	cleanup_free char *text = NULL, *what = NULL;
	cleanup_close int dirfd = -1;
	struct bundle *b;
	struct stat st;
	char *rootfs;

	if (!abs)
		return cli_error_errno(err, errno, 1, "bundle %s", dir);
	dirfd = open(abs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return cli_error_errno(err, errno, 1, "bundle %s", dir);
	what = malloc(strlen(abs) + 32);
	if (!what)
		return cli_error(err, 1, "out of memory");
	sprintf(what, "bundle %s: config.json", abs);
	if (read_json_file(dirfd, "config.json", what, &text, err) < 0 ||
	    bundle_parse(abs, text, &b, err) < 0)
		return -1;
	if (stat(b->rootfs, &st) < 0) {
		cli_error_errno(err, errno, 1, "root.path %s", b->rootfs);
		bundle_free(b);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		cli_error(err, 1, "root.path %s is not a directory", b->rootfs);
		bundle_free(b);
		return -1;
	}
	/* The gofer serves the real directory; symlinks on the way are the host's business. */
	rootfs = realpath(b->rootfs, NULL);
	if (!rootfs) {
		cli_error_errno(err, errno, 1, "root.path %s", b->rootfs);
		bundle_free(b);
		return -1;
	}
	free(b->rootfs);
	b->rootfs = rootfs;
	*out = b;
	return 0;
}

int bundle_load_process(const char *path, struct bundle **out, struct cli_error **err)
{
	cleanup_free char *text = NULL;
	struct bundle *b;
	int r;

	if (read_json_file(AT_FDCWD, path, path, &text, err) < 0)
		return -1;
	b = calloc(1, sizeof(*b));
	if (!b || !(b->dir = strdup(""))) {
		free(b);
		return cli_error(err, 1, "out of memory");
	}
	document = path;
	r = parse_json(path, text, &b->json, err);
	if (r == 0 && !json_object_is_type(b->json, json_type_object))
		r = BAD("the process must be an object, not %s", type_name(b->json));
	if (r == 0)
		r = parse_process_object(b->json, b, err);
	document = "config.json";
	if (r < 0) {
		bundle_free(b);
		return -1;
	}
	*out = b;
	return 0;
}

void bundle_free(struct bundle *b)
{
	if (!b)
		return;
	free(b->process.args);
	free(b->process.env);
	free(b->process.additional_gids);
	free(b->process.rlimits);
	for (size_t i = 0; i < b->n_mounts; i++)
		free(b->mounts[i].options);
	free(b->mounts);
	free(b->masked_paths);
	free(b->readonly_paths);
	for (int k = 0; k < HOOK_KINDS; k++)
		hooks_free_list(b->hooks.list[k], b->hooks.n[k]);
	bundle_free_seccomp(b->seccomp);
	json_object_put(b->json);
	free(b->rootfs);
	free(b->dir);
	free(b);
}
