/* The few host facts /proc shows, copied while the sentry can still open host files. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "sentry/fs/proc/internal.h"
#include "sentry/fs/proc/proc.h"

/* Written once by procfs_snapshot_host before any guest task runs; read-only afterwards. */
static char *host_cpuinfo;
static char *host_version;
static int host_ncpu = 1;

/* The whole of a small host file, NUL-terminated, or NULL. */
static char *read_host_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct proc_buf b = { 0 };
	for (;;) {
		if (!proc_buf_reserve(&b, 4096))
			break;
		ssize_t n = read(fd, b.data + b.len, b.cap - b.len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		b.len += (size_t)n;
		b.data[b.len] = '\0';
	}
	close(fd);
	if (b.oom || b.len == 0) {
		proc_buf_free(&b);
		return NULL;
	}
	return b.data;
}

void procfs_snapshot_host(void)
{
	free(host_cpuinfo);
	free(host_version);
	host_cpuinfo = read_host_file("/proc/cpuinfo");
	host_version = read_host_file("/proc/version");
	if (!host_cpuinfo)
		log_warn("procfs: cannot read the host's /proc/cpuinfo: %s", strerror(errno));
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	host_ncpu = n > 0 ? (int)n : 1;
}

const char *proc_host_cpuinfo(void)
{
	return host_cpuinfo;
}

const char *proc_host_version(void)
{
	return host_version;
}

int proc_host_ncpu(void)
{
	return host_ncpu;
}
