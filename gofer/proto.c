/*
 * The gofer message codec. One description per message drives both encoding and decoding
 * (as XDR routines do), so the two directions cannot disagree on a layout or on a rule.
 */
#include "gofer/proto.h"

#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/util.h"

/* Largest errno a reply may carry, as the kernel's MAX_ERRNO. */
#define GOFER_ERRNO_MAX 4095

#define GOFER_SET_ALL                                                                         \
	(GOFER_SET_MODE | GOFER_SET_UID | GOFER_SET_GID | GOFER_SET_SIZE | GOFER_SET_ATIME |  \
	 GOFER_SET_MTIME)

/*
 * A position in a message being encoded (values read from the struct, written to out) or
 * decoded (read from in, checked, stored in the struct). After the first error every
 * operation does nothing, so a description reads straight through without error checks.
 */
struct cursor {
	bool encode;
	uint8_t *out;
	const uint8_t *in;
	size_t len, pos;
	int err;
	struct gofer_dirent *ents; /* decoding: storage for a readdir reply */
	uint32_t max_ents;
};

static void cur_fail(struct cursor *c, int err)
{
	if (!c->err)
		c->err = err;
}

/* A broken rule: the caller's mistake when encoding, a malformed message when decoding. */
static void cur_check(struct cursor *c, bool ok)
{
	if (!ok)
		cur_fail(c, c->encode ? -EINVAL : -EBADMSG);
}

static void cur_bytes(struct cursor *c, void *p, size_t n)
{
	if (c->err)
		return;
	if (n > c->len - c->pos) {
		cur_fail(c, c->encode ? -EMSGSIZE : -EBADMSG);
		return;
	}
	if (c->encode)
		memcpy(c->out + c->pos, p, n);
	else
		memcpy(p, c->in + c->pos, n);
	c->pos += n;
}

static void cur_u8(struct cursor *c, uint8_t *v)
{
	cur_bytes(c, v, 1);
}

#define CUR_UINT(bits)                                                                        \
	static void cur_u##bits(struct cursor *c, uint##bits##_t *v)                          \
	{                                                                                     \
		uint##bits##_t le = c->encode ? htole##bits(*v) : 0;                          \
                                                                                              \
		cur_bytes(c, &le, sizeof(le));                                                \
		if (!c->encode && !c->err)                                                    \
			*v = le##bits##toh(le);                                               \
	}
CUR_UINT(16)
CUR_UINT(32)
CUR_UINT(64)

static void cur_i32(struct cursor *c, int32_t *v)
{
	cur_u32(c, (uint32_t *)v);
}

static void cur_i64(struct cursor *c, int64_t *v)
{
	cur_u64(c, (uint64_t *)v);
}

/* For struct fields whose C type is not exactly the wire type (long, dev_t, ...). */
#define CUR_FIELD(c, kind, type, lval)                                                        \
	do {                                                                                  \
		type v_ = (c)->encode ? (type)(lval) : 0;                                     \
		cur_##kind((c), &v_);                                                         \
		if (!(c)->encode)                                                             \
			(lval) = v_;                                                          \
	} while (0)

static void cur_fid(struct cursor *c, gofer_fid *fid)
{
	cur_u64(c, fid);
	cur_check(c, *fid != 0);
}

