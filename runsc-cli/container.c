/*
 * Containers' state under --root (runsc-cli/container.h): the state directory, its lock, the
 * state.json record and the status worked out from it and from the host's /proc.
 */
#include "runsc-cli/container.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/util.h"
#include "runsc-cli/bundle.h"
#include "runsc-cli/cgroup.h"

#define STATE_FILE "state.json"
#define CGROUP_NOTE "cgroup"
#define STATE_MAX (1 << 20)

int container_id_check(const char *id, struct cli_error **err)
{
	size_t len = strlen(id);

	/* runc's ^[\w+-\.]+$, whose "+-\." is the range '+'..'.', commas included. */
	if (len == 0 || !strcmp(id, ".") || !strcmp(id, ".."))
		return cli_error(err, 1, "invalid container ID format: \"%s\"", id);
	if (len > 255)
		return cli_error(err, 1, "invalid container ID format: longer than 255 bytes");
	for (const char *p = id; *p; p++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '+' || c == ',' || c == '-' || c == '.'))
			return cli_error(err, 1, "invalid container ID format: \"%s\"", id);
	}
	return 0;
}

static char *join(const char *a, const char *b)
{
	char *s;

	return asprintf(&s, "%s/%s", a, b) < 0 ? NULL : s;
}

/* mkdir -p with mode for what it makes. */
static int mkdir_all(const char *path, mode_t mode, struct cli_error **err)
{
	cleanup_free char *copy = strdup(path);

	if (!copy)
		return cli_error(err, 1, "out of memory");
	for (char *p = copy + 1;; p++) {
		if (*p && *p != '/')
			continue;
		char saved = *p;

		*p = 0;
		if (mkdir(copy, mode) < 0 && errno != EEXIST)
			return cli_error_errno(err, errno, 1, "cannot create %s", copy);
		*p = saved;
		if (!saved)
			break;
	}
	return 0;
}

static int lock_dir(const char *dir, bool wait, int *lock_fd)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
		int e = errno;

		if (e == EINTR)
			continue;
		close(fd);
		return -e;
	}
	*lock_fd = fd;
	return 0;
}

/*
 * Removes what a killed runsc create left in dir (held locked): the cgroup it noted, once its
 * dying sandbox has left it (the note is written before the cgroup is made, so the cgroup may
 * never have been this container's: nothing in it is killed), then dir.
 */
static int remove_debris(const char *dir, struct cli_error **err)
{
	cleanup_free char *note = join(dir, CGROUP_NOTE);
	char cgroup[4096];
	cleanup_close int fd = note ? open(note, O_RDONLY | O_CLOEXEC) : -1;
	ssize_t n = fd >= 0 ? read(fd, cgroup, sizeof(cgroup) - 1) : -1;

	if (n > 0) {
		cgroup[n] = 0;
		cgroup_remove_unused(cgroup);
	}
	return container_remove_dir(dir, err);
}

static bool has_state(const char *dir)
{
	cleanup_free char *path = join(dir, STATE_FILE);

	return !path || access(path, F_OK) == 0 || errno != ENOENT;
}

int container_reserve(const char *root, const char *id, int *lock_fd, struct cli_error **err)
{
	cleanup_free char *dir = NULL;
	int r;

	if (container_id_check(id, err) < 0 || mkdir_all(root, 0700, err) < 0)
		return -1;
	if (!(dir = join(root, id)))
		return cli_error(err, 1, "out of memory");
	if (mkdir(dir, 0700) == 0)
		return lock_dir(dir, true, lock_fd) < 0 ?
			       cli_error_errno(err, errno, 1, "cannot lock %s", dir) :
			       0;
	if (errno != EEXIST)
		return cli_error_errno(err, errno, 1, "cannot create %s", dir);
	/* What a runsc create killed before it wrote the record leaves: nobody holds it. */
	r = lock_dir(dir, false, lock_fd);
	if (r == 0 && !has_state(dir)) {
		if (remove_debris(dir, err) < 0 || mkdir(dir, 0700) < 0) {
			close(*lock_fd);
			return *err ? -1 : cli_error_errno(err, errno, 1, "cannot create %s", dir);
		}
		close(*lock_fd);
		return lock_dir(dir, true, lock_fd) < 0 ?
			       cli_error_errno(err, errno, 1, "cannot lock %s", dir) :
			       0;
	}
	if (r == 0)
		close(*lock_fd);
	return cli_error(err, 1, "container %s already exists", id);
}

