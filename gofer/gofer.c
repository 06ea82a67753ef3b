/*
 * The gofer process's start: confine it (fds, mount namespace, chroot, capabilities,
 * seccomp) so that all it can still do is serve the roots it was given, then serve.
 */
#include "gofer/gofer.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"

/*
 * The gofer acts for every guest user while the sentry does the permission checks, so it
 * keeps the capabilities that bypass file permissions and set owners; nothing else.
 */
static const int kept_caps[] = {
	CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID,
};

/* Exactly what the server (and the libc calls it makes) needs once it runs. */
static const int allowed_syscalls[] = {
	/* files; renameat2 is what libc's renameat uses where renameat does not exist (arm64) */
	SCMP_SYS(openat), SCMP_SYS(close), SCMP_SYS(newfstatat), SCMP_SYS(lseek),
	SCMP_SYS(getdents64), SCMP_SYS(mkdirat), SCMP_SYS(mknodat), SCMP_SYS(symlinkat),
	SCMP_SYS(linkat), SCMP_SYS(unlinkat), SCMP_SYS(renameat), SCMP_SYS(renameat2),
	SCMP_SYS(readlinkat), SCMP_SYS(fchownat), SCMP_SYS(fchmodat), SCMP_SYS(utimensat),
	SCMP_SYS(ftruncate), SCMP_SYS(fstatfs), SCMP_SYS(umask),
	/* logging to stderr and the debug log (clock_gettime when there is no vDSO) */
	SCMP_SYS(write), SCMP_SYS(clock_gettime), SCMP_SYS(getpid),
	/* malloc */
	SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap),
	/* ending */
	SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(rt_sigreturn), SCMP_SYS(restart_syscall),
};

/* Only ever on the connection's own socket. */
static const int socket_syscalls[] = {
	SCMP_SYS(recvmsg), SCMP_SYS(sendmsg), SCMP_SYS(shutdown), SCMP_SYS(getsockopt),
};

static int fail(const char *what, int err)
{
	log_warn("%s: %s", what, strerror(-err));
	return 1;
}

/*
 * Keeps sock, stderr and the debug log; stdin and stdout (and stderr if closed) become
 * /dev/null so that no file the server opens can take their numbers and get a stray write. Returns sock, moved
 * above 2 if needed, or a negative errno.
 */
static int close_other_fds(int sock)
{
	int keep[2], nkeep = 0, lo = 3, null_fd;

	if (sock <= STDERR_FILENO) {
		int moved = fcntl(sock, F_DUPFD_CLOEXEC, 3);

		if (moved < 0)
			return -errno;
		close(sock);
		sock = moved;
	}
	keep[nkeep++] = sock;
	if (log_debug_fd > STDERR_FILENO && log_debug_fd != sock)
		keep[nkeep++] = log_debug_fd;
	if (nkeep == 2 && keep[1] < keep[0]) {
		int t = keep[0];

		keep[0] = keep[1];
		keep[1] = t;
	}
	for (int i = 0; i < nkeep; i++) {
		if (keep[i] > lo && close_range((unsigned)lo, (unsigned)keep[i] - 1, 0) < 0)
			return -errno;
		lo = keep[i] + 1;
	}
	if (close_range((unsigned)lo, ~0U, 0) < 0)
		return -errno;

	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd < 0)
		return -errno;
	if (dup2(null_fd, STDIN_FILENO) < 0 || dup2(null_fd, STDOUT_FILENO) < 0 ||
	    (fcntl(STDERR_FILENO, F_GETFD) < 0 && dup2(null_fd, STDERR_FILENO) < 0)) {
		int ret = -errno;

		close(null_fd);
		return ret;
	}
	if (null_fd > STDERR_FILENO)
		close(null_fd);
	return sock;
}

/*
 * Handlers inherited from runsc would run runsc's code under our seccomp filter: reset
 * them to the default, as exec would. Ignored signals stay ignored.
 */
static void reset_signal_handlers(void)
{
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction sa;

		if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, NULL, &sa) < 0)
			continue;
		if (sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN)
			signal(sig, SIG_DFL);
	}
}

/* Every fid is an fd: allow as many as the hard limit lets us. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/*
 * A bind mount's source as a detached mount of our own (open_tree clones it out of our
 * mount namespace, attached nowhere): a read-only export is then read-only to the host
 * kernel itself, whatever the server's code does, and a later change of the host's mounts
 * at that path does not reach the sandbox. Where that is not allowed (EPERM: no
 * CAP_SYS_ADMIN over our mount namespace, or a locked mount) the path itself is opened, and
 * the server's own check is what refuses writes.
 */
static int open_export(const struct gofer_export *e, struct gofer_root *out)
{
	unsigned int rec = e->recursive ? AT_RECURSIVE : 0;
	int fd = open_tree(AT_FDCWD, e->path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | rec);

	if (fd < 0 && (errno == EPERM || errno == ENOSYS))
		fd = open(e->path, O_PATH | O_CLOEXEC);
	else if (fd >= 0 && e->readonly) {
		struct mount_attr attr = {
			.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
		};

		if (mount_setattr(fd, "", AT_EMPTY_PATH | rec, &attr, sizeof(attr)) < 0) {
			int ret = -errno;

			close(fd);
			return ret;
		}
	}
	if (fd < 0)
		return -errno;
	out->fd = fd;
	out->readonly = e->readonly;
	return 0;
}

