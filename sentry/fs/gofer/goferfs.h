/* goferfs: files served by the gofer process (the container's rootfs and bind mounts). */
#ifndef CVISOR_FS_GOFERFS_H
#define CVISOR_FS_GOFERFS_H

#include <stdbool.h>
#include <stdint.h>

struct gofer_client;
struct superblock;

#define GOFERFS_MAGIC 0x01021997 /* V9FS_MAGIC, as gVisor reports for gofer mounts */

/*
 * A filesystem over one export c serves (attaches to its root: 0 the rootfs, then the bind
 * mounts; gofer/gofer.h). The root may be a regular file (a file bind mount). The client must
 * outlive it. shared: the host may change the files meanwhile (a bind mount), so cached names
 * and attributes are checked against the host before use; otherwise (the rootfs, changed only
 * through the sentry) they are trusted.
 */
int goferfs_new(struct gofer_client *c, uint32_t export_index, const char *source, bool shared,
		struct superblock **out);

#endif
