/* Usage errors of runc's commands: one line naming the command and what is wrong. */
#include <getopt.h>
#include <stdio.h>

#include "runsc-cli/commands.h"

int usage_error(struct cli_error **err, const char *cmd, int c, char **argv, const char *usage)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		return cli_error(err, 1, "%s: flag %s needs a value (usage: %s)", cmd, arg, usage);
	return cli_error(err, 1, "%s: unknown flag %s (usage: %s)", cmd, arg, usage);
}

int expect_args(struct cli_error **err, const char *cmd, int have, int min, int max,
		const char *usage)
{
	if (have < min)
		return cli_error(err, 1, "%s: missing arguments (usage: %s)", cmd, usage);
	if (have > max)
		return cli_error(err, 1, "%s: too many arguments (usage: %s)", cmd, usage);
	return 0;
}
