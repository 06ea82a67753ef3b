/* Memory syscalls: mmap and friends decode their arguments for sentry/mm. */
#include <errno.h>
#include <sys/mman.h>

#include "lib/util.h"
#include "sentry/kernel/task.h"
#include "sentry/arch/arch.h"
#include "sentry/mm/mm.h"
#include "sentry/mm/usercopy.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/vfs.h"
#include "syscalls/syscalls.h"

#define MMAP_KNOWN_FLAGS                                                                     \
	(MAP_SHARED | MAP_PRIVATE | MAP_SHARED_VALIDATE | MAP_FIXED | MAP_ANONYMOUS |           \
	 MAP_GROWSDOWN | MAP_DENYWRITE | MAP_EXECUTABLE | MAP_LOCKED | MAP_NORESERVE |          \
	 MAP_POPULATE | MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB | MAP_FIXED_NOREPLACE | MAP_32BIT)

SYSCALL_DEFINE(mmap)
{
	uint64_t addr = a[0], len = a[1], off = a[5];
	int prot = (int)a[2], flags = (int)a[3], fd = (int)a[4];
	struct file *f = NULL;
	long ret;

	if ((flags & MAP_TYPE) == MAP_SHARED_VALIDATE && (flags & ~MMAP_KNOWN_FLAGS))
		return -EOPNOTSUPP;
	if (flags & MAP_HUGETLB)
		return -EINVAL; /* no huge pages in the memory file */
	if (!(flags & MAP_ANONYMOUS)) {
		f = fd_get(t->files, fd);
		if (!f)
			return -EBADF;
		if ((f->flags & O_ACCMODE) == O_WRONLY) {
			file_put(f);
			return -EACCES;
		}
		/* As Linux: no executable mapping of a file on a noexec mount. */
		if ((prot & PROT_EXEC) && f->path.mnt && (f->path.mnt->flags & MNT_NOEXEC)) {
			file_put(f);
			return -EPERM;
		}
		if ((flags & MAP_TYPE) != MAP_PRIVATE && (prot & PROT_WRITE) &&
		    (f->flags & O_ACCMODE) != O_RDWR) {
			file_put(f);
			return -EACCES;
		}
	} else {
		off = 0;
	}
	if (flags & MAP_FIXED)
		arch_patch_guard(t->mm, addr, len);
	ret = mm_mmap(t->mm, addr, len, prot, flags, f, off);
	if (f)
		file_put(f);
	return ret;
}

/* A guest change of the patch table's range puts the patched sites back first (patch.c). */
SYSCALL_DEFINE(munmap)
{
	arch_patch_guard(t->mm, a[0], a[1]);
	return mm_munmap(t->mm, a[0], a[1]);
}

SYSCALL_DEFINE(mprotect)
{
	arch_patch_guard(t->mm, a[0], a[1]);
	return mm_mprotect(t->mm, a[0], a[1], (int)a[2]);
}

SYSCALL_DEFINE(mremap)
{
	arch_patch_guard(t->mm, a[0], a[1]);
	if (a[3] & MREMAP_FIXED)
		arch_patch_guard(t->mm, a[4], a[2]);
	return mm_mremap(t->mm, a[0], a[1], a[2], (int)a[3], a[4]);
}

SYSCALL_DEFINE(brk)
{
	return (long)mm_brk(t->mm, a[0]);
}

SYSCALL_DEFINE(madvise)
{
	return mm_madvise(t->mm, a[0], a[1], (int)a[2]);
}

SYSCALL_DEFINE(msync)
{
	/* Shared mappings are the file's own memory: there is nothing to write back. */
	if (!PAGE_ALIGNED(a[0]) || (a[2] & ~(MS_ASYNC | MS_SYNC | MS_INVALIDATE)) ||
	    ((a[2] & MS_ASYNC) && (a[2] & MS_SYNC)))
		return -EINVAL;
	return 0;
}

SYSCALL_DEFINE(mlock)
{
	/* Guest memory is never swapped out by the sentry; locking changes nothing. */
	return 0;
}

SYSCALL_DEFINE(munlock)
{
	return 0;
}
