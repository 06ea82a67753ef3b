/*
 * runsc's pure pieces: config.json validation (each bad field named in one message), signal
 * names, container IDs, cgroup paths.
 */
#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "runsc-cli/bundle.h"
#include "runsc-cli/cgroup.h"
#include "runsc-cli/container.h"
#include "runsc-cli/mounts.h"
#include "runsc-cli/signals.h"

#define MINIMAL_PROCESS                                                                            \
	"\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0}}"
#define MINIMAL "{\"ociVersion\":\"1.0.2\"," MINIMAL_PROCESS ",\"root\":{\"path\":\"rootfs\"}}"

/* Parses text; returns the bundle, or NULL with the message in *msg (static). */
static struct bundle *parse(const char *text, const char **msg)
{
	static char last[1024];
	struct cli_error *err = NULL;
	struct bundle *b = NULL;

	if (bundle_parse("/bundle", text, &b, &err) < 0) {
		ck_assert_ptr_nonnull(err);
		strcpy(last, err->msg);
		cli_error_free(err);
		*msg = last;
		return NULL;
	}
	ck_assert_ptr_null(err);
	*msg = NULL;
	return b;
}

/* text must be refused with a message that contains want. */
static void refused(const char *text, const char *want)
{
	const char *msg;
	struct bundle *b = parse(text, &msg);

	ck_assert_msg(b == NULL, "accepted: %s", text);
	ck_assert_msg(strstr(msg, want), "message \"%s\" lacks \"%s\"", msg, want);
	ck_assert_msg(!strchr(msg, '\n'), "message on several lines: %s", msg);
}

START_TEST(minimal_config)
{
	const char *msg;
	struct bundle *b = parse(MINIMAL, &msg);

	ck_assert_msg(b != NULL, "%s", msg);
	ck_assert_str_eq(b->process.args[0], "sh");
	ck_assert_ptr_null(b->process.args[1]);
	ck_assert_ptr_null(b->process.env[0]);
	ck_assert_str_eq(b->rootfs, "/bundle/rootfs");
	ck_assert_int_eq(b->process.umask, -1);
	ck_assert(b->resources.memory_limit == RESOURCE_UNSET);
	ck_assert(!b->root_readonly);
	bundle_free(b);
}
END_TEST

START_TEST(full_config)
{
	const char *msg;
	struct bundle *b = parse(
		"{\"ociVersion\":\"1.0.2\",\"process\":{\"terminal\":false,\"args\":[\"a\",\"b\"],"
		"\"env\":[\"A=1\"],\"cwd\":\"/w\",\"user\":{\"uid\":1000,\"gid\":100,"
		"\"additionalGids\":[5,6],\"umask\":18},\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\","
		"\"soft\":10,\"hard\":20}],\"capabilities\":{\"bounding\":[\"CAP_KILL\"]},"
		"\"noNewPrivileges\":true},\"root\":{\"path\":\"/abs\",\"readonly\":true},"
		"\"hostname\":\"h\",\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\"}],"
		"\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\",\"path\":\"/x\"}],"
		"\"resources\":{\"memory\":{\"limit\":1048576},\"pids\":{\"limit\":9},"
		"\"cpu\":{\"shares\":512,\"quota\":-1}},\"cgroupsPath\":\"/a/b\","
		"\"maskedPaths\":[\"/proc/kcore\"]},\"annotations\":{\"k\":\"v\"},\"unknown\":[1]}",
		&msg);

	ck_assert_msg(b != NULL, "%s", msg);
	ck_assert_int_eq(b->process.uid, 1000);
	ck_assert_int_eq(b->process.gid, 100);
	ck_assert_int_eq(b->process.n_additional_gids, 2);
	ck_assert_int_eq(b->process.additional_gids[1], 6);
	ck_assert_int_eq(b->process.umask, 18);
	ck_assert_int_eq(b->process.n_rlimits, 1);
	ck_assert_int_eq(b->process.rlimits[0].soft, 10);
	ck_assert_str_eq(b->rootfs, "/abs");
	ck_assert(b->root_readonly);
	ck_assert_str_eq(b->hostname, "h");
	ck_assert_int_eq(b->n_mounts, 1);
	ck_assert_int_eq(b->namespaces, OCI_NS_PID | OCI_NS_NETWORK);
	ck_assert(b->resources.memory_limit == 1048576);
	ck_assert(b->resources.pids_limit == 9);
	ck_assert(b->resources.cpu_shares == 512);
	ck_assert(b->resources.cpu_quota == -1);
	ck_assert_str_eq(b->cgroups_path, "/a/b");
	ck_assert_str_eq(b->masked_paths[0], "/proc/kcore");
	ck_assert_ptr_nonnull(b->annotations);
	bundle_free(b);
}
END_TEST

