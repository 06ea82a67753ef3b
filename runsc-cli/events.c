/* runsc events: the sandbox's resource usage as runc's JSON lines, once or every interval. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runsc-cli/cgroup.h"
#include "runsc-cli/commands.h"
#include "runsc-cli/container.h"

static const char usage[] = "runsc events [--stats] [--interval DURATION] ID";

/* A Go-style duration ("5s", "500ms", "1m"; a bare number is seconds) in ms; -1 if bad. */
static long long parse_interval(const char *s)
{
	static const struct {
		const char *unit;
		double ms;
	} units[] = { { "ns", 1e-6 }, { "us", 1e-3 },	{ "ms", 1 }, { "s", 1000 },
		      { "m", 60000 }, { "h", 3600000 }, { "", 1000 } };
	char *end;
	double v = strtod(s, &end);

	if (end == s || v < 0)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(end, units[i].unit))
			return (long long)(v * units[i].ms);
	return -1;
}

static int print_stats(const struct container *c, struct cli_error **err)
{
	json_object *o = json_object_new_object(), *data = cgroup_stats(c->cgroup);

	if (!o || !data) {
		json_object_put(o);
		json_object_put(data);
		return cli_error(err, 1, "container %s: cannot read the cgroup %s", c->id,
				 c->cgroup);
	}
	json_object_object_add(o, "type", json_object_new_string("stats"));
	json_object_object_add(o, "id", json_object_new_string(c->id));
	json_object_object_add(o, "data", data);
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								 JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stdout);
	json_object_put(o);
	return 0;
}

int cmd_events(struct global_flags *g, int argc, char **argv, struct cli_error **err)
{
	static const struct option opts[] = {
		{ "stats", no_argument, NULL, 's' },
		{ "interval", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	long long interval_ms = 5000;
	struct container *c;
	bool once = false;
	int ch, ret = 0;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			once = true;
			break;
		case 'i':
			interval_ms = parse_interval(optarg);
			if (interval_ms <= 0)
				return cli_error(err, 1, "events: invalid --interval \"%s\"",
						 optarg);
			break;
		case 'h':
			printf("usage: %s\n", usage);
			return 0;
		default:
			return usage_error(err, "events", ch, argv, usage);
		}
	}
	if (expect_args(err, "events", argc - optind, 1, 1, usage) < 0 ||
	    container_load(g->root, argv[optind], NULL, &c, err) < 0)
		return -1;
	if (!strcmp(container_status(c), "stopped")) {
		container_free(c);
		return cli_error(err, 1, "container %s is not running", argv[optind]);
	}
	/* Until the container stops (out-of-memory events are not reported yet). */
	while ((ret = print_stats(c, err)) == 0 && !once) {
		struct timespec ts = { interval_ms / 1000, (interval_ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
		if (!strcmp(container_status(c), "stopped"))
			break;
	}
	container_free(c);
	return ret;
}
