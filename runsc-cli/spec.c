/* runsc spec: writes runc's default config.json (--rootless: runc's rootless variant). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"
#include "runsc-cli/bundle.h"
#include "runsc-cli/commands.h"

static const char usage[] = "runsc spec [--bundle DIR] [--rootless]";

/* runc 1.1's default, field for field; what --rootless changes is done below. */
static const char default_spec[] =
	"{"
	"\"ociVersion\":\"" OCI_VERSION "\","
	"\"process\":{\"terminal\":true,\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],"
	"\"env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\","
	"\"TERM=xterm\"],\"cwd\":\"/\","
	"\"capabilities\":{"
	"\"bounding\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
	"\"effective\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
	"\"permitted\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
	"\"ambient\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"]},"
	"\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}],"
	"\"noNewPrivileges\":true},"
	"\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
	"\"hostname\":\"runc\","
	"\"mounts\":["
	"{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
	"{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
	"\"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
	"{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\","
	"\"options\":[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\","
	"\"gid=5\"]},"
	"{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"shm\","
	"\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"mode=1777\",\"size=65536k\"]},"
	"{\"destination\":\"/dev/mqueue\",\"type\":\"mqueue\",\"source\":\"mqueue\","
	"\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"
	"{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\","
	"\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]},"
	"{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\","
	"\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"relatime\",\"ro\"]}],"
	"\"linux\":{"
	"\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]},"
	"\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},"
	"{\"type\":\"uts\"},{\"type\":\"mount\"}],"
	"\"maskedPaths\":[\"/proc/acpi\",\"/proc/asound\",\"/proc/kcore\",\"/proc/keys\","
	"\"/proc/latency_stats\",\"/proc/timer_list\",\"/proc/timer_stats\","
	"\"/proc/sched_debug\",\"/sys/firmware\",\"/proc/scsi\"],"
	"\"readonlyPaths\":[\"/proc/bus\",\"/proc/fs\",\"/proc/irq\",\"/proc/sys\","
	"\"/proc/sysrq-trigger\"]}}";

static json_object *id_mapping(unsigned host_id)
{
	json_object *arr = json_object_new_array(), *m = json_object_new_object();

	json_object_object_add(m, "containerID", json_object_new_int(0));
	json_object_object_add(m, "hostID", json_object_new_int64(host_id));
	json_object_object_add(m, "size", json_object_new_int(1));
	json_object_array_add(arr, m);
	return arr;
}

/* runc's ToRootless: no gid= on devpts, /sys bound from the host, a user namespace. */
static void make_rootless(json_object *spec)
{
	json_object *mounts, *lnx, *ns, *linux_new, *v;

	json_object_object_get_ex(spec, "mounts", &mounts);
	for (size_t i = 0; i < json_object_array_length(mounts); i++) {
		json_object *m = json_object_array_get_idx(mounts, i), *opts;
		const char *dest;

		json_object_object_get_ex(m, "destination", &v);
		dest = json_object_get_string(v);
		json_object_object_get_ex(m, "options", &opts);
		if (!strcmp(dest, "/dev/pts")) {
			for (size_t k = 0; k < json_object_array_length(opts); k++) {
				v = json_object_array_get_idx(opts, k);
				if (!strncmp(json_object_get_string(v), "gid=", 4))
					json_object_array_del_idx(opts, k--, 1);
			}
		} else if (!strcmp(dest, "/sys")) {
			json_object_object_add(m, "type", json_object_new_string("none"));
			json_object_object_add(m, "source", json_object_new_string("/sys"));
			opts = json_object_new_array();
			json_object_array_add(opts, json_object_new_string("rbind"));
			json_object_array_add(opts, json_object_new_string("nosuid"));
			json_object_array_add(opts, json_object_new_string("noexec"));
			json_object_array_add(opts, json_object_new_string("nodev"));
			json_object_array_add(opts, json_object_new_string("ro"));
			json_object_object_add(m, "options", opts);
		}
	}
	/* "linux" again, in runc's order: mappings first, no resources, no network namespace. */
	json_object_object_get_ex(spec, "linux", &lnx);
	linux_new = json_object_new_object();
	json_object_object_add(linux_new, "uidMappings", id_mapping(geteuid()));
	json_object_object_add(linux_new, "gidMappings", id_mapping(getegid()));
	ns = json_object_new_array();
	json_object_object_get_ex(lnx, "namespaces", &v);
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		json_object *e = json_object_array_get_idx(v, i), *type;

		json_object_object_get_ex(e, "type", &type);
		if (strcmp(json_object_get_string(type), "network"))
			json_object_array_add(ns, json_object_get(e));
	}
	json_object_array_add(ns, json_tokener_parse("{\"type\":\"user\"}"));
	json_object_object_add(linux_new, "namespaces", ns);
	json_object_object_get_ex(lnx, "maskedPaths", &v);
	json_object_object_add(linux_new, "maskedPaths", json_object_get(v));
	json_object_object_get_ex(lnx, "readonlyPaths", &v);
	json_object_object_add(linux_new, "readonlyPaths", json_object_get(v));
	json_object_object_add(spec, "linux", linux_new);
}

int cmd_spec(struct global_flags *g, int argc, char **argv, struct cli_error **err)
{
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "rootless", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *bundle = ".", *text;
	cleanup_close int dirfd = -1, fd = -1;
	bool rootless = false;
	json_object *spec;
	size_t len, done = 0;
	int ch, ret = 0;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "+:b:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'b':
			bundle = optarg;
			break;
		case 'r':
			rootless = true;
			break;
		case 'h':
			printf("usage: %s\n", usage);
			return 0;
		default:
			return usage_error(err, "spec", ch, argv, usage);
		}
	}
	if (expect_args(err, "spec", argc - optind, 0, 0, usage) < 0)
		return -1;
	dirfd = open(bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return cli_error_errno(err, errno, 1, "spec: bundle %s", bundle);
	fd = openat(dirfd, "config.json", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0 && errno == EEXIST)
		return cli_error(err, 1, "spec: %s/config.json exists; remove it first", bundle);
	if (fd < 0)
		return cli_error_errno(err, errno, 1, "spec: %s/config.json", bundle);
	spec = json_tokener_parse(default_spec);
	if (!spec)
		return cli_error(err, 1, "out of memory");
	if (rootless)
		make_rootless(spec);
	/* Go's MarshalIndent with a tab, as runc; no newline at the end. */
	text = json_object_to_json_string_ext(
		spec, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_PRETTY_TAB |
			      JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(text);
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);

		if (n < 0) {
			ret = cli_error_errno(err, errno, 1, "spec: writing %s/config.json",
					      bundle);
			unlinkat(dirfd, "config.json", 0);
			break;
		}
		done += n;
	}
	json_object_put(spec);
	return ret;
}
