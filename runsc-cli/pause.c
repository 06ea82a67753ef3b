/* runsc pause and resume: the sandbox's processes frozen, then thawed (cgroup freezer). */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runsc-cli/cgroup.h"
#include "runsc-cli/commands.h"
#include "runsc-cli/container.h"

/*
 * Freezing the sandbox's cgroup stops the sentry, the gofer and the stubs at once, so the
 * guest sees no signal and no time passing in its own processes' states (only the clock).
 */
static int set_paused(struct global_flags *g, int argc, char **argv, bool pause,
		      struct cli_error **err)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	const char *cmd = pause ? "pause" : "resume";
	const char *usage = pause ? "runsc pause ID" : "runsc resume ID";
	struct container *c;
	const char *status;
	int ch, lock_fd, ret = -1;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		if (ch != 'h')
			return usage_error(err, cmd, ch, argv, usage);
		printf("usage: %s\n", usage);
		return 0;
	}
	if (expect_args(err, cmd, argc - optind, 1, 1, usage) < 0 ||
	    container_load(g->root, argv[optind], &lock_fd, &c, err) < 0)
		return -1;
	status = container_status(c);
	if (pause && strcmp(status, "running"))
		cli_error(err, 1, "container not running");
	else if (!pause && strcmp(status, "paused"))
		cli_error(err, 1, "container not paused");
	else if (cgroup_freeze(c->cgroup, pause, err) == 0) {
		free(c->status);
		c->status = strdup(pause ? "paused" : "running");
		if (!c->status)
			cli_error(err, 1, "out of memory");
		else if (container_save(c, err) == 0)
			ret = 0;
		/* The record must say what the sandbox is: undo what it cannot say. */
		if (ret < 0)
			cgroup_freeze(c->cgroup, !pause, NULL);
	}
	close(lock_fd);
	container_free(c);
	return ret;
}

int cmd_pause(struct global_flags *g, int argc, char **argv, struct cli_error **err)
{
	return set_paused(g, argc, argv, true, err);
}

int cmd_resume(struct global_flags *g, int argc, char **argv, struct cli_error **err)
{
	return set_paused(g, argc, argv, false, err);
}
