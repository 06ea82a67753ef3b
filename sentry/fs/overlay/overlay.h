/* overlay: a read-only lower layer seen through a tmpfs upper layer that takes every change. */
#ifndef CVISOR_FS_OVERLAY_H
#define CVISOR_FS_OVERLAY_H

struct superblock;
struct dentry;

#define OVERLAYFS_SUPER_MAGIC 0x794c7630

/*
 * A new overlay of lower (a directory of any filesystem, with a reference the overlay takes)
 * under upper (a tmpfs superblock; the overlay takes its own reference). The upper root takes
 * the lower root's mode and owner.
 */
struct superblock *overlay_new(struct dentry *lower_root, struct superblock *upper);

#endif
