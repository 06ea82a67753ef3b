/* tmpfs: files that live in sandbox memory; regular files' data in memory-file mobjs. */
#ifndef CVISOR_FS_TMPFS_H
#define CVISOR_FS_TMPFS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct superblock;
struct dentry;
struct inode;
struct file;
struct mobj;

#define TMPFS_MAGIC 0x01021994

/* A new tmpfs whose root directory has mode (S_IFDIR added) and is owned by root. */
struct superblock *tmpfs_new(const char *source, mode_t root_mode);
bool inode_is_tmpfs(struct inode *inode);

/* memfd_create: a new read-write regular file in memory that no directory lists; its path
 * reads "/memfd:NAME (deleted)", as Linux shows it. */
int tmpfs_memfd_new(const char *name, int flags, struct file **out);

/* The mobj holding a regular file's data, for MAP_SHARED (as file_ops.mmap does). */
int tmpfs_file_mobj(struct file *f, struct mobj **m);

/* Overlay support: an opaque directory hides the lower layer's entries; the origin is the
 * lower inode number a copied-up file keeps showing. Valid on tmpfs inodes only. */
void tmpfs_set_opaque(struct inode *inode, bool opaque);
bool tmpfs_is_opaque(struct inode *inode);
void tmpfs_set_origin(struct inode *inode, uint64_t ino);
/* 0 when none. */
uint64_t tmpfs_origin(struct inode *inode);

#endif
