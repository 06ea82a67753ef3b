/* runsc: the command line. Global flags, then a command; each command has its own file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/proctitle.h"
#include "runsc-cli/flags.h"

#define CVISOR_VERSION "0.1.0"

struct command {
	const char *name;
	int (*run)(struct global_flags *g, int argc, char **argv);
	const char *help;
};

static const struct command commands[] = {
	{ "do", cmd_do, "run a command in a one-shot sandbox over the host's root" },
};

/* runc's commands that are not built yet: named so a caller gets a clear answer. */
static const char *const planned[] = {
	"create", "start", "run", "exec", "state", "kill", "delete", "list", "ps", "pause",
	"resume", "events", "spec", "update", "checkpoint", "restore", "features",
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
	struct global_flags g = { .root = "/run/cvisor", .platform = "ptrace", .network = "none" };
	int i = 1;

	proctitle_init(argc, argv);
	while (i < argc && argv[i][0] == '-') {
		int r;

		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-v")) {
			printf("runsc version " CVISOR_VERSION " (cvisor)\nspec: 1.1.0\n");
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
	for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
		if (!strcmp(argv[i], commands[c].name))
			return commands[c].run(&g, argc - i, argv + i);
	for (size_t c = 0; c < sizeof(planned) / sizeof(planned[0]); c++) {
		if (!strcmp(argv[i], planned[c])) {
			fprintf(stderr, "runsc: command %s is not implemented yet\n", argv[i]);
			return 1;
		}
	}
	fprintf(stderr, "runsc: unknown command %s\n", argv[i]);
	usage(stderr);
	return 2;
}