bool container_exists(const char *root, const char *id)
{
	cleanup_free char *dir = join(root, id);
	struct cli_error *ignored = NULL;
	int lock_fd;

	if (!dir || has_state(dir))
		return true;
	if (lock_dir(dir, false, &lock_fd) == 0) {
		if (!has_state(dir))
			remove_debris(dir, &ignored);
		close(lock_fd);
		cli_error_free(ignored);
	}
	return false;
}

int host_process_get(pid_t pid, struct host_process *p)
{
	char path[64], buf[1024], state;
	cleanup_close int fd = -1;
	unsigned long long start = 0;
	ssize_t n;
	char *s;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return n < 0 ? -errno : -ESRCH;
	buf[n] = 0;
	/* The name may hold anything, ')' too: the fields start after the last one. */
	s = strrchr(buf, ')');
	if (!s || sscanf(s + 1, " %c", &state) != 1)
		return -EINVAL;
	s += 2;
	for (int field = 3; field < 22; field++) {
		s = strchr(s, ' ');
		if (!s)
			return -EINVAL;
		s++;
	}
	if (sscanf(s, "%llu", &start) != 1)
		return -EINVAL;
	if (state == 'Z' || state == 'X')
		return -ESRCH;
	p->pid = pid;
	p->start_time = start;
	return 0;
}

bool host_process_alive(const struct host_process *p)
{
	struct host_process now;

	if (p->pid <= 0 || host_process_get(p->pid, &now) < 0)
		return false;
	return now.start_time == p->start_time;
}

const char *container_status(const struct container *c)
{
	if (!host_process_alive(&c->sandbox))
		return "stopped";
	return c->status;
}

char *container_timestamp(void)
{
	struct timespec ts;
	char date[32], frac[16], *s;
	struct tm tm;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	/* Go's RFC3339Nano: nanoseconds without their trailing zeros, no dot when none. */
	frac[0] = 0;
	if (ts.tv_nsec) {
		n = snprintf(frac, sizeof(frac), ".%09ld", ts.tv_nsec);
		while (n > 1 && frac[n - 1] == '0')
			frac[--n] = 0;
	}
	return asprintf(&s, "%s%sZ", date, frac) < 0 ? NULL : s;
}

static int read_state_file(const char *path, char **out)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	cleanup_free char *buf = NULL;
	size_t done = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	if (!(buf = malloc(STATE_MAX + 1)))
		return -ENOMEM;
	while (done < STATE_MAX && (n = read(fd, buf + done, STATE_MAX - done)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		done += n;
	}
	buf[done] = 0;
	*out = steal_pointer(&buf);
	return 0;
}

static const char *get_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static long long get_int(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return -1;
	return json_object_get_int64(v);
}

static int parse_state(struct container *c, const char *text, struct cli_error **err)
{
	json_object *o = json_tokener_parse(text), *ann;
	const char *bundle, *rootfs, *created, *status, *cgroup;
	int ret = 0;

	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return cli_error(err, 1, "container %s: %s/" STATE_FILE " is corrupt", c->id,
				 c->dir);
	}
	bundle = get_str(o, "bundle");
	rootfs = get_str(o, "rootfs");
	created = get_str(o, "created");
	status = get_str(o, "status");
	cgroup = get_str(o, "cgroupPath");
	c->sandbox.pid = get_int(o, "pid");
	c->sandbox.start_time = get_int(o, "pidStartTime");
	c->sentry.pid = get_int(o, "sentryPid");
	c->sentry.start_time = get_int(o, "sentryStartTime");
	c->gofer.pid = get_int(o, "goferPid");
	c->gofer.start_time = get_int(o, "goferStartTime");
	if (!bundle || !rootfs || !created || !status || !cgroup || c->sandbox.pid <= 0) {
		ret = cli_error(err, 1, "container %s: %s/" STATE_FILE " is corrupt", c->id,
				c->dir);
	} else if (!(c->bundle = strdup(bundle)) || !(c->rootfs = strdup(rootfs)) ||
		   !(c->created = strdup(created)) || !(c->status = strdup(status)) ||
		   !(c->cgroup = strdup(cgroup))) {
		ret = cli_error(err, 1, "out of memory");
	} else {
		if (json_object_object_get_ex(o, "annotations", &ann) &&
		    json_object_is_type(ann, json_type_object))
			c->annotations = json_object_get(ann);
		if (json_object_object_get_ex(o, "hooks", &ann) &&
		    json_object_is_type(ann, json_type_object))
			c->hooks = json_object_get(ann);
	}
	json_object_put(o);
	return ret;
}

