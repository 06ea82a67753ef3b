/* runsc: the command line. Global flags, then a command; each command has its own file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/proctitle.h"
#include "runsc-cli/bundle.h"
#include "runsc-cli/commands.h"
#include "runsc-cli/flags.h"

struct command {
	const char *name;
	int (*run)(struct global_flags *g, int argc, char **argv, struct cli_error **err);
	const char *help;
};

/* runsc do prints its own messages (it predates struct cli_error). */
static int run_do(struct global_flags *g, int argc, char **argv, struct cli_error **err)
{
	return cmd_do(g, argc, argv);
}

static const struct command commands[] = {
	{ "do", run_do, "run a command in a one-shot sandbox over the host's root" },
	{ "create", cmd_create, "create a container from a bundle; start runs it" },
	{ "start", cmd_start, "run the program of a created container" },
	{ "run", cmd_run, "create and start a container (waits for it unless --detach)" },
	{ "state", cmd_state, "print a container's OCI state" },
	{ "kill", cmd_kill, "send a signal to a container's init (--all: to every process)" },
	{ "delete", cmd_delete, "remove a container (--force: even a running one)" },
	{ "list", cmd_list, "list the containers under --root" },
	{ "spec", cmd_spec, "write runc's default config.json" },
	{ "ps", cmd_ps, "list the processes of a container" },
	{ "pause", cmd_pause, "freeze every process of a container" },
	{ "resume", cmd_resume, "thaw a paused container" },
	{ "events", cmd_events, "print a container's resource usage as JSON lines" },
	{ "features", cmd_features, "print what this runtime implements (JSON)" },
	{ "exec", cmd_exec, "run a new process in a running container" },
	{ "update", cmd_update, "change a container's resource limits" },
};

/* runc's commands that are not built yet: named so a caller gets a clear answer. */
static const char *const planned[] = {
	"checkpoint", "restore",
};

static void usage(FILE *out)
{
	fprintf(out, "usage: runsc [global flags] <command> [flags] [args...]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(out, "\nglobal flags:\n");
	global_flags_usage();
}

int main(int argc, char **argv)
{
	struct global_flags g = { .root = "/run/cvisor", .platform = "systrap", .network = "none" };
	int i = 1;

	proctitle_init(argc, argv);
	while (i < argc && argv[i][0] == '-') {
		int r;

		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-v")) {
			printf("runsc version " CVISOR_VERSION " (cvisor)\nspec: " OCI_VERSION "\n");
			return 0;
		}
		r = global_flag_parse(&g, argc, argv, &i);
		if (r < 0)
			return 2;
		if (r == 0) {
			fprintf(stderr, "runsc: unknown flag %s\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	cli_error_set_log(g.log, g.log_format);
	for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++) {
		struct cli_error *err = NULL;
		int code;

		if (strcmp(argv[i], commands[c].name))
			continue;
		code = commands[c].run(&g, argc - i, argv + i, &err);
		/* The one place where a command's error is printed. */
		return code < 0 ? cli_error_report(err) : code;
	}
	for (size_t c = 0; c < sizeof(planned) / sizeof(planned[0]); c++) {
		if (!strcmp(argv[i], planned[c])) {
			struct cli_error *err = NULL;

			cli_error(&err, 1, "command %s is not implemented yet", argv[i]);
			return cli_error_report(err); /* on stderr and in --log, for the shims */
		}
	}
	{
		struct cli_error *err = NULL;

		cli_error(&err, 2, "unknown command %s", argv[i]);
		cli_error_report(err);
	}
	usage(stderr);
	return 2;
}
