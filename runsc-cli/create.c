/* runsc create: the sandbox starts with the guest loaded; runsc start lets it run. */
#include "runsc-cli/commands.h"
#include "runsc-cli/launch.h"

int cmd_create(struct global_flags *g, int argc, char **argv, struct cli_error **err)
{
	return launch_command(g, "create", "runsc create [--bundle DIR] [--pid-file FILE] "
			      "[--console-socket SOCKET] [--no-pivot] [--no-new-keyring] "
			      "[--preserve-fds N] ID", false, argc, argv, err);
}
