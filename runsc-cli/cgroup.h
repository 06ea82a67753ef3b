/*
 * The sandbox's cgroup: every host process of a sandbox (root process, gofer, sentry, stubs)
 * in one cgroup per controller (v1: memory, pids, cpu, cpuacct, freezer; or the v2 unified
 * one), limited by linux.resources, frozen by pause, read by events, removed with the
 * container.
 */
#ifndef CVISOR_RUNSC_CGROUP_H
#define CVISOR_RUNSC_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "runsc-cli/bundle.h"
#include "runsc-cli/error.h"

struct json_object;

/*
 * The cgroup path of a container, below each hierarchy's root: linux.cgroupsPath when given
 * (systemd's "slice:prefix:name" becomes /slice/prefix-name.scope), else /cvisor/ID.
 */
char *cgroup_path(const char *cgroups_path, const char *id);

/* Makes the cgroup and writes the limits r gives. On failure nothing of it is left. */
int cgroup_create(const char *path, const struct oci_resources *r, struct cli_error **err);
/* Writes the limits r gives to an existing cgroup (runsc update); the first failure stops. */
int cgroup_update(const char *path, const struct oci_resources *r, struct cli_error **err);
/* Moves the calling process into it; its children are born there. */
int cgroup_enter(const char *path, struct cli_error **err);
/* Kills whatever is still in it and removes it. Succeeds when it does not exist. */
int cgroup_destroy(const char *path, struct cli_error **err);
/*
 * Removes it once the processes in it are gone (a few seconds at most), killing none: for a
 * cgroup named by debris, which may have been someone else's all along. Best effort.
 */
void cgroup_remove_unused(const char *path);
/* Freezes (pause) or thaws (resume) every process in it; returns once that is done. */
int cgroup_freeze(const char *path, bool frozen, struct cli_error **err);
/* The "data" of runc's stats event: cpu, memory and pids usage. NULL when unreadable. */
struct json_object *cgroup_stats(const char *path);
/*
 * The host PIDs of the processes in it (runsc ps --format json, as runc's): *pids is malloc'd,
 * *n long, in cgroup.procs' order. -ENOENT when the cgroup is not there, -ENOMEM.
 */
int cgroup_procs(const char *path, pid_t **pids, size_t *n);

#endif
