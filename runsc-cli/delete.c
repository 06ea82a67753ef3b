/* runsc delete: removes a container; a running one only with --force, which kills it. */
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runsc-cli/cgroup.h"
#include "runsc-cli/commands.h"
#include "runsc-cli/container.h"
#include "runsc-cli/launch.h"

static const char usage[] = "runsc delete [--force] ID";

/* How long the sandbox's processes get to be gone after SIGKILL. */
#define KILL_WAIT_MS 5000

/*
 * SIGKILL to the root process takes the sentry and the gofer with it (their parent-death
 * signal); they get one too in case they were left without it. Returns once all are gone.
 */
static int kill_sandbox(const struct container *c, struct cli_error **err)
{
	const struct host_process *procs[] = { &c->sandbox, &c->sentry, &c->gofer };
	struct timespec tick = { 0, 10 * 1000 * 1000 };

	for (size_t i = 0; i < 3; i++)
		if (host_process_alive(procs[i]))
			kill(procs[i]->pid, SIGKILL);
	for (int ms = 0; ms < KILL_WAIT_MS; ms += 10) {
		bool alive = false;

		for (size_t i = 0; i < 3; i++)
			alive |= host_process_alive(procs[i]);
		if (!alive)
			return 0;
		nanosleep(&tick, NULL);
	}
	return cli_error(err, 1, "container %s: the sandbox (pid %d) did not die", c->id,
			 c->sandbox.pid);
}

int cmd_delete(struct global_flags *g, int argc, char **argv, struct cli_error **err)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct cli_error *warning = NULL;
	struct container *c;
	const char *status, *id;
	bool force = false;
	int ch, lock_fd, ret = -1;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "+:fh", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			force = true;
			break;
		case 'h':
			printf("usage: %s\n", usage);
			return 0;
		default:
			return usage_error(err, "delete", ch, argv, usage);
		}
	}
	if (expect_args(err, "delete", argc - optind, 1, 1, usage) < 0 ||
	    container_id_check(argv[optind], err) < 0)
		return -1;
	id = argv[optind];
	/* As runc: deleting what is not there is an error, unless forced. */
	if (!container_exists(g->root, id))
		return force ? 0 : cli_error(err, 1, "container %s does not exist", id);
	if (container_load(g->root, id, &lock_fd, &c, err) < 0)
		return -1;
	status = container_status(c);
	if (!strcmp(status, "running") || !strcmp(status, "paused")) {
		if (!force) {
			cli_error(err, 1, "cannot delete container %s that is not stopped: %s", id,
				  status);
			goto out;
		}
	}
	/* A created container goes without --force, as runc's. A frozen one cannot die. */
	if (!strcmp(status, "paused"))
		cgroup_freeze(c->cgroup, false, NULL);
	if (kill_sandbox(c, err) == 0 && cgroup_destroy(c->cgroup, err) == 0 &&
	    container_remove_dir(c->dir, err) == 0)
		ret = 0;
	/* A poststop hook's failure is a warning: the container is gone all the same. */
	if (ret == 0 && container_run_hooks(c, HOOK_POSTSTOP, &warning) < 0)
		cli_error_report(warning);
out:
	close(lock_fd);
	container_free(c);
	return ret;
}
