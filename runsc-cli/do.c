/* runsc do: a one-shot sandbox over the host's root, as gVisor's `runsc do`. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runsc-cli/flags.h"
#include "runsc-cli/sandbox.h"

extern char **environ;

static void do_usage(void)
{
	fprintf(stderr, "usage: runsc do [--platform=ptrace] [--strace] [--debug-log=FILE] CMD "
			"[ARG...]\n");
}

int cmd_do(struct global_flags *g, int argc, char **argv)
{
	struct sentry_config cfg = { 0 };
	char cwd[4096];
	int i = 1, code;

	while (i < argc && argv[i][0] == '-') {
		int r;

		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			do_usage();
			return 0;
		}
		r = global_flag_parse(g, argc, argv, &i);
		if (r < 0) {
			do_usage();
			return 2;
		}
		if (r == 0) {
			fprintf(stderr, "runsc do: unknown flag %s\n", argv[i]);
			do_usage();
			return 2;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "runsc do: missing command\n");
		do_usage();
		return 2;
	}
	if (strcmp(g->platform, "ptrace") != 0 && strcmp(g->platform, "systrap") != 0) {
		fprintf(stderr, "runsc do: unknown platform %s (available: systrap, ptrace)\n",
			g->platform);
		return 2;
	}
	if (strcmp(g->network, "none") != 0) {
		fprintf(stderr, "runsc do: network %s is not available (available: none)\n",
			g->network);
		return 2;
	}
	cfg.debug_fd = -1;
	cfg.control_fd = cfg.ready_fd = cfg.umask = -1;
	if (g->debug_log) {
		cfg.debug_fd = open(g->debug_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (cfg.debug_fd < 0) {
			fprintf(stderr, "runsc do: cannot open debug log %s: %s\n", g->debug_log,
				strerror(errno));
			return 2;
		}
		/* It must survive into the sentry, which never execs. */
	}
	/* The sentry renames itself over runsc's argv memory: give it copies. */
	cfg.argv = calloc(argc - i + 1, sizeof(char *));
	if (!cfg.argv)
		return 125;
	for (int k = i; k < argc; k++)
		if (!(cfg.argv[k - i] = strdup(argv[k])))
			return 125;
	cfg.envp = environ;
	cfg.cwd = getcwd(cwd, sizeof(cwd)) ? cwd : "/";
	cfg.uid = getuid();
	cfg.gid = getgid();
	cfg.platform = g->platform;
	cfg.strace = g->strace;
	code = sandbox_run("/", &cfg);
	if (cfg.debug_fd >= 0)
		close(cfg.debug_fd);
	for (char **p = cfg.argv; *p; p++)
		free(*p);
	free(cfg.argv);
	return code;
}
