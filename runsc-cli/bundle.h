/*
 * The OCI bundle: config.json parsed with json-c and validated, field by field, into the
 * pieces runsc acts on. A wrong type or a missing required field is one error naming it.
 */
#ifndef CVISOR_RUNSC_BUNDLE_H
#define CVISOR_RUNSC_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "runsc-cli/error.h"

/* The runtime-spec version runsc writes (spec, state), the one runc 1.1 writes. */
#define OCI_VERSION "1.0.2-dev"

struct json_object;
struct seccomp_profile; /* sentry/kernel/seccomp.h */

#define RESOURCE_UNSET INT64_MIN

struct oci_rlimit {
	int resource; /* RLIMIT_* */
	uint64_t soft, hard;
};

struct oci_mount {
	const char *destination; /* absolute */
	const char *type;	 /* may be NULL */
	const char *source;	 /* may be NULL */
	const char **options;	 /* NULL-terminated */
};

/* linux.resources that the sandbox's cgroup applies; RESOURCE_UNSET when not given. */
struct oci_resources {
	int64_t memory_limit; /* bytes; -1: unlimited */
	int64_t memory_reservation;
	int64_t pids_limit; /* <= 0: unlimited */
	int64_t cpu_shares, cpu_quota, cpu_period;
	/* Set only by runsc update so far: memory+swap in bytes (-1: unlimited), cpuset lists. */
	int64_t memory_swap;
	const char *cpuset_cpus, *cpuset_mems; /* NULL: not given */
};

/* OCI hooks, in the order of a container's life. */
enum hook_kind {
	HOOK_PRESTART,
	HOOK_CREATE_RUNTIME,
	HOOK_CREATE_CONTAINER,
	HOOK_START_CONTAINER,
	HOOK_POSTSTART,
	HOOK_POSTSTOP,
	HOOK_KINDS,
};

struct oci_hook {
	const char *path;  /* absolute */
	const char **args; /* NULL-terminated; NULL: none given (argv is then just path) */
	const char **env;  /* NULL-terminated; NULL: none given (an empty environment) */
	int timeout;	   /* seconds; 0: none */
};

struct oci_hooks {
	struct oci_hook *list[HOOK_KINDS];
	size_t n[HOOK_KINDS];
};

/* linux.namespaces types, as bits. */
enum oci_namespace {
	OCI_NS_PID = 1 << 0,
	OCI_NS_NETWORK = 1 << 1,
	OCI_NS_MOUNT = 1 << 2,
	OCI_NS_IPC = 1 << 3,
	OCI_NS_UTS = 1 << 4,
	OCI_NS_USER = 1 << 5,
	OCI_NS_CGROUP = 1 << 6,
	OCI_NS_TIME = 1 << 7,
};

/*
 * A loaded bundle. Strings point into the parsed JSON, which the struct owns; everything goes
 * with bundle_free.
 */
struct bundle {
	char *dir;    /* absolute path of the bundle directory */
	char *rootfs; /* absolute path of root.path */
	struct json_object *json;

	const char *oci_version;
	struct {
		char **args; /* NULL-terminated, at least one */
		char **env;  /* NULL-terminated, possibly empty */
		const char *cwd;
		uid_t uid;
		gid_t gid;
		gid_t *additional_gids;
		size_t n_additional_gids;
		int umask; /* -1: not given */
		bool terminal;
		struct oci_rlimit *rlimits;
		size_t n_rlimits;
		bool no_new_privileges;
		/* process.capabilities as bit sets (1 << CAP_*); has_capabilities: given. */
		bool has_capabilities;
		uint64_t cap_bounding, cap_effective, cap_inheritable, cap_permitted, cap_ambient;
	} process;
	bool root_readonly;
	const char *hostname; /* NULL: not given */
	struct oci_mount *mounts;
	size_t n_mounts;
	unsigned namespaces; /* enum oci_namespace bits */
	struct oci_resources resources;
	const char *cgroups_path;	 /* linux.cgroupsPath, or NULL */
	const char **masked_paths;	 /* NULL-terminated */
	const char **readonly_paths;	 /* NULL-terminated */
	struct json_object *annotations; /* an object of strings, or NULL */
	struct oci_hooks hooks;
	struct json_object *hooks_json; /* "hooks" as given (kept in the state), or NULL */
	struct seccomp_profile *seccomp; /* linux.seccomp compiled (bundle_seccomp.c), or NULL */
};

/*
 * Loads DIR/config.json and checks it; the root filesystem must be a directory. Fills *out
 * (free with bundle_free) and returns 0, or -1 with *err naming the field that is wrong.
 */
int bundle_load(const char *dir, struct bundle **out, struct cli_error **err);
/* Parses and checks config.json text (no file access); dir is recorded, not used. */
int bundle_parse(const char *dir, const char *text, struct bundle **out, struct cli_error **err);
/*
 * Loads an OCI process object (runc exec's --process FILE) into (*out)->process, checked as
 * config.json's "process" is; the rest of the bundle is empty. Messages name path.
 */
int bundle_load_process(const char *path, struct bundle **out, struct cli_error **err);
void bundle_free(struct bundle *b);

/* config.json's name of a hook kind ("createRuntime"). */
const char *hook_kind_name(enum hook_kind kind);
/*
 * Parses one hooks list (an array of {path, args, env, timeout}) into out[0..*n); path names
 * it for messages. Strings point into arr. Free with hooks_free_list.
 */
int bundle_parse_hooks(struct json_object *arr, const char *path, struct oci_hook **out, size_t *n,
		       struct cli_error **err);
void hooks_free_list(struct oci_hook *list, size_t n);

/*
 * linux.seccomp (lnx is "linux"): checked and compiled into the sentry's per-syscall table
 * (sentry/kernel/seccomp.h); *out stays NULL without one. 0, or -1 with *err naming the field.
 */
int bundle_parse_seccomp(struct json_object *lnx, struct seccomp_profile **out,
			 struct cli_error **err);
void bundle_free_seccomp(struct seccomp_profile *p);

/* The capability names config.json may use (CAP_CHOWN ...), NULL-terminated. */
extern const char *const bundle_capability_names[];

#endif
