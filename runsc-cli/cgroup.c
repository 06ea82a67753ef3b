/*
 * The sandbox's cgroup (runsc-cli/cgroup.h), on cgroup v1 (a directory per controller) or
 * v2 (one unified hierarchy), whichever the host mounts at /sys/fs/cgroup.
 */
#include "runsc-cli/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/util.h"

#define CGROUP_ROOT "/sys/fs/cgroup"
/* How long freezing, or emptying a cgroup of killed processes, may take. */
#define CGROUP_WAIT_MS 5000

/* The v1 controllers a sandbox uses; cpu and cpuacct may be one hierarchy (a symlink). */
static const char *const v1_controllers[] = { "memory", "pids", "cpu", "cpuacct", "freezer" };

static bool is_v2(void)
{
	return access(CGROUP_ROOT "/cgroup.controllers", F_OK) == 0;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* The directory of path in one hierarchy ("" for v2's unified one). */
static char *dir_of(const char *controller, const char *path)
{
	char *s;

	if (asprintf(&s, CGROUP_ROOT "%s%s%s", *controller ? "/" : "", controller, path) < 0)
		return NULL;
	return s;
}

static int write_value(const char *dir, const char *file, const char *value)
{
	char path[4096];
	cleanup_close int fd = -1;
	size_t len = strlen(value);

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, value, len) != (ssize_t)len)
		return -errno;
	return 0;
}

