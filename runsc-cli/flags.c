/* Global flags shared by every command. */
#include "runsc-cli/flags.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

enum kind { STRING, BOOL };

struct flag_def {
	const char *name;
	enum kind kind;
	size_t offset;
	const char *help;
};

#define F(n, k, field, h) { n, k, offsetof(struct global_flags, field), h }
static const struct flag_def defs[] = {
	F("root", STRING, root, "state directory (default /run/cvisor)"),
	F("log", STRING, log, "log file"),
	F("log-format", STRING, log_format, "log format: text or json"),
	F("debug", BOOL, debug, "debug logging"),
	F("platform", STRING, platform, "how guest code runs: systrap (default) or ptrace"),
	F("network", STRING, network, "network: none"),
	F("strace", BOOL, strace, "log every guest syscall"),
	F("debug-log", STRING, debug_log, "write debug logs (and --strace) to FILE"),
	F("systemd-cgroup", BOOL, systemd_cgroup, "accepted for runc's callers; no effect yet"),
	F("rootless", STRING, rootless, "accepted for runc's callers (true|false|auto)"),
};

void global_flags_usage(void)
{
	for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
		fprintf(stderr, "  --%-12s %s\n", defs[i].name, defs[i].help);
}

int global_flag_parse(struct global_flags *g, int argc, char **argv, int *i)
{
	const char *arg = argv[*i], *name, *eq;
	size_t len;

	if (arg[0] != '-')
		return 0;
	name = arg + (arg[1] == '-' ? 2 : 1);
	eq = strchr(name, '=');
	len = eq ? (size_t)(eq - name) : strlen(name);
	for (size_t d = 0; d < sizeof(defs) / sizeof(defs[0]); d++) {
		const struct flag_def *def = &defs[d];
		char *field = (char *)g + def->offset;

		if (strlen(def->name) != len || strncmp(def->name, name, len) != 0)
			continue;
		if (def->kind == BOOL) {
			bool v = true;

			if (eq) {
				if (!strcmp(eq + 1, "true"))
					v = true;
				else if (!strcmp(eq + 1, "false"))
					v = false;
				else {
					fprintf(stderr, "runsc: --%s takes true or false, not %s\n",
						def->name, eq + 1);
					return -1;
				}
			}
			*(bool *)field = v;
			(*i)++;
			return 1;
		}
		if (eq) {
			*(const char **)field = eq + 1;
			(*i)++;
			return 1;
		}
		if (*i + 1 >= argc) {
			fprintf(stderr, "runsc: --%s needs a value\n", def->name);
			return -1;
		}
		*(const char **)field = argv[*i + 1];
		*i += 2;
		return 1;
	}
	return 0;
}
