/*
 * sysfs: a minimal, read-only stand-in for the kernel's /sys. The sandbox has no devices,
 * buses or kernel objects to show, so it holds only the top-level directories a container
 * expects (block, bus, class, dev, devices, firmware, fs with fs/cgroup, kernel, module,
 * power), all empty: programs that probe /sys find nothing, which is true of the sandbox.
 */
#ifndef CVISOR_FS_SYS_H
#define CVISOR_FS_SYS_H

struct superblock;

#define SYSFS_MAGIC 0x62656572

/* A new sysfs (one reference), or NULL on ENOMEM. Mount it read-only. */
struct superblock *sysfs_new(void);

#endif
