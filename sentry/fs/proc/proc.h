/*
 * procfs: the sandbox's own /proc, showing the sandbox's processes with their sandbox PIDs,
 * generated from the sentry's tasks, address spaces, fd tables and mounts.
 */
#ifndef CVISOR_FS_PROC_H
#define CVISOR_FS_PROC_H

struct superblock;
struct fs_context;

#define PROC_SUPER_MAGIC 0x9fa0

/*
 * Copies what /proc shows of the host (its /proc/cpuinfo and /proc/version, the number of
 * CPUs) into memory. Call once in the sentry's setup, before it enters its empty root: the
 * sentry opens no host path afterwards. Without it, cpuinfo lists bare processor numbers.
 */
void procfs_snapshot_host(void);

/* A new procfs superblock (one reference). 0 or -ENOMEM. */
int procfs_new(struct superblock **out);
/* Mounts a new procfs on /proc of fs's root (after vfs_setup_root). 0 or -errno. */
int procfs_mount(struct fs_context *fs);

#endif
