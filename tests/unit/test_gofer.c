/*
 * Unit tests of the gofer: the message codec (round trips, malformed input), and a server
 * forked on a socketpair over a temporary directory, driven through the client.
 */
#include <check.h>
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gofer/client.h"
#include "gofer/gofer.h"
#include "gofer/proto.h"
#include "lib/util.h"

/* ---- codec ---- */

static uint8_t buf[GOFER_MSG_MAX + 64];
static struct gofer_dirent ents_in[3], ents_out[GOFER_READDIR_MAX];

static void fill_name(char *dst, size_t n, char c)
{
	memset(dst, c, n);
	dst[n] = '\0';
}

static struct gofer_stat sample_stat(void)
{
	struct gofer_stat st;

	memset(&st, 0, sizeof(st));
	st.dev = 0x801;
	st.ino = 0xfedcba9876543210ULL;
	st.nlink = 3;
	st.rdev = makedev(1, 3);
	st.mode = S_IFREG | 04755;
	st.uid = 1000;
	st.gid = 0xfffffffe;
	st.blksize = 4096;
	st.size = 0x7fffffffffffffffLL;
	st.blocks = 8;
	st.atime = (struct timespec){ .tv_sec = -5, .tv_nsec = 999999999 };
	st.mtime = (struct timespec){ .tv_sec = 1700000000, .tv_nsec = 0 };
	st.ctime = (struct timespec){ .tv_sec = 1, .tv_nsec = 1 };
	return st;
}

/* One message of every kind, and a few edge cases; id varies so ids are checked too. */
static const int nsamples = 40;

static void sample(int i, struct gofer_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->id = 0x1122334455667700ULL + (uint64_t)i;
	switch (i) {
	case 0:
		m->type = GOFER_ATTACH;
		m->u.attach.root = 0xfedcba98;
		break;
	case 1:
		m->type = GOFER_WALK;
		m->u.walk.dir = 7;
		strcpy(m->u.walk.name, "file.txt");
		break;
	case 2:
		m->type = GOFER_STAT;
		m->u.fid.fid = 0xffffffffffffffffULL;
		break;
	case 3:
		m->type = GOFER_OPEN;
		m->u.open.fid = 9;
		m->u.open.flags = O_RDWR | O_TRUNC | O_APPEND;
		break;
	case 4:
		m->type = GOFER_CREATE;
		m->u.create.dir = 1;
		strcpy(m->u.create.name, "new");
		m->u.create.flags = O_WRONLY;
		m->u.create.mode = 04755;
		m->u.create.uid = 1000;
		m->u.create.gid = 1001;
		break;
	case 5:
		m->type = GOFER_MKDIR;
		m->u.mkdir.dir = 1;
		strcpy(m->u.mkdir.name, "dir");
		m->u.mkdir.mode = 01777;
		m->u.mkdir.uid = 0;
		m->u.mkdir.gid = 0xffffffff;
		break;
	case 6:
		m->type = GOFER_MKNOD;
		m->u.mknod.dir = 1;
		strcpy(m->u.mknod.name, "fifo");
		m->u.mknod.mode = S_IFIFO | 0600;
		m->u.mknod.rdev = makedev(8, 1);
		m->u.mknod.uid = 5;
		m->u.mknod.gid = 6;
		break;
	case 7:
		m->type = GOFER_SYMLINK;
		m->u.symlink.dir = 2;
		strcpy(m->u.symlink.name, "link");
		strcpy(m->u.symlink.target, "../../etc/passwd");
		m->u.symlink.uid = 1;
		m->u.symlink.gid = 2;
		break;
	case 8:
		m->type = GOFER_LINK;
		m->u.link.dir = 2;
		strcpy(m->u.link.name, "hard");
		m->u.link.target = 3;
		break;
	case 9:
		m->type = GOFER_UNLINK;
		m->u.unlink.dir = 2;
		strcpy(m->u.unlink.name, "gone");
		m->u.unlink.flags = AT_REMOVEDIR;
		break;
	case 10:
		m->type = GOFER_RENAME;
		m->u.rename.olddir = 2;
		strcpy(m->u.rename.oldname, "a");
		m->u.rename.newdir = 3;
		strcpy(m->u.rename.newname, "...");
		break;
	case 11:
		m->type = GOFER_READLINK;
		m->u.fid.fid = 4;
		break;
	case 12:
		m->type = GOFER_READDIR;
		m->u.readdir.dir = 4;
		m->u.readdir.off = 0x7fffffffffffffffULL;
		m->u.readdir.count = GOFER_READDIR_MAX;
		break;
	case 13:
		m->type = GOFER_SETSTAT;
		m->u.setstat.fid = 4;
		m->u.setstat.attr.mask = GOFER_SET_MODE | GOFER_SET_SIZE | GOFER_SET_ATIME;
		m->u.setstat.attr.mode = 0644;
		m->u.setstat.attr.size = 12345;
		m->u.setstat.attr.atime.tv_nsec = UTIME_NOW;
		break;
	case 14:
		m->type = GOFER_SETSTAT;
		m->u.setstat.fid = 4;
		m->u.setstat.attr = (struct gofer_setattr){
			.mask = 0x3f,
			.mode = 07777,
			.uid = 1,
			.gid = 2,
			.size = 0,
			.atime = { .tv_sec = -1, .tv_nsec = 5 },
			.mtime = { .tv_nsec = UTIME_OMIT },
		};
		break;
	case 15:
		m->type = GOFER_STATFS;
		m->u.fid.fid = 1;
		break;
	case 16:
		m->type = GOFER_CLOSE;
		m->u.fid.fid = 1;
		break;
	case 17: /* the longest name */
		m->type = GOFER_WALK;
		m->u.walk.dir = 1;
		fill_name(m->u.walk.name, GOFER_NAME_MAX, 'n');
		break;
	case 18: /* the longest target */
		m->type = GOFER_SYMLINK;
		m->u.symlink.dir = 1;
		strcpy(m->u.symlink.name, "l");
		fill_name(m->u.symlink.target, GOFER_PATH_MAX - 1, '/');
		break;
	case 19:
		m->type = GOFER_REPLY | GOFER_ATTACH;
		m->u.node.fid = 1;
		m->u.node.st = sample_stat();
		break;
	case 20:
		m->type = GOFER_REPLY | GOFER_WALK;
		m->u.node.fid = (5ULL << 32) | 3;
		m->u.node.st = sample_stat();
		break;
	case 21:
		m->type = GOFER_REPLY | GOFER_STAT;
		m->u.stat = sample_stat();
		break;
	case 22:
		m->type = GOFER_REPLY | GOFER_OPEN;
		break;
	case 23:
		m->type = GOFER_REPLY | GOFER_CREATE;
		m->u.node.fid = 2;
		m->u.node.st = sample_stat();
		break;
	case 24:
		m->type = GOFER_REPLY | GOFER_MKDIR;
		m->u.node.fid = 2;
		m->u.node.st = sample_stat();
		break;
	case 25:
		m->type = GOFER_REPLY | GOFER_MKNOD;
		m->u.node.fid = 2;
		m->u.node.st = sample_stat();
		break;
	case 26:
		m->type = GOFER_REPLY | GOFER_SYMLINK;
		m->u.node.fid = 2;
		m->u.node.st = sample_stat();
		break;
	case 27:
		m->type = GOFER_REPLY | GOFER_LINK;
		break;
	case 28:
		m->type = GOFER_REPLY | GOFER_UNLINK;
		break;
	case 29:
		m->type = GOFER_REPLY | GOFER_RENAME;
		break;
	case 30:
		m->type = GOFER_REPLY | GOFER_READLINK;
		strcpy(m->u.readlink.target, "/etc/passwd");
		break;
	case 31:
		m->type = GOFER_REPLY | GOFER_READDIR;
		memset(ents_in, 0, sizeof(ents_in));
		ents_in[0] = (struct gofer_dirent){ .ino = 1, .off = 10, .type = DT_REG };
		strcpy(ents_in[0].name, "a");
		ents_in[1] = (struct gofer_dirent){ .ino = 2, .off = 20, .type = DT_DIR };
		strcpy(ents_in[1].name, "...");
		ents_in[2] = (struct gofer_dirent){ .ino = 3, .off = ~0ULL, .type = DT_LNK };
		fill_name(ents_in[2].name, GOFER_NAME_MAX, 'z');
		m->u.dirents.count = 3;
		m->u.dirents.ents = ents_in;
		break;
	case 32:
		m->type = GOFER_REPLY | GOFER_READDIR; /* the end of a directory */
		break;
	case 33:
		m->type = GOFER_REPLY | GOFER_SETSTAT;
		break;
	case 34:
		m->type = GOFER_REPLY | GOFER_STATFS;
		m->u.statfs.f_type = 0xef53;
		m->u.statfs.f_bsize = 4096;
		m->u.statfs.f_blocks = 1000000;
		m->u.statfs.f_bfree = 500000;
		m->u.statfs.f_bavail = 400000;
		m->u.statfs.f_files = 65536;
		m->u.statfs.f_ffree = 60000;
		m->u.statfs.f_fsid.__val[0] = -1;
		m->u.statfs.f_fsid.__val[1] = 42;
		m->u.statfs.f_namelen = 255;
		m->u.statfs.f_frsize = 4096;
		m->u.statfs.f_flags = 0x1020;
		break;
	case 35:
		m->type = GOFER_REPLY | GOFER_WALK;
		m->result = -ENOENT;
		break;
	case 36:
		m->type = GOFER_REPLY | GOFER_OPEN;
		m->result = -4095;
		break;
	case 37:
		m->type = GOFER_MKNOD; /* mode without a type: a regular file, as mknod(2) */
		m->u.mknod.dir = 1;
		strcpy(m->u.mknod.name, "f");
		m->u.mknod.mode = 0644;
		break;
	case 38:
		m->type = GOFER_REPLY | GOFER_READDIR;
		m->result = -ENOTDIR;
		break;
	case 39:
		m->type = GOFER_UNLINK;
		m->u.unlink.dir = 1;
		strcpy(m->u.unlink.name, " ");
		break;
	}
}

