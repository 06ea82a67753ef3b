/*
 * runsc ps: the table lists the guest's processes as the sentry sees them (guest PIDs);
 * --format json is runc's, for programs: the host PIDs of the container's processes (its
 * cgroup's: the sandbox's root process, gofer, sentry, stubs), which containerd's shim hands to
 * docker top and ctr task ps to look up on the host.
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/util.h"
#include "runsc-cli/cgroup.h"
#include "runsc-cli/commands.h"
#include "runsc-cli/container.h"
#include "runsc-cli/control_client.h"

static const char usage[] = "runsc ps [--format table|json] ID";

struct guest_process {
	int pid, ppid;
	unsigned uid;
	char state;
	unsigned long long start_ns;
	char comm[32];
};

/* One line of the sentry's "ps" reply: "PID PPID UID STATE START_NS COMM". */
static int parse_line(const char *line, struct guest_process *p)
{
	int n = 0;

	if (sscanf(line, "%d %d %u %c %llu %31s%n", &p->pid, &p->ppid, &p->uid, &p->state,
		   &p->start_ns, p->comm, &n) != 6 ||
	    line[n] != 0)
		return -1;
	return 0;
}

static int by_pid(const void *a, const void *b)
{
	return ((const struct guest_process *)a)->pid - ((const struct guest_process *)b)->pid;
}

/* HH:MM of a guest process's start: the container's creation plus the offset. */
static void stime(const char *created, unsigned long long start_ns, char *buf, size_t len)
{
	struct tm tm = { 0 };
	time_t t;

	if (!strptime(created, "%Y-%m-%dT%H:%M:%S", &tm)) {
		snprintf(buf, len, "?");
		return;
	}
	t = timegm(&tm) + start_ns / 1000000000ULL;
	localtime_r(&t, &tm);
	strftime(buf, len, "%H:%M", &tm);
}

static int by_host_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

/* runc's JSON: the host PIDs, ascending, on one line. Frees c. */
static int print_host_pids(struct container *c, struct cli_error **err)
{
	pid_t *pids = NULL;
	size_t n = 0;
	json_object *a;
	int e = cgroup_procs(c->cgroup, &pids, &n);

	/* No cgroup to read (a host without one): the processes the record names. */
	if (e == -ENOENT) {
		const struct host_process *known[] = { &c->sandbox, &c->gofer, &c->sentry };

		if (!(pids = calloc(3, sizeof(*pids)))) {
			container_free(c);
			return cli_error(err, 1, "out of memory");
		}
		for (size_t i = 0; i < 3; i++)
			if (host_process_alive(known[i]))
				pids[n++] = known[i]->pid;
	} else if (e < 0) {
		container_free(c);
		return cli_error_errno(err, -e, 1, "ps: cannot list the cgroup %s", c->cgroup);
	}
	container_free(c);
	qsort(pids, n, sizeof(*pids), by_host_pid);
	if (!(a = json_object_new_array())) {
		free(pids);
		return cli_error(err, 1, "out of memory");
	}
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_int(pids[i]));
	free(pids);
	printf("%s\n", json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
	json_object_put(a);
	return 0;
}

int cmd_ps(struct global_flags *g, int argc, char **argv, struct cli_error **err)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *format = "table";
	cleanup_free char *reply = NULL;
	struct container *c;
	struct guest_process *procs = NULL;
	char *line, *save;
	size_t n = 0;
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "+:f:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			format = optarg;
			break;
		case 'h':
			printf("usage: %s\n", usage);
			return 0;
		default:
			return usage_error(err, "ps", ch, argv, usage);
		}
	}
	if (strcmp(format, "table") && strcmp(format, "json"))
		return cli_error(err, 1, "ps: invalid format option \"%s\"", format);
	if (expect_args(err, "ps", argc - optind, 1, 1, usage) < 0 ||
	    container_load(g->root, argv[optind], NULL, &c, err) < 0)
		return -1;
	if (!strcmp(container_status(c), "stopped")) {
		container_free(c);
		return cli_error(err, 1, "container not running");
	}
	if (!strcmp(format, "json"))
		return print_host_pids(c, err);
	if (control_request(c->dir, "ps", &reply, err) < 0) {
		container_free(c);
		return -1;
	}
	/* The sentry lists newest first; ps lists by PID. */
	for (line = strtok_r(reply, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct guest_process *more = realloc(procs, (n + 1) * sizeof(*procs));

		if (!more) {
			free(procs);
			container_free(c);
			return cli_error(err, 1, "out of memory");
		}
		procs = more;
		if (parse_line(line, &procs[n]) == 0)
			n++;
	}
	qsort(procs, n, sizeof(*procs), by_pid);
	printf("%-8s %5s %5s %-4s %-5s %s\n", "UID", "PID", "PPID", "STAT", "STIME", "CMD");
	for (size_t i = 0; i < n; i++) {
		struct guest_process *p = &procs[i];
		char when[16];

		stime(c->created, p->start_ns, when, sizeof(when));
		printf("%-8u %5d %5d %-4c %-5s %s\n", p->uid, p->pid, p->ppid, p->state, when,
		       p->comm);
	}
	free(procs);
	container_free(c);
	return 0;
}
