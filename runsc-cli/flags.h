/* runsc's global flags, parsed before and after the command name as runc and gVisor accept. */
#ifndef CVISOR_RUNSC_FLAGS_H
#define CVISOR_RUNSC_FLAGS_H

#include <stdbool.h>

struct global_flags {
	const char *root;       /* --root: state directory (runc's default /run/runc; ours /run/cvisor) */
	const char *log;        /* --log */
	const char *log_format; /* --log-format text|json */
	bool debug;             /* --debug */
	const char *platform;   /* --platform ptrace */
	const char *network;    /* --network none */
	bool strace;            /* --strace */
	const char *debug_log;  /* --debug-log FILE */
	bool systemd_cgroup;    /* --systemd-cgroup: accepted, as runc's; cgroups are not managed yet */
	const char *rootless;   /* --rootless true|false|auto: accepted, as runc's */
};

/*
 * Parses one global flag at argv[*i] ("--name=value", "--name value", "-name"), advancing *i
 * past what it used. Returns 1 when it was one, 0 when argv[*i] is not a global flag, -1 with a
 * message on stderr when it is malformed.
 */
int global_flag_parse(struct global_flags *g, int argc, char **argv, int *i);
void global_flags_usage(void);

int cmd_do(struct global_flags *g, int argc, char **argv);

#endif
