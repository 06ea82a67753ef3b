/* goferfs: files served by the gofer process (the container's rootfs and bind mounts). */
#ifndef CVISOR_FS_GOFERFS_H
#define CVISOR_FS_GOFERFS_H

struct gofer_client;
struct superblock;

#define GOFERFS_MAGIC 0x01021997 /* V9FS_MAGIC, as gVisor reports for gofer mounts */

/* A filesystem over the export c serves (attaches to its root). The client must outlive it. */
int goferfs_new(struct gofer_client *c, const char *source, struct superblock **out);

#endif