bool gofer_name_valid(const char *name)
{
	size_t n = strnlen(name, GOFER_NAME_MAX + 1);

	if (n == 0 || n > GOFER_NAME_MAX || memchr(name, '/', n))
		return false;
	return strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

/* A string of 1..cap-1 bytes without NUL, stored NUL-terminated in buf[cap]; a name if asked. */
static void cur_string(struct cursor *c, char *buf, size_t cap, bool is_name)
{
	uint16_t n = 0;

	if (c->err)
		return;
	if (c->encode) {
		size_t len = strnlen(buf, cap);

		cur_check(c, len > 0 && len < cap && (!is_name || gofer_name_valid(buf)));
		n = (uint16_t)len;
	}
	cur_u16(c, &n);
	cur_check(c, n > 0 && n < cap);
	cur_bytes(c, buf, n);
	if (c->encode || c->err)
		return;
	buf[n] = '\0';
	cur_check(c, strlen(buf) == n && (!is_name || gofer_name_valid(buf)));
}

static void cur_name(struct cursor *c, char name[GOFER_NAME_MAX + 1])
{
	cur_string(c, name, GOFER_NAME_MAX + 1, true);
}

static void cur_target(struct cursor *c, char target[GOFER_PATH_MAX])
{
	cur_string(c, target, GOFER_PATH_MAX, false);
}

/* utimensat's UTIME_NOW and UTIME_OMIT are valid only in setattr. */
static bool nsec_valid(long nsec, bool utime_special)
{
	if (nsec >= 0 && nsec < 1000000000L)
		return true;
	return utime_special && (nsec == UTIME_NOW || nsec == UTIME_OMIT);
}

/* i64 seconds, u32 nanoseconds. */
static void cur_time(struct cursor *c, struct timespec *ts, bool utime_special)
{
	uint32_t nsec = 0;

	if (c->encode) {
		cur_check(c, nsec_valid(ts->tv_nsec, utime_special));
		nsec = (uint32_t)ts->tv_nsec;
	}
	CUR_FIELD(c, i64, int64_t, ts->tv_sec);
	cur_u32(c, &nsec);
	if (!c->encode) {
		ts->tv_nsec = nsec;
		cur_check(c, nsec_valid(ts->tv_nsec, utime_special));
	}
}

static void cur_stat(struct cursor *c, struct gofer_stat *st)
{
	cur_u64(c, &st->dev);
	cur_u64(c, &st->ino);
	cur_u64(c, &st->nlink);
	cur_u64(c, &st->rdev);
	cur_u32(c, &st->mode);
	cur_u32(c, &st->uid);
	cur_u32(c, &st->gid);
	cur_u32(c, &st->blksize);
	cur_i64(c, &st->size);
	cur_i64(c, &st->blocks);
	cur_time(c, &st->atime, false);
	cur_time(c, &st->mtime, false);
	cur_time(c, &st->ctime, false);
}

/* The fields of a that its mask uses; the others zero. */
static struct gofer_setattr setattr_used(const struct gofer_setattr *a)
{
	struct gofer_setattr v = { .mask = a->mask };

	if (a->mask & GOFER_SET_MODE)
		v.mode = a->mode;
	if (a->mask & GOFER_SET_UID)
		v.uid = a->uid;
	if (a->mask & GOFER_SET_GID)
		v.gid = a->gid;
	if (a->mask & GOFER_SET_SIZE)
		v.size = a->size;
	if (a->mask & GOFER_SET_ATIME)
		v.atime = a->atime;
	if (a->mask & GOFER_SET_MTIME)
		v.mtime = a->mtime;
	return v;
}

static bool timespec_zero(const struct timespec *ts)
{
	return ts->tv_sec == 0 && ts->tv_nsec == 0;
}

/*
 * Fields the mask does not name travel as zero and must arrive as zero, so that a message
 * has one encoding and callers need not initialise what they do not set.
 */
static void cur_setattr(struct cursor *c, struct gofer_setattr *a)
{
	struct gofer_setattr v = { 0 };
	uint32_t m;

	if (c->encode)
		v = setattr_used(a);
	cur_u32(c, &v.mask);
	m = v.mask;
	cur_check(c, (m & ~GOFER_SET_ALL) == 0);
	cur_u32(c, &v.mode);
	cur_check(c, (v.mode & ~07777u) == 0 && ((m & GOFER_SET_MODE) || v.mode == 0));
	cur_u32(c, &v.uid);
	cur_check(c, (m & GOFER_SET_UID) || v.uid == 0);
	cur_u32(c, &v.gid);
	cur_check(c, (m & GOFER_SET_GID) || v.gid == 0);
	cur_i64(c, &v.size);
	cur_check(c, v.size >= 0 && ((m & GOFER_SET_SIZE) || v.size == 0));
	cur_time(c, &v.atime, true);
	cur_check(c, (m & GOFER_SET_ATIME) || timespec_zero(&v.atime));
	cur_time(c, &v.mtime, true);
	cur_check(c, (m & GOFER_SET_MTIME) || timespec_zero(&v.mtime));
	if (!c->encode && !c->err)
		*a = v;
}

static void cur_statfs(struct cursor *c, struct statfs *s)
{
	CUR_FIELD(c, i64, int64_t, s->f_type);
	CUR_FIELD(c, i64, int64_t, s->f_bsize);
	CUR_FIELD(c, u64, uint64_t, s->f_blocks);
	CUR_FIELD(c, u64, uint64_t, s->f_bfree);
	CUR_FIELD(c, u64, uint64_t, s->f_bavail);
	CUR_FIELD(c, u64, uint64_t, s->f_files);
	CUR_FIELD(c, u64, uint64_t, s->f_ffree);
	CUR_FIELD(c, i32, int32_t, s->f_fsid.__val[0]);
	CUR_FIELD(c, i32, int32_t, s->f_fsid.__val[1]);
	CUR_FIELD(c, i64, int64_t, s->f_namelen);
	CUR_FIELD(c, i64, int64_t, s->f_frsize);
	CUR_FIELD(c, i64, int64_t, s->f_flags);
}

static bool dtype_valid(uint8_t t)
{
	switch (t) {
	case DT_UNKNOWN:
	case DT_FIFO:
	case DT_CHR:
	case DT_DIR:
	case DT_BLK:
	case DT_REG:
	case DT_LNK:
	case DT_SOCK:
	case DT_WHT:
		return true;
	}
	return false;
}

/* u32 count, then per entry: u64 ino, u64 cookie, u8 DT_* type, name. */
static void cur_dirents(struct cursor *c, struct gofer_msg *m)
{
	uint32_t count = m->u.dirents.count;
	struct gofer_dirent *ents = m->u.dirents.ents;

	cur_u32(c, &count);
	if (c->encode) {
		cur_check(c, count <= GOFER_READDIR_MAX && (count == 0 || ents));
	} else {
		cur_check(c, count <= c->max_ents && (count == 0 || c->ents));
		ents = c->ents;
		m->u.dirents.ents = ents;
		m->u.dirents.count = count;
	}
	for (uint32_t i = 0; i < count && !c->err; i++) {
		cur_u64(c, &ents[i].ino);
		cur_u64(c, &ents[i].off);
		cur_u8(c, &ents[i].type);
		cur_check(c, dtype_valid(ents[i].type));
		cur_name(c, ents[i].name);
	}
}

static void cur_body(struct cursor *c, struct gofer_msg *m)
{
	if (m->type & GOFER_REPLY) {
		cur_i32(c, &m->result);
		cur_check(c, m->result <= 0 && m->result >= -GOFER_ERRNO_MAX);
		if (c->err || m->result < 0)
			return;
	}

	switch (m->type) {
	case GOFER_ATTACH:
		cur_u32(c, &m->u.attach.root);
		break;
	case GOFER_WALK:
		cur_fid(c, &m->u.walk.dir);
		cur_name(c, m->u.walk.name);
		break;
	case GOFER_STAT:
	case GOFER_READLINK:
	case GOFER_STATFS:
	case GOFER_CLOSE:
		cur_fid(c, &m->u.fid.fid);
		break;
	case GOFER_OPEN:
		cur_fid(c, &m->u.open.fid);
		cur_u32(c, &m->u.open.flags);
		cur_check(c, (m->u.open.flags & ~GOFER_OPEN_FLAGS) == 0 &&
				     (m->u.open.flags & O_ACCMODE) != O_ACCMODE);
		break;
	case GOFER_CREATE:
		cur_fid(c, &m->u.create.dir);
		cur_name(c, m->u.create.name);
		cur_u32(c, &m->u.create.flags);
		cur_check(c, (m->u.create.flags & ~GOFER_OPEN_FLAGS) == 0 &&
				     (m->u.create.flags & O_ACCMODE) != O_ACCMODE);
		cur_u32(c, &m->u.create.mode);
		cur_check(c, (m->u.create.mode & ~07777u) == 0);
		cur_u32(c, &m->u.create.uid);
		cur_u32(c, &m->u.create.gid);
		break;
	case GOFER_MKDIR:
		cur_fid(c, &m->u.mkdir.dir);
		cur_name(c, m->u.mkdir.name);
		cur_u32(c, &m->u.mkdir.mode);
		cur_check(c, (m->u.mkdir.mode & ~07777u) == 0);
		cur_u32(c, &m->u.mkdir.uid);
		cur_u32(c, &m->u.mkdir.gid);
		break;
	case GOFER_MKNOD:
		cur_fid(c, &m->u.mknod.dir);
		cur_name(c, m->u.mknod.name);
		cur_u32(c, &m->u.mknod.mode);
		cur_check(c, (m->u.mknod.mode & ~(uint32_t)(S_IFMT | 07777)) == 0);
		cur_u64(c, &m->u.mknod.rdev);
		cur_u32(c, &m->u.mknod.uid);
		cur_u32(c, &m->u.mknod.gid);
		break;
	case GOFER_SYMLINK:
		cur_fid(c, &m->u.symlink.dir);
		cur_name(c, m->u.symlink.name);
		cur_target(c, m->u.symlink.target);
		cur_u32(c, &m->u.symlink.uid);
		cur_u32(c, &m->u.symlink.gid);
		break;
	case GOFER_LINK:
		cur_fid(c, &m->u.link.dir);
		cur_name(c, m->u.link.name);
		cur_fid(c, &m->u.link.target);
		break;
	case GOFER_UNLINK:
		cur_fid(c, &m->u.unlink.dir);
		cur_name(c, m->u.unlink.name);
		cur_u32(c, &m->u.unlink.flags);
		cur_check(c, m->u.unlink.flags == 0 || m->u.unlink.flags == AT_REMOVEDIR);
		break;
	case GOFER_RENAME:
		cur_fid(c, &m->u.rename.olddir);
		cur_name(c, m->u.rename.oldname);
		cur_fid(c, &m->u.rename.newdir);
		cur_name(c, m->u.rename.newname);
		break;
	case GOFER_READDIR:
		cur_fid(c, &m->u.readdir.dir);
		cur_u64(c, &m->u.readdir.off);
		cur_u32(c, &m->u.readdir.count);
		cur_check(c, m->u.readdir.count >= 1 && m->u.readdir.count <= GOFER_READDIR_MAX);
		break;
	case GOFER_SETSTAT:
		cur_fid(c, &m->u.setstat.fid);
		cur_setattr(c, &m->u.setstat.attr);
		break;

	case GOFER_REPLY | GOFER_ATTACH:
	case GOFER_REPLY | GOFER_WALK:
	case GOFER_REPLY | GOFER_CREATE:
	case GOFER_REPLY | GOFER_MKDIR:
	case GOFER_REPLY | GOFER_MKNOD:
	case GOFER_REPLY | GOFER_SYMLINK:
		cur_fid(c, &m->u.node.fid);
		cur_stat(c, &m->u.node.st);
		break;
	case GOFER_REPLY | GOFER_STAT:
		cur_stat(c, &m->u.stat);
		break;
	case GOFER_REPLY | GOFER_OPEN:
	case GOFER_REPLY | GOFER_LINK:
	case GOFER_REPLY | GOFER_UNLINK:
	case GOFER_REPLY | GOFER_RENAME:
	case GOFER_REPLY | GOFER_SETSTAT:
		break;
	case GOFER_REPLY | GOFER_READLINK:
		cur_target(c, m->u.readlink.target);
		break;
	case GOFER_REPLY | GOFER_READDIR:
		cur_dirents(c, m);
		break;
	case GOFER_REPLY | GOFER_STATFS:
		cur_statfs(c, &m->u.statfs);
		break;
	default:
		cur_check(c, false);
		break;
	}
}

/* Header: u32 size, u16 type, u16 reserved (0), u64 id. */
static void cur_header(struct cursor *c, uint32_t *size, struct gofer_msg *m)
{
	uint16_t reserved = 0;

	cur_u32(c, size);
	cur_u16(c, &m->type);
	cur_u16(c, &reserved);
	cur_check(c, reserved == 0);
	cur_u64(c, &m->id);
}

ssize_t gofer_msg_encode(const struct gofer_msg *m, uint8_t *buf, size_t len)
{
	/* Encoding only reads the message; the cursor's shared description takes it non-const. */
	struct gofer_msg *mm = (struct gofer_msg *)m;
	struct cursor c = { .encode = true, .out = buf, .len = MIN(len, (size_t)GOFER_MSG_MAX) };
	uint32_t size = 0, le;

	cur_header(&c, &size, mm);
	cur_body(&c, mm);
	if (c.err)
		return c.err;
	le = htole32((uint32_t)c.pos);
	memcpy(buf, &le, sizeof(le));
	return (ssize_t)c.pos;
}

int gofer_msg_decode(const uint8_t *buf, size_t len, struct gofer_msg *m,
		     struct gofer_dirent *ents, uint32_t max_ents)
{
	struct cursor c = { .in = buf, .len = len, .ents = ents, .max_ents = max_ents };
	uint32_t size = 0;

	memset(m, 0, sizeof(*m));
	cur_header(&c, &size, m);
	cur_check(&c, size == len && len <= GOFER_MSG_MAX);
	cur_body(&c, m);
	cur_check(&c, c.pos == len);
	return c.err ? -EBADMSG : 0;
}

int gofer_msg_size(const uint8_t *hdr, size_t len, uint32_t *size)
{
	uint32_t le;

	if (len < GOFER_HDR_SIZE)
		return -EBADMSG;
	memcpy(&le, hdr, sizeof(le));
	*size = le32toh(le);
	if (*size < GOFER_HDR_SIZE || *size > GOFER_MSG_MAX)
		return -EBADMSG;
	return 0;
}