/* Decodes; a readdir reply's entries are compared apart, then the structs byte for byte
 * (both were zeroed before being filled, so padding agrees). */
static void check_same(const struct gofer_msg *a, struct gofer_msg *b)
{
	struct gofer_msg x = *a;

	ck_assert_int_eq(b->type, a->type);
	ck_assert_uint_eq(b->id, a->id);
	if (a->type == (GOFER_REPLY | GOFER_READDIR) && a->result == 0) {
		ck_assert_uint_eq(b->u.dirents.count, a->u.dirents.count);
		for (uint32_t i = 0; i < a->u.dirents.count; i++) {
			ck_assert_uint_eq(b->u.dirents.ents[i].ino, a->u.dirents.ents[i].ino);
			ck_assert_uint_eq(b->u.dirents.ents[i].off, a->u.dirents.ents[i].off);
			ck_assert_uint_eq(b->u.dirents.ents[i].type, a->u.dirents.ents[i].type);
			ck_assert_str_eq(b->u.dirents.ents[i].name, a->u.dirents.ents[i].name);
		}
		x.u.dirents.ents = NULL;
		b->u.dirents.ents = NULL;
	}
	ck_assert(memcmp(&x, b, sizeof(x)) == 0);
}

START_TEST(codec_roundtrip)
{
	struct gofer_msg m, d;
	ssize_t n;

	sample(_i, &m);
	n = gofer_msg_encode(&m, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(gofer_msg_decode(buf, (size_t)n, &d, ents_out, GOFER_READDIR_MAX), 0);
	check_same(&m, &d);

	/* Too small a buffer is -EMSGSIZE, never an overrun. */
	ck_assert_int_eq(gofer_msg_encode(&m, buf, (size_t)n - 1), -EMSGSIZE);
	ck_assert_int_eq(gofer_msg_encode(&m, buf, (size_t)n), n);
}
END_TEST

/* Every prefix of a message, even one whose header claims exactly that length, is rejected;
 * so is the message with anything after it. */
START_TEST(codec_truncated_and_trailing)
{
	struct gofer_msg m, d;
	ssize_t n;

	sample(_i, &m);
	n = gofer_msg_encode(&m, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	for (size_t len = 0; len < (size_t)n; len++) {
		uint8_t *copy = malloc(len ? len : 1);
		uint32_t le = htole32((uint32_t)len);

		memcpy(copy, buf, len);
		ck_assert_int_eq(gofer_msg_decode(copy, len, &d, ents_out, GOFER_READDIR_MAX),
				 -EBADMSG);
		if (len >= GOFER_HDR_SIZE) {
			memcpy(copy, &le, sizeof(le));
			ck_assert_int_eq(
				gofer_msg_decode(copy, len, &d, ents_out, GOFER_READDIR_MAX),
				-EBADMSG);
		}
		free(copy);
	}
	/* A header that claims more than the buffer holds. */
	ck_assert_int_eq(gofer_msg_decode(buf, (size_t)n - 1, &d, ents_out, GOFER_READDIR_MAX),
			 -EBADMSG);
	/* Trailing garbage, with the size updated to cover it. */
	{
		uint32_t le = htole32((uint32_t)n + 1);

		buf[n] = 0;
		memcpy(buf, &le, sizeof(le));
		ck_assert_int_eq(gofer_msg_decode(buf, (size_t)n + 1, &d, ents_out,
						  GOFER_READDIR_MAX),
				 -EBADMSG);
	}
}
END_TEST

/*
 * Every byte of every message changed to a few values: decoding never reads outside the
 * buffer (ASan watches), and whatever it accepts encodes back to the same bytes, so a
 * message has one encoding and nothing is silently dropped.
 */
START_TEST(codec_mutations_are_canonical)
{
	static const uint8_t values[] = { 0x00, 0x01, 0x2e, 0x2f, 0x7f, 0x80, 0xff };
	struct gofer_msg m, d;
	uint8_t *orig, *copy, *again;
	ssize_t n;

	sample(_i, &m);
	n = gofer_msg_encode(&m, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	orig = malloc((size_t)n);
	copy = malloc((size_t)n);
	again = malloc(GOFER_MSG_MAX);
	memcpy(orig, buf, (size_t)n);
	for (ssize_t pos = 0; pos < n; pos++) {
		for (size_t v = 0; v < sizeof(values); v++) {
			memcpy(copy, orig, (size_t)n);
			copy[pos] = values[v];
			if (gofer_msg_decode(copy, (size_t)n, &d, ents_out, GOFER_READDIR_MAX) < 0)
				continue;
			ck_assert_int_eq(gofer_msg_encode(&d, again, GOFER_MSG_MAX), n);
			ck_assert(memcmp(again, copy, (size_t)n) == 0);
		}
	}
	free(orig);
	free(copy);
	free(again);
}
END_TEST

/* Hand-made messages, to break one rule at a time. */
struct raw {
	uint8_t b[GOFER_MSG_MAX + 16];
	size_t n;
};

static void put(struct raw *r, const void *p, size_t n)
{
	ck_assert_uint_le(r->n + n, sizeof(r->b));
	memcpy(r->b + r->n, p, n);
	r->n += n;
}

static void put16(struct raw *r, uint16_t v)
{
	v = htole16(v);
	put(r, &v, sizeof(v));
}

static void put32(struct raw *r, uint32_t v)
{
	v = htole32(v);
	put(r, &v, sizeof(v));
}

static void put64(struct raw *r, uint64_t v)
{
	v = htole64(v);
	put(r, &v, sizeof(v));
}

static void put_str(struct raw *r, const char *s, size_t n)
{
	put16(r, (uint16_t)n);
	put(r, s, n);
}

static void raw_start(struct raw *r, uint16_t type)
{
	r->n = 0;
	put32(r, 0);
	put16(r, type);
	put16(r, 0);
	put64(r, 99);
}

static size_t raw_end(struct raw *r)
{
	uint32_t le = htole32((uint32_t)r->n);

	memcpy(r->b, &le, sizeof(le));
	return r->n;
}

static int raw_decode(struct raw *r)
{
	struct gofer_msg d;

	return gofer_msg_decode(r->b, raw_end(r), &d, ents_out, GOFER_READDIR_MAX);
}

static struct raw raw;

static int walk_named(const char *name, size_t len)
{
	raw_start(&raw, GOFER_WALK);
	put64(&raw, 1);
	put_str(&raw, name, len);
	return raw_decode(&raw);
}

START_TEST(codec_rejects_bad_names)
{
	char longname[GOFER_NAME_MAX + 2];

	ck_assert_int_eq(walk_named("ok", 2), 0);
	ck_assert_int_eq(walk_named("", 0), -EBADMSG);
	ck_assert_int_eq(walk_named(".", 1), -EBADMSG);
	ck_assert_int_eq(walk_named("..", 2), -EBADMSG);
	ck_assert_int_eq(walk_named("a/b", 3), -EBADMSG);
	ck_assert_int_eq(walk_named("/", 1), -EBADMSG);
	ck_assert_int_eq(walk_named("a\0b", 3), -EBADMSG);
	ck_assert_int_eq(walk_named("ab\0", 3), -EBADMSG);
	fill_name(longname, GOFER_NAME_MAX, 'x');
	ck_assert_int_eq(walk_named(longname, GOFER_NAME_MAX), 0);
	fill_name(longname, GOFER_NAME_MAX + 1, 'x');
	ck_assert_int_eq(walk_named(longname, GOFER_NAME_MAX + 1), -EBADMSG);

	/* A length running past the end of the message: the string is unterminated. */
	raw_start(&raw, GOFER_WALK);
	put64(&raw, 1);
	put16(&raw, 10);
	put(&raw, "abc", 3);
	ck_assert_int_eq(raw_decode(&raw), -EBADMSG);
	raw_start(&raw, GOFER_WALK);
	put64(&raw, 1);
	put16(&raw, 0xffff);
	ck_assert_int_eq(raw_decode(&raw), -EBADMSG);

	/* The second name of a rename is checked too. */
	raw_start(&raw, GOFER_RENAME);
	put64(&raw, 1);
	put_str(&raw, "a", 1);
	put64(&raw, 1);
	put_str(&raw, "..", 2);
	ck_assert_int_eq(raw_decode(&raw), -EBADMSG);

	/* A symlink target may hold '/' and "..", but not be empty, hold NUL or be too long. */
	{
		static char target[GOFER_PATH_MAX + 1];
		size_t lens[] = { 1, GOFER_PATH_MAX - 1, 0, GOFER_PATH_MAX };
		int want[] = { 0, 0, -EBADMSG, -EBADMSG };

		memset(target, '.', sizeof(target));
		for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
			raw_start(&raw, GOFER_SYMLINK);
			put64(&raw, 1);
			put_str(&raw, "l", 1);
			put_str(&raw, target, lens[i]);
			put32(&raw, 0);
			put32(&raw, 0);
			ck_assert_int_eq(raw_decode(&raw), want[i]);
		}
		raw_start(&raw, GOFER_SYMLINK);
		put64(&raw, 1);
		put_str(&raw, "l", 1);
		put_str(&raw, "a\0b", 3);
		put32(&raw, 0);
		put32(&raw, 0);
		ck_assert_int_eq(raw_decode(&raw), -EBADMSG);
	}
}
END_TEST

START_TEST(codec_rejects_bad_headers)
{
	struct gofer_msg d;
	static uint8_t big[GOFER_MSG_MAX + 8];
	uint32_t size;
	uint16_t types[] = { 0, GOFER_TYPE_LAST + 1, GOFER_REPLY, GOFER_REPLY | GOFER_CLOSE,
			     GOFER_REPLY | (GOFER_TYPE_LAST + 1), 0x7f, 0xffff };

	/* Short headers. */
	for (size_t len = 0; len < GOFER_HDR_SIZE; len++) {
		ck_assert_int_eq(gofer_msg_decode(big, len, &d, NULL, 0), -EBADMSG);
		ck_assert_int_eq(gofer_msg_size(big, len, &size), -EBADMSG);
	}
	/* Unknown types. */
	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		raw_start(&raw, types[i]);
		ck_assert_int_eq(raw_decode(&raw), -EBADMSG);
	}
	/* Reserved bits. */
	raw_start(&raw, GOFER_ATTACH);
	put32(&raw, 0);
	raw.b[6] = 1;
	ck_assert_int_eq(raw_decode(&raw), -EBADMSG);
	raw_start(&raw, GOFER_ATTACH);
	put32(&raw, 0);
	ck_assert_int_eq(raw_decode(&raw), 0);
	/* Attach names its root: a body too short for that is malformed. */
	raw_start(&raw, GOFER_ATTACH);
	ck_assert_int_eq(raw_decode(&raw), -EBADMSG);

	/* Sizes below the header or above the maximum, even with the bytes present. */
	memset(big, 0, sizeof(big));
	raw_start(&raw, GOFER_ATTACH);
	memcpy(big, raw.b, GOFER_HDR_SIZE);
	for (uint32_t s = 0; s < GOFER_HDR_SIZE; s++) {
		uint32_t le = htole32(s);

		memcpy(big, &le, 4);
		ck_assert_int_eq(gofer_msg_size(big, GOFER_HDR_SIZE, &size), -EBADMSG);
	}
	{
		uint32_t le = htole32(GOFER_MSG_MAX + 1);

		memcpy(big, &le, 4);
		ck_assert_int_eq(gofer_msg_size(big, sizeof(big), &size), -EBADMSG);
		ck_assert_int_eq(gofer_msg_decode(big, GOFER_MSG_MAX + 1, &d, NULL, 0), -EBADMSG);
		le = htole32(0xffffffff);
		memcpy(big, &le, 4);
		ck_assert_int_eq(gofer_msg_size(big, sizeof(big), &size), -EBADMSG);
		le = htole32(GOFER_MSG_MAX);
		memcpy(big, &le, 4);
		ck_assert_int_eq(gofer_msg_size(big, sizeof(big), &size), 0);
		ck_assert_uint_eq(size, GOFER_MSG_MAX);
	}
}
END_TEST

START_TEST(codec_rejects_bad_values)
{
	/* Fid 0. */
	raw_start(&raw, GOFER_STAT);
	put64(&raw, 0);
	ck_assert_int_eq(raw_decode(&raw), -EBADMSG);

	/* Open flags: access mode 3, flags outside the carried set. */
	int bad_flags[] = { O_ACCMODE, O_RDONLY | O_CREAT, O_RDWR | O_NOFOLLOW, O_CLOEXEC,
			    O_DIRECTORY, O_PATH };
	for (size_t i = 0; i < ARRAY_SIZE(bad_flags); i++) {
		raw_start(&raw, GOFER_OPEN);
		put64(&raw, 1);
		put32(&raw, (uint32_t)bad_flags[i]);
		ck_assert_int_eq(raw_decode(&raw), -EBADMSG);
	}

	/* Modes beyond permission bits for create and mkdir, beyond a type for mknod. */
	raw_start(&raw, GOFER_MKDIR);
	put64(&raw, 1);
	put_str(&raw, "d", 1);
	put32(&raw, S_IFDIR | 0755);
	put32(&raw, 0);
	put32(&raw, 0);
	ck_assert_int_eq(raw_decode(&raw), -EBADMSG);
	raw_start(&raw, GOFER_MKNOD);
	put64(&raw, 1);
	put_str(&raw, "d", 1);
	put32(&raw, 0x10000 | 0644);
	put64(&raw, 0);
	put32(&raw, 0);
	put32(&raw, 0);
	ck_assert_int_eq(raw_decode(&raw), -EBADMSG);

	/* Unlink flags. */
	raw_start(&raw, GOFER_UNLINK);
	put64(&raw, 1);
	put_str(&raw, "x", 1);
	put32(&raw, AT_SYMLINK_NOFOLLOW);
	ck_assert_int_eq(raw_decode(&raw), -EBADMSG);

	/* Readdir counts. */
	uint32_t counts[] = { 0, GOFER_READDIR_MAX + 1 };
	for (size_t i = 0; i < ARRAY_SIZE(counts); i++) {
		raw_start(&raw, GOFER_READDIR);
		put64(&raw, 1);
		put64(&raw, 0);
		put32(&raw, counts[i]);
		ck_assert_int_eq(raw_decode(&raw), -EBADMSG);
	}

	/* Setattr: unknown mask bits, a field the mask does not name, nanoseconds, size. */
	struct {
		uint32_t mask, mode;
		int64_t size;
		uint32_t nsec;
	} bad_attrs[] = {
		{ 0x40, 0, 0, 0 },
		{ 0, 0644, 0, 0 },
		{ GOFER_SET_MODE, 010644, 0, 0 },
		{ GOFER_SET_SIZE, 0, -1, 0 },
		{ GOFER_SET_ATIME, 0, 0, 1000000000 },
		{ 0, 0, 0, 5 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad_attrs); i++) {
		raw_start(&raw, GOFER_SETSTAT);
		put64(&raw, 1);
		put32(&raw, bad_attrs[i].mask);
		put32(&raw, bad_attrs[i].mode);
		put32(&raw, 0);
		put32(&raw, 0);
		put64(&raw, (uint64_t)bad_attrs[i].size);
		put64(&raw, 0);
		put32(&raw, bad_attrs[i].nsec);
		put64(&raw, 0);
		put32(&raw, 0);
		ck_assert_int_eq(raw_decode(&raw), -EBADMSG);
	}

	/* Reply results: positive, beyond the errno range, an error with a body. */
	int32_t results[] = { 1, -4096, INT32_MIN };
	for (size_t i = 0; i < ARRAY_SIZE(results); i++) {
		raw_start(&raw, GOFER_REPLY | GOFER_LINK);
		put32(&raw, (uint32_t)results[i]);
		ck_assert_int_eq(raw_decode(&raw), -EBADMSG);
	}
	raw_start(&raw, GOFER_REPLY | GOFER_LINK);
	put32(&raw, (uint32_t)-ENOENT);
	put32(&raw, 0);
	ck_assert_int_eq(raw_decode(&raw), -EBADMSG);

	/* Readdir replies: more entries than asked for, "..", an unknown DT_ type. */
	raw_start(&raw, GOFER_REPLY | GOFER_READDIR);
	put32(&raw, 0);
	put32(&raw, 2);
	for (int i = 0; i < 2; i++) {
		put64(&raw, 1);
		put64(&raw, 1);
		put(&raw, &(uint8_t){ DT_REG }, 1);
		put_str(&raw, "a", 1);
	}
	{
		struct gofer_msg d;

		raw_end(&raw);
		ck_assert_int_eq(gofer_msg_decode(raw.b, raw.n, &d, ents_out, 2), 0);
		ck_assert_int_eq(gofer_msg_decode(raw.b, raw.n, &d, ents_out, 1), -EBADMSG);
		ck_assert_int_eq(gofer_msg_decode(raw.b, raw.n, &d, NULL, 0), -EBADMSG);
	}
	raw_start(&raw, GOFER_REPLY | GOFER_READDIR);
	put32(&raw, 0);
	put32(&raw, 1);
	put64(&raw, 1);
	put64(&raw, 1);
	put(&raw, &(uint8_t){ DT_DIR }, 1);
	put_str(&raw, "..", 2);
	ck_assert_int_eq(raw_decode(&raw), -EBADMSG);
	raw_start(&raw, GOFER_REPLY | GOFER_READDIR);
	put32(&raw, 0);
	put32(&raw, 1);
	put64(&raw, 1);
	put64(&raw, 1);
	put(&raw, &(uint8_t){ 3 }, 1);
	put_str(&raw, "x", 1);
	ck_assert_int_eq(raw_decode(&raw), -EBADMSG);

	/* Stat times with nanoseconds out of range. */
	raw_start(&raw, GOFER_REPLY | GOFER_STAT);
	put32(&raw, 0);
	for (int i = 0; i < 4; i++)
		put64(&raw, 0);
	for (int i = 0; i < 4; i++)
		put32(&raw, 0);
	put64(&raw, 0);
	put64(&raw, 0);
	put64(&raw, 0);
	put32(&raw, UTIME_NOW); /* only setattr may carry these */
	put64(&raw, 0);
	put32(&raw, 0);
	put64(&raw, 0);
	put32(&raw, 0);
	ck_assert_int_eq(raw_decode(&raw), -EBADMSG);
}
END_TEST

START_TEST(codec_encode_checks_too)
{
	struct gofer_msg m;

	sample(1, &m);
	strcpy(m.u.walk.name, "a/b");
	ck_assert_int_eq(gofer_msg_encode(&m, buf, sizeof(buf)), -EINVAL);
	strcpy(m.u.walk.name, "..");
	ck_assert_int_eq(gofer_msg_encode(&m, buf, sizeof(buf)), -EINVAL);
	m.u.walk.name[0] = '\0';
	ck_assert_int_eq(gofer_msg_encode(&m, buf, sizeof(buf)), -EINVAL);
	memset(m.u.walk.name, 'a', sizeof(m.u.walk.name)); /* no NUL within 256 bytes */
	ck_assert_int_eq(gofer_msg_encode(&m, buf, sizeof(buf)), -EINVAL);
	sample(2, &m);
	m.u.fid.fid = 0;
	ck_assert_int_eq(gofer_msg_encode(&m, buf, sizeof(buf)), -EINVAL);
	sample(13, &m);
	m.u.setstat.attr.atime.tv_nsec = 1000000000;
	ck_assert_int_eq(gofer_msg_encode(&m, buf, sizeof(buf)), -EINVAL);
	sample(35, &m);
	m.result = 3;
	ck_assert_int_eq(gofer_msg_encode(&m, buf, sizeof(buf)), -EINVAL);
	m.type = 0x55;
	m.result = 0;
	ck_assert_int_eq(gofer_msg_encode(&m, buf, sizeof(buf)), -EINVAL);
	/* Fields setattr's mask does not name are sent as zero, whatever they held. */
	sample(13, &m);
	m.u.setstat.attr.uid = 77;
	m.u.setstat.attr.mtime.tv_nsec = -3;
	ck_assert_int_gt(gofer_msg_encode(&m, buf, sizeof(buf)), 0);
}
END_TEST

/* ---- the server, over a socketpair ---- */

static char tmpdir[64];
static pid_t server_pid;
static int server_status; /* what the server should exit with at teardown */
static struct gofer_client *client;
static gofer_fid root;

static void path_of(char *out, size_t len, const char *rel)
{
	snprintf(out, len, "%s/%s", tmpdir, rel);
}

static void write_file(const char *rel, const char *content)
{
	char p[256];
	int fd;

	path_of(p, sizeof(p), rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
}

static void host_mkdir(const char *rel)
{
	char p[256];

	path_of(p, sizeof(p), rel);
	ck_assert_int_eq(mkdir(p, 0755), 0);
}

static void host_symlink(const char *target, const char *rel)
{
	char p[256];

	path_of(p, sizeof(p), rel);
	ck_assert_int_eq(symlink(target, p), 0);
}

static int host_lstat(const char *rel, struct stat *sb)
{
	char p[256];

	path_of(p, sizeof(p), rel);
	return lstat(p, sb);
}

/* Forks gofer_serve over a socketpair of the given type; returns the client's end. */
static int start_server(int type)
{
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv), 0);
	/* The child makes no check calls: they would write into the parent's report. */
	server_pid = fork();
	if (server_pid == 0) {
		int root_fd = open(tmpdir, O_PATH | O_DIRECTORY | O_CLOEXEC);

		close(sv[0]);
		_exit(root_fd >= 0 && gofer_serve(sv[1], root_fd) == 0 ? 0 : 1);
	}
	ck_assert_int_gt(server_pid, 0);
	close(sv[1]);
	return sv[0];
}

