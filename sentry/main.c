/*
 * The sentry process: seals itself (empty root, no capabilities, seccomp), builds the sandbox's
 * file system over the gofer, and starts the guest's first program as PID 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "gofer/client.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/proctitle.h"
#include "platform/platform.h"
#include "sentry/kernel/cred.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/seccomp.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/uts.h"
#include "sentry/fs/devpts/devpts.h"
#include "sentry/fs/proc/proc.h"
#include "sentry/loader/loader.h"
#include "sentry/mm/memfile.h"
#include "sentry/mm/mm.h"
#include "sentry/control.h"
#include "sentry/mounts.h"
#include "sentry/sentry.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/vfs.h"
#include "syscalls/syscalls.h"

static void __attribute__((noreturn, format(printf, 2, 3))) die(int code, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		fprintf(stderr, "runsc: %s\n", buf);
	_exit(code);
}

/* Steps taken while the sentry can still see the host: chroot into the empty directory. */
static void enter_empty_root(const struct sentry_config *cfg)
{
	char c;

	if (read(cfg->sync_in, &c, 1) != 1)
		_exit(125);
	close(cfg->sync_in);
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		die(125, "sentry: cannot become root of its user namespace: %s", strerror(errno));
	/* A change of credentials clears the parent-death signal: set it again. If the parent
	 * died before this, the write to sync_out below fails (runsc holds its only reader). */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (chroot(cfg->empty_root) < 0 || chdir("/") < 0)
		die(125, "sentry: cannot enter its empty root %s: %s", cfg->empty_root,
		    strerror(errno));
	if (write(cfg->sync_out, "1", 1) != 1)
		_exit(125);
	close(cfg->sync_out);
}

static struct task *make_init_task(const struct sentry_config *cfg, struct fs_context *fs,
				   struct file *console)
{
	struct task *t = task_alloc();

	if (!t)
		die(125, "sentry: out of memory");
	task_set_initial_creds(t, cfg->uid, cfg->gid, cfg->groups, cfg->ngroups);
	if (cfg->has_caps)
		creds_set_oci_caps(&t->creds, cfg->caps_bounding, cfg->caps_effective,
				   cfg->caps_inheritable, cfg->caps_permitted, cfg->caps_ambient);
	t->no_new_privs = cfg->no_new_privs;
	/* runsc exec's processes get the same profile (sentry/control.c), as runc's do. */
	seccomp_container_profile = cfg->seccomp;
	t->seccomp = cfg->seccomp;
	/* A bundle's process.rlimits replace the host's. */
	task_set_initial_rlimits(t, cfg->rlimits, cfg->nrlimits);
	t->sighand = sighand_new();
	t->files = fdtable_new();
	t->fs = fs;
	t->mm = mm_new();
	if (!t->sighand || !t->files || !t->mm)
		die(125, "sentry: out of memory");
	for (int fd = 0; fd < 3 && cfg->console; fd++)
		if (fd_install_at(t->files, fd, console, false, task_rlimit(t, RLIMIT_NOFILE)) < 0)
			die(125, "sentry: cannot install fd %d", fd);
	for (int fd = 0; fd < 3 && !cfg->console; fd++) {
		struct file *f;

		/* A closed stdio fd of runsc stays closed in the guest. */
		if (fcntl(fd, F_GETFD) < 0)
			continue;
		if (hostfile_new(fd, &f) < 0)
			die(125, "sentry: cannot wrap host fd %d", fd);
		if (fd_install_at(t->files, fd, f, false, task_rlimit(t, RLIMIT_NOFILE)) < 0)
			die(125, "sentry: cannot install fd %d", fd);
		file_put(f);
	}
	pthread_mutex_lock(&kernel_lock);
	t->tid = t->tgid = pid_alloc_locked(t);
	t->process.pgid = t->process.sid = t->tid;
	t->exit_signal = SIGCHLD;
	kernel_tasks = t;
	kernel_init_task = t;
	if (console)
		devpts_set_ctty_locked(console, t);
	pthread_mutex_unlock(&kernel_lock);
	return t;
}

