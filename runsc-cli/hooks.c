/*
 * OCI hooks (runsc-cli/hooks.h). They run on the host: the sandbox is its own kernel, so
 * there are no container namespaces for createContainer and startContainer to enter.
 */
#include "runsc-cli/hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/util.h"

static int run_one(const struct oci_hook *h, const char *name, const char *state,
		   struct cli_error **err)
{
	char *const default_argv[] = { (char *)h->path, NULL };
	char *const empty_env[] = { NULL };
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	size_t len = strlen(state), done = 0;
	int in[2], status;
	long waited_ms = 0;
	pid_t pid, r;

	if (pipe2(in, O_CLOEXEC) < 0)
		return cli_error_errno(err, errno, 1, "hook %s", name);
	pid = fork();
	if (pid < 0) {
		close(in[0]);
		close(in[1]);
		return cli_error_errno(err, errno, 1, "hook %s", name);
	}
	if (pid == 0) {
		dup2(in[0], STDIN_FILENO);
		signal(SIGPIPE, SIG_DFL);
		execve(h->path, h->args ? (char *const *)h->args : default_argv,
		       h->env ? (char *const *)h->env : empty_env);
		_exit(127);
	}
	close(in[0]);
	/* A hook that does not read its stdin must not block runsc: SIGPIPE is ignored here. */
	signal(SIGPIPE, SIG_IGN);
	while (done < len) {
		ssize_t n = write(in[1], state + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += n;
	}
	close(in[1]);
	while ((r = waitpid(pid, &status, WNOHANG)) == 0) {
		if (h->timeout > 0 && waited_ms >= h->timeout * 1000L) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return cli_error(err, 1, "hook %s timed out after %d s", name, h->timeout);
		}
		nanosleep(&tick, NULL);
		waited_ms += 10;
	}
	if (r < 0)
		return cli_error_errno(err, errno, 1, "hook %s", name);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		return cli_error(err, 1, "hook %s exited with status %d", name,
				 WEXITSTATUS(status));
	return cli_error(err, 1, "hook %s was killed by signal %d", name, WTERMSIG(status));
}

int hooks_run(const struct oci_hook *hooks, size_t n, enum hook_kind kind, const char *state,
	      struct cli_error **err)
{
	for (size_t i = 0; i < n; i++) {
		char name[4200];

		snprintf(name, sizeof(name), "%s[%zu] (%s)", hook_kind_name(kind), i,
			 hooks[i].path);
		if (run_one(&hooks[i], name, state, err) < 0)
			return -1;
	}
	return 0;
}
