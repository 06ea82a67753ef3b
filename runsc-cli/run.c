/* runsc run: create and start in one; in the foreground it waits and removes the container. */
#include "runsc-cli/commands.h"
#include "runsc-cli/launch.h"

int cmd_run(struct global_flags *g, int argc, char **argv, struct cli_error **err)
{
	return launch_command(g, "run", "runsc run [--bundle DIR] [--pid-file FILE] [--detach] "
			      "[--console-socket SOCKET] [--no-pivot] [--no-new-keyring] ID",
			      true, argc, argv, err);
}
