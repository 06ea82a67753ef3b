/* runsc run: create and start in one; in the foreground it waits and removes the container. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "runsc-cli/commands.h"
#include "runsc-cli/launch.h"

static const char usage[] = "runsc run [--bundle DIR] [--pid-file FILE] [--detach] "
			    "[--console-socket SOCKET] [--no-pivot] [--no-new-keyring] ID";

int cmd_run(struct global_flags *g, int argc, char **argv, struct cli_error **err)
{
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "detach", no_argument, NULL, 'd' },
		{ "console-socket", required_argument, NULL, 'c' },
		{ "no-pivot", no_argument, NULL, 'P' },
		{ "no-new-keyring", no_argument, NULL, 'K' },
		{ "preserve-fds", required_argument, NULL, 'F' },
		{ "keep", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct launch_opts o = { .bundle = ".", .mode = LAUNCH_FOREGROUND };
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+:b:dh", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			o.bundle = optarg;
			break;
		case 'p':
			o.pid_file = optarg;
			break;
		case 'd':
			o.mode = LAUNCH_DETACHED;
			break;
		case 'c':
			o.console_socket = optarg;
			break;
		case 'P':
		case 'K':
			break;
		case 'F':
			if (atoi(optarg) != 0)
				return cli_error(err, 1,
						 "run: --preserve-fds is not supported yet");
			break;
		case 'k':
			return cli_error(err, 1, "run: --keep is not supported yet");
		case 'h':
			printf("usage: %s\n", usage);
			return 0;
		default:
			return usage_error(err, "run", c, argv, usage);
		}
	}
	if (expect_args(err, "run", argc - optind, 1, 1, usage) < 0)
		return -1;
	o.id = argv[optind];
	return container_launch(g, &o, err);
}
