/*
 * Creating a container from a bundle: its state directory, its control socket, and the
 * sandbox's root process, shared by runsc create and runsc run.
 */
#ifndef CVISOR_RUNSC_LAUNCH_H
#define CVISOR_RUNSC_LAUNCH_H

#include <stdbool.h>

#include "runsc-cli/error.h"
#include "runsc-cli/flags.h"

enum launch_mode {
	LAUNCH_CREATE,     /* returns with the guest loaded, waiting for runsc start */
	LAUNCH_DETACHED,   /* run --detach: returns with the guest running */
	LAUNCH_FOREGROUND, /* run: waits for the guest, removes the container, returns its status */
};

struct launch_opts {
	const char *id;
	const char *bundle;         /* the bundle directory */
	const char *pid_file;       /* NULL: none */
	const char *console_socket; /* NULL: none */
	enum launch_mode mode;
};

/*
 * The sandbox's root process (its PID goes to --pid-file and the state) is a child of the
 * calling runsc, so the caller's subreaper (containerd's shim, conmon) inherits it; it exits
 * with the guest's status, 128+N for signal N. Returns 0 (LAUNCH_FOREGROUND: the exit code),
 * or -1 with *err; then nothing of the container is left.
 */
int container_launch(struct global_flags *g, const struct launch_opts *o,
		     struct cli_error **err);

#endif
