/* Guest test: processes — fork, wait4 and exit statuses, WNOHANG, vfork, execve, getpid/getppid,
 * and orphans reparented to this process (it makes itself a child subreaper). */
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "guest.h"

static void fork_and_wait(void)
{
	struct rusage ru;
	int status;
	pid_t pid, got;

	pid = fork();
	if (pid == 0)
		_exit(42);
	report_bool("fork_returns_child_pid", pid > 0);
	got = wait4(pid, &status, 0, &ru);
	report_bool("wait4_returns_pid", got == pid);
	printf("wait4_status: %s\n", status_str(status));

	pid = fork();
	if (pid == 0)
		exit(0);
	printf("exit_0: %s\n", wait_str(pid));
	pid = fork();
	if (pid == 0)
		exit(255);
	printf("exit_255: %s\n", wait_str(pid));
	pid = fork();
	if (pid == 0)
		exit(256 + 7);
	printf("exit_263_truncated: %s\n", wait_str(pid));
	pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	kill(pid, SIGKILL);
	printf("killed: %s\n", wait_str(pid));
	pid = fork();
	if (pid == 0) {
		setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 }); /* no core file left behind */
		abort();
	}
	printf("abort: %s\n", wait_str(pid));
	report_err("wait_no_children", wait(&status));
}

static void wnohang(void)
{
	int p[2], status;
	pid_t pid;
	char c;

	if (pipe(p) != 0)
		die("pipe");
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		_exit(read(p[0], &c, 1) == 1 ? 5 : 6);
	}
	close(p[0]);
	report_long("wnohang_while_running", waitpid(pid, &status, WNOHANG));
	if (write(p[1], "go", 1) != 1)
		die("write");
	close(p[1]);
	report_bool("wait_after_release", waitpid(pid, &status, 0) == pid);
	printf("released_child: %s\n", status_str(status));
	report_err("wnohang_no_children", waitpid(-1, &status, WNOHANG));
}

static void vfork_exec(void)
{
	volatile int touched = 0;
	pid_t pid;

	pid = vfork();
	if (pid == 0) {
		touched = 1; /* vfork shares memory: the parent sees this */
		_exit(7);
	}
	printf("vfork_exit: %s\n", wait_str(pid));
	report_bool("vfork_shares_memory", touched == 1);

	pid = fork();
	if (pid == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(99);
	}
	printf("execve_true: %s\n", wait_str(pid));
	pid = fork();
	if (pid == 0) {
		execl("/bin/false", "false", (char *)NULL);
		_exit(99);
	}
	printf("execve_false: %s\n", wait_str(pid));
	pid = fork();
	if (pid == 0) {
		/* The exec'd shell checks its own arguments and environment. */
		char *argv[] = {
			"sh",	"-c",	"[ \"$0\" = arg0 ] && [ \"$1\" = arg1 ] && [ \"$V\" = 1 ]",
			"arg0", "arg1", NULL
		};
		char *envp[] = { "V=1", NULL };

		execve("/bin/sh", argv, envp);
		_exit(99);
	}
	printf("execve_argv_envp: %s\n", wait_str(pid));
	pid = fork();
	if (pid == 0) {
		execl("/nonexistent/program", "x", (char *)NULL);
		_exit(errno == ENOENT ? 3 : 4);
	}
	printf("execve_missing_fails_with_enoent: %s\n", wait_str(pid));
}

static void pids(void)
{
	int p[2];
	pid_t me = getpid(), pid, seen[2];

	if (pipe(p) != 0)
		die("pipe");
	pid = fork();
	if (pid == 0) {
		pid_t mine[2] = { getpid(), getppid() };

		_exit(write(p[1], mine, sizeof(mine)) == sizeof(mine) ? 0 : 1);
	}
	if (read(p[0], seen, sizeof(seen)) != sizeof(seen))
		die("read");
	wait_str(pid);
	report_bool("child_getpid_is_fork_result", seen[0] == pid);
	report_bool("child_getppid_is_parent", seen[1] == me);
	report_bool("getpid_stable", getpid() == me);
	report_bool("pids_differ", pid != me);
	close(p[0]);
	close(p[1]);
}

static void orphans(void)
{
	int p[2];
	pid_t me = getpid(), child, grandchild, ppid_seen;

	/* Natively orphans go to init unless we are a subreaper; in the sandbox we are PID 1. */
	report("set_child_subreaper", prctl(PR_SET_CHILD_SUBREAPER, 1));
	if (pipe(p) != 0)
		die("pipe");
	child = fork();
	if (child == 0) {
		if (fork() == 0) {
			/* The grandchild outlives its parent, then reports its new parent. */
			for (int i = 0; i < 5000 && getppid() != me; i++)
				usleep(1000);
			ppid_seen = getppid();
			_exit(write(p[1], &ppid_seen, sizeof(ppid_seen)) == sizeof(ppid_seen) ? 0 :
												1);
		}
		_exit(0);
	}
	printf("middle_child: %s\n", wait_str(child));
	if (read(p[0], &ppid_seen, sizeof(ppid_seen)) != sizeof(ppid_seen))
		die("read");
	report_bool("orphan_reparented_to_subreaper", ppid_seen == me);
	grandchild = wait(NULL);
	report_bool("subreaper_reaps_orphan", grandchild > 0 && grandchild != child);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	guest_init();
	fork_and_wait();
	wnohang();
	vfork_exec();
	pids();
	orphans();
	return 0;
}
