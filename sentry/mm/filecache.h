/* The page cache: contents of host files, read from the gofer once into the memory file. */
#ifndef CVISOR_MM_FILECACHE_H
#define CVISOR_MM_FILECACHE_H

struct file;
struct kstat;
struct mobj;

/*
 * A mobj holding the whole of f (st is its stat), with a reference for the caller, or NULL
 * when f is not cacheable (not a regular file, too big, or a file the sandbox itself can
 * change: those have their own memory, file_mmap_mobj). Entries are keyed by device, inode,
 * size and modification time, so a file changed on the host is read again.
 */
struct mobj *filecache_get(struct file *f, const struct kstat *st);

#endif