/* The first line of dir/file, without its newline. */
static int read_value(const char *dir, const char *file, char *buf, size_t len)
{
	char path[4096];
	cleanup_close int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

char *cgroup_path(const char *cgroups_path, const char *id)
{
	char *s, *copy, *prefix, *name;

	if (!cgroups_path || !*cgroups_path)
		return asprintf(&s, "/cvisor/%s", id) < 0 ? NULL : s;
	/* systemd's form, without systemd: the directory systemd would have made. */
	if (strchr(cgroups_path, ':')) {
		if (!(copy = strdup(cgroups_path)))
			return NULL;
		prefix = strchr(copy, ':');
		*prefix++ = 0;
		name = strchr(prefix, ':');
		if (name)
			*name++ = 0;
		if (asprintf(&s, "/%s/%s%s%s.scope", *copy ? copy : "system.slice", prefix,
			     *prefix ? "-" : "", name ? name : id) < 0)
			s = NULL;
		free(copy);
		return s;
	}
	return asprintf(&s, "%s%s", cgroups_path[0] == '/' ? "" : "/", cgroups_path) < 0 ? NULL : s;
}

static int mkdir_all(const char *path)
{
	cleanup_free char *copy = strdup(path);

	if (!copy)
		return -ENOMEM;
	for (char *p = copy + 1;; p++) {
		if (*p && *p != '/')
			continue;
		char saved = *p;

		*p = 0;
		if (mkdir(copy, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = saved;
		if (!saved)
			return 0;
	}
}

/*
 * v2: the leaf's ancestors are made and have the controllers enabled in their
 * cgroup.subtree_control, from the root down (one the host lacks is left out).
 */
static int make_v2_ancestors(const char *path)
{
	static const char *const ctrls[] = { "+memory", "+pids", "+cpu" };
	char dir[4096];

	for (const char *p = path; (p = strchr(p, '/')); p++) {
		snprintf(dir, sizeof(dir), CGROUP_ROOT "%.*s", (int)(p - path), path);
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		for (size_t i = 0; i < ARRAY_SIZE(ctrls); i++)
			write_value(dir, "cgroup.subtree_control", ctrls[i]);
	}
	return 0;
}

struct limit {
	const char *field;	/* the config.json name, for messages */
	const char *controller; /* v1 */
	const char *file;
	char value[64];
};

#define LIMITS_MAX 12

/* The files to write for r, in order (cfs_period before cfs_quota, as the kernel checks). */
static size_t limits_for(const struct oci_resources *r, bool v2, struct limit *out)
{
	size_t n = 0;

#define ADD(f, c, fl, ...)                                                                         \
	do {                                                                                       \
		out[n].field = f;                                                                  \
		out[n].controller = c;                                                             \
		out[n].file = fl;                                                                  \
		snprintf(out[n].value, sizeof(out[n].value), __VA_ARGS__);                         \
		n++;                                                                               \
	} while (0)

	if (r->memory_limit != RESOURCE_UNSET) {
		if (v2 && r->memory_limit < 0)
			ADD("memory.limit", "memory", "memory.max", "max");
		else
			ADD("memory.limit", "memory", v2 ? "memory.max" : "memory.limit_in_bytes",
			    "%" PRId64, r->memory_limit);
	}
	if (r->memory_swap != RESOURCE_UNSET) {
		/* v2 counts swap alone, v1 memory and swap together (runc's conversion). */
		if (v2 && (r->memory_swap < 0 || r->memory_limit < 0))
			ADD("memory.swap", "memory", "memory.swap.max", "max");
		else if (v2)
			ADD("memory.swap", "memory", "memory.swap.max", "%" PRId64,
			    r->memory_swap - (r->memory_limit != RESOURCE_UNSET ? r->memory_limit : 0));
		else
			ADD("memory.swap", "memory", "memory.memsw.limit_in_bytes", "%" PRId64,
			    r->memory_swap);
	}
	if (r->memory_reservation != RESOURCE_UNSET) {
		if (v2 && r->memory_reservation < 0)
			ADD("memory.reservation", "memory", "memory.low", "max");
		else
			ADD("memory.reservation", "memory",
			    v2 ? "memory.low" : "memory.soft_limit_in_bytes", "%" PRId64,
			    r->memory_reservation);
	}
	if (r->pids_limit != RESOURCE_UNSET) {
		if (r->pids_limit <= 0)
			ADD("pids.limit", "pids", "pids.max", "max");
		else
			ADD("pids.limit", "pids", "pids.max", "%" PRId64, r->pids_limit);
	}
	if (r->cpu_shares != RESOURCE_UNSET && r->cpu_shares > 0) {
		if (v2) /* runc's conversion of shares [2, 262144] to weight [1, 10000] */
			ADD("cpu.shares", "cpu", "cpu.weight", "%" PRId64,
			    1 + ((MAX(r->cpu_shares, 2) - 2) * 9999) / 262142);
		else
			ADD("cpu.shares", "cpu", "cpu.shares", "%" PRId64, r->cpu_shares);
	}
	if (v2 && (r->cpu_quota != RESOURCE_UNSET || r->cpu_period != RESOURCE_UNSET)) {
		int64_t period = r->cpu_period > 0 ? r->cpu_period : 100000;

		if (r->cpu_quota > 0)
			ADD("cpu.quota", "cpu", "cpu.max", "%" PRId64 " %" PRId64, r->cpu_quota,
			    period);
		else
			ADD("cpu.quota", "cpu", "cpu.max", "max %" PRId64, period);
	} else {
		if (r->cpu_period != RESOURCE_UNSET && r->cpu_period > 0)
			ADD("cpu.period", "cpu", "cpu.cfs_period_us", "%" PRId64, r->cpu_period);
		if (r->cpu_quota != RESOURCE_UNSET)
			ADD("cpu.quota", "cpu", "cpu.cfs_quota_us", "%" PRId64,
			    r->cpu_quota > 0 ? r->cpu_quota : -1);
	}
	if (r->cpuset_cpus)
		ADD("cpu.cpus", "cpuset", "cpuset.cpus", "%s", r->cpuset_cpus);
	if (r->cpuset_mems)
		ADD("cpu.mems", "cpuset", "cpuset.mems", "%s", r->cpuset_mems);
#undef ADD
	return n;
}

/* Whether any process is in the cgroup, in any hierarchy. */
static bool in_use(const char *path)
{
	bool v2 = is_v2();
	char buf[16];

	for (size_t i = 0; i < (v2 ? 1 : ARRAY_SIZE(v1_controllers)); i++) {
		cleanup_free char *dir = dir_of(v2 ? "" : v1_controllers[i], path);

		if (dir && read_value(dir, "cgroup.procs", buf, sizeof(buf)) == 0 && buf[0])
			return true;
	}
	return false;
}

/* Writes the limits in order; the first that fails is the error, naming its field. */
static int write_limits(const char *path, bool v2, const struct limit *limits, size_t n,
			struct cli_error **err)
{
	int e;

	for (size_t i = 0; i < n; i++) {
		cleanup_free char *dir = dir_of(v2 ? "" : limits[i].controller, path);

		if (!dir)
			return cli_error(err, 1, "out of memory");
		if ((e = write_value(dir, limits[i].file, limits[i].value)) < 0)
			return cli_error_errno(err, -e, 1,
					       "linux.resources.%s: cannot write %s to %s/%s",
					       limits[i].field, limits[i].value, dir,
					       limits[i].file);
	}
	return 0;
}

int cgroup_create(const char *path, const struct oci_resources *r, struct cli_error **err)
{
	struct limit limits[LIMITS_MAX];
	bool v2 = is_v2();
	size_t n = limits_for(r, v2, limits);
	int e;

	if (v2) {
		cleanup_free char *dir = dir_of("", path);

		if (!dir)
			return cli_error(err, 1, "out of memory");
		if ((e = make_v2_ancestors(path)) < 0 || (e = mkdir_all(dir)) < 0)
			return cli_error_errno(err, -e, 1, "cannot create the cgroup %s", dir);
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(v1_controllers); i++) {
			cleanup_free char *dir = dir_of(v1_controllers[i], path);
			cleanup_free char *top = dir_of(v1_controllers[i], "");

			if (!dir || !top)
				return cli_error(err, 1, "out of memory");
			/* A controller the host does not mount is one the sandbox goes without. */
			if (access(top, F_OK) < 0)
				continue;
			if ((e = mkdir_all(dir)) < 0) {
				cli_error_errno(err, -e, 1, "cannot create the cgroup %s", dir);
				cgroup_destroy(path, NULL);
				return -1;
			}
		}
	}
	/* An existing cgroup is taken over only when nobody is in it (a killed create's). */
	if (in_use(path))
		return cli_error(err, 1, "the cgroup %s is in use by other processes", path);
	if (write_limits(path, v2, limits, n, err) < 0) {
		cgroup_destroy(path, NULL);
		return -1;
	}
	return 0;
}

int cgroup_update(const char *path, const struct oci_resources *r, struct cli_error **err)
{
	struct limit limits[LIMITS_MAX];
	bool v2 = is_v2();

	return write_limits(path, v2, limits, limits_for(r, v2, limits), err);
}

int cgroup_enter(const char *path, struct cli_error **err)
{
	char pid[16];
	bool v2 = is_v2();
	int e;

	snprintf(pid, sizeof(pid), "%d", getpid());
	for (size_t i = 0; i < (v2 ? 1 : ARRAY_SIZE(v1_controllers)); i++) {
		cleanup_free char *dir = dir_of(v2 ? "" : v1_controllers[i], path);

		if (!dir)
			return cli_error(err, 1, "out of memory");
		if (!v2 && access(dir, F_OK) < 0)
			continue;
		if ((e = write_value(dir, "cgroup.procs", pid)) < 0)
			return cli_error_errno(err, -e, 1, "cannot join the cgroup %s", dir);
	}
	return 0;
}

/* SIGKILL to every process listed in dir/cgroup.procs; whether there was any. */
static bool kill_members(const char *dir)
{
	char path[4096];
	bool any = false;
	FILE *f;
	int pid;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fscanf(f, "%d", &pid) == 1) {
		kill(pid, SIGKILL);
		any = true;
	}
	fclose(f);
	return any;
}

int cgroup_destroy(const char *path, struct cli_error **err)
{
	bool v2 = is_v2();

	for (size_t i = 0; i < (v2 ? 1 : ARRAY_SIZE(v1_controllers)); i++) {
		cleanup_free char *dir = dir_of(v2 ? "" : v1_controllers[i], path);
		int ms = 0;

		if (!dir)
			return cli_error(err, 1, "out of memory");
		/* A frozen process cannot die: thaw first. */
		if (!v2 && !strcmp(v1_controllers[i], "freezer"))
			write_value(dir, "freezer.state", "THAWED");
		if (v2)
			write_value(dir, "cgroup.freeze", "0");
		while (rmdir(dir) < 0) {
			if (errno == ENOENT)
				break;
			if (errno != EBUSY || ms >= CGROUP_WAIT_MS)
				return cli_error_errno(err, errno, 1, "cannot remove the cgroup %s",
						       dir);
			kill_members(dir);
			sleep_ms(10);
			ms += 10;
		}
	}
	return 0;
}

void cgroup_remove_unused(const char *path)
{
	bool v2 = is_v2();

	for (size_t i = 0; i < (v2 ? 1 : ARRAY_SIZE(v1_controllers)); i++) {
		cleanup_free char *dir = dir_of(v2 ? "" : v1_controllers[i], path);

		for (int ms = 0; dir && rmdir(dir) < 0 && errno == EBUSY && ms < CGROUP_WAIT_MS;
		     ms += 10)
			sleep_ms(10);
	}
}

int cgroup_freeze(const char *path, bool frozen, struct cli_error **err)
{
	bool v2 = is_v2();
	cleanup_free char *dir = dir_of(v2 ? "" : "freezer", path);
	const char *want = v2 ? (frozen ? "frozen 1" : "frozen 0") : (frozen ? "FROZEN" : "THAWED");
	char state[64];
	int e;

	if (!dir)
		return cli_error(err, 1, "out of memory");
	e = v2 ? write_value(dir, "cgroup.freeze", frozen ? "1" : "0") :
		 write_value(dir, "freezer.state", frozen ? "FROZEN" : "THAWED");
	if (e < 0)
		return cli_error_errno(err, -e, 1, "cannot %s the cgroup %s",
				       frozen ? "freeze" : "thaw", dir);
	for (int ms = 0; ms < CGROUP_WAIT_MS; ms += 10) {
		if (!v2 && read_value(dir, "freezer.state", state, sizeof(state)) == 0 &&
		    !strcmp(state, want))
			return 0;
		if (v2) {
			char path_events[4096], line[64];
			FILE *f;
			bool done = false;

			snprintf(path_events, sizeof(path_events), "%s/cgroup.events", dir);
			f = fopen(path_events, "re");
			while (f && fgets(line, sizeof(line), f))
				done |= !strncmp(line, want, strlen(want));
			if (f)
				fclose(f);
			if (done)
				return 0;
		}
		sleep_ms(10);
	}
	if (frozen)
		cgroup_freeze(path, false, NULL);
	return cli_error(err, 1, "the cgroup %s did not %s in time", dir,
			 frozen ? "freeze" : "thaw");
}

static int64_t read_int(const char *dir, const char *file)
{
	char buf[64];

	if (read_value(dir, file, buf, sizeof(buf)) < 0)
		return 0;
	if (!strcmp(buf, "max"))
		return INT64_MAX;
	return strtoll(buf, NULL, 10);
}

/* "key value" lines of dir/file: the value of key, or 0. */
static int64_t read_keyed(const char *dir, const char *file, const char *key)
{
	char path[4096], k[64];
	long long v;
	int64_t found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fscanf(f, "%63s %lld", k, &v) == 2)
		if (!strcmp(k, key))
			found = v;
	fclose(f);
	return found;
}

