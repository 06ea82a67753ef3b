/* runsc create: the sandbox starts with the guest loaded; runsc start lets it run. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "runsc-cli/commands.h"
#include "runsc-cli/launch.h"

static const char usage[] = "runsc create [--bundle DIR] [--pid-file FILE] [--console-socket "
			    "SOCKET] [--no-pivot] [--no-new-keyring] [--preserve-fds N] ID";

int cmd_create(struct global_flags *g, int argc, char **argv, struct cli_error **err)
{
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "console-socket", required_argument, NULL, 'c' },
		{ "no-pivot", no_argument, NULL, 'P' },
		{ "no-new-keyring", no_argument, NULL, 'K' },
		{ "preserve-fds", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct launch_opts o = { .bundle = ".", .mode = LAUNCH_CREATE };
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+:b:h", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			o.bundle = optarg;
			break;
		case 'p':
			o.pid_file = optarg;
			break;
		case 'c':
			o.console_socket = optarg;
			break;
		case 'P': /* the sentry never pivots: its root is an empty directory */
		case 'K': /* keyrings are the host kernel's; the guest never reaches them */
			break;
		case 'F':
			if (atoi(optarg) != 0)
				return cli_error(err, 1,
						 "create: --preserve-fds is not supported yet");
			break;
		case 'h':
			printf("usage: %s\n", usage);
			return 0;
		default:
			return usage_error(err, "create", c, argv, usage);
		}
	}
	if (expect_args(err, "create", argc - optind, 1, 1, usage) < 0)
		return -1;
	o.id = argv[optind];
	return container_launch(g, &o, err);
}