START_TEST(malformed_json)
{
	refused("{\"ociVersion\":", "malformed JSON");
	refused("", "malformed JSON");
	refused(MINIMAL "x", "text after the end");
	refused("[1,2]", "the top level must be an object");
}
END_TEST

START_TEST(missing_fields)
{
	refused("{" MINIMAL_PROCESS ",\"root\":{\"path\":\"r\"}}", "ociVersion is required");
	refused("{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"}}", "process is required");
	refused("{\"ociVersion\":\"1\"," MINIMAL_PROCESS "}", "root is required");
	refused("{\"ociVersion\":\"1\"," MINIMAL_PROCESS ",\"root\":{}}", "root.path is required");
	refused("{\"ociVersion\":\"1\",\"process\":{\"args\":[\"sh\"],\"user\":{\"uid\":0,\"gid\":0}},"
		"\"root\":{\"path\":\"r\"}}",
		"process.cwd is required");
	refused("{\"ociVersion\":\"1\",\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"gid\":0}},"
		"\"root\":{\"path\":\"r\"}}",
		"process.user.uid is required");
}
END_TEST

START_TEST(wrong_types)
{
	refused("{\"ociVersion\":1," MINIMAL_PROCESS ",\"root\":{\"path\":\"r\"}}",
		"ociVersion must be a string, not an integer");
	refused("{\"ociVersion\":\"1\",\"process\":{\"args\":\"sh\",\"cwd\":\"/\",\"user\":{\"uid\":0,"
		"\"gid\":0}},\"root\":{\"path\":\"r\"}}",
		"process.args must be an array, not a string");
	refused("{\"ociVersion\":\"1\",\"process\":{\"args\":[\"sh\",2],\"cwd\":\"/\",\"user\":{\"uid\":0,"
		"\"gid\":0}},\"root\":{\"path\":\"r\"}}",
		"process.args[1] must be a string");
	refused("{\"ociVersion\":\"1\",\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":1.5,"
		"\"gid\":0}},\"root\":{\"path\":\"r\"}}",
		"process.user.uid must be an integer, not a fractional number");
	refused("{\"ociVersion\":\"1\",\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":-1,"
		"\"gid\":0}},\"root\":{\"path\":\"r\"}}",
		"process.user.uid must not be negative");
	refused("{\"ociVersion\":\"1\",\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":0,"
		"\"gid\":4294967295}},\"root\":{\"path\":\"r\"}}",
		"process.user.gid is out of range");
	refused("{\"ociVersion\":\"1\"," MINIMAL_PROCESS
		",\"root\":{\"path\":\"r\",\"readonly\":1}}",
		"root.readonly must be a boolean");
	refused("{\"ociVersion\":\"1\"," MINIMAL_PROCESS
		",\"root\":{\"path\":\"r\"},\"hostname\":[]}",
		"hostname must be a string, not an array");
	refused("{\"ociVersion\":\"1\"," MINIMAL_PROCESS ",\"root\":{\"path\":\"r\"},"
		"\"annotations\":{\"a\":1}}",
		"annotations.a must be a string");
	refused("{\"ociVersion\":\"1\"," MINIMAL_PROCESS ",\"root\":{\"path\":\"r\"},"
		"\"linux\":{\"resources\":{\"memory\":{\"limit\":\"1G\"}}}}",
		"linux.resources.memory.limit must be an integer");
}
END_TEST

