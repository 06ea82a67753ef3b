/*
 * Launching a sandbox: runsc forks the gofer, then clones the sentry into fresh namespaces,
 * maps its user namespace, waits until it has shut itself into an empty directory and removes
 * that directory, so nothing stays on the host whatever happens next.
 */
#include "runsc-cli/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gofer/gofer.h"
#include "lib/proctitle.h"
#include "lib/util.h"
#include "runsc-cli/mounts.h"

/* Host user the sentry runs as when runsc is root: nobody, so it owns nothing on the host. */
#define SENTRY_HOST_ID 65534

static volatile sig_atomic_t got_signal;
static volatile pid_t sentry_pid, gofer_pid;

static void on_signal(int sig)
{
	got_signal = sig;
	if (sentry_pid > 0)
		kill(sentry_pid, SIGKILL);
}

static int write_file(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, data, strlen(data));
	close(fd);
	return n == (ssize_t)strlen(data) ? 0 : -EIO;
}

static int map_user_namespace(pid_t pid)
{
	char path[64], map[64];
	unsigned id_uid = geteuid() == 0 ? SENTRY_HOST_ID : geteuid();
	unsigned id_gid = geteuid() == 0 ? SENTRY_HOST_ID : getegid();
	int err;

	snprintf(path, sizeof(path), "/proc/%d/setgroups", pid);
	if ((err = write_file(path, "deny")) < 0 && err != -ENOENT)
		return err;
	snprintf(path, sizeof(path), "/proc/%d/gid_map", pid);
	snprintf(map, sizeof(map), "0 %u 1\n", id_gid);
	if ((err = write_file(path, map)) < 0)
		return err;
	snprintf(path, sizeof(path), "/proc/%d/uid_map", pid);
	snprintf(map, sizeof(map), "0 %u 1\n", id_uid);
	return write_file(path, map);
}

static void reap(pid_t pid, int *status)
{
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
}

int sandbox_start(struct sandbox *sb, const char *root, struct sentry_config *cfg,
		  struct cli_error **err)
{
	char empty_root[] = "/tmp/runsc-root-XXXXXX";
	int sv[2], to_sentry[2], from_sentry[2];
	struct sigaction sa;
	char c;

	got_signal = 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return cli_error_errno(err, errno, 125, "socketpair");
	if (!mkdtemp(empty_root)) {
		cli_error_errno(err, errno, 125, "cannot make the sentry's empty root");
		goto close_sv;
	}
	chmod(empty_root, 0755);
	if (pipe2(to_sentry, O_CLOEXEC) < 0) {
		cli_error_errno(err, errno, 125, "pipe");
		goto rm_root;
	}
	if (pipe2(from_sentry, O_CLOEXEC) < 0) {
		cli_error_errno(err, errno, 125, "pipe");
		goto close_to;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	gofer_pid = fork();
	if (gofer_pid < 0) {
		cli_error_errno(err, errno, 125, "cannot start the gofer");
		goto close_from;
	}
	if (gofer_pid == 0) {
		struct gofer_export *exports;
		size_t nexports;

		signal(SIGINT, SIG_IGN);
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		close(sv[0]);
		proctitle_set("runsc-gofer");
		exports = mounts_gofer_exports(cfg, &nexports);
		if (nexports == (size_t)-1)
			_exit(1);
		_exit(gofer_main(sv[1], root, exports, nexports));
	}
	close(sv[1]);

	cfg->gofer_fd = sv[0];
	cfg->sync_in = to_sentry[0];
	cfg->sync_out = from_sentry[1];
	cfg->empty_root = empty_root;
	/* Like fork, into new namespaces: the child runs on a copy of this stack (no stack of its
	 * own for sanitizers to stumble on) and never execs, so the fds above stay usable. */
	sentry_pid = syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID |
					 CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET | SIGCHLD,
			     0, 0, 0, 0);
	if (sentry_pid == 0) {
		/* Only runsc's ends: so that runsc's death is an EOF or EPIPE to the sentry. */
		close(to_sentry[1]);
		close(from_sentry[0]);
		sentry_main(cfg);
	}
	close(sv[0]);
	close(to_sentry[0]);
	close(from_sentry[1]);
	if (sentry_pid < 0) {
		cli_error_errno(err, errno, 125, "cannot start the sentry");
		kill(gofer_pid, SIGKILL);
		reap(gofer_pid, &(int){ 0 });
		gofer_pid = 0;
		close(to_sentry[1]);
		close(from_sentry[0]);
		rmdir(empty_root);
		return -1;
	}
	if (map_user_namespace(sentry_pid) < 0) {
		fprintf(stderr, "runsc: cannot map the sentry's user namespace\n");
		kill(sentry_pid, SIGKILL);
	} else if (write(to_sentry[1], "1", 1) != 1) {
		kill(sentry_pid, SIGKILL);
	}
	close(to_sentry[1]);
	/* Once the sentry is inside it (or gone), the directory has no more use. */
	while (read(from_sentry[0], &c, 1) < 0 && errno == EINTR)
		;
	close(from_sentry[0]);
	rmdir(empty_root);
	sb->gofer_pid = gofer_pid;
	sb->sentry_pid = sentry_pid;
	return 0;

close_from:
	close(from_sentry[0]);
	close(from_sentry[1]);
close_to:
	close(to_sentry[0]);
	close(to_sentry[1]);
rm_root:
	rmdir(empty_root);
close_sv:
	close(sv[0]);
	close(sv[1]);
	return -1;
}

int sandbox_wait(struct sandbox *sb)
{
	int status = 0, code;

	reap(sb->sentry_pid, &status);
	sentry_pid = 0;
	/* The gofer ends when the sentry's end of the connection closes. */
	reap(sb->gofer_pid, &(int){ 0 });
	gofer_pid = 0;

	if (got_signal)
		return 128 + got_signal;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	code = WTERMSIG(status);
	fprintf(stderr, "runsc: the sentry was killed by signal %d\n", code);
	return 128 + code;
}

int sandbox_run(const char *root, struct sentry_config *cfg)
{
	struct cli_error *err = NULL;
	struct sandbox sb;

	if (sandbox_start(&sb, root, cfg, &err) < 0) {
		cli_error_report(err);
		return 125;
	}
	return sandbox_wait(&sb);
}