int container_load(const char *root, const char *id, int *lock_fd, struct container **out,
		   struct cli_error **err)
{
	cleanup_free char *path = NULL, *text = NULL;
	struct container *c;
	struct stat st;
	int r, fd = -1;

	if (container_id_check(id, err) < 0)
		return -1;
	c = calloc(1, sizeof(*c));
	if (!c || !(c->root = strdup(root)) || !(c->id = strdup(id)) ||
	    !(c->dir = join(root, id)) || !(path = join(c->dir, STATE_FILE))) {
		container_free(c);
		return cli_error(err, 1, "out of memory");
	}
	if (lock_fd && (r = lock_dir(c->dir, true, &fd)) < 0) {
		container_free(c);
		if (r == -ENOENT || r == -ENOTDIR)
			return cli_error(err, 1, "container %s does not exist", id);
		return cli_error_errno(err, -r, 1, "cannot lock %s", c->dir);
	}
	r = read_state_file(path, &text);
	if (r == 0 && stat(c->dir, &st) == 0)
		c->owner = st.st_uid;
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		container_free(c);
		if (r == -ENOENT || r == -ENOTDIR)
			return cli_error(err, 1, "container %s does not exist", id);
		return cli_error_errno(err, -r, 1, "cannot read %s", path);
	}
	if (parse_state(c, text, err) < 0) {
		if (fd >= 0)
			close(fd);
		container_free(c);
		return -1;
	}
	if (lock_fd)
		*lock_fd = fd;
	*out = c;
	return 0;
}

/* Writes text to dir/name through a temporary file renamed over it: readers see all or none. */
static int write_atomic(const char *dir, const char *name, const char *text, struct cli_error **err)
{
	cleanup_free char *tmp = NULL, *path = join(dir, name);
	cleanup_close int fd = -1;
	size_t len = strlen(text), done = 0;

	if (!path || asprintf(&tmp, "%s/.%s.%d", dir, name, getpid()) < 0)
		return cli_error(err, 1, "out of memory");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return cli_error_errno(err, errno, 1, "cannot write %s", tmp);
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cli_error_errno(err, errno, 1, "cannot write %s", tmp);
			unlink(tmp);
			return -1;
		}
		done += n;
	}
	if (fsync(fd) < 0 || rename(tmp, path) < 0) {
		cli_error_errno(err, errno, 1, "cannot write %s", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

int container_save(const struct container *c, struct cli_error **err)
{
	json_object *o = json_object_new_object();
	int r;

	if (!o)
		return cli_error(err, 1, "out of memory");
	json_object_object_add(o, "ociVersion", json_object_new_string(OCI_VERSION));
	json_object_object_add(o, "id", json_object_new_string(c->id));
	json_object_object_add(o, "status", json_object_new_string(c->status));
	json_object_object_add(o, "bundle", json_object_new_string(c->bundle));
	json_object_object_add(o, "rootfs", json_object_new_string(c->rootfs));
	json_object_object_add(o, "created", json_object_new_string(c->created));
	json_object_object_add(o, "pid", json_object_new_int64(c->sandbox.pid));
	json_object_object_add(o, "pidStartTime", json_object_new_int64(c->sandbox.start_time));
	json_object_object_add(o, "sentryPid", json_object_new_int64(c->sentry.pid));
	json_object_object_add(o, "sentryStartTime", json_object_new_int64(c->sentry.start_time));
	json_object_object_add(o, "goferPid", json_object_new_int64(c->gofer.pid));
	json_object_object_add(o, "goferStartTime", json_object_new_int64(c->gofer.start_time));
	json_object_object_add(o, "cgroupPath", json_object_new_string(c->cgroup));
	if (c->annotations)
		json_object_object_add(o, "annotations", json_object_get(c->annotations));
	if (c->hooks)
		json_object_object_add(o, "hooks", json_object_get(c->hooks));
	r = write_atomic(c->dir, STATE_FILE,
			 json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								   JSON_C_TO_STRING_NOSLASHESCAPE),
			 err);
	json_object_put(o);
	return r;
}

int container_note_cgroup(const char *dir, const char *cgroup, struct cli_error **err)
{
	return write_atomic(dir, CGROUP_NOTE, cgroup, err);
}

int container_remove_dir(const char *dir, struct cli_error **err)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return errno == ENOENT ? 0 :
					 cli_error_errno(err, errno, 1, "cannot remove %s", dir);
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) < 0 && errno != ENOENT) {
			cli_error_errno(err, errno, 1, "cannot remove %s/%s", dir, e->d_name);
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	if (rmdir(dir) < 0 && errno != ENOENT)
		return cli_error_errno(err, errno, 1, "cannot remove %s", dir);
	return 0;
}

