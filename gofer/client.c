/*
 * The sentry's side of the gofer protocol (gofer/client.h): one request at a time per
 * connection, and any violation by the server breaks the connection for good (-EIO).
 */
#include "gofer/client.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gofer/proto.h"
#include "gofer/transport.h"
#include "lib/log.h"
#include "lib/util.h"

struct gofer_client {
	/* Held for a whole request and its reply; guards every field below. */
	pthread_mutex_t lock;
	int sock;
	bool stream;
	bool broken; /* after an I/O error or a protocol violation every call fails */
	uint64_t next_id;
	uint8_t buf[GOFER_MSG_MAX]; /* the request, then its reply */
};

int gofer_client_new(int sock, struct gofer_client **out)
{
	struct gofer_client *c;
	bool stream;
	int ret = gofer_sock_is_stream(sock, &stream);

	if (ret < 0) {
		close(sock);
		return ret;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(sock);
		return -ENOMEM;
	}
	pthread_mutex_init(&c->lock, NULL);
	c->sock = sock;
	c->stream = stream;
	c->next_id = 1;
	*out = c;
	return 0;
}

void gofer_client_free(struct gofer_client *c)
{
	if (!c)
		return;
	close(c->sock);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* Called with the lock held. Shutting down tells the gofer to exit too. */
static int client_break(struct gofer_client *c, const char *why)
{
	if (!c->broken)
		log_warn("gofer client: %s; connection broken", why);
	c->broken = true;
	shutdown(c->sock, SHUT_RDWR);
	return -EIO;
}

static bool reply_has_fd(const struct gofer_msg *rep)
{
	return rep->result == 0 &&
	       (rep->type == (GOFER_REPLY | GOFER_OPEN) || rep->type == (GOFER_REPLY | GOFER_CREATE));
}

/*
 * Sends req and, unless it is a close, waits for its reply in rep: the same id, the matching
 * type, a donated fd exactly when the reply must carry one (stored in *fd). Returns the
 * server's result (0 or a negative errno), -EIO when the connection is or becomes broken,
 * or the encoder's -EINVAL / -EMSGSIZE for a request that cannot be sent (nothing is sent).
 */
static int call(struct gofer_client *c, struct gofer_msg *req, struct gofer_msg *rep,
		struct gofer_dirent *ents, uint32_t max_ents, int *fd)
{
	int ret, rfd = -1;
	ssize_t n;

	pthread_mutex_lock(&c->lock);
	if (c->broken) {
		ret = -EIO;
		goto out;
	}
	req->id = c->next_id++;
	n = gofer_msg_encode(req, c->buf, sizeof(c->buf));
	if (n < 0) {
		ret = (int)n;
		goto out;
	}
	if (gofer_send_msg(c->sock, c->stream, c->buf, (size_t)n, -1) < 0) {
		ret = client_break(c, "send failed");
		goto out;
	}
	if (req->type == GOFER_CLOSE) {
		ret = 0;
		goto out;
	}

	n = gofer_recv_msg(c->sock, c->stream, c->buf, sizeof(c->buf), &rfd);
	if (n <= 0) {
		ret = client_break(c, n == 0 ? "server closed the connection" : "receive failed");
		goto out;
	}
	if (gofer_msg_decode(c->buf, (size_t)n, rep, ents, max_ents) < 0) {
		ret = client_break(c, "malformed reply");
		goto out;
	}
	if (rep->id != req->id || rep->type != (req->type | GOFER_REPLY)) {
		ret = client_break(c, "reply does not match the request");
		goto out;
	}
	if ((rfd >= 0) != reply_has_fd(rep)) {
		ret = client_break(c, "reply has a wrong number of fds");
		goto out;
	}
	if (fd)
		*fd = steal_fd(&rfd);
	ret = rep->result;
out:
	pthread_mutex_unlock(&c->lock);
	if (rfd >= 0)
		close(rfd);
	return ret;
}

/* A name as Linux would judge it in a path: the errno the syscall would give. */
static int check_name(const char *name)
{
	size_t n = strnlen(name, GOFER_NAME_MAX + 1);

	if (n == 0)
		return -ENOENT;
	if (n > GOFER_NAME_MAX)
		return -ENAMETOOLONG;
	return gofer_name_valid(name) ? 0 : -EINVAL;
}

static void copy_name(char dst[GOFER_NAME_MAX + 1], const char *name)
{
	memcpy(dst, name, strlen(name) + 1);
}

static int open_flags(int flags, uint32_t *out)
{
	if ((flags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	/* Other flags (O_CLOEXEC, O_NONBLOCK, ...) belong to the sentry's file, not the host's. */
	*out = (uint32_t)(flags & GOFER_OPEN_FLAGS);
	return 0;
}

/* Requests that make a node: the reply is a fid and its stat. */
static int call_node(struct gofer_client *c, struct gofer_msg *req, gofer_fid *out,
		     struct gofer_stat *st, int *fd)
{
	struct gofer_msg rep;
	int ret = call(c, req, &rep, NULL, 0, fd);

	if (ret < 0)
		return ret;
	*out = rep.u.node.fid;
	if (st)
		*st = rep.u.node.st;
	return 0;
}

int gofer_attach(struct gofer_client *c, uint32_t export_index, gofer_fid *root,
		 struct gofer_stat *st)
{
	struct gofer_msg req = { .type = GOFER_ATTACH, .u.attach.root = export_index };

	return call_node(c, &req, root, st, NULL);
}

int gofer_walk(struct gofer_client *c, gofer_fid dir, const char *name, gofer_fid *out,
	       struct gofer_stat *st)
{
	struct gofer_msg req = { .type = GOFER_WALK, .u.walk.dir = dir };
	int ret = check_name(name);

	if (ret < 0)
		return ret;
	copy_name(req.u.walk.name, name);
	return call_node(c, &req, out, st, NULL);
}

int gofer_stat(struct gofer_client *c, gofer_fid fid, struct gofer_stat *st)
{
	struct gofer_msg req = { .type = GOFER_STAT, .u.fid.fid = fid }, rep;
	int ret = call(c, &req, &rep, NULL, 0, NULL);

	if (ret < 0)
		return ret;
	*st = rep.u.stat;
	return 0;
}

int gofer_open(struct gofer_client *c, gofer_fid fid, int flags, int *host_fd)
{
	struct gofer_msg req = { .type = GOFER_OPEN, .u.open.fid = fid }, rep;
	int ret = open_flags(flags, &req.u.open.flags);

	if (ret < 0)
		return ret;
	return call(c, &req, &rep, NULL, 0, host_fd);
}

int gofer_create(struct gofer_client *c, gofer_fid dir, const char *name, int flags, mode_t mode,
		 uid_t uid, gid_t gid, gofer_fid *out, struct gofer_stat *st, int *host_fd)
{
	struct gofer_msg req = {
		.type = GOFER_CREATE,
		.u.create = { .dir = dir, .mode = mode & 07777, .uid = uid, .gid = gid },
	};
	int ret = check_name(name);

	if (ret == 0)
		ret = open_flags(flags, &req.u.create.flags);
	if (ret < 0)
		return ret;
	copy_name(req.u.create.name, name);
	return call_node(c, &req, out, st, host_fd);
}

int gofer_mkdir(struct gofer_client *c, gofer_fid dir, const char *name, mode_t mode, uid_t uid,
		gid_t gid, gofer_fid *out, struct gofer_stat *st)
{
	struct gofer_msg req = {
		.type = GOFER_MKDIR,
		.u.mkdir = { .dir = dir, .mode = mode & 07777, .uid = uid, .gid = gid },
	};
	int ret = check_name(name);

	if (ret < 0)
		return ret;
	copy_name(req.u.mkdir.name, name);
	return call_node(c, &req, out, st, NULL);
}

int gofer_mknod(struct gofer_client *c, gofer_fid dir, const char *name, mode_t mode, dev_t rdev,
		uid_t uid, gid_t gid, gofer_fid *out, struct gofer_stat *st)
{
	struct gofer_msg req = {
		.type = GOFER_MKNOD,
		.u.mknod = { .dir = dir, .mode = mode & (S_IFMT | 07777), .rdev = rdev, .uid = uid,
			     .gid = gid },
	};
	int ret = check_name(name);

	if (ret < 0)
		return ret;
	copy_name(req.u.mknod.name, name);
	return call_node(c, &req, out, st, NULL);
}

int gofer_symlink(struct gofer_client *c, gofer_fid dir, const char *name, const char *target,
		  uid_t uid, gid_t gid, gofer_fid *out, struct gofer_stat *st)
{
	struct gofer_msg req = {
		.type = GOFER_SYMLINK,
		.u.symlink = { .dir = dir, .uid = uid, .gid = gid },
	};
	size_t tlen = strnlen(target, GOFER_PATH_MAX);
	int ret = check_name(name);

	if (ret < 0)
		return ret;
	if (tlen == 0)
		return -ENOENT; /* as symlink(2) */
	if (tlen >= GOFER_PATH_MAX)
		return -ENAMETOOLONG;
	copy_name(req.u.symlink.name, name);
	memcpy(req.u.symlink.target, target, tlen + 1);
	return call_node(c, &req, out, st, NULL);
}

int gofer_link(struct gofer_client *c, gofer_fid dir, const char *name, gofer_fid target)
{
	struct gofer_msg req = { .type = GOFER_LINK, .u.link = { .dir = dir, .target = target } };
	struct gofer_msg rep;
	int ret = check_name(name);

	if (ret < 0)
		return ret;
	copy_name(req.u.link.name, name);
	return call(c, &req, &rep, NULL, 0, NULL);
}

int gofer_unlink(struct gofer_client *c, gofer_fid dir, const char *name, int flags)
{
	struct gofer_msg req = { .type = GOFER_UNLINK, .u.unlink.dir = dir }, rep;
	int ret = check_name(name);

	if (ret < 0)
		return ret;
	if (flags != 0 && flags != AT_REMOVEDIR)
		return -EINVAL;
	req.u.unlink.flags = (uint32_t)flags;
	copy_name(req.u.unlink.name, name);
	return call(c, &req, &rep, NULL, 0, NULL);
}

int gofer_rename(struct gofer_client *c, gofer_fid olddir, const char *oldname,
		 gofer_fid newdir, const char *newname)
{
	struct gofer_msg req = {
		.type = GOFER_RENAME,
		.u.rename = { .olddir = olddir, .newdir = newdir },
	};
	struct gofer_msg rep;
	int ret = check_name(oldname);

	if (ret == 0)
		ret = check_name(newname);
	if (ret < 0)
		return ret;
	copy_name(req.u.rename.oldname, oldname);
	copy_name(req.u.rename.newname, newname);
	return call(c, &req, &rep, NULL, 0, NULL);
}

ssize_t gofer_readlink(struct gofer_client *c, gofer_fid fid, char *buf, size_t len)
{
	struct gofer_msg req = { .type = GOFER_READLINK, .u.fid.fid = fid }, rep;
	int ret = call(c, &req, &rep, NULL, 0, NULL);
	size_t n;

	if (ret < 0)
		return ret;
	n = MIN(strlen(rep.u.readlink.target), len);
	memcpy(buf, rep.u.readlink.target, n);
	return (ssize_t)n;
}

int gofer_readdir(struct gofer_client *c, gofer_fid dir, uint64_t off, struct gofer_dirent *ents,
		  int max)
{
	struct gofer_msg req = { .type = GOFER_READDIR, .u.readdir = { .dir = dir, .off = off } };
	struct gofer_msg rep;
	int ret;

	if (max <= 0)
		return -EINVAL;
	/* Fewer than max is not the end: the caller continues from the last cookie. */
	req.u.readdir.count = MIN((uint32_t)max, (uint32_t)GOFER_READDIR_MAX);
	ret = call(c, &req, &rep, ents, req.u.readdir.count, NULL);
	if (ret < 0)
		return ret;
	return (int)rep.u.dirents.count;
}

int gofer_setstat(struct gofer_client *c, gofer_fid fid, const struct gofer_setattr *attr)
{
	struct gofer_msg req = { .type = GOFER_SETSTAT, .u.setstat = { .fid = fid, .attr = *attr } };
	struct gofer_msg rep;
	struct gofer_setattr *a = &req.u.setstat.attr;

	/* What Linux's chmod, truncate and utimensat accept; the encoder checks the rest. */
	a->mode &= 07777;
	if ((a->mask & GOFER_SET_SIZE) && a->size < 0)
		return -EINVAL;
	return call(c, &req, &rep, NULL, 0, NULL);
}

int gofer_statfs(struct gofer_client *c, gofer_fid fid, struct statfs *st)
{
	struct gofer_msg req = { .type = GOFER_STATFS, .u.fid.fid = fid }, rep;
	int ret = call(c, &req, &rep, NULL, 0, NULL);

	if (ret < 0)
		return ret;
	*st = rep.u.statfs;
	return 0;
}

void gofer_close(struct gofer_client *c, gofer_fid fid)
{
	struct gofer_msg req = { .type = GOFER_CLOSE, .u.fid.fid = fid }, rep;

	call(c, &req, &rep, NULL, 0, NULL);
}

void gofer_stat_from_host(const struct stat *sb, struct gofer_stat *st)
{
	*st = (struct gofer_stat){
		.dev = sb->st_dev,
		.ino = sb->st_ino,
		.nlink = sb->st_nlink,
		.rdev = sb->st_rdev,
		.mode = sb->st_mode,
		.uid = sb->st_uid,
		.gid = sb->st_gid,
		.blksize = (uint32_t)sb->st_blksize,
		.size = sb->st_size,
		.blocks = sb->st_blocks,
		.atime = sb->st_atim,
		.mtime = sb->st_mtim,
		.ctime = sb->st_ctim,
	};
}
