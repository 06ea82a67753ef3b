/* /dev: the device nodes a container expects, and the memory devices behind them. */
#ifndef CVISOR_FS_DEV_H
#define CVISOR_FS_DEV_H

struct superblock;

/* Registers the character devices (null, zero, full, random, urandom, tty); idempotent. */
void dev_register_devices(void);
/* A tmpfs populated as a container's /dev (nodes, stdio and fd symlinks, shm/ and pts/). */
struct superblock *devfs_new(void);

struct inode;
/* Names a host terminal /dev/pts/INDEX (in devpts, sentry/fs/devpts/devpts.h). */
void devfs_add_pts(unsigned int index, struct inode *tty);

#endif
