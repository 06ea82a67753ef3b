/*
 * Containers' state under --root: one directory per container ID holding state.json (written
 * atomically: a temporary file renamed over it) and the sentry's control socket, locked with
 * flock while a command changes it. The status is worked out from the record and the host:
 * a container whose sandbox process is gone is stopped, whatever the record says.
 */
#ifndef CVISOR_RUNSC_CONTAINER_H
#define CVISOR_RUNSC_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "runsc-cli/bundle.h"
#include "runsc-cli/error.h"

struct json_object;

/* A host process, named with its start time so that a reused PID is not taken for it. */
struct host_process {
	pid_t pid;
	unsigned long long start_time; /* /proc/PID/stat field 22 */
};

struct container {
	char *root; /* the --root directory */
	char *id;
	char *dir; /* root/id */
	char *bundle, *rootfs;
	char *created;		     /* RFC 3339 with nanoseconds, UTC, as runc writes it */
	char *status;		     /* as recorded: created, running or paused */
	struct host_process sandbox; /* the sandbox's root process (--pid-file) */
	struct host_process sentry, gofer;
	char *cgroup;			 /* the sandbox's cgroup path (runsc-cli/cgroup.h) */
	uid_t owner;			 /* of the state directory */
	struct json_object *annotations; /* owned; may be NULL */
	struct json_object *hooks;	 /* config.json's "hooks", owned; may be NULL */
};

/* Checks a container ID as runc does: letters, digits and _+,-. only; not "." or "..". */
int container_id_check(const char *id, struct cli_error **err);

/*
 * Makes root/id for a new container and locks it (*lock_fd, exclusive, held until closed).
 * A directory that a killed runsc create left without state.json is taken over; any other
 * existing one is "container ID already exists".
 */
int container_reserve(const char *root, const char *id, int *lock_fd, struct cli_error **err);

/*
 * Loads root/id/state.json into *out (free with container_free). lock_fd: NULL, or where an
 * exclusive lock on the container is returned (taken before reading, so the record read is
 * the one the caller may change). A missing container: "container ID does not exist".
 */
int container_load(const char *root, const char *id, int *lock_fd, struct container **out,
		   struct cli_error **err);

/*
 * Whether root/id has a record. A directory without one (left by a runsc create that was
 * killed) is removed on the way, unless a runsc create holds it now.
 */
bool container_exists(const char *root, const char *id);

/* Writes c's record to state.json atomically. */
int container_save(const struct container *c, struct cli_error **err);

/* Removes c's directory and everything in it. */
int container_remove_dir(const char *dir, struct cli_error **err);

/*
 * Notes in dir the cgroup about to be made for the container, before there is a record: a
 * runsc create killed in between leaves debris whose cgroup the next create of the ID, or
 * delete, removes.
 */
int container_note_cgroup(const char *dir, const char *cgroup, struct cli_error **err);

void container_free(struct container *c);

/* "created", "running", "paused" or "stopped": the record checked against the host. */
const char *container_status(const struct container *c);

/* Whether the process is still that process and not a zombie. */
bool host_process_alive(const struct host_process *p);
/* Fills p for pid; -errno when it does not exist. */
int host_process_get(pid_t pid, struct host_process *p);

/* The runc-style state object of c ("runsc state", "runsc list --format json"). */
struct json_object *container_state_json(const struct container *c, bool with_owner);

/* The current time as runc writes "created": 2006-01-02T15:04:05.999999999Z. */
char *container_timestamp(void);

/*
 * The hooks of one kind from c's record (*list NULL and *n 0 when there are none); free with
 * hooks_free_list.
 */
int container_hooks(const struct container *c, enum hook_kind kind, struct oci_hook **list,
		    size_t *n, struct cli_error **err);

/* Writes "PID" to path atomically (a hidden temporary file renamed over it), as runc. */
int write_pid_file(const char *path, pid_t pid, struct cli_error **err);

#endif
