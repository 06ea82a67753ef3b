/*
 * The sentry's side of the gofer protocol: blocking calls over one Unix-socket connection.
 * Every call returns 0 (or a count) or a negative errno; -EIO when the connection is broken.
 * Thread-safe: one request is in flight at a time per connection.
 */
#ifndef CVISOR_GOFER_CLIENT_H
#define CVISOR_GOFER_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <time.h>

/* A file the gofer holds open for us (an O_PATH fd on its side). 0 is never a valid fid. */
typedef uint64_t gofer_fid;

struct gofer_stat {
	uint64_t dev, ino, nlink, rdev;
	uint32_t mode, uid, gid, blksize;
	int64_t size, blocks;
	struct timespec atime, mtime, ctime;
};

struct stat;
/* A host stat as the protocol carries it (the gofer's replies; the sentry's fstat of a
 * donated fd). */
void gofer_stat_from_host(const struct stat *sb, struct gofer_stat *st);

struct gofer_dirent {
	uint64_t ino;
	uint64_t off; /* cookie to continue after this entry */
	uint8_t type; /* DT_* */
	char name[256];
};

/* Which fields gofer_setstat changes. */
#define GOFER_SET_MODE 0x1
#define GOFER_SET_UID 0x2
#define GOFER_SET_GID 0x4
#define GOFER_SET_SIZE 0x8
#define GOFER_SET_ATIME 0x10
#define GOFER_SET_MTIME 0x20

struct gofer_setattr {
	uint32_t mask;
	uint32_t mode, uid, gid;
	int64_t size;
	struct timespec atime, mtime; /* UTIME_NOW and UTIME_OMIT as utimensat */
};

struct gofer_client;

/* Takes ownership of sock. */
int gofer_client_new(int sock, struct gofer_client **out);
void gofer_client_free(struct gofer_client *c);

/* The root of one export the connection serves: 0 the rootfs, then the bind mounts (gofer.h).
 * -ENOENT: no such export. An export's root may be a regular file (a file bind mount). */
int gofer_attach(struct gofer_client *c, uint32_t export_index, gofer_fid *root,
		 struct gofer_stat *st);
/* One path component: name has no '/', and is not "." or "..". Does not follow a final symlink. */
int gofer_walk(struct gofer_client *c, gofer_fid dir, const char *name, gofer_fid *out,
	       struct gofer_stat *st);
int gofer_stat(struct gofer_client *c, gofer_fid fid, struct gofer_stat *st);
/* Opens the file for I/O; the gofer donates a host fd (O_RDONLY/O_WRONLY/O_RDWR, O_TRUNC,
 * O_APPEND honoured; O_NOFOLLOW always). Directories cannot be opened this way (-EISDIR). */
int gofer_open(struct gofer_client *c, gofer_fid fid, int flags, int *host_fd);
int gofer_create(struct gofer_client *c, gofer_fid dir, const char *name, int flags, mode_t mode,
		 uid_t uid, gid_t gid, gofer_fid *out, struct gofer_stat *st, int *host_fd);
int gofer_mkdir(struct gofer_client *c, gofer_fid dir, const char *name, mode_t mode, uid_t uid,
		gid_t gid, gofer_fid *out, struct gofer_stat *st);
int gofer_mknod(struct gofer_client *c, gofer_fid dir, const char *name, mode_t mode, dev_t rdev,
		uid_t uid, gid_t gid, gofer_fid *out, struct gofer_stat *st);
int gofer_symlink(struct gofer_client *c, gofer_fid dir, const char *name, const char *target,
		  uid_t uid, gid_t gid, gofer_fid *out, struct gofer_stat *st);
int gofer_link(struct gofer_client *c, gofer_fid dir, const char *name, gofer_fid target);
/* flags: 0 or AT_REMOVEDIR. */
int gofer_unlink(struct gofer_client *c, gofer_fid dir, const char *name, int flags);
int gofer_rename(struct gofer_client *c, gofer_fid olddir, const char *oldname,
		 gofer_fid newdir, const char *newname);
/* Returns the target's length (not NUL-terminated; truncated to len). */
ssize_t gofer_readlink(struct gofer_client *c, gofer_fid fid, char *buf, size_t len);
/* Reads directory entries after cookie off (0: from the start). Returns how many were
 * stored in ents (0 at the end), at most max. "." and ".." are not returned. */
int gofer_readdir(struct gofer_client *c, gofer_fid dir, uint64_t off, struct gofer_dirent *ents,
		  int max);
int gofer_setstat(struct gofer_client *c, gofer_fid fid, const struct gofer_setattr *attr);
int gofer_statfs(struct gofer_client *c, gofer_fid fid, struct statfs *st);
/* Forgets the fid; no reply awaited. */
void gofer_close(struct gofer_client *c, gofer_fid fid);

#endif
