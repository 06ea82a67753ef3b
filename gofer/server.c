/*
 * The gofer server: answers one connection's requests on the files under its roots (the
 * rootfs and the bind mounts' sources). Every file the sentry knows is a fid, an O_PATH fd
 * opened without following symlinks.
 */
#include "gofer/gofer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "gofer/proto.h"
#include "gofer/transport.h"
#include "lib/log.h"
#include "lib/util.h"

/* Fids one connection may hold; each is an open fd, so RLIMIT_NOFILE may bound it first. */
#define GOFER_FIDS_MAX 65536
/* The table grows a chunk at a time and entries never move, so a handler may hold one
 * entry while another is allocated. */
#define FID_CHUNK 256
#define DENTS_BUF_SIZE 32768

/* A malformed request: the connection ends. */
#define MALFORMED (-EBADMSG)

/*
 * A fid is (gen << 32) | (index + 1): index 0 is never a fid, and the generation, bumped
 * when a slot is freed, makes a stale fid miss instead of reaching the slot's next file.
 */
struct fid_entry {
	int fd;		    /* O_PATH | O_NOFOLLOW; -1 while the slot is free */
	int dir_fd;	    /* directories: O_RDONLY for getdents64, opened on first readdir */
	mode_t type;	    /* S_IFMT bits: an inode never changes type */
	bool readonly;	    /* under a read-only root: every change gets -EROFS */
	uint32_t gen;
	uint32_t next_free; /* free list: index + 1 of the next free slot, 0 at the end */
};

/* One connection's state; owned by gofer_serve_proc's frame. */
struct server {
	int sock;
	bool stream;
	const struct gofer_root *roots;
	uint32_t nroots;
	int proc_fd;
	struct fid_entry *chunks[GOFER_FIDS_MAX / FID_CHUNK];
	uint32_t nfids;	    /* slots allocated: a multiple of FID_CHUNK */
	uint32_t free_head; /* index + 1, 0 when no slot is free */
	uint8_t *buf;	    /* one message: the request, then its reply */
	struct gofer_dirent *ents;
	uint8_t *dents;
};

static struct fid_entry *fid_slot(struct server *s, uint32_t index)
{
	return &s->chunks[index / FID_CHUNK][index % FID_CHUNK];
}

static struct fid_entry *fid_lookup(struct server *s, gofer_fid fid)
{
	uint32_t index = (uint32_t)fid - 1;
	struct fid_entry *e;

	if (index >= s->nfids)
		return NULL;
	e = fid_slot(s, index);
	if (e->fd < 0 || e->gen != (uint32_t)(fid >> 32))
		return NULL;
	return e;
}

/* Makes sure a slot is free, so that fid_install cannot fail once a file exists. */
static int fid_reserve(struct server *s)
{
	struct fid_entry *chunk;
	uint32_t base = s->nfids;

	if (s->free_head)
		return 0;
	if (s->nfids >= GOFER_FIDS_MAX)
		return -ENFILE;
	chunk = malloc(FID_CHUNK * sizeof(*chunk));
	if (!chunk)
		return -ENOMEM;
	for (uint32_t i = 0; i < FID_CHUNK; i++) {
		chunk[i] = (struct fid_entry){ .fd = -1, .dir_fd = -1, .gen = 1 };
		chunk[i].next_free = i + 1 < FID_CHUNK ? base + i + 2 : 0;
	}
	s->chunks[base / FID_CHUNK] = chunk;
	s->nfids += FID_CHUNK;
	s->free_head = base + 1;
	return 0;
}

/* Takes ownership of fd; a slot must have been reserved. */
static gofer_fid fid_install(struct server *s, int fd, mode_t mode, bool readonly)
{
	uint32_t index = s->free_head - 1;
	struct fid_entry *e = fid_slot(s, index);

	s->free_head = e->next_free;
	e->fd = fd;
	e->dir_fd = -1;
	e->type = mode & S_IFMT;
	e->readonly = readonly;
	return ((gofer_fid)e->gen << 32) | (index + 1);
}