static void drain_console(int wait_status)
{
	devpts_console_drain(1000);
}

/* The guest starts where runsc was run, as gVisor's runsc do; / when that is not there. */
static void set_cwd(struct task *t, const char *cwd)
{
	struct path p;

	if (!cwd || vfs_lookup(t, AT_FDCWD, cwd, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p) < 0)
		return;
	vfs_chdir(t, &p);
	path_put(&p);
}

int sentry_main(const struct sentry_config *cfg)
{
	struct gofer_client *gofer;
	struct fs_context *fs;
	struct task *init;
	char path[4096];
	int err;

	proctitle_set("runsc-sentry");
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* What the sandbox shows of the host is read now, while the host is still visible. */
	procfs_snapshot_host();
	kernel_ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	enter_empty_root(cfg);
	log_init("sentry", cfg->debug_fd);
	if (cfg->strace)
		strace_fd = cfg->debug_fd >= 0 ? cfg->debug_fd : STDERR_FILENO;
	kernel_boot_ns = kernel_monotonic_ns();
	uts_init(cfg->hostname);

	platform = platform_lookup(cfg->platform);
	if (!platform)
		die(2, "unknown platform %s", cfg->platform);
	if ((err = memfile_init()) < 0)
		die(125, "sentry: cannot create the memory file: %s", strerror(-err));
	if ((err = platform->init(memfile_fd())) < 0)
		die(125, "sentry: platform %s: %s", platform->name, strerror(-err));
	if ((err = gofer_client_new(cfg->gofer_fd, &gofer)) < 0)
		die(125, "sentry: gofer connection: %s", strerror(-err));
	if ((err = vfs_setup_root(gofer, cfg->readonly_root, &fs)) < 0)
		die(125, "sentry: cannot mount the root file system: %s", strerror(-err));
	/* A bundle's mounts say where /proc goes, if anywhere (as runc's); runsc do's tree has
	 * it always. */
	if (!cfg->mounts && (err = procfs_mount(fs)) < 0)
		die(125, "sentry: cannot mount /proc: %s", strerror(-err));
	if (cfg->mounts && (err = sentry_mounts_apply(gofer, cfg, path, sizeof(path))) < 0)
		die(125, "sentry: %s", path);
	if ((err = sentry_seal()) < 0)
		die(125, "sentry: cannot confine itself: %s", strerror(-err));

	/* The console: what the guest wrote reaches the host terminal before the sentry exits. */
	struct file *console = NULL;
	if (cfg->console) {
		if ((err = devpts_attach_console(cfg->console_fd, cfg->uid, &console)) < 0)
			die(125, "sentry: cannot attach the console: %s", strerror(-err));
		kernel_shutdown_hook = drain_console;
	}
	init = make_init_task(cfg, fs, console);
	if (console)
		file_put(console);
	if (cfg->umask >= 0)
		fs->umask = cfg->umask & 0777;
	current_task = init;
	set_cwd(init, cfg->cwd);
	err = loader_resolve_command(init, cfg->argv[0], cfg->envp, path, sizeof(path));
	if (err < 0)
		die(127, "%s: %s", cfg->argv[0], strerror(-err));
	err = task_execve(init, path, cfg->argv, cfg->envp);
	if (err < 0)
		die(err == -ENOENT ? 127 : 126, "%s: %s", cfg->argv[0], strerror(-err));
	current_task = NULL;
	/* runsc's OCI commands reach the sandbox through the control channel, which holds the
	 * guest back until "start" after runsc create. */
	if (cfg->control_fd >= 0)
		err = control_start(cfg, init);
	else
		err = task_start(init);
	if (err < 0)
		die(125, "sentry: cannot start the first task: %s", strerror(-err));
	/* The first task's exit ends the process (kernel_shutdown); this thread only waits. */
	for (;;)
		pause();
}