START_TEST(bad_values)
{
	refused("{\"ociVersion\":\"1\",\"process\":{\"args\":[],\"cwd\":\"/\",\"user\":{\"uid\":0,"
		"\"gid\":0}},\"root\":{\"path\":\"r\"}}",
		"process.args must not be empty");
	refused("{\"ociVersion\":\"1\",\"process\":{\"args\":[\"sh\"],\"cwd\":\"rel\",\"user\":{\"uid\":0,"
		"\"gid\":0}},\"root\":{\"path\":\"r\"}}",
		"process.cwd must be an absolute path");
	refused("{\"ociVersion\":\"1\",\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":0,"
		"\"gid\":0},\"rlimits\":[{\"type\":\"RLIMIT_X\",\"soft\":1,\"hard\":1}]},"
		"\"root\":{\"path\":\"r\"}}",
		"process.rlimits[0].type: unknown resource \"RLIMIT_X\"");
	refused("{\"ociVersion\":\"1\",\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":0,"
		"\"gid\":0},\"rlimits\":[{\"type\":\"RLIMIT_CORE\",\"soft\":2,\"hard\":1}]},"
		"\"root\":{\"path\":\"r\"}}",
		"above the hard limit");
	refused("{\"ociVersion\":\"1\",\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":0,"
		"\"gid\":0},\"capabilities\":{\"effective\":[\"CAP_NOPE\"]}},\"root\":{\"path\":\"r\"}}",
		"unknown capability \"CAP_NOPE\"");
	refused("{\"ociVersion\":\"1\"," MINIMAL_PROCESS ",\"root\":{\"path\":\"r\"},"
		"\"mounts\":[{\"destination\":\"rel\"}]}",
		"mounts[0].destination must be an absolute path");
	refused("{\"ociVersion\":\"1\"," MINIMAL_PROCESS ",\"root\":{\"path\":\"r\"},"
		"\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"pid\"}]}}",
		"namespace pid is given twice");
	refused("{\"ociVersion\":\"1\"," MINIMAL_PROCESS ",\"root\":{\"path\":\"r\"},"
		"\"linux\":{\"namespaces\":[{\"type\":\"nope\"}]}}",
		"unknown namespace type");
}
END_TEST

#define WITH_MOUNTS(m) \
	"{\"ociVersion\":\"1.0.2\"," MINIMAL_PROCESS ",\"root\":{\"path\":\"rootfs\"},\"mounts\":[" m "]}"

/* Prepares text's mounts; 0, or -1 with the message in *msg (static). */
static int prepare(const char *text, struct sandbox_mounts *m, struct bundle **b, const char **msg)
{
	static char last[1024];
	struct cli_error *err = NULL;

	*b = parse(text, msg);
	ck_assert_msg(*b != NULL, "refused: %s", *msg);
	if (mounts_prepare(*b, m, &err) < 0) {
		ck_assert_ptr_nonnull(err);
		strcpy(last, err->msg);
		cli_error_free(err);
		*msg = last;
		bundle_free(*b);
		return -1;
	}
	return 0;
}

static void mount_refused(const char *text, const char *want)
{
	struct sandbox_mounts m;
	struct bundle *b;
	const char *msg;

	ck_assert_msg(prepare(text, &m, &b, &msg) < 0, "accepted: %s", text);
	ck_assert_msg(strstr(msg, want), "message \"%s\" lacks \"%s\"", msg, want);
	ck_assert_msg(!strchr(msg, '\n'), "message on several lines: %s", msg);
}