json_object *cgroup_stats(const char *path)
{
	bool v2 = is_v2();
	cleanup_free char *cpu = dir_of(v2 ? "" : "cpuacct", path);
	cleanup_free char *mem = dir_of(v2 ? "" : "memory", path);
	cleanup_free char *pids = dir_of(v2 ? "" : "pids", path);
	json_object *data, *o, *usage, *percpu;
	int64_t total, user, kernel;

	if (!cpu || !mem || !pids || access(pids, F_OK) < 0)
		return NULL;
	if (v2) {
		total = read_keyed(cpu, "cpu.stat", "usage_usec") * 1000;
		user = read_keyed(cpu, "cpu.stat", "user_usec") * 1000;
		kernel = read_keyed(cpu, "cpu.stat", "system_usec") * 1000;
	} else {
		/* cpuacct.stat counts in USER_HZ ticks; runc reports nanoseconds. */
		long hz = sysconf(_SC_CLK_TCK);

		total = read_int(cpu, "cpuacct.usage");
		user = read_keyed(cpu, "cpuacct.stat", "user") * (1000000000 / (hz > 0 ? hz : 100));
		kernel = read_keyed(cpu, "cpuacct.stat", "system") *
			 (1000000000 / (hz > 0 ? hz : 100));
	}
	data = json_object_new_object();
	o = json_object_new_object();
	usage = json_object_new_object();
	json_object_object_add(usage, "total", json_object_new_int64(total));
	percpu = json_object_new_array();
	if (!v2) {
		char path_percpu[4096];
		long long v;
		FILE *f;

		snprintf(path_percpu, sizeof(path_percpu), "%s/cpuacct.usage_percpu", cpu);
		f = fopen(path_percpu, "re");
		while (f && fscanf(f, "%lld", &v) == 1)
			json_object_array_add(percpu, json_object_new_int64(v));
		if (f)
			fclose(f);
	}
	json_object_object_add(usage, "percpu", percpu);
	json_object_object_add(usage, "kernel", json_object_new_int64(kernel));
	json_object_object_add(usage, "user", json_object_new_int64(user));
	json_object_object_add(o, "usage", usage);
	json_object_object_add(o, "throttling", json_object_new_object());
	json_object_object_add(data, "cpu", o);

	o = json_object_new_object();
	usage = json_object_new_object();
	json_object_object_add(
		usage, "limit",
		json_object_new_int64(read_int(mem, v2 ? "memory.max" : "memory.limit_in_bytes")));
	json_object_object_add(usage, "usage",
			       json_object_new_int64(read_int(mem, v2 ? "memory.current" :
									"memory.usage_in_bytes")));
	json_object_object_add(
		usage, "max",
		json_object_new_int64(v2 ? 0 : read_int(mem, "memory.max_usage_in_bytes")));
	json_object_object_add(usage, "failcnt",
			       json_object_new_int64(v2 ? read_keyed(mem, "memory.events", "max") :
							  read_int(mem, "memory.failcnt")));
	json_object_object_add(o, "usage", usage);
	json_object_object_add(data, "memory", o);

	o = json_object_new_object();
	json_object_object_add(o, "current", json_object_new_int64(read_int(pids, "pids.current")));
	json_object_object_add(o, "limit", json_object_new_int64(read_int(pids, "pids.max")));
	json_object_object_add(data, "pids", o);
	return data;
}

int cgroup_procs(const char *path, pid_t **pids, size_t *n)
{
	bool v2 = is_v2();

	*pids = NULL;
	*n = 0;
	/* Every process of the sandbox is in every hierarchy: the first one there will do. */
	for (size_t i = 0; i < (v2 ? 1 : ARRAY_SIZE(v1_controllers)); i++) {
		cleanup_free char *dir = dir_of(v2 ? "" : v1_controllers[i], path);
		char file[4096];
		long pid;
		FILE *f;

		if (!dir)
			return -ENOMEM;
		snprintf(file, sizeof(file), "%s/cgroup.procs", dir);
		if (!(f = fopen(file, "re")))
			continue;
		while (fscanf(f, "%ld", &pid) == 1) {
			pid_t *more = realloc(*pids, (*n + 1) * sizeof(**pids));

			if (!more) {
				fclose(f);
				free(*pids);
				*pids = NULL;
				*n = 0;
				return -ENOMEM;
			}
			*pids = more;
			(*pids)[(*n)++] = (pid_t)pid;
		}
		fclose(f);
		return 0;
	}
	return -ENOENT;
}
