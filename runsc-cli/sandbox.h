/* Starting a sandbox: the gofer and sentry processes, and waiting for the guest's end. */
#ifndef CVISOR_RUNSC_SANDBOX_H
#define CVISOR_RUNSC_SANDBOX_H

#include <sys/types.h>

#include "runsc-cli/error.h"
#include "sentry/sentry.h"

/* A started sandbox: the calling process is the parent of both. */
struct sandbox {
	pid_t gofer_pid;
	pid_t sentry_pid;
};

/*
 * Starts a gofer serving root and a sentry running cfg's program (cfg's strings must not live
 * in argv: the children rename themselves over it), and returns once the sentry has shut
 * itself into its empty root, which is then removed. From here SIGINT, SIGTERM and SIGHUP to
 * the caller kill the sandbox. 0, or -1 with *err and nothing left behind.
 */
int sandbox_start(struct sandbox *sb, const char *root, struct sentry_config *cfg,
		  struct cli_error **err);

/*
 * Waits for the sentry, then the gofer; returns the exit code of the sandbox: the guest's
 * status (128+N for signal N), 128+N when signal N made the caller kill the sandbox.
 */
int sandbox_wait(struct sandbox *sb);

/* sandbox_start and sandbox_wait, for runsc do; a failure to start is printed, code 125. */
int sandbox_run(const char *root, struct sentry_config *cfg);

#endif