/* The server's exit status; it must have exited, not died of a signal. */
static int wait_server(void)
{
	int status;

	ck_assert_int_eq(waitpid(server_pid, &status, 0), server_pid);
	ck_assert_msg(WIFEXITED(status), "server died of signal %d", WTERMSIG(status));
	return WEXITSTATUS(status);
}

static void make_tree(void)
{
	strcpy(tmpdir, "/tmp/test_gofer.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	write_file("file", "hello, gofer\n");
	host_mkdir("dir");
	write_file("dir/a", "a");
	write_file("dir/b", "b");
	host_mkdir("dir/sub");
	host_symlink("file", "link");
	host_symlink("../../etc/passwd", "escape_rel");
	host_symlink("/etc/passwd", "escape_abs");
	host_symlink("/etc", "escape_dir");
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(p);
}

static void remove_tree(void)
{
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void setup_with(int type)
{
	struct gofer_stat st;

	make_tree();
	server_status = 0;
	ck_assert_int_eq(gofer_client_new(start_server(type), &client), 0);
	ck_assert_int_eq(gofer_attach(client, 0, &root, &st), 0);
	ck_assert(S_ISDIR(st.mode));
	ck_assert_uint_ne(root, 0);
}

static void setup(void)
{
	setup_with(SOCK_SEQPACKET);
}

/*
 * A server with several roots, as the gofer serves the rootfs and bind mounts' sources:
 * 0 the tree (writable), 1 its dir (read-only), 2 its file (read-only), 3 its dir/sub.
 */
static void setup_roots(void)
{
	static const struct {
		const char *rel;
		bool readonly;
	} exports[] = { { "", false }, { "dir", true }, { "file", true }, { "dir/sub", false } };
	int sv[2];

	make_tree();
	server_status = 0;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	server_pid = fork();
	if (server_pid == 0) {
		struct gofer_root roots[ARRAY_SIZE(exports)];
		int proc_fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
		char p[PATH_MAX];

		close(sv[0]);
		for (size_t i = 0; i < ARRAY_SIZE(exports); i++) {
			path_of(p, sizeof(p), exports[i].rel);
			roots[i].fd = open(p, O_PATH | O_CLOEXEC);
			roots[i].readonly = exports[i].readonly;
			if (roots[i].fd < 0)
				_exit(2);
		}
		_exit(proc_fd >= 0 && gofer_serve_proc(sv[1], roots, ARRAY_SIZE(exports),
						       proc_fd) == 0 ?
			      0 :
			      1);
	}
	ck_assert_int_gt(server_pid, 0);
	close(sv[1]);
	ck_assert_int_eq(gofer_client_new(sv[0], &client), 0);
}

static void setup_stream(void)
{
	setup_with(SOCK_STREAM);
}

/* Closing the connection is the server's signal to exit, with status 0. */
static void teardown(void)
{
	gofer_client_free(client);
	client = NULL;
	ck_assert_int_eq(wait_server(), server_status);
	remove_tree();
}

static gofer_fid walk_ok(gofer_fid dir, const char *name, struct gofer_stat *st)
{
	struct gofer_stat dummy;
	gofer_fid fid = 0;

	ck_assert_int_eq(gofer_walk(client, dir, name, &fid, st ? st : &dummy), 0);
	ck_assert_uint_ne(fid, 0);
	return fid;
}

START_TEST(serve_attach_walk_stat)
{
	struct gofer_stat st, st2;
	struct stat sb;
	gofer_fid fid, dir, root2, out = 0;

	fid = walk_ok(root, "file", &st);
	ck_assert_int_eq(host_lstat("file", &sb), 0);
	ck_assert(S_ISREG(st.mode));
	ck_assert_uint_eq(st.ino, sb.st_ino);
	ck_assert_uint_eq(st.dev, sb.st_dev);
	ck_assert_int_eq(st.size, 13);
	ck_assert_uint_eq(st.mode, sb.st_mode);
	ck_assert_int_eq(st.mtime.tv_sec, sb.st_mtim.tv_sec);
	ck_assert_int_eq(st.mtime.tv_nsec, sb.st_mtim.tv_nsec);
	ck_assert_int_eq(gofer_stat(client, fid, &st2), 0);
	ck_assert(memcmp(&st, &st2, sizeof(st)) == 0);

	dir = walk_ok(root, "dir", &st);
	ck_assert(S_ISDIR(st.mode));
	walk_ok(dir, "sub", &st);
	ck_assert(S_ISDIR(st.mode));

	/* A second attach is another fid for the same root. */
	ck_assert_int_eq(gofer_attach(client, 0, &root2, &st), 0);
	ck_assert_uint_ne(root2, root);
	walk_ok(root2, "file", NULL);

	/* Linux's errnos. */
	ck_assert_int_eq(gofer_walk(client, root, "missing", &out, &st), -ENOENT);
	ck_assert_int_eq(gofer_walk(client, fid, "x", &out, &st), -ENOTDIR);
	ck_assert_uint_eq(out, 0);

	/* Names the protocol cannot carry never leave the client. */
	char longname[GOFER_NAME_MAX + 2];

	fill_name(longname, GOFER_NAME_MAX + 1, 'x');
	ck_assert_int_eq(gofer_walk(client, root, longname, &out, &st), -ENAMETOOLONG);
	ck_assert_int_eq(gofer_walk(client, root, "", &out, &st), -ENOENT);
	ck_assert_int_eq(gofer_walk(client, root, "..", &out, &st), -EINVAL);
	ck_assert_int_eq(gofer_walk(client, root, ".", &out, &st), -EINVAL);
	ck_assert_int_eq(gofer_walk(client, root, "dir/a", &out, &st), -EINVAL);
	/* ... and the connection is still fine. */
	walk_ok(root, "file", NULL);
}
END_TEST

START_TEST(serve_open_read_write)
{
	gofer_fid fid = walk_ok(root, "file", NULL), dir = walk_ok(root, "dir", NULL);
	char data[64];
	int fd = -1;

	ck_assert_int_eq(gofer_open(client, fid, O_RDONLY | O_CLOEXEC | O_NONBLOCK, &fd), 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_eq(fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDONLY);
	ck_assert_int_eq(pread(fd, data, sizeof(data), 0), 13);
	ck_assert(memcmp(data, "hello, gofer\n", 13) == 0);
	ck_assert_int_eq(write(fd, "x", 1), -1);
	close(fd);

	ck_assert_int_eq(gofer_open(client, fid, O_WRONLY | O_APPEND, &fd), 0);
	ck_assert_int_eq(write(fd, "more\n", 5), 5);
	close(fd);
	ck_assert_int_eq(gofer_open(client, fid, O_RDWR, &fd), 0);
	ck_assert_int_eq(pread(fd, data, sizeof(data), 0), 18);
	ck_assert(memcmp(data, "hello, gofer\nmore\n", 18) == 0);
	close(fd);
	ck_assert_int_eq(gofer_open(client, fid, O_RDWR | O_TRUNC, &fd), 0);
	ck_assert_int_eq(pread(fd, data, sizeof(data), 0), 0);
	close(fd);

	fd = -1;
	ck_assert_int_eq(gofer_open(client, dir, O_RDONLY, &fd), -EISDIR);
	ck_assert_int_eq(gofer_open(client, walk_ok(root, "link", NULL), O_RDONLY, &fd), -ELOOP);
	ck_assert_int_eq(gofer_open(client, fid, O_ACCMODE, &fd), -EINVAL);
	ck_assert_int_eq(fd, -1);
}
END_TEST

static int name_index(const char *name, int n)
{
	int i;

	if (sscanf(name, "entry-%d", &i) != 1 || i < 0 || i >= n)
		return -1;
	return i;
}

/* Reads the whole directory in steps of max; every name must come exactly once. */
static void read_all(gofer_fid dir, int max, int n, bool *seen, int *calls)
{
	struct gofer_dirent *ents = calloc((size_t)max, sizeof(*ents));
	uint64_t off = 0;
	int got, total = 0;

	*calls = 0;
	while ((got = gofer_readdir(client, dir, off, ents, max)) > 0) {
		ck_assert_int_le(got, max);
		(*calls)++;
		for (int i = 0; i < got; i++) {
			int k = name_index(ents[i].name, n);

			ck_assert_msg(k >= 0, "unexpected entry %s", ents[i].name);
			ck_assert(!seen[k]);
			seen[k] = true;
			ck_assert_uint_eq(ents[i].type, DT_REG);
			ck_assert_uint_ne(ents[i].ino, 0);
		}
		total += got;
		off = ents[got - 1].off;
	}
	ck_assert_int_eq(got, 0);
	ck_assert_int_eq(total, n);
	free(ents);
}

START_TEST(serve_readdir)
{
	enum { N = 600 };
	char name[GOFER_NAME_MAX + 1];
	struct gofer_dirent ents[8];
	gofer_fid dir, big;
	bool seen[N];
	int calls, got;

	/* "dir": a, b, sub; never "." or "..". */
	dir = walk_ok(root, "dir", NULL);
	got = gofer_readdir(client, dir, 0, ents, 8);
	ck_assert_int_eq(got, 3);
	{
		int mask = 0;

		for (int i = 0; i < got; i++) {
			if (strcmp(ents[i].name, "a") == 0 && ents[i].type == DT_REG)
				mask |= 1;
			else if (strcmp(ents[i].name, "b") == 0 && ents[i].type == DT_REG)
				mask |= 2;
			else if (strcmp(ents[i].name, "sub") == 0 && ents[i].type == DT_DIR)
				mask |= 4;
			else
				ck_abort_msg("unexpected entry %s", ents[i].name);
		}
		ck_assert_int_eq(mask, 7);
	}
	ck_assert_int_eq(gofer_readdir(client, dir, ents[got - 1].off, ents, 8), 0);
	/* Continuing after the first entry gives the other two. */
	got = gofer_readdir(client, dir, 0, ents, 1);
	ck_assert_int_eq(got, 1);
	ck_assert_int_eq(gofer_readdir(client, dir, ents[0].off, ents, 8), 2);

	/* Long names: a reply fills up long before 512 entries, and cookies carry on. */
	host_mkdir("big");
	for (int i = 0; i < N; i++) {
		char rel[GOFER_NAME_MAX + 8];
		int len = snprintf(name, sizeof(name), "entry-%d-", i);

		memset(name + len, 'x', 200 - (size_t)len);
		name[200] = '\0';
		snprintf(rel, sizeof(rel), "big/%s", name);
		write_file(rel, "");
	}
	big = walk_ok(root, "big", NULL);
	memset(seen, 0, sizeof(seen));
	read_all(big, 1000, N, seen, &calls);
	ck_assert_int_ge(calls, 3); /* 600 names of 200 bytes cannot fit in two replies */
	memset(seen, 0, sizeof(seen));
	read_all(big, 7, N, seen, &calls);
	ck_assert_int_eq(calls, (N + 6) / 7);

	ck_assert_int_eq(gofer_readdir(client, walk_ok(root, "file", NULL), 0, ents, 8), -ENOTDIR);
	ck_assert_int_eq(gofer_readdir(client, dir, 0, ents, 0), -EINVAL);
}
END_TEST

START_TEST(serve_readlink)
{
	gofer_fid fid;
	struct gofer_stat st;
	char target[GOFER_PATH_MAX];

	fid = walk_ok(root, "link", &st);
	ck_assert(S_ISLNK(st.mode));
	ck_assert_int_eq(gofer_readlink(client, fid, target, sizeof(target)), 4);
	ck_assert(memcmp(target, "file", 4) == 0);
	ck_assert_int_eq(gofer_readlink(client, fid, target, 2), 2);
	ck_assert(memcmp(target, "fi", 2) == 0);
	ck_assert_int_eq(gofer_readlink(client, walk_ok(root, "escape_rel", NULL), target,
					sizeof(target)),
			 16);
	ck_assert(memcmp(target, "../../etc/passwd", 16) == 0);
	ck_assert_int_eq(gofer_readlink(client, walk_ok(root, "file", NULL), target,
					sizeof(target)),
			 -EINVAL);
}
END_TEST

START_TEST(serve_create)
{
	gofer_fid fid = 0, out = 0;
	struct gofer_stat st;
	struct stat sb;
	char data[16];
	int fd = -1, fd2 = -1;
	bool privileged = geteuid() == 0;

	ck_assert_int_eq(gofer_create(client, root, "new", O_RDWR, 0640, 1234, 5678, &fid, &st, &fd),
			 0);
	ck_assert_uint_ne(fid, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_eq(write(fd, "written", 7), 7);
	ck_assert_int_eq(pread(fd, data, sizeof(data), 0), 7);
	close(fd);
	ck_assert_int_eq(host_lstat("new", &sb), 0);
	ck_assert_int_eq(sb.st_size, 7);
	ck_assert_uint_eq(sb.st_mode, S_IFREG | 0640); /* exactly: the server's umask is 0 */
	ck_assert_uint_eq(st.ino, sb.st_ino);
	if (privileged) {
		ck_assert_uint_eq(sb.st_uid, 1234);
		ck_assert_uint_eq(sb.st_gid, 5678);
		ck_assert_uint_eq(st.uid, 1234);
	}
	/* The new fid is the new file. */
	ck_assert_int_eq(gofer_open(client, fid, O_RDONLY, &fd2), 0);
	ck_assert_int_eq(pread(fd2, data, sizeof(data), 0), 7);
	close(fd2);

	/* Create always creates: an existing name, or a symlink there, is -EEXIST. */
	fd = -1;
	ck_assert_int_eq(gofer_create(client, root, "file", O_RDWR, 0644, 0, 0, &out, &st, &fd),
			 -EEXIST);
	ck_assert_int_eq(gofer_create(client, root, "escape_abs", O_WRONLY | O_TRUNC, 0644, 0, 0,
				      &out, &st, &fd),
			 -EEXIST);
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(gofer_create(client, walk_ok(root, "file", NULL), "x", O_RDWR, 0644, 0, 0,
				      &out, &st, &fd),
			 -ENOTDIR);

	/* Setuid survives the chown that follows the creation. */
	ck_assert_int_eq(gofer_create(client, root, "suid", O_WRONLY, 04755, 1234, 1234, &out, &st,
				      &fd),
			 0);
	close(fd);
	ck_assert_int_eq(host_lstat("suid", &sb), 0);
	ck_assert_uint_eq(sb.st_mode, S_IFREG | 04755);
	ck_assert_uint_eq(st.mode, S_IFREG | 04755);
}
END_TEST

START_TEST(serve_mkdir_symlink_link_rename_unlink)
{
	gofer_fid d = 0, s = 0, n = 0, file, fid;
	struct gofer_stat st;
	struct stat sb;
	char target[64];
	int fd = -1;
	bool privileged = geteuid() == 0;

	/* mkdir */
	ck_assert_int_eq(gofer_mkdir(client, root, "d", 0750, 42, 43, &d, &st), 0);
	ck_assert(S_ISDIR(st.mode));
	ck_assert_int_eq(host_lstat("d", &sb), 0);
	ck_assert_uint_eq(sb.st_mode, S_IFDIR | 0750);
	if (privileged)
		ck_assert(sb.st_uid == 42 && sb.st_gid == 43);
	ck_assert_int_eq(gofer_mkdir(client, root, "d", 0750, 0, 0, &fid, &st), -EEXIST);

	/* symlink: the link itself gets the owner */
	ck_assert_int_eq(gofer_symlink(client, d, "s", "../file", 44, 45, &s, &st), 0);
	ck_assert(S_ISLNK(st.mode));
	ck_assert_int_eq(host_lstat("d/s", &sb), 0);
	ck_assert(S_ISLNK(sb.st_mode));
	if (privileged)
		ck_assert(sb.st_uid == 44 && sb.st_gid == 45);
	ck_assert_int_eq(gofer_readlink(client, s, target, sizeof(target)), 7);
	ck_assert_int_eq(gofer_symlink(client, d, "e", "", 0, 0, &fid, &st), -ENOENT);
	ck_assert_int_eq(gofer_symlink(client, d, "s", "x", 0, 0, &fid, &st), -EEXIST);

	/* mknod: FIFOs yes (but not opened here), devices no */
	ck_assert_int_eq(gofer_mknod(client, d, "fifo", S_IFIFO | 0600, 0, 0, 0, &n, &st), 0);
	ck_assert(S_ISFIFO(st.mode));
	ck_assert_int_eq(gofer_open(client, n, O_RDONLY, &fd), -EPERM);
	ck_assert_int_eq(gofer_mknod(client, d, "reg", 0644, 0, 0, 0, &n, &st), 0);
	ck_assert(S_ISREG(st.mode));
	ck_assert_int_eq(gofer_mknod(client, d, "null", S_IFCHR | 0666, makedev(1, 3), 0, 0, &n,
				     &st),
			 -EPERM);
	ck_assert_int_eq(host_lstat("d/null", &sb), -1);
	ck_assert_int_eq(gofer_mknod(client, d, "dir", S_IFDIR | 0755, 0, 0, 0, &n, &st), -EPERM);

	/* link */
	file = walk_ok(root, "file", NULL);
	ck_assert_int_eq(gofer_link(client, d, "hard", file), 0);
	ck_assert_int_eq(gofer_stat(client, file, &st), 0);
	ck_assert_uint_eq(st.nlink, 2);
	ck_assert_int_eq(gofer_link(client, d, "hard", file), -EEXIST);
	ck_assert_int_eq(gofer_link(client, root, "dirlink", d), -EPERM);
	/* Linking a symlink links the symlink itself. */
	ck_assert_int_eq(gofer_link(client, root, "link2", walk_ok(root, "escape_abs", NULL)), 0);
	ck_assert_int_eq(host_lstat("link2", &sb), 0);
	ck_assert(S_ISLNK(sb.st_mode));

	/* rename, across directories */
	ck_assert_int_eq(gofer_rename(client, d, "hard", root, "renamed"), 0);
	ck_assert_int_eq(host_lstat("renamed", &sb), 0);
	ck_assert_int_eq(host_lstat("d/hard", &sb), -1);
	ck_assert_int_eq(gofer_rename(client, d, "missing", root, "x"), -ENOENT);
	ck_assert_int_eq(gofer_rename(client, root, "file", root, "dir"), -EISDIR);
	/* The old fid still reaches the renamed file. */
	ck_assert_int_eq(gofer_open(client, file, O_RDONLY, &fd), 0);
	close(fd);

	/* unlink and rmdir */
	ck_assert_int_eq(gofer_unlink(client, root, "renamed", 0), 0);
	ck_assert_int_eq(gofer_unlink(client, root, "renamed", 0), -ENOENT);
	ck_assert_int_eq(gofer_unlink(client, root, "dir", 0), -EISDIR);
	ck_assert_int_eq(gofer_unlink(client, root, "d", AT_REMOVEDIR), -ENOTEMPTY);
	ck_assert_int_eq(gofer_unlink(client, root, "file", AT_REMOVEDIR), -ENOTDIR);
	ck_assert_int_eq(gofer_unlink(client, root, "file", AT_SYMLINK_NOFOLLOW), -EINVAL);
	ck_assert_int_eq(gofer_unlink(client, d, "s", 0), 0);
	ck_assert_int_eq(gofer_unlink(client, d, "fifo", 0), 0);
	ck_assert_int_eq(gofer_unlink(client, d, "reg", 0), 0);
	ck_assert_int_eq(gofer_unlink(client, root, "d", AT_REMOVEDIR), 0);
	ck_assert_int_eq(host_lstat("d", &sb), -1);
	/* A fid survives its name: stat still works, nlink is 0. */
	ck_assert_int_eq(gofer_stat(client, d, &st), 0);
	ck_assert_uint_eq(st.nlink, 0);
	ck_assert_int_eq(gofer_walk(client, d, "x", &fid, &st), -ENOENT);
}
END_TEST

START_TEST(serve_setstat)
{
	gofer_fid fid = walk_ok(root, "file", NULL), link = walk_ok(root, "link", NULL);
	struct gofer_setattr a;
	struct gofer_stat st;
	struct stat sb;

	memset(&a, 0, sizeof(a));
	a.mask = GOFER_SET_MODE;
	a.mode = 0600;
	ck_assert_int_eq(gofer_setstat(client, fid, &a), 0);
	ck_assert_int_eq(host_lstat("file", &sb), 0);
	ck_assert_uint_eq(sb.st_mode, S_IFREG | 0600);

	a.mask = GOFER_SET_SIZE;
	a.size = 3;
	ck_assert_int_eq(gofer_setstat(client, fid, &a), 0);
	ck_assert_int_eq(gofer_stat(client, fid, &st), 0);
	ck_assert_int_eq(st.size, 3);
	a.size = 1 << 20;
	ck_assert_int_eq(gofer_setstat(client, fid, &a), 0);
	ck_assert_int_eq(host_lstat("file", &sb), 0);
	ck_assert_int_eq(sb.st_size, 1 << 20);

	a.mask = GOFER_SET_ATIME | GOFER_SET_MTIME;
	a.atime = (struct timespec){ .tv_sec = 1000, .tv_nsec = 5 };
	a.mtime = (struct timespec){ .tv_sec = 2000, .tv_nsec = 6 };
	ck_assert_int_eq(gofer_setstat(client, fid, &a), 0);
	ck_assert_int_eq(gofer_stat(client, fid, &st), 0);
	ck_assert(st.atime.tv_sec == 1000 && st.atime.tv_nsec == 5);
	ck_assert(st.mtime.tv_sec == 2000 && st.mtime.tv_nsec == 6);
	a.mask = GOFER_SET_MTIME;
	a.mtime.tv_nsec = UTIME_OMIT;
	ck_assert_int_eq(gofer_setstat(client, fid, &a), 0);
	ck_assert_int_eq(gofer_stat(client, fid, &st), 0);
	ck_assert(st.mtime.tv_sec == 2000 && st.mtime.tv_nsec == 6);

	/* On a symlink, times and owner change the link itself; mode cannot. */
	a.mask = GOFER_SET_MTIME;
	a.mtime = (struct timespec){ .tv_sec = 3000 };
	ck_assert_int_eq(gofer_setstat(client, link, &a), 0);
	ck_assert_int_eq(host_lstat("link", &sb), 0);
	ck_assert_int_eq(sb.st_mtim.tv_sec, 3000);
	ck_assert_int_eq(host_lstat("file", &sb), 0);
	ck_assert_int_eq(sb.st_mtim.tv_sec, 2000);
	a.mask = GOFER_SET_MODE;
	a.mode = 0777;
	ck_assert_int_eq(gofer_setstat(client, link, &a), -EOPNOTSUPP);

	if (geteuid() == 0) {
		a.mask = GOFER_SET_UID | GOFER_SET_GID;
		a.uid = 321;
		a.gid = 654;
		ck_assert_int_eq(gofer_setstat(client, fid, &a), 0);
		ck_assert_int_eq(host_lstat("file", &sb), 0);
		ck_assert(sb.st_uid == 321 && sb.st_gid == 654);
		a.mask = GOFER_SET_GID;
		a.gid = 1;
		ck_assert_int_eq(gofer_setstat(client, link, &a), 0);
		ck_assert_int_eq(host_lstat("link", &sb), 0);
		ck_assert_uint_eq(sb.st_gid, 1);
		ck_assert_int_eq(host_lstat("file", &sb), 0);
		ck_assert_uint_eq(sb.st_gid, 654);
	}

	a.mask = GOFER_SET_SIZE;
	a.size = 0;
	ck_assert_int_eq(gofer_setstat(client, walk_ok(root, "dir", NULL), &a), -EISDIR);
	ck_assert_int_eq(gofer_setstat(client, link, &a), -EINVAL);
	a.size = -1;
	ck_assert_int_eq(gofer_setstat(client, fid, &a), -EINVAL);
	a.mask = GOFER_SET_ATIME;
	a.atime.tv_nsec = 1000000000;
	ck_assert_int_eq(gofer_setstat(client, fid, &a), -EINVAL);
	a.mask = 0x100;
	ck_assert_int_eq(gofer_setstat(client, fid, &a), -EINVAL);
	/* Still connected. */
	ck_assert_int_eq(gofer_stat(client, fid, &st), 0);
}
END_TEST

START_TEST(serve_statfs)
{
	struct statfs sf, host;

	ck_assert_int_eq(gofer_statfs(client, root, &sf), 0);
	ck_assert_int_eq(statfs(tmpdir, &host), 0);
	ck_assert_int_eq(sf.f_type, host.f_type);
	ck_assert_int_eq(sf.f_bsize, host.f_bsize);
	ck_assert_uint_eq(sf.f_blocks, host.f_blocks);
	ck_assert_int_eq(sf.f_namelen, host.f_namelen);
	ck_assert_int_eq(gofer_statfs(client, walk_ok(root, "link", NULL), &sf), 0);
}
END_TEST

/* Symlinks pointing out of the root are objects like any other: never followed. */
START_TEST(serve_symlinks_do_not_escape)
{
	static const char *const names[] = { "escape_rel", "escape_abs", "escape_dir", "link" };
	struct gofer_stat st;
	struct stat sb;
	gofer_fid fid, out = 0;
	int fd = -1;

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		fid = walk_ok(root, names[i], &st);
		ck_assert(S_ISLNK(st.mode));
		ck_assert_int_eq(host_lstat(names[i], &sb), 0);
		ck_assert_uint_eq(st.ino, sb.st_ino);
		ck_assert_int_eq(gofer_open(client, fid, O_RDONLY, &fd), -ELOOP);
		ck_assert_int_eq(gofer_open(client, fid, O_WRONLY | O_TRUNC, &fd), -ELOOP);
		ck_assert_int_eq(fd, -1);
		/* Not a directory to walk through either. */
		ck_assert_int_eq(gofer_walk(client, fid, "passwd", &out, &st), -ENOTDIR);
		ck_assert_int_eq(gofer_create(client, fid, "x", O_RDWR, 0644, 0, 0, &out, &st, &fd),
				 -ENOTDIR);
		ck_assert_int_eq(gofer_mkdir(client, fid, "x", 0755, 0, 0, &out, &st), -ENOTDIR);
	}
	/* Truncating through a symlink is refused, and the target is untouched. */
	{
		struct gofer_setattr a = { .mask = GOFER_SET_SIZE, .size = 0 };

		ck_assert_int_eq(gofer_setstat(client, walk_ok(root, "link", NULL), &a), -EINVAL);
		ck_assert_int_eq(host_lstat("file", &sb), 0);
		ck_assert_int_eq(sb.st_size, 13);
	}
}
END_TEST

START_TEST(serve_closed_fid_ends_connection)
{
	gofer_fid fid = walk_ok(root, "file", NULL);
	struct gofer_stat st;

	ck_assert_int_eq(gofer_stat(client, fid, &st), 0);
	gofer_close(client, fid);
	/* A stale fid is a malformed request: the server hangs up and the client breaks. */
	ck_assert_int_eq(gofer_stat(client, fid, &st), -EIO);
	ck_assert_int_eq(gofer_stat(client, root, &st), -EIO);
	gofer_close(client, root);
	server_status = 1; /* gofer_serve returned -EBADMSG */
}
END_TEST

START_TEST(serve_many_fids)
{
	struct gofer_stat st;
	gofer_fid fid, first = walk_ok(root, "file", NULL);

	/* Grows the table past one chunk, reuses freed slots, and stale fids stay distinct. */
	for (int i = 0; i < 700; i++) {
		fid = walk_ok(root, "dir", &st);
		if (i % 2)
			gofer_close(client, fid);
	}
	fid = walk_ok(root, "file", NULL);
	ck_assert_uint_ne(fid, first);
	ck_assert_int_eq(gofer_stat(client, first, &st), 0);
	ck_assert(S_ISREG(st.mode));
}
END_TEST

struct thread_arg {
	gofer_fid dir;
	int errors;
};

static void *walker(void *p)
{
	struct thread_arg *arg = p;

	for (int i = 0; i < 200; i++) {
		struct gofer_stat st;
		gofer_fid fid;

		if (gofer_walk(client, arg->dir, i % 2 ? "a" : "b", &fid, &st) != 0 ||
		    !S_ISREG(st.mode) || st.size != 1)
			arg->errors++;
		else
			gofer_close(client, fid);
	}
	return NULL;
}

START_TEST(serve_concurrent_callers)
{
	struct thread_arg args[4];
	pthread_t t[4];
	gofer_fid dir = walk_ok(root, "dir", NULL);

	for (int i = 0; i < 4; i++) {
		args[i] = (struct thread_arg){ .dir = dir };
		ck_assert_int_eq(pthread_create(&t[i], NULL, walker, &args[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(args[i].errors, 0);
	}
}
END_TEST

/* The same calls over a stream socket, where messages are framed by their header. */
START_TEST(serve_over_stream)
{
	struct gofer_dirent ents[2];
	gofer_fid fid = walk_ok(root, "file", NULL), dir = walk_ok(root, "dir", NULL);
	char data[16];
	int fd = -1, total = 0, got;
	uint64_t off = 0;

	ck_assert_int_eq(gofer_open(client, fid, O_RDONLY, &fd), 0);
	ck_assert_int_eq(pread(fd, data, sizeof(data), 0), 13);
	close(fd);
	while ((got = gofer_readdir(client, dir, off, ents, 2)) > 0) {
		total += got;
		off = ents[got - 1].off;
	}
	ck_assert_int_eq(total, 3);
	ck_assert_int_eq(gofer_open(client, dir, O_RDONLY, &fd), -EISDIR);
}
END_TEST

/* ---- a hostile peer: the server must hang up and exit, never crash ---- */

static int raw_sock;

static void setup_raw(void)
{
	make_tree();
	raw_sock = start_server(SOCK_SEQPACKET);
}

static void teardown_raw(void)
{
	if (raw_sock >= 0)
		close(raw_sock);
	remove_tree();
}

/* After what was sent, the server closes its end: we read EOF, and it exits by itself. */
static void expect_hangup(int status)
{
	char c;
	ssize_t n;

	do
		n = recv(raw_sock, &c, 1, 0);
	while (n < 0 && errno == EINTR);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(wait_server(), status);
}

static void send_raw(const void *p, size_t n)
{
	ck_assert_int_eq(send(raw_sock, p, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* Sends one record with fd attached, as a misbehaving peer would. */
static ssize_t send_with_fd(int sock, const void *p, size_t n, int fd)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} cb;
	struct iovec iov = { .iov_base = (void *)p, .iov_len = n };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cb.b,
		.msg_controllen = sizeof(cb.b),
	};
	struct cmsghdr *cm;

	memset(&cb, 0, sizeof(cb));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &mh, MSG_NOSIGNAL);
}

static void send_attach(void)
{
	struct gofer_msg m = { .type = GOFER_ATTACH, .id = 1 };
	ssize_t n = gofer_msg_encode(&m, buf, sizeof(buf));

	send_raw(buf, (size_t)n);
	ck_assert_int_gt(recv(raw_sock, buf, sizeof(buf), 0), 0);
}

START_TEST(hostile_garbage)
{
	uint8_t junk[512];

	srandom(1234 + (unsigned)_i);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)random();
	send_raw(junk, 1 + (size_t)random() % sizeof(junk));
	expect_hangup(1);
}
END_TEST

START_TEST(hostile_messages)
{
	int sv[2];

	send_attach(); /* a working connection first */
	switch (_i) {
	case 0: /* size beyond the maximum */
		raw_start(&raw, GOFER_ATTACH);
		raw_end(&raw);
		{
			uint32_t le = htole32(GOFER_MSG_MAX + 1);

			memcpy(raw.b, &le, 4);
		}
		send_raw(raw.b, raw.n);
		break;
	case 1: /* a record shorter than its header says */
		raw_start(&raw, GOFER_STAT);
		put64(&raw, 1);
		raw_end(&raw);
		send_raw(raw.b, raw.n - 1);
		break;
	case 2: /* unknown type */
		raw_start(&raw, 77);
		send_raw(raw.b, raw_end(&raw));
		break;
	case 3: /* walk to ".." */
		raw_start(&raw, GOFER_WALK);
		put64(&raw, 1);
		put_str(&raw, "..", 2);
		send_raw(raw.b, raw_end(&raw));
		break;
	case 4: /* a name with '/' */
		raw_start(&raw, GOFER_WALK);
		put64(&raw, 1);
		put_str(&raw, "dir/a", 5);
		send_raw(raw.b, raw_end(&raw));
		break;
	case 5: /* an unknown fid */
		raw_start(&raw, GOFER_STAT);
		put64(&raw, 12345);
		send_raw(raw.b, raw_end(&raw));
		break;
	case 6: /* a reply where a request belongs */
		raw_start(&raw, GOFER_REPLY | GOFER_LINK);
		put32(&raw, 0);
		send_raw(raw.b, raw_end(&raw));
		break;
	case 7: /* a request carrying an fd */
		raw_start(&raw, GOFER_STAT);
		put64(&raw, 1);
		raw_end(&raw);
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		ck_assert_int_eq(send_with_fd(raw_sock, raw.b, raw.n, sv[0]), (ssize_t)raw.n);
		close(sv[0]);
		close(sv[1]);
		break;
	case 8: /* an empty record reads as EOF: the server ends quietly */
		send_raw(raw.b, 0);
		expect_hangup(0);
		return;
	case 9: /* trailing garbage */
		raw_start(&raw, GOFER_STAT);
		put64(&raw, 1);
		put(&raw, "x", 1);
		send_raw(raw.b, raw_end(&raw));
		break;
	}
	expect_hangup(1);
}
END_TEST

/* A peer that goes away mid-conversation is not an error: the server exits with 0. */
START_TEST(hostile_peer_leaves)
{
	send_attach();
	close(raw_sock);
	raw_sock = -1;
	ck_assert_int_eq(wait_server(), 0);
}
END_TEST

/* On a stream, EOF inside a message is a violation. */
START_TEST(hostile_stream_eof_mid_message)
{
	close(raw_sock);
	raw_sock = start_server(SOCK_STREAM);
	raw_start(&raw, GOFER_STAT);
	put64(&raw, 1);
	raw_end(&raw);
	send_raw(raw.b, raw.n - 3);
	shutdown(raw_sock, SHUT_WR);
	expect_hangup(1);
}
END_TEST

/* A client whose server misbehaves gets -EIO, now and afterwards. */
START_TEST(client_rejects_bad_replies)
{
	int sv[2];
	struct gofer_stat st;
	gofer_fid fid;
	pid_t pid;
	int status;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	pid = fork();
	if (pid == 0) {
		struct gofer_msg req, rep = { 0 };
		ssize_t n;

		close(sv[0]);
		n = recv(sv[1], buf, sizeof(buf), 0);
		if (n <= 0 || gofer_msg_decode(buf, (size_t)n, &req, NULL, 0) < 0)
			_exit(2);
		rep.id = req.id;
		switch (_i) {
		case 0: /* wrong id */
			rep.type = req.type | GOFER_REPLY;
			rep.id++;
			rep.u.node.fid = 1;
			break;
		case 1: /* wrong type */
			rep.type = GOFER_REPLY | GOFER_STAT;
			break;
		case 2: /* an fd where none belongs */
			rep.type = req.type | GOFER_REPLY;
			rep.u.node.fid = 1;
			break;
		}
		n = gofer_msg_encode(&rep, buf, sizeof(buf));
		if ((_i == 2 ? send_with_fd(sv[1], buf, (size_t)n, sv[1])
			     : send(sv[1], buf, (size_t)n, 0)) != n)
			_exit(3);
		/* Wait for the client to hang up. */
		while (recv(sv[1], buf, sizeof(buf), 0) > 0)
			;
		_exit(0);
	}
	ck_assert_int_gt(pid, 0);
	close(sv[1]);
	ck_assert_int_eq(gofer_client_new(sv[0], &client), 0);
	ck_assert_int_eq(gofer_attach(client, 0, &fid, &st), -EIO);
	ck_assert_int_eq(gofer_attach(client, 0, &fid, &st), -EIO);
	gofer_client_free(client);
	client = NULL;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
END_TEST

/* Each attach names its root; a read-only root refuses every change, whatever the client. */
START_TEST(roots_attach_and_readonly)
{
	struct gofer_stat st;
	struct gofer_setattr attr = { .mask = GOFER_SET_MODE, .mode = 0600 };
	gofer_fid r0, ro, file, sub, a, s, out;
	struct stat before, after;
	char buf[32];
	int fd;

	ck_assert_int_eq(gofer_attach(client, 0, &r0, &st), 0);
	ck_assert(S_ISDIR(st.mode));
	walk_ok(r0, "file", NULL);
	ck_assert_int_eq(gofer_attach(client, 4, &out, &st), -ENOENT);
	ck_assert_int_eq(gofer_attach(client, 0xffffffff, &out, &st), -ENOENT);

	/* A file as a root (a file bind mount). */
	ck_assert_int_eq(gofer_attach(client, 2, &file, &st), 0);
	ck_assert(S_ISREG(st.mode));
	ck_assert_int_eq(st.size, 13);
	ck_assert_int_eq(gofer_walk(client, file, "x", &out, &st), -ENOTDIR);
	ck_assert_int_eq(gofer_open(client, file, O_RDONLY, &fd), 0);
	ck_assert_int_eq(pread(fd, buf, sizeof(buf), 0), 13);
	close(fd);
	ck_assert_int_eq(gofer_open(client, file, O_WRONLY, &fd), -EROFS);
	ck_assert_int_eq(gofer_setstat(client, file, &attr), -EROFS);

	/* A read-only directory: reads work, and nothing below it changes. */
	ck_assert_int_eq(host_lstat("dir/a", &before), 0);
	ck_assert_int_eq(gofer_attach(client, 1, &ro, &st), 0);
	a = walk_ok(ro, "a", NULL);
	ck_assert_int_eq(gofer_open(client, a, O_RDONLY, &fd), 0);
	ck_assert_int_eq(pread(fd, buf, sizeof(buf), 0), 1);
	close(fd);
	ck_assert_int_eq(gofer_open(client, a, O_RDWR, &fd), -EROFS);
	ck_assert_int_eq(gofer_open(client, a, O_RDONLY | O_TRUNC, &fd), -EROFS);
	ck_assert_int_eq(gofer_setstat(client, a, &attr), -EROFS);
	ck_assert_int_eq(gofer_create(client, ro, "n", O_RDWR, 0644, 0, 0, &out, &st, &fd),
			 -EROFS);
	ck_assert_int_eq(gofer_mkdir(client, ro, "n", 0755, 0, 0, &out, &st), -EROFS);
	ck_assert_int_eq(gofer_mknod(client, ro, "n", S_IFIFO | 0644, 0, 0, 0, &out, &st), -EROFS);
	ck_assert_int_eq(gofer_symlink(client, ro, "n", "a", 0, 0, &out, &st), -EROFS);
	ck_assert_int_eq(gofer_link(client, ro, "n", a), -EROFS);
	ck_assert_int_eq(gofer_unlink(client, ro, "a", 0), -EROFS);
	ck_assert_int_eq(gofer_rename(client, ro, "a", ro, "n"), -EROFS);
	ck_assert_int_eq(gofer_rename(client, ro, "a", r0, "n"), -EROFS);
	ck_assert_int_eq(gofer_rename(client, r0, "file", ro, "n"), -EROFS);
	/* Below a read-only root, read-only too. */
	s = walk_ok(ro, "sub", NULL);
	ck_assert_int_eq(gofer_mkdir(client, s, "n", 0755, 0, 0, &out, &st), -EROFS);
	ck_assert_int_eq(host_lstat("dir/a", &after), 0);
	ck_assert_int_eq(after.st_mode, before.st_mode);
	ck_assert_int_eq(after.st_size, before.st_size);
	ck_assert_int_eq(host_lstat("dir/n", &after), -1);

	/* The same directory through a writable root is writable. */
	ck_assert_int_eq(gofer_attach(client, 3, &sub, &st), 0);
	ck_assert_int_eq(gofer_mkdir(client, sub, "n", 0755, 0, 0, &out, &st), 0);
	ck_assert_int_eq(host_lstat("dir/sub/n", &after), 0);
}
END_TEST

static Suite *gofer_suite(void)
{
	Suite *s = suite_create("gofer");
	TCase *tc;

	tc = tcase_create("codec");
	tcase_add_loop_test(tc, codec_roundtrip, 0, nsamples);
	tcase_add_loop_test(tc, codec_truncated_and_trailing, 0, nsamples);
	tcase_add_loop_test(tc, codec_mutations_are_canonical, 0, nsamples);
	tcase_add_test(tc, codec_rejects_bad_names);
	tcase_add_test(tc, codec_rejects_bad_headers);
	tcase_add_test(tc, codec_rejects_bad_values);
	tcase_add_test(tc, codec_encode_checks_too);
	suite_add_tcase(s, tc);

	tc = tcase_create("serve");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, serve_attach_walk_stat);
	tcase_add_test(tc, serve_open_read_write);
	tcase_add_test(tc, serve_readdir);
	tcase_add_test(tc, serve_readlink);
	tcase_add_test(tc, serve_create);
	tcase_add_test(tc, serve_mkdir_symlink_link_rename_unlink);
	tcase_add_test(tc, serve_setstat);
	tcase_add_test(tc, serve_statfs);
	tcase_add_test(tc, serve_symlinks_do_not_escape);
	tcase_add_test(tc, serve_closed_fid_ends_connection);
	tcase_add_test(tc, serve_many_fids);
	tcase_add_test(tc, serve_concurrent_callers);
	suite_add_tcase(s, tc);

	tc = tcase_create("serve_stream");
	tcase_add_checked_fixture(tc, setup_stream, teardown);
	tcase_add_test(tc, serve_over_stream);
	suite_add_tcase(s, tc);

	tc = tcase_create("roots");
	tcase_add_checked_fixture(tc, setup_roots, teardown);
	tcase_add_test(tc, roots_attach_and_readonly);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_add_checked_fixture(tc, setup_raw, teardown_raw);
	tcase_add_loop_test(tc, hostile_garbage, 0, 8);
	tcase_add_loop_test(tc, hostile_messages, 0, 10);
	tcase_add_test(tc, hostile_peer_leaves);
	tcase_add_test(tc, hostile_stream_eof_mid_message);
	suite_add_tcase(s, tc);

	tc = tcase_create("client");
	tcase_add_loop_test(tc, client_rejects_bad_replies, 0, 3);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(gofer_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
