/*
 * The container's mounts from its bundle (struct sentry_mount, sentry/sentry.h), applied over
 * the root at the sentry's start, as runc applies them in the container's mount namespace.
 */
#ifndef CVISOR_SENTRY_MOUNTS_H
#define CVISOR_SENTRY_MOUNTS_H

#include <stddef.h>

struct gofer_client;
struct sentry_config;

/*
 * After vfs_setup_root (the root, /dev, /dev/shm, /dev/pts): cfg's mounts in order, then
 * cfg->readonly_paths, then cfg->masked_paths.
 *  - bind: the gofer's export (goferfs, not overlaid: writes reach the host unless "ro");
 *    a file goes on a file, a directory on a directory.
 *  - tmpfs: a new tmpfs (mode=, uid=, gid= set its root; size= is not enforced). On /dev or
 *    /dev/shm it is the tmpfs already there, with these options: /dev keeps its device
 *    nodes, as runc fills the tmpfs it mounts on /dev.
 *  - proc: a procfs; sysfs: sentry/fs/sys (always read-only); cgroup: an empty read-only
 *    tmpfs shown as cgroup2 (the sandbox has no cgroup hierarchy to show); mqueue: an empty
 *    tmpfs shown as mqueue (the sentry has no POSIX message queues: mq_open is ENOSYS).
 *  - devpts: only on /dev/pts, where the sandbox's devpts (its terminals) is already
 *    mounted: it takes the mount's flags.
 * A destination missing from the tree is made (directories, and an empty file for a file
 * bind mount) in the sandbox's view only: in the overlay's memory, or in a tmpfs; never
 * below a bind mount, where it would be made on the host.
 * readonly_paths: the subtree is bound on itself read-only (recursively, as runc's rbind).
 * masked_paths: a file gets /dev/null bound over it read-only, a directory an empty
 * read-only tmpfs. A path of either list that does not exist is skipped.
 * Returns 0, or a negative errno with what failed in why (len bytes).
 */
int sentry_mounts_apply(struct gofer_client *gofer, const struct sentry_config *cfg, char *why,
			size_t len);

#endif
