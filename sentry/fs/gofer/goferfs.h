/* goferfs: files served by the gofer process (the container's rootfs and bind mounts). */
#ifndef CVISOR_FS_GOFERFS_H
#define CVISOR_FS_GOFERFS_H

#include <stdint.h>

struct gofer_client;
struct superblock;

#define GOFERFS_MAGIC 0x01021997 /* V9FS_MAGIC, as gVisor reports for gofer mounts */

/*
 * A filesystem over one export c serves (attaches to its root: 0 the rootfs, then the bind
 * mounts; gofer/gofer.h). The root may be a regular file (a file bind mount). The client must
 * outlive it.
 */
int goferfs_new(struct gofer_client *c, uint32_t export_index, const char *source,
		struct superblock **out);

#endif
