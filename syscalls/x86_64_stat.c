/* x86-64's struct stat (the layout of the stat family's result; glibc's matches the kernel's). */
#include <string.h>
#include <sys/stat.h>

#include "sentry/mm/usercopy.h"
#include "sentry/vfs/vfs.h"
#include "syscalls/fs_util.h"

int stat_copy_out(struct task *t, uint64_t addr, const struct kstat *st)
{
	struct stat s;
	memset(&s, 0, sizeof(s));
	s.st_dev = st->dev;
	s.st_ino = st->ino;
	s.st_nlink = st->nlink;
	s.st_mode = st->mode;
	s.st_uid = st->uid;
	s.st_gid = st->gid;
	s.st_rdev = st->rdev;
	s.st_size = st->size;
	s.st_blksize = st->blksize;
	s.st_blocks = st->blocks;
	s.st_atim = st->atime;
	s.st_mtim = st->mtime;
	s.st_ctim = st->ctime;
	return copy_out(t, addr, &s, sizeof(s));
}
