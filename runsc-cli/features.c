/* runsc features: what this runtime implements, in runc's JSON, honestly for the sandbox. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>

#include "runsc-cli/bundle.h"
#include "runsc-cli/commands.h"

static const char usage[] = "runsc features";

static json_object *strings(const char *const *v)
{
	json_object *a = json_object_new_array();

	for (; *v; v++)
		json_object_array_add(a, json_object_new_string(*v));
	return a;
}

static json_object *enabled(bool on)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "enabled", json_object_new_boolean(on));
	return o;
}

int cmd_features(struct global_flags *g, int argc, char **argv, struct cli_error **err)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	/* The sandbox is its own kernel: the guest has all of these whatever the bundle asks. */
	static const char *const namespaces[] = { "cgroup", "ipc",  "mount", "network",
						  "pid",    "user", "uts",   NULL };
	static const char *const none[] = { NULL };
	static const char *const hooks[] = { "prestart",
					     "createRuntime",
					     "createContainer",
					     "startContainer",
					     "poststart",
					     "poststop",
					     NULL };
	json_object *o, *lnx, *cg, *ann;
	const char *text;
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		if (ch != 'h')
			return usage_error(err, "features", ch, argv, usage);
		printf("usage: %s\n", usage);
		return 0;
	}
	if (expect_args(err, "features", argc - optind, 0, 0, usage) < 0)
		return -1;
	o = json_object_new_object();
	json_object_object_add(o, "ociVersionMin", json_object_new_string("1.0.0"));
	json_object_object_add(o, "ociVersionMax", json_object_new_string(OCI_VERSION));
	/* Hooks run on the host; mount options are not interpreted, seccomp not enforced. */
	json_object_object_add(o, "hooks", strings(hooks));
	json_object_object_add(o, "mountOptions", strings(none));
	lnx = json_object_new_object();
	json_object_object_add(lnx, "namespaces", strings(namespaces));
	json_object_object_add(lnx, "capabilities", strings(bundle_capability_names));
	cg = json_object_new_object();
	json_object_object_add(cg, "v1", json_object_new_boolean(true));
	json_object_object_add(cg, "v2", json_object_new_boolean(true));
	json_object_object_add(cg, "systemd", json_object_new_boolean(false));
	json_object_object_add(cg, "systemdUser", json_object_new_boolean(false));
	json_object_object_add(lnx, "cgroup", cg);
	json_object_object_add(lnx, "seccomp", enabled(false));
	json_object_object_add(lnx, "apparmor", enabled(false));
	json_object_object_add(lnx, "selinux", enabled(false));
	json_object_object_add(o, "linux", lnx);
	ann = json_object_new_object();
	json_object_object_add(ann, "dev.cvisor.runsc.version",
			       json_object_new_string(CVISOR_VERSION));
	json_object_object_add(o, "annotations", ann);
	/* Go's MarshalIndent with four spaces: json-c indents with tabs, widened here. */
	text = json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_PRETTY_TAB | JSON_C_TO_STRING_SPACED |
			   JSON_C_TO_STRING_NOSLASHESCAPE);
	for (; *text; text++) {
		if (*text == '\t')
			fputs("    ", stdout);
		else
			putchar(*text);
	}
	putchar('\n');
	json_object_put(o);
	return 0;
}