void container_free(struct container *c)
{
	if (!c)
		return;
	free(c->root);
	free(c->id);
	free(c->dir);
	free(c->bundle);
	free(c->rootfs);
	free(c->created);
	free(c->status);
	free(c->cgroup);
	json_object_put(c->annotations);
	json_object_put(c->hooks);
	free(c);
}

json_object *container_state_json(const struct container *c, bool with_owner)
{
	json_object *o = json_object_new_object();
	const char *status = container_status(c);
	const char *owner = "";
	char uid[16];

	if (!o)
		return NULL;
	if (with_owner) {
		struct passwd *pw = getpwuid(c->owner);

		snprintf(uid, sizeof(uid), "#%u", (unsigned)c->owner);
		owner = pw ? pw->pw_name : uid;
	}
	json_object_object_add(o, "ociVersion", json_object_new_string(OCI_VERSION));
	json_object_object_add(o, "id", json_object_new_string(c->id));
	/* runc shows no PID for a stopped container: the number may belong to another. */
	json_object_object_add(
		o, "pid", json_object_new_int64(strcmp(status, "stopped") ? c->sandbox.pid : 0));
	json_object_object_add(o, "status", json_object_new_string(status));
	json_object_object_add(o, "bundle", json_object_new_string(c->bundle));
	json_object_object_add(o, "rootfs", json_object_new_string(c->rootfs));
	json_object_object_add(o, "created", json_object_new_string(c->created));
	json_object_object_add(o, "owner", json_object_new_string(owner));
	if (c->annotations && json_object_object_length(c->annotations) > 0)
		json_object_object_add(o, "annotations", json_object_get(c->annotations));
	return o;
}

int container_hooks(const struct container *c, enum hook_kind kind, struct oci_hook **list,
		    size_t *n, struct cli_error **err)
{
	json_object *arr;
	char path[64];

	*list = NULL;
	*n = 0;
	if (!c->hooks || !json_object_object_get_ex(c->hooks, hook_kind_name(kind), &arr) ||
	    !json_object_is_type(arr, json_type_array))
		return 0;
	snprintf(path, sizeof(path), "hooks.%s", hook_kind_name(kind));
	if (bundle_parse_hooks(arr, path, list, n, err) < 0) {
		hooks_free_list(*list, *n);
		*list = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

int write_pid_file(const char *path, pid_t pid, struct cli_error **err)
{
	cleanup_free char *copy = strdup(path), *tmp = NULL;
	cleanup_close int fd = -1;
	char *slash, num[16];
	int len;

	if (!copy)
		return cli_error(err, 1, "out of memory");
	slash = strrchr(copy, '/');
	if (slash) {
		*slash = 0;
		if (asprintf(&tmp, "%s/.%s", *copy ? copy : "/", slash + 1) < 0)
			tmp = NULL;
	} else if (asprintf(&tmp, ".%s", copy) < 0) {
		tmp = NULL;
	}
	if (!tmp)
		return cli_error(err, 1, "out of memory");
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0)
		return cli_error_errno(err, errno, 1, "cannot write the pid file %s", tmp);
	len = snprintf(num, sizeof(num), "%d", pid);
	if (write(fd, num, len) != len || rename(tmp, path) < 0) {
		cli_error_errno(err, errno, 1, "cannot write the pid file %s", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}
