/* Extended attributes: no filesystem of the sandbox stores any yet, so every file has none. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/limits.h>

#include "sentry/kernel/task.h"
#include "sentry/mm/usercopy.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/vfs.h"
#include "syscalls/syscalls.h"

/* Resolves the file the call names, so a missing one gives Linux's errno, not ENODATA. */
static long xattr_target(struct task *t, uint64_t path_addr, uint64_t name_addr, bool follow)
{
	char path[PATH_MAX], name[XATTR_NAME_MAX + 1];
	struct path p;
	long err;

	if ((err = copy_in_path(t, path, path_addr)) < 0)
		return err;
	if (name_addr) {
		err = copy_in_string(t, name, name_addr, sizeof(name));
		if (err == -ENAMETOOLONG)
			return -ERANGE;
		if (err < 0)
			return err;
		if (err == 0)
			return -ERANGE;
	}
	if ((err = vfs_lookup(t, AT_FDCWD, path, follow ? LOOKUP_FOLLOW : 0, &p)) < 0)
		return err;
	path_put(&p);
	return 0;
}

static long xattr_fd(struct task *t, int fd)
{
	struct file *f = fd_get(t->files, fd);

	if (!f)
		return -EBADF;
	file_put(f);
	return 0;
}

SYSCALL_DEFINE(getxattr)
{
	long err = xattr_target(t, a[0], a[1], true);

	return err < 0 ? err : -ENODATA;
}

SYSCALL_DEFINE(lgetxattr)
{
	long err = xattr_target(t, a[0], a[1], false);

	return err < 0 ? err : -ENODATA;
}

SYSCALL_DEFINE(fgetxattr)
{
	long err = xattr_fd(t, (int)a[0]);

	return err < 0 ? err : -ENODATA;
}

SYSCALL_DEFINE(listxattr)
{
	return xattr_target(t, a[0], 0, true);
}

SYSCALL_DEFINE(llistxattr)
{
	return xattr_target(t, a[0], 0, false);
}

SYSCALL_DEFINE(flistxattr)
{
	return xattr_fd(t, (int)a[0]);
}

SYSCALL_DEFINE(setxattr)
{
	long err = xattr_target(t, a[0], a[1], true);

	return err < 0 ? err : -ENOTSUP;
}

SYSCALL_DEFINE(lsetxattr)
{
	long err = xattr_target(t, a[0], a[1], false);

	return err < 0 ? err : -ENOTSUP;
}

SYSCALL_DEFINE(fsetxattr)
{
	long err = xattr_fd(t, (int)a[0]);

	return err < 0 ? err : -ENOTSUP;
}

SYSCALL_DEFINE(removexattr)
{
	long err = xattr_target(t, a[0], a[1], true);

	return err < 0 ? err : -ENODATA;
}

SYSCALL_DEFINE(lremovexattr)
{
	long err = xattr_target(t, a[0], a[1], false);

	return err < 0 ? err : -ENODATA;
}

SYSCALL_DEFINE(fremovexattr)
{
	long err = xattr_fd(t, (int)a[0]);

	return err < 0 ? err : -ENODATA;
}
