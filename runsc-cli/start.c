/* runsc start: lets the guest that runsc create loaded run. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runsc-cli/commands.h"
#include "runsc-cli/container.h"
#include "runsc-cli/launch.h"

static const char usage[] = "runsc start ID";

int cmd_start(struct global_flags *g, int argc, char **argv, struct cli_error **err)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	struct container *c;
	const char *status;
	int ch, lock_fd, ret = -1;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		if (ch != 'h')
			return usage_error(err, "start", ch, argv, usage);
		printf("usage: %s\n", usage);
		return 0;
	}
	if (expect_args(err, "start", argc - optind, 1, 1, usage) < 0 ||
	    container_load(g->root, argv[optind], &lock_fd, &c, err) < 0)
		return -1;
	status = container_status(c);
	if (!strcmp(status, "stopped"))
		cli_error(err, 1, "cannot start a container that has stopped");
	else if (strcmp(status, "created"))
		cli_error(err, 1, "cannot start an already %s container", status);
	else
		ret = container_start(c, err);
	close(lock_fd);
	container_free(c);
	return ret;
}