/*
 * A mount namespace of our own, so that nothing we do there reaches the host's. roots[0]
 * gets the rootfs, roots[1..] the exports, all opened before the chroot hides the host.
 */
static int enter_root(const char *root, const struct gofer_export *exports, size_t nexports,
		      int *proc_fd, struct gofer_root *roots)
{
	if (unshare(CLONE_NEWNS) < 0)
		return fail("unshare(CLONE_NEWNS)", -errno);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return fail("making mounts private", -errno);
	/* Re-opening files goes through this once /proc is out of sight (see gofer.h). */
	*proc_fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*proc_fd < 0)
		return fail("/proc/self/fd", -errno);
	for (size_t i = 0; i < nexports; i++) {
		int ret = open_export(&exports[i], &roots[1 + i]);

		if (ret < 0) {
			log_warn("bind mount source %s: %s", exports[i].path, strerror(-ret));
			return 1;
		}
	}
	if (chdir(root) < 0)
		return fail(root, -errno);
	if (chroot(".") < 0)
		return fail("chroot", -errno);
	if (chdir("/") < 0)
		return fail("chdir(/)", -errno);
	roots[0].fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (roots[0].fd < 0)
		return fail("opening the root", -errno);
	/* Only ever read: the sentry's overlay keeps the guest's writes in memory. */
	roots[0].readonly = true;
	return 0;
}

static bool cap_kept(int cap)
{
	for (size_t i = 0; i < ARRAY_SIZE(kept_caps); i++)
		if (kept_caps[i] == cap)
			return true;
	return false;
}

/*
 * Bounding set first (that needs CAP_SETPCAP, which the capset below drops), then ambient,
 * then effective/permitted/inheritable = the kept ones we actually hold. An unprivileged
 * gofer holds none and has nothing to drop, so EPERM on the bounding set is not an error.
 */
static int drop_caps(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	uint32_t keep[2] = { 0, 0 };

	for (int cap = 0;; cap++) {
		int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

		if (r < 0)
			break; /* past the last capability */
		if (r == 1 && !cap_kept(cap) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 &&
		    errno != EPERM)
			return fail("dropping the bounding set", -errno);
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return fail("clearing ambient capabilities", -errno);

	if (syscall(SYS_capget, &hdr, data) < 0)
		return fail("capget", -errno);
	for (size_t i = 0; i < ARRAY_SIZE(kept_caps); i++)
		keep[kept_caps[i] / 32] |= 1u << (kept_caps[i] % 32);
	for (int i = 0; i < 2; i++) {
		data[i].permitted &= keep[i];
		data[i].effective = data[i].permitted;
		data[i].inheritable = 0;
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		return fail("capset", -errno);
	return 0;
}

/* CVISOR_GOFER_SECCOMP=log or =trap: diagnose a missing syscall instead of dying of it. */
static uint32_t seccomp_default_action(void)
{
	const char *mode = getenv("CVISOR_GOFER_SECCOMP");

	if (mode && strcmp(mode, "log") == 0)
		return SCMP_ACT_LOG;
	if (mode && strcmp(mode, "trap") == 0)
		return SCMP_ACT_TRAP;
	return SCMP_ACT_KILL_PROCESS;
}

static int install_seccomp(int sock)
{
	scmp_filter_ctx ctx;
	int ret = 0;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return fail("PR_SET_NO_NEW_PRIVS", -errno);
	ctx = seccomp_init(seccomp_default_action());
	if (!ctx)
		return fail("seccomp_init", -ENOMEM);
	for (size_t i = 0; i < ARRAY_SIZE(allowed_syscalls) && ret == 0; i++)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed_syscalls[i], 0);
	for (size_t i = 0; i < ARRAY_SIZE(socket_syscalls) && ret == 0; i++)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, socket_syscalls[i], 1,
				       SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)sock));
	if (ret == 0)
		ret = seccomp_load(ctx);
	seccomp_release(ctx);
	return ret < 0 ? fail("installing the seccomp filter", ret) : 0;
}

int gofer_main(int sock, const char *root, const struct gofer_export *exports, size_t nexports)
{
	cleanup_close int proc_fd = -1;
	cleanup_free struct gofer_root *roots = NULL;
	int ret;

	prctl(PR_SET_NAME, "runsc-gofer", 0, 0, 0);
	log_component = "gofer";
	reset_signal_handlers();
	sock = close_other_fds(sock);
	if (sock < 0)
		return fail("closing inherited fds", sock);
	raise_nofile();
	roots = calloc(nexports + 1, sizeof(*roots));
	if (!roots)
		return fail("roots", -ENOMEM);
	for (size_t i = 0; i <= nexports; i++)
		roots[i].fd = -1;
	if (enter_root(root, exports, nexports, &proc_fd, roots) || drop_caps() ||
	    install_seccomp(sock)) {
		close(sock);
		return 1;
	}
	ret = gofer_serve_proc(sock, roots, (uint32_t)nexports + 1, proc_fd);
	close(sock);
	/* The process ends here: its fds go with it. */
	return ret == 0 ? 0 : 1;
}
