/* Running OCI hooks on the host, with the container's state on their stdin, as runc does. */
#ifndef CVISOR_RUNSC_HOOKS_H
#define CVISOR_RUNSC_HOOKS_H

#include <stddef.h>

#include "runsc-cli/bundle.h"
#include "runsc-cli/error.h"

/*
 * Runs hooks[0..n) one after the other, each with state (the OCI state JSON) on stdin, killed
 * after its timeout. 0 when each exited 0; else -1 with *err naming the hook (kind is its
 * config.json list, for the message) and the rest not run.
 */
int hooks_run(const struct oci_hook *hooks, size_t n, enum hook_kind kind, const char *state,
	      struct cli_error **err);

#endif
