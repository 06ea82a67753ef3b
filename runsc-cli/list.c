/* runsc list: the containers under --root, as runc's table, JSON or IDs. */
#include <dirent.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "runsc-cli/commands.h"
#include "runsc-cli/container.h"

static const char usage[] = "runsc list [--format table|json] [--quiet]";

#define COLUMNS 6

/* Go's text/tabwriter as runc sets it up: cells padded by 3, columns at least 12 wide. */
static void print_table(char *(*rows)[COLUMNS], size_t n)
{
	size_t width[COLUMNS] = { 0 };

	for (size_t r = 0; r < n; r++)
		for (int k = 0; k < COLUMNS - 1; k++)
			width[k] = MAX(width[k], MAX(strlen(rows[r][k]) + 3, (size_t)12));
	for (size_t r = 0; r < n; r++) {
		for (int k = 0; k < COLUMNS - 1; k++)
			printf("%-*s", (int)width[k], rows[r][k]);
		printf("%s\n", rows[r][COLUMNS - 1]);
	}
}

static bool is_dir_entry(const struct dirent *e)
{
	return e->d_name[0] != '.' && (e->d_type == DT_DIR || e->d_type == DT_UNKNOWN);
}

int cmd_list(struct global_flags *g, int argc, char **argv, struct cli_error **err)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *format = "table";
	struct dirent **entries = NULL;
	char *(*rows)[COLUMNS] = NULL;
	json_object *array = NULL;
	bool quiet = false;
	int ch, n, nrows = 1;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "+:f:qh", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			format = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			printf("usage: %s\n", usage);
			return 0;
		default:
			return usage_error(err, "list", ch, argv, usage);
		}
	}
	if (strcmp(format, "table") && strcmp(format, "json"))
		return cli_error(err, 1, "list: invalid format option \"%s\"", format);
	if (expect_args(err, "list", argc - optind, 0, 0, usage) < 0)
		return -1;

	n = scandir(g->root, &entries, NULL, alphasort);
	if (n < 0)
		n = 0; /* no --root directory yet: no containers */
	rows = calloc(n + 1, sizeof(*rows));
	if (!rows)
		return cli_error(err, 1, "out of memory");
	rows[0][0] = strdup("ID");
	rows[0][1] = strdup("PID");
	rows[0][2] = strdup("STATUS");
	rows[0][3] = strdup("BUNDLE");
	rows[0][4] = strdup("CREATED");
	rows[0][5] = strdup("OWNER");
	for (int i = 0; i < n; i++) {
		struct cli_error *ignored = NULL;
		struct container *c;
		json_object *o;

		/* A directory without a record is one being created, or debris: not listed. */
		if (!is_dir_entry(entries[i]) ||
		    container_load(g->root, entries[i]->d_name, NULL, &c, &ignored) < 0) {
			cli_error_free(ignored);
			continue;
		}
		o = container_state_json(c, true);
		if (quiet) {
			printf("%s\n", c->id);
		} else if (!strcmp(format, "json") && o) {
			if (!array)
				array = json_object_new_array();
			if (array)
				json_object_array_add(array, json_object_get(o));
		} else if (o) {
			json_object *v;
			char **row = rows[nrows++];

			for (int k = 0; k < COLUMNS; k++) {
				static const char *const keys[] = { "id",     "pid",	 "status",
								    "bundle", "created", "owner" };

				json_object_object_get_ex(o, keys[k], &v);
				row[k] = strdup(json_object_get_string(v));
			}
		}
		json_object_put(o);
		container_free(c);
	}
	if (!quiet && !strcmp(format, "json"))
		/* Go's encoder: an empty list is null. */
		printf("%s\n", array ? json_object_to_json_string_ext(
					       array, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE) :
				       "null");
	else if (!quiet)
		print_table(rows, nrows);
	json_object_put(array);
	for (int r = 0; r < nrows; r++)
		for (int k = 0; k < COLUMNS; k++)
			free(rows[r][k]);
	free(rows);
	for (int i = 0; i < n; i++)
		free(entries[i]);
	free(entries);
	return 0;
}
