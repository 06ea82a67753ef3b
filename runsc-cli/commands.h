/*
 * runc's commands, one file each (runsc-cli/<command>.c). Each returns the exit status, or -1
 * with *err for main to print. Flags are spelt as runc's: --flag VALUE, --flag=VALUE, -f VALUE.
 */
#ifndef CVISOR_RUNSC_COMMANDS_H
#define CVISOR_RUNSC_COMMANDS_H

#include "runsc-cli/error.h"
#include "runsc-cli/flags.h"

#define CVISOR_VERSION "0.1.0"

int cmd_create(struct global_flags *g, int argc, char **argv, struct cli_error **err);
int cmd_start(struct global_flags *g, int argc, char **argv, struct cli_error **err);
int cmd_run(struct global_flags *g, int argc, char **argv, struct cli_error **err);
int cmd_state(struct global_flags *g, int argc, char **argv, struct cli_error **err);
int cmd_kill(struct global_flags *g, int argc, char **argv, struct cli_error **err);
int cmd_delete(struct global_flags *g, int argc, char **argv, struct cli_error **err);
int cmd_list(struct global_flags *g, int argc, char **argv, struct cli_error **err);
int cmd_spec(struct global_flags *g, int argc, char **argv, struct cli_error **err);
int cmd_ps(struct global_flags *g, int argc, char **argv, struct cli_error **err);
int cmd_features(struct global_flags *g, int argc, char **argv, struct cli_error **err);
int cmd_pause(struct global_flags *g, int argc, char **argv, struct cli_error **err);
int cmd_resume(struct global_flags *g, int argc, char **argv, struct cli_error **err);
int cmd_events(struct global_flags *g, int argc, char **argv, struct cli_error **err);
int cmd_exec(struct global_flags *g, int argc, char **argv, struct cli_error **err);
int cmd_update(struct global_flags *g, int argc, char **argv, struct cli_error **err);

/*
 * For getopt_long's '?' or ':' (the option string starts with "+:"): "unknown flag" or
 * "flag needs a value", naming the command. Returns -1.
 */
int usage_error(struct cli_error **err, const char *cmd, int c, char **argv, const char *usage);
/* Checks the number of arguments left after the flags. */
int expect_args(struct cli_error **err, const char *cmd, int have, int min, int max,
		const char *usage);

#endif
