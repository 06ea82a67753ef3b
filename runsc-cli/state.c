/* runsc state: the container's OCI state as runc prints it. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>

#include "runsc-cli/commands.h"
#include "runsc-cli/container.h"

static const char usage[] = "runsc state ID";

int cmd_state(struct global_flags *g, int argc, char **argv, struct cli_error **err)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	struct container *c;
	json_object *o;
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		if (ch != 'h')
			return usage_error(err, "state", ch, argv, usage);
		printf("usage: %s\n", usage);
		return 0;
	}
	if (expect_args(err, "state", argc - optind, 1, 1, usage) < 0 ||
	    container_load(g->root, argv[optind], NULL, &c, err) < 0)
		return -1;
	o = container_state_json(c, false);
	container_free(c);
	if (!o)
		return cli_error(err, 1, "out of memory");
	/* runc's layout: two spaces, "key": value, no newline at the end. */
	fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							JSON_C_TO_STRING_NOSLASHESCAPE),
	      stdout);
	json_object_put(o);
	return 0;
}
