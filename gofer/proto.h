/*
 * The gofer wire format: message layout and a pure codec, shared by the server and the client.
 * Nothing here touches a socket; every function works on a caller buffer and its length.
 */
#ifndef CVISOR_GOFER_PROTO_H
#define CVISOR_GOFER_PROTO_H

#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/statfs.h>
#include <sys/types.h>

#include "gofer/client.h"

/*
 * Every message is a 16-byte header and a body, all integers little-endian:
 *	u32 size	whole message, header included: GOFER_HDR_SIZE..GOFER_MSG_MAX
 *	u16 type	a request (GOFER_ATTACH..GOFER_CLOSE) or GOFER_REPLY | request
 *	u16 reserved	0
 *	u64 id		chosen by the client; a reply carries its request's id
 * A reply's body starts with an i32 result: 0, or a negative errno and nothing after it.
 * Strings are a u16 length and that many bytes, without NUL. A name is 1..255 bytes, no '/'
 * or NUL, not "." or "..". A symlink target is 1..GOFER_PATH_MAX-1 bytes without NUL.
 * Fids are u64 and never 0. Decoding rejects anything else, including bytes left over.
 */
#define GOFER_HDR_SIZE 16
#define GOFER_MSG_MAX 65536
#define GOFER_NAME_MAX 255
#define GOFER_PATH_MAX 4096
/* Entries one readdir request may ask for; a reply also stops when the message is full. */
#define GOFER_READDIR_MAX 512
/* Wire size of one readdir entry, and the room a readdir reply has for them. */
#define GOFER_DIRENT_WIRE_SIZE(namelen) (8 + 8 + 1 + 2 + (size_t)(namelen))
#define GOFER_DIRENTS_ROOM (GOFER_MSG_MAX - GOFER_HDR_SIZE - 4 - 4)

/* Open and create carry only these flags; create always implies O_CREAT | O_EXCL. */
#define GOFER_OPEN_FLAGS (O_ACCMODE | O_TRUNC | O_APPEND)

enum gofer_type {
	GOFER_ATTACH = 1,
	GOFER_WALK,
	GOFER_STAT,
	GOFER_OPEN,
	GOFER_CREATE,
	GOFER_MKDIR,
	GOFER_MKNOD,
	GOFER_SYMLINK,
	GOFER_LINK,
	GOFER_UNLINK,
	GOFER_RENAME,
	GOFER_READLINK,
	GOFER_READDIR,
	GOFER_SETSTAT,
	GOFER_STATFS,
	GOFER_CLOSE, /* the one request without a reply */
	GOFER_TYPE_LAST = GOFER_CLOSE,
};
#define GOFER_REPLY 0x80

/*
 * A decoded message, or one to encode. Which member of u is meaningful depends on type;
 * for replies only when result is 0. Strings are NUL-terminated here.
 * Replies to open and create come with one fd (SCM_RIGHTS) when result is 0; the fd is not
 * part of the body.
 */
struct gofer_msg {
	uint16_t type;
	uint64_t id;
	int32_t result; /* replies only */
	union {
		/* Requests. stat, readlink, statfs and close name one fid. */
		struct {
			gofer_fid fid;
		} fid;
		struct {
			uint32_t root; /* which export: 0 the rootfs, then the bind mounts */
		} attach;
		struct {
			gofer_fid dir;
			char name[GOFER_NAME_MAX + 1];
		} walk;
		struct {
			gofer_fid fid;
			uint32_t flags; /* within GOFER_OPEN_FLAGS, access mode not O_ACCMODE */
		} open;
		struct {
			gofer_fid dir;
			char name[GOFER_NAME_MAX + 1];
			uint32_t flags; /* as open */
			uint32_t mode;	/* permission bits only (07777) */
			uint32_t uid, gid;
		} create;
		struct {
			gofer_fid dir;
			char name[GOFER_NAME_MAX + 1];
			uint32_t mode; /* 07777 */
			uint32_t uid, gid;
		} mkdir;
		struct {
			gofer_fid dir;
			char name[GOFER_NAME_MAX + 1];
			uint32_t mode; /* S_IFMT | 07777 */
			uint64_t rdev;
			uint32_t uid, gid;
		} mknod;
		struct {
			gofer_fid dir;
			char name[GOFER_NAME_MAX + 1];
			char target[GOFER_PATH_MAX];
			uint32_t uid, gid;
		} symlink;
		struct {
			gofer_fid dir;
			char name[GOFER_NAME_MAX + 1];
			gofer_fid target;
		} link;
		struct {
			gofer_fid dir;
			char name[GOFER_NAME_MAX + 1];
			uint32_t flags; /* 0 or AT_REMOVEDIR */
		} unlink;
		struct {
			gofer_fid olddir;
			char oldname[GOFER_NAME_MAX + 1];
			gofer_fid newdir;
			char newname[GOFER_NAME_MAX + 1];
		} rename;
		struct {
			gofer_fid dir;
			uint64_t off;
			uint32_t count; /* 1..GOFER_READDIR_MAX */
		} readdir;
		struct {
			gofer_fid fid;
			struct gofer_setattr attr;
		} setstat;

		/* Replies. attach, walk, create, mkdir, mknod and symlink return a new fid. */
		struct {
			gofer_fid fid;
			struct gofer_stat st;
		} node;
		struct gofer_stat stat;
		struct {
			char target[GOFER_PATH_MAX];
		} readlink;
		struct {
			uint32_t count;
			/* Encoding: the entries to send. Decoding: the caller's storage. */
			struct gofer_dirent *ents;
		} dirents;
		struct statfs statfs;
	} u;
};

/*
 * Writes m into buf (len bytes). Returns the message's size, -EINVAL when m breaks a rule
 * above (the same rules decoding checks), or -EMSGSIZE when it does not fit.
 */
ssize_t gofer_msg_encode(const struct gofer_msg *m, uint8_t *buf, size_t len);

/*
 * Decodes exactly one message of len bytes. A readdir reply's entries go to ents, which has
 * room for max_ents; more is a violation. Returns 0 or -EBADMSG. Reads only buf[0..len).
 */
int gofer_msg_decode(const uint8_t *buf, size_t len, struct gofer_msg *m,
		     struct gofer_dirent *ents, uint32_t max_ents);

/* From the first GOFER_HDR_SIZE bytes: the message's total size, checked against the bounds. */
int gofer_msg_size(const uint8_t *hdr, size_t len, uint32_t *size);

/* Whether name may travel as a name: 1..255 bytes, no '/', not "." or "..". */
bool gofer_name_valid(const char *name);

#endif
