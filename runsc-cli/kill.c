/* runsc kill: a signal to the guest's init (--all: to every guest process). */
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "runsc-cli/cgroup.h"
#include "runsc-cli/commands.h"
#include "runsc-cli/container.h"
#include "runsc-cli/control_client.h"
#include "runsc-cli/signals.h"

static const char usage[] = "runsc kill [--all] ID [SIGNAL]";

static int deliver(const struct container *c, bool paused, bool all, int sig,
		   struct cli_error **err)
{
	char request[32];

	if (paused && cgroup_freeze(c->cgroup, false, err) < 0)
		return -1;
	snprintf(request, sizeof(request), "%s %d", all ? "signal-all" : "signal", sig);
	return control_request(c->dir, request, NULL, err);
}

int cmd_kill(struct global_flags *g, int argc, char **argv, struct cli_error **err)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct container *c;
	const char *status;
	bool all = false;
	int ch, sig = SIGTERM, ret;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "+:ah", opts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			all = true;
			break;
		case 'h':
			printf("usage: %s\n", usage);
			return 0;
		default:
			return usage_error(err, "kill", ch, argv, usage);
		}
	}
	if (expect_args(err, "kill", argc - optind, 1, 2, usage) < 0)
		return -1;
	if (argc - optind == 2 && (sig = signal_parse(argv[optind + 1])) < 0)
		return cli_error(err, 1, "unknown signal \"%s\"", argv[optind + 1]);
	if (container_load(g->root, argv[optind], NULL, &c, err) < 0)
		return -1;
	status = container_status(c);
	if (!strcmp(status, "stopped"))
		ret = cli_error(err, 1, "container not running");
	else if (!strcmp(status, "paused") && sig != SIGKILL)
		/* A frozen sentry cannot take it; SIGKILL is the one that must get through. */
		ret = cli_error(err, 1, "container is paused: resume it first");
	else
		ret = deliver(c, !strcmp(status, "paused"), all, sig, err);
	container_free(c);
	return ret;
}