static void fid_release(struct server *s, gofer_fid fid, struct fid_entry *e)
{
	close(e->fd);
	if (e->dir_fd >= 0)
		close(e->dir_fd);
	e->fd = -1;
	e->dir_fd = -1;
	e->gen++;
	e->next_free = s->free_head;
	s->free_head = (uint32_t)fid; /* index + 1: fid was found by fid_lookup */
}

/* The name of fd in /proc/self/fd. */
struct proc_name {
	char s[16];
};

static struct proc_name proc_name(int fd)
{
	struct proc_name n;

	snprintf(n.s, sizeof(n.s), "%d", fd);
	return n;
}

/*
 * Opens the inode behind fd anew with flags. The /proc magic link jumps straight to that
 * inode: no path is walked, so neither a symlink nor a rename can redirect it.
 */
static int reopen(struct server *s, int fd, int flags)
{
	int r = openat(s->proc_fd, proc_name(fd).s, flags | O_CLOEXEC | O_NOCTTY);

	return r < 0 ? -errno : r;
}

static int stat_fd(int fd, struct gofer_stat *st)
{
	struct stat sb;

	if (fstatat(fd, "", &sb, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	gofer_stat_from_host(&sb, st);
	return 0;
}

/*
 * Gives a new node the ids the sentry asks for. Without CAP_CHOWN (a rootless gofer) EPERM
 * leaves it ours, as a rootless runtime would.
 */
static int set_owner(struct server *s, int pfd, mode_t type, uint32_t uid, uint32_t gid,
		     uint32_t mode)
{
	if (fchownat(pfd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return errno == EPERM ? 0 : -errno;
	/* chown clears setuid and setgid on files; the creator asked for them. */
	if (!S_ISDIR(type) && !S_ISLNK(type) && (mode & (S_ISUID | S_ISGID)) &&
	    fchmodat(s->proc_fd, proc_name(pfd).s, mode & 07777, 0) < 0)
		return -errno;
	return 0;
}

/*
 * Finishes a node just made as name in dir, given pfd (its O_PATH fd, or a negative errno):
 * owner, stat, fid. On failure the node is removed again.
 */
static void new_node(struct server *s, struct fid_entry *dir, const char *name, int pfd,
		     mode_t type, uint32_t uid, uint32_t gid, uint32_t mode, struct gofer_msg *rep)
{
	int ret = pfd;

	if (pfd >= 0)
		ret = set_owner(s, pfd, type, uid, gid, mode);
	if (ret >= 0)
		ret = stat_fd(pfd, &rep->u.node.st);
	if (ret < 0) {
		if (pfd >= 0)
			close(pfd);
		unlinkat(dir->fd, name, S_ISDIR(type) ? AT_REMOVEDIR : 0);
		rep->result = ret;
		return;
	}
	rep->u.node.fid = fid_install(s, pfd, rep->u.node.st.mode, dir->readonly);
}

static int open_path_at(int dirfd, const char *name, int flags)
{
	int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC | flags);

	return fd < 0 ? -errno : fd;
}

/* Each handler fills rep->result (and the reply's body when it is 0), or returns MALFORMED. */
static int reply_error(struct gofer_msg *rep, int err)
{
	rep->result = err;
	return 0;
}

/* Changes below a read-only root: refused here too, whatever the sentry's mount says. */
static int reply_erofs(struct gofer_msg *rep)
{
	return reply_error(rep, -EROFS);
}

static int do_attach(struct server *s, const struct gofer_msg *req, struct gofer_msg *rep)
{
	const struct gofer_root *root;
	int ret = fid_reserve(s);
	int fd;

	if (ret < 0)
		return reply_error(rep, ret);
	if (req->u.attach.root >= s->nroots)
		return reply_error(rep, -ENOENT);
	root = &s->roots[req->u.attach.root];
	/* A new description of the root itself (a directory or a file bind mount's file). */
	fd = reopen(s, root->fd, O_PATH);
	if (fd < 0)
		return reply_error(rep, fd);
	ret = stat_fd(fd, &rep->u.node.st);
	if (ret < 0) {
		close(fd);
		return reply_error(rep, ret);
	}
	rep->u.node.fid = fid_install(s, fd, rep->u.node.st.mode, root->readonly);
	return 0;
}

static int do_walk(struct server *s, const struct gofer_msg *req, struct gofer_msg *rep)
{
	struct fid_entry *dir = fid_lookup(s, req->u.walk.dir);
	int ret, fd;

	if (!dir)
		return MALFORMED;
	ret = fid_reserve(s);
	if (ret < 0)
		return reply_error(rep, ret);
	fd = open_path_at(dir->fd, req->u.walk.name, 0);
	if (fd < 0)
		return reply_error(rep, fd);
	ret = stat_fd(fd, &rep->u.node.st);
	if (ret < 0) {
		close(fd);
		return reply_error(rep, ret);
	}
	rep->u.node.fid = fid_install(s, fd, rep->u.node.st.mode, dir->readonly);
	return 0;
}

static int do_stat(struct server *s, const struct gofer_msg *req, struct gofer_msg *rep)
{
	struct fid_entry *e = fid_lookup(s, req->u.fid.fid);

	if (!e)
		return MALFORMED;
	rep->result = stat_fd(e->fd, &rep->u.stat);
	return 0;
}

/* Only regular files are opened for I/O: the sentry implements the others itself. */
static int open_type_check(mode_t type)
{
	switch (type) {
	case S_IFREG:
		return 0;
	case S_IFDIR:
		return -EISDIR;
	case S_IFLNK:
		return -ELOOP; /* what O_NOFOLLOW gives */
	case S_IFSOCK:
		return -ENXIO; /* what open(2) gives */
	default:
		return -EPERM;
	}
}

static int do_open(struct server *s, const struct gofer_msg *req, struct gofer_msg *rep,
		   int *donate)
{
	struct fid_entry *e = fid_lookup(s, req->u.open.fid);
	int ret;

	if (!e)
		return MALFORMED;
	if (e->readonly &&
	    ((req->u.open.flags & O_ACCMODE) != O_RDONLY || (req->u.open.flags & O_TRUNC)))
		return reply_erofs(rep);
	ret = open_type_check(e->type);
	if (ret == 0)
		ret = reopen(s, e->fd, (int)req->u.open.flags);
	if (ret < 0)
		return reply_error(rep, ret);
	*donate = ret;
	return 0;
}

static int do_create(struct server *s, const struct gofer_msg *req, struct gofer_msg *rep,
		     int *donate)
{
	struct fid_entry *dir = fid_lookup(s, req->u.create.dir);
	int flags = (int)req->u.create.flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY;
	int ret, fd;

	if (!dir)
		return MALFORMED;
	if (dir->readonly)
		return reply_erofs(rep);
	ret = fid_reserve(s);
	if (ret < 0)
		return reply_error(rep, ret);
	/* O_EXCL: an existing name is never opened, so no existing file changes owner. */
	fd = openat(dir->fd, req->u.create.name, flags, req->u.create.mode);
	if (fd < 0)
		return reply_error(rep, -errno);
	new_node(s, dir, req->u.create.name, reopen(s, fd, O_PATH), S_IFREG, req->u.create.uid,
		 req->u.create.gid, req->u.create.mode, rep);
	if (rep->result < 0) {
		close(fd);
		return 0;
	}
	*donate = fd;
	return 0;
}

static int do_mkdir(struct server *s, const struct gofer_msg *req, struct gofer_msg *rep)
{
	struct fid_entry *dir = fid_lookup(s, req->u.mkdir.dir);
	int ret;

	if (!dir)
		return MALFORMED;
	if (dir->readonly)
		return reply_erofs(rep);
	ret = fid_reserve(s);
	if (ret < 0)
		return reply_error(rep, ret);
	if (mkdirat(dir->fd, req->u.mkdir.name, req->u.mkdir.mode) < 0)
		return reply_error(rep, -errno);
	new_node(s, dir, req->u.mkdir.name, open_path_at(dir->fd, req->u.mkdir.name, O_DIRECTORY),
		 S_IFDIR, req->u.mkdir.uid, req->u.mkdir.gid, req->u.mkdir.mode, rep);
	return 0;
}

/* Device nodes are not made in the rootfs: they would outlive the sandbox on the host. */
static int mknod_type_check(mode_t type)
{
	switch (type) {
	case S_IFREG:
	case S_IFIFO:
	case S_IFSOCK:
		return 0;
	case S_IFCHR:
	case S_IFBLK:
	case S_IFDIR: /* as mknod(2) */
		return -EPERM;
	default:
		return -EINVAL;
	}
}

static int do_mknod(struct server *s, const struct gofer_msg *req, struct gofer_msg *rep)
{
	struct fid_entry *dir = fid_lookup(s, req->u.mknod.dir);
	mode_t type = req->u.mknod.mode & S_IFMT;
	mode_t perm = req->u.mknod.mode & 07777;
	int ret;

	if (!dir)
		return MALFORMED;
	if (dir->readonly)
		return reply_erofs(rep);
	if (type == 0)
		type = S_IFREG; /* as mknod(2) */
	ret = mknod_type_check(type);
	if (ret == 0)
		ret = fid_reserve(s);
	if (ret < 0)
		return reply_error(rep, ret);
	if (mknodat(dir->fd, req->u.mknod.name, type | perm, 0) < 0)
		return reply_error(rep, -errno);
	new_node(s, dir, req->u.mknod.name, open_path_at(dir->fd, req->u.mknod.name, 0), type,
		 req->u.mknod.uid, req->u.mknod.gid, perm, rep);
	return 0;
}

static int do_symlink(struct server *s, const struct gofer_msg *req, struct gofer_msg *rep)
{
	struct fid_entry *dir = fid_lookup(s, req->u.symlink.dir);
	int ret;

	if (!dir)
		return MALFORMED;
	if (dir->readonly)
		return reply_erofs(rep);
	ret = fid_reserve(s);
	if (ret < 0)
		return reply_error(rep, ret);
	if (symlinkat(req->u.symlink.target, dir->fd, req->u.symlink.name) < 0)
		return reply_error(rep, -errno);
	new_node(s, dir, req->u.symlink.name, open_path_at(dir->fd, req->u.symlink.name, 0),
		 S_IFLNK, req->u.symlink.uid, req->u.symlink.gid, 0, rep);
	return 0;
}

static int do_link(struct server *s, const struct gofer_msg *req, struct gofer_msg *rep)
{
	struct fid_entry *dir = fid_lookup(s, req->u.link.dir);
	struct fid_entry *target = fid_lookup(s, req->u.link.target);

	if (!dir || !target)
		return MALFORMED;
	if (dir->readonly)
		return reply_erofs(rep);
	/* linkat with AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; the magic link does not. */
	if (linkat(s->proc_fd, proc_name(target->fd).s, dir->fd, req->u.link.name,
		   AT_SYMLINK_FOLLOW) < 0)
		rep->result = -errno;
	return 0;
}

static int do_unlink(struct server *s, const struct gofer_msg *req, struct gofer_msg *rep)
{
	struct fid_entry *dir = fid_lookup(s, req->u.unlink.dir);

	if (!dir)
		return MALFORMED;
	if (dir->readonly)
		return reply_erofs(rep);
	if (unlinkat(dir->fd, req->u.unlink.name, (int)req->u.unlink.flags) < 0)
		rep->result = -errno;
	return 0;
}

static int do_rename(struct server *s, const struct gofer_msg *req, struct gofer_msg *rep)
{
	struct fid_entry *olddir = fid_lookup(s, req->u.rename.olddir);
	struct fid_entry *newdir = fid_lookup(s, req->u.rename.newdir);

	if (!olddir || !newdir)
		return MALFORMED;
	if (olddir->readonly || newdir->readonly)
		return reply_erofs(rep);
	if (renameat(olddir->fd, req->u.rename.oldname, newdir->fd, req->u.rename.newname) < 0)
		rep->result = -errno;
	return 0;
}

static int do_readlink(struct server *s, const struct gofer_msg *req, struct gofer_msg *rep)
{
	struct fid_entry *e = fid_lookup(s, req->u.fid.fid);
	char *target = rep->u.readlink.target;
	ssize_t n;

	if (!e)
		return MALFORMED;
	if (e->type != S_IFLNK)
		return reply_error(rep, -EINVAL); /* as readlink(2) */
	n = readlinkat(e->fd, "", target, GOFER_PATH_MAX);
	if (n < 0)
		return reply_error(rep, -errno);
	/* Linux caps targets at PATH_MAX - 1 bytes; anything else cannot be sent whole. */
	if (n == 0 || n >= GOFER_PATH_MAX || memchr(target, '\0', (size_t)n))
		return reply_error(rep, -EIO);
	target[n] = '\0';
	return 0;
}

/*
 * Entries after cookie off, until count or a full message. Each entry's cookie is its d_off,
 * the position after it, so the next call seeks there; nothing is kept between calls.
 */
static int do_readdir(struct server *s, const struct gofer_msg *req, struct gofer_msg *rep)
{
	struct fid_entry *e = fid_lookup(s, req->u.readdir.dir);
	size_t room = GOFER_DIRENTS_ROOM;
	uint32_t count = 0;
	bool full = false;

	if (!e)
		return MALFORMED;
	if (e->type != S_IFDIR)
		return reply_error(rep, -ENOTDIR);
	if (e->dir_fd < 0) {
		int fd = reopen(s, e->fd, O_RDONLY | O_DIRECTORY);

		if (fd < 0)
			return reply_error(rep, fd);
		e->dir_fd = fd;
	}
	if (lseek(e->dir_fd, (off_t)req->u.readdir.off, SEEK_SET) < 0)
		return reply_error(rep, -errno);

	while (!full) {
		ssize_t n = getdents64(e->dir_fd, s->dents, DENTS_BUF_SIZE);
		size_t pos = 0;

		if (n < 0) {
			if (count == 0)
				rep->result = -errno;
			break;
		}
		if (n == 0)
			break;
		while (pos < (size_t)n) {
			struct dirent64 *d = (struct dirent64 *)(s->dents + pos);
			size_t namelen;
			struct gofer_dirent *out;

			/* The kernel's records; checked anyway, as everything we send is. */
			if (d->d_reclen < offsetof(struct dirent64, d_name) + 1 ||
			    d->d_reclen > (size_t)n - pos) {
				rep->result = count ? 0 : -EIO;
				full = true;
				break;
			}
			pos += d->d_reclen;
			namelen = strnlen(d->d_name,
					  d->d_reclen - offsetof(struct dirent64, d_name));
			if (namelen > GOFER_NAME_MAX ||
			    namelen == d->d_reclen - offsetof(struct dirent64, d_name) ||
			    !gofer_name_valid(d->d_name))
				continue; /* "." and ".." */
			if (count == req->u.readdir.count || GOFER_DIRENT_WIRE_SIZE(namelen) > room) {
				full = true;
				break;
			}
			room -= GOFER_DIRENT_WIRE_SIZE(namelen);
			out = &s->ents[count++];
			out->ino = d->d_ino;
			out->off = (uint64_t)d->d_off;
			out->type = d->d_type;
			memcpy(out->name, d->d_name, namelen + 1);
		}
	}
	rep->u.dirents.count = count;
	rep->u.dirents.ents = s->ents;
	return 0;
}

static int truncate_fid(struct server *s, struct fid_entry *e, int64_t size)
{
	cleanup_close int fd = -1;

	if (e->type == S_IFDIR)
		return -EISDIR;
	if (e->type != S_IFREG)
		return -EINVAL; /* as truncate(2); and opening a FIFO would block */
	fd = reopen(s, e->fd, O_WRONLY);
	if (fd < 0)
		return fd;
	return ftruncate(fd, size) < 0 ? -errno : 0;
}

/* In chown, chmod, truncate, utimes order: chown may clear setid bits that chmod sets. */
static int do_setstat(struct server *s, const struct gofer_msg *req, struct gofer_msg *rep)
{
	struct fid_entry *e = fid_lookup(s, req->u.setstat.fid);
	const struct gofer_setattr *a = &req->u.setstat.attr;

	if (!e)
		return MALFORMED;
	if (e->readonly)
		return reply_erofs(rep);
	if (a->mask & (GOFER_SET_UID | GOFER_SET_GID)) {
		uid_t uid = (a->mask & GOFER_SET_UID) ? a->uid : (uid_t)-1;
		gid_t gid = (a->mask & GOFER_SET_GID) ? a->gid : (gid_t)-1;

		if (fchownat(e->fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
			return reply_error(rep, -errno);
	}
	if (a->mask & GOFER_SET_MODE) {
		if (e->type == S_IFLNK)
			return reply_error(rep, -EOPNOTSUPP); /* as fchmodat(AT_SYMLINK_NOFOLLOW) */
		if (fchmodat(s->proc_fd, proc_name(e->fd).s, a->mode, 0) < 0)
			return reply_error(rep, -errno);
	}
	if (a->mask & GOFER_SET_SIZE) {
		rep->result = truncate_fid(s, e, a->size);
		if (rep->result < 0)
			return 0;
	}
	if (a->mask & (GOFER_SET_ATIME | GOFER_SET_MTIME)) {
		struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT }, { .tv_nsec = UTIME_OMIT } };

		if (a->mask & GOFER_SET_ATIME)
			ts[0] = a->atime;
		if (a->mask & GOFER_SET_MTIME)
			ts[1] = a->mtime;
		if (utimensat(e->fd, "", ts, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
			return reply_error(rep, -errno);
	}
	return 0;
}

static int do_statfs(struct server *s, const struct gofer_msg *req, struct gofer_msg *rep)
{
	struct fid_entry *e = fid_lookup(s, req->u.fid.fid);

	if (!e)
		return MALFORMED;
	if (fstatfs(e->fd, &rep->u.statfs) < 0)
		rep->result = -errno;
	return 0;
}

static int do_close(struct server *s, const struct gofer_msg *req)
{
	struct fid_entry *e = fid_lookup(s, req->u.fid.fid);

	if (!e)
		return MALFORMED;
	fid_release(s, req->u.fid.fid, e);
	return 0;
}

static int handle(struct server *s, const struct gofer_msg *req, struct gofer_msg *rep,
		  int *donate)
{
	switch (req->type) {
	case GOFER_ATTACH:
		return do_attach(s, req, rep);
	case GOFER_WALK:
		return do_walk(s, req, rep);
	case GOFER_STAT:
		return do_stat(s, req, rep);
	case GOFER_OPEN:
		return do_open(s, req, rep, donate);
	case GOFER_CREATE:
		return do_create(s, req, rep, donate);
	case GOFER_MKDIR:
		return do_mkdir(s, req, rep);
	case GOFER_MKNOD:
		return do_mknod(s, req, rep);
	case GOFER_SYMLINK:
		return do_symlink(s, req, rep);
	case GOFER_LINK:
		return do_link(s, req, rep);
	case GOFER_UNLINK:
		return do_unlink(s, req, rep);
	case GOFER_RENAME:
		return do_rename(s, req, rep);
	case GOFER_READLINK:
		return do_readlink(s, req, rep);
	case GOFER_READDIR:
		return do_readdir(s, req, rep);
	case GOFER_SETSTAT:
		return do_setstat(s, req, rep);
	case GOFER_STATFS:
		return do_statfs(s, req, rep);
	case GOFER_CLOSE:
		return do_close(s, req);
	}
	return MALFORMED;
}

/* Reads, answers, repeats. Returns as gofer_serve_proc. */
static int serve_loop(struct server *s)
{
	for (;;) {
		struct gofer_msg req, rep;
		int fd = -1, donate = -1, ret;
		ssize_t n = gofer_recv_msg(s->sock, s->stream, s->buf, GOFER_MSG_MAX, &fd);

		if (n <= 0)
			return (int)n;
		if (fd >= 0) {
			close(fd); /* requests never carry fds */
			return MALFORMED;
		}
		if (gofer_msg_decode(s->buf, (size_t)n, &req, NULL, 0) < 0 ||
		    (req.type & GOFER_REPLY))
			return MALFORMED;

		memset(&rep, 0, sizeof(rep));
		rep.type = req.type | GOFER_REPLY;
		rep.id = req.id;
		ret = handle(s, &req, &rep, &donate);
		if (ret < 0)
			return ret;
		if (req.type == GOFER_CLOSE)
			continue;

		n = gofer_msg_encode(&rep, s->buf, GOFER_MSG_MAX);
		if (n < 0) {
			/* Our own reply broke a rule (a host value we cannot carry): say EIO. */
			log_warn("cannot encode reply to type %u: %s", req.type,
				 strerror((int)-n));
			if (donate >= 0)
				close(steal_fd(&donate));
			memset(&rep.u, 0, sizeof(rep.u));
			rep.result = -EIO;
			n = gofer_msg_encode(&rep, s->buf, GOFER_MSG_MAX);
		}
		ret = n < 0 ? (int)n : gofer_send_msg(s->sock, s->stream, s->buf, (size_t)n, donate);
		if (donate >= 0)
			close(donate);
		if (ret < 0)
			return ret;
	}
}

int gofer_serve_proc(int sock, const struct gofer_root *roots, uint32_t nroots, int proc_fd)
{
	struct server s = { .sock = sock, .roots = roots, .nroots = nroots, .proc_fd = proc_fd };
	int ret;

	umask(0);
	ret = gofer_sock_is_stream(sock, &s.stream);
	if (ret == 0) {
		s.buf = malloc(GOFER_MSG_MAX);
		s.ents = calloc(GOFER_READDIR_MAX, sizeof(*s.ents));
		s.dents = malloc(DENTS_BUF_SIZE);
		if (!s.buf || !s.ents || !s.dents)
			ret = -ENOMEM;
	}
	if (ret == 0)
		ret = serve_loop(&s);
	if (ret == MALFORMED)
		log_warn("malformed request; closing the connection");
	else if (ret < 0)
		log_warn("connection failed: %s", strerror(-ret));

	shutdown(sock, SHUT_RDWR);
	for (uint32_t i = 0; i < s.nfids; i++) {
		struct fid_entry *e = fid_slot(&s, i);

		if (e->fd >= 0)
			close(e->fd);
		if (e->dir_fd >= 0)
			close(e->dir_fd);
	}
	for (uint32_t i = 0; i < s.nfids / FID_CHUNK; i++)
		free(s.chunks[i]);
	free(s.buf);
	free(s.ents);
	free(s.dents);
	return ret;
}

int gofer_serve(int sock, int root_fd)
{
	cleanup_close int proc_fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct gofer_root root = { .fd = root_fd };

	if (proc_fd < 0) {
		int ret = -errno;

		log_warn("cannot open /proc/self/fd: %s", strerror(-ret));
		shutdown(sock, SHUT_RDWR);
		return ret;
	}
	return gofer_serve_proc(sock, &root, 1, proc_fd);
}
