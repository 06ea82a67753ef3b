/*
 * Creating a container from a bundle: its state directory, its control socket, and the
 * sandbox's root process, shared by runsc create and runsc run.
 */
#ifndef CVISOR_RUNSC_LAUNCH_H
#define CVISOR_RUNSC_LAUNCH_H

#include <stdbool.h>

#include "runsc-cli/bundle.h"
#include "runsc-cli/container.h"
#include "runsc-cli/error.h"
#include "runsc-cli/flags.h"

enum launch_mode {
	LAUNCH_CREATE,	   /* returns with the guest loaded, waiting for runsc start */
	LAUNCH_DETACHED,   /* run --detach: returns with the guest running */
	LAUNCH_FOREGROUND, /* run: waits for the guest, removes the container, returns its status */
};

struct launch_opts {
	const char *id;
	const char *bundle;	    /* the bundle directory */
	const char *pid_file;	    /* NULL: none */
	const char *console_socket; /* NULL: none */
	enum launch_mode mode;
};

/*
 * runsc create's and runsc run's command line, one parser for both (run adds --detach and
 * --keep), and the launch: the exit code the command returns, or -1 with *err.
 */
int launch_command(struct global_flags *g, const char *cmd, const char *usage, bool run, int argc,
		   char **argv, struct cli_error **err);

/*
 * The sandbox's root process (its PID goes to --pid-file and the state) is a child of the
 * calling runsc, so the caller's subreaper (containerd's shim, conmon) inherits it; it exits
 * with the guest's status, 128+N for signal N. Returns 0 (LAUNCH_FOREGROUND: the exit code),
 * or -1 with *err; then nothing of the container is left.
 */
int container_launch(struct global_flags *g, const struct launch_opts *o, struct cli_error **err);

/*
 * Runs c's hooks of one kind (from its record) with c's OCI state on their stdin, as runc
 * does. 0, or -1 with *err naming the hook that failed.
 */
int container_run_hooks(const struct container *c, enum hook_kind kind, struct cli_error **err);

/*
 * Lets a created container's guest run (runsc start, and run): startContainer hooks, "start"
 * to the sentry, the record says running, then poststart hooks, whose failure is reported
 * as a warning only (the container runs on, as runc's). The caller holds c's lock.
 */
int container_start(struct container *c, struct cli_error **err);

#endif