START_TEST(mount_options)
{
	struct sandbox_mounts m;
	struct sentry_config cfg = { 0 };
	struct gofer_export *ex;
	struct bundle *b;
	const char *msg;
	size_t n;

	ck_assert_int_eq(prepare(WITH_MOUNTS(
		"{\"destination\":\"/tmp\",\"type\":\"tmpfs\",\"source\":\"tmpfs\","
		"\"options\":[\"nosuid\",\"nodev\",\"noexec\",\"mode=1770\",\"uid=5\",\"gid=6\","
		"\"size=10%\",\"strictatime\"]},"
		"{\"destination\":\"/vol\",\"type\":\"none\",\"source\":\"/\","
		"\"options\":[\"rbind\",\"ro\",\"rprivate\"]},"
		"{\"destination\":\"/etc/hosts\",\"source\":\"/etc/passwd\","
		"\"options\":[\"ro\",\"rw\",\"bind\"]},"
		"{\"destination\":\"/dev/pts\",\"type\":\"devpts\"},"
		"{\"destination\":\"/sys\",\"type\":\"sysfs\",\"options\":[\"rro\"]},"
		"{\"destination\":\"/c\",\"type\":\"cgroup2\"},"
		"{\"destination\":\"/q\",\"type\":\"mqueue\"},"
		"{\"destination\":\"/p\",\"type\":\"proc\"}"), &m, &b, &msg),
		0);
	ck_assert_uint_eq(m.n, 8);
	ck_assert_int_eq(m.list[0].type, SENTRY_MOUNT_TMPFS);
	ck_assert_uint_eq(m.list[0].flags,
			  SENTRY_MOUNT_NOSUID | SENTRY_MOUNT_NODEV | SENTRY_MOUNT_NOEXEC);
	ck_assert_int_eq(m.list[0].mode, 01770);
	ck_assert_int_eq(m.list[0].uid, 5);
	ck_assert_int_eq(m.list[0].gid, 6);
	ck_assert_int_eq(m.list[1].type, SENTRY_MOUNT_BIND);
	ck_assert_uint_eq(m.list[1].flags, SENTRY_MOUNT_RDONLY | SENTRY_MOUNT_RECURSIVE);
	ck_assert_uint_eq(m.list[1].export_index, 1);
	ck_assert_str_eq(m.list[1].source, "/");
	ck_assert_int_eq(m.list[2].type, SENTRY_MOUNT_BIND); /* no type: bind */
	ck_assert_uint_eq(m.list[2].flags, 0);		      /* the last of ro, rw wins */
	ck_assert_uint_eq(m.list[2].export_index, 2);
	ck_assert_int_eq(m.list[2].mode, -1);
	ck_assert_int_eq(m.list[3].type, SENTRY_MOUNT_DEVPTS);
	ck_assert_int_eq(m.list[4].type, SENTRY_MOUNT_SYSFS);
	ck_assert_uint_eq(m.list[4].flags, SENTRY_MOUNT_RDONLY);
	ck_assert_int_eq(m.list[5].type, SENTRY_MOUNT_CGROUP);
	ck_assert_int_eq(m.list[6].type, SENTRY_MOUNT_MQUEUE);
	ck_assert_int_eq(m.list[7].type, SENTRY_MOUNT_PROC);

	/* The gofer's exports, in export order. */
	cfg.mounts = m.list;
	cfg.nmounts = (int)m.n;
	ex = mounts_gofer_exports(&cfg, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(ex[0].path, "/");
	ck_assert(ex[0].readonly && ex[0].recursive);
	ck_assert_str_eq(ex[1].path, "/etc/passwd");
	ck_assert(!ex[1].readonly && !ex[1].recursive);
	free(ex);
	mounts_free(&m);
	bundle_free(b);

	/* A relative source is the bundle's. */
	mount_refused(WITH_MOUNTS("{\"destination\":\"/v\",\"type\":\"bind\",\"source\":\"src\"}"),
		      "mounts[0].source src: No such file or directory");
	mount_refused(WITH_MOUNTS("{\"destination\":\"/v\",\"type\":\"nfs\",\"source\":\"h:/x\"}"),
		      "mounts[0]: a nfs mount is not supported");
	mount_refused(WITH_MOUNTS("{\"destination\":\"//\",\"type\":\"tmpfs\"}"),
		      "mounts[0].destination: / cannot be a mount");
	mount_refused(WITH_MOUNTS("{\"destination\":\"/v\",\"type\":\"bind\"}"),
		      "mounts[0]: a bind mount needs a source");
	mount_refused(WITH_MOUNTS("{\"destination\":\"/v\",\"source\":\"/dev/null\","
				  "\"options\":[\"bind\"]}"),
		      "not a directory or a regular file");
	mount_refused(WITH_MOUNTS("{\"destination\":\"/t\",\"type\":\"tmpfs\"},"
				  "{\"destination\":\"/t\",\"type\":\"tmpfs\","
				  "\"options\":[\"mode=17777\"]}"),
		      "mounts[1].options: bad mode=17777");
	mount_refused(WITH_MOUNTS("{\"destination\":\"/t\",\"type\":\"tmpfs\","
				  "\"options\":[\"uid=-1\"]}"),
		      "bad uid=-1");
	mount_refused(WITH_MOUNTS("{\"destination\":\"/t\",\"type\":\"tmpfs\","
				  "\"options\":[\"size=1x\"]}"),
		      "bad size=1x");
}
END_TEST

START_TEST(signal_names)
{
	ck_assert_int_eq(signal_parse("KILL"), SIGKILL);
	ck_assert_int_eq(signal_parse("SIGKILL"), SIGKILL);
	ck_assert_int_eq(signal_parse("sigterm"), SIGTERM);
	ck_assert_int_eq(signal_parse("9"), 9);
	ck_assert_int_eq(signal_parse("64"), 64);
	ck_assert_int_eq(signal_parse("RTMIN+3"), 35);
	ck_assert_int_eq(signal_parse("SIGRTMAX-1"), 63);
	ck_assert_int_eq(signal_parse("0"), -1);
	ck_assert_int_eq(signal_parse("65"), -1);
	ck_assert_int_eq(signal_parse("9x"), -1);
	ck_assert_int_eq(signal_parse("NOPE"), -1);
	ck_assert_int_eq(signal_parse(""), -1);
	ck_assert_int_eq(signal_parse("RTMIN+40"), -1);
}
END_TEST

START_TEST(container_ids)
{
	static const char *const good[] = { "a", "A-b_c.d+e", "0", "x,y", "..a" };
	static const char *const bad[] = { "", ".", "..", "a/b", "a b", "é", "a\n" };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct cli_error *err = NULL;

		ck_assert_msg(container_id_check(good[i], &err) == 0, "refused %s", good[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cli_error *err = NULL;

		ck_assert_msg(container_id_check(bad[i], &err) < 0, "accepted \"%s\"", bad[i]);
		cli_error_free(err);
	}
}
END_TEST

START_TEST(cgroup_paths)
{
	char *p;

	p = cgroup_path(NULL, "id");
	ck_assert_str_eq(p, "/cvisor/id");
	free(p);
	p = cgroup_path("/docker/abc", "id");
	ck_assert_str_eq(p, "/docker/abc");
	free(p);
	p = cgroup_path("rel/x", "id");
	ck_assert_str_eq(p, "/rel/x");
	free(p);
	p = cgroup_path("system.slice:docker:abc", "id");
	ck_assert_str_eq(p, "/system.slice/docker-abc.scope");
	free(p);
}
END_TEST

static Suite *runsc_suite(void)
{
	Suite *s = suite_create("runsc");
	TCase *bundle = tcase_create("bundle");
	TCase *names = tcase_create("names");

	tcase_add_test(bundle, minimal_config);
	tcase_add_test(bundle, full_config);
	tcase_add_test(bundle, malformed_json);
	tcase_add_test(bundle, missing_fields);
	tcase_add_test(bundle, wrong_types);
	tcase_add_test(bundle, bad_values);
	tcase_add_test(bundle, mount_options);
	suite_add_tcase(s, bundle);
	tcase_add_test(names, signal_names);
	tcase_add_test(names, container_ids);
	tcase_add_test(names, cgroup_paths);
	suite_add_tcase(s, names);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(runsc_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
