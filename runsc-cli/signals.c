/* Signal names and numbers for runsc kill: Linux's numbering on every architecture we build. */
#include "runsc-cli/signals.h"

#include <ctype.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/util.h"

static const struct {
	const char *name;
	int sig;
} names[] = {
	{ "HUP", SIGHUP },	 { "INT", SIGINT },	  { "QUIT", SIGQUIT },
	{ "ILL", SIGILL },	 { "TRAP", SIGTRAP },	  { "ABRT", SIGABRT },
	{ "IOT", SIGIOT },	 { "BUS", SIGBUS },	  { "FPE", SIGFPE },
	{ "KILL", SIGKILL },	 { "USR1", SIGUSR1 },	  { "SEGV", SIGSEGV },
	{ "USR2", SIGUSR2 },	 { "PIPE", SIGPIPE },	  { "ALRM", SIGALRM },
	{ "TERM", SIGTERM },	 { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD },
	{ "CLD", SIGCHLD },	 { "CONT", SIGCONT },	  { "STOP", SIGSTOP },
	{ "TSTP", SIGTSTP },	 { "TTIN", SIGTTIN },	  { "TTOU", SIGTTOU },
	{ "URG", SIGURG },	 { "XCPU", SIGXCPU },	  { "XFSZ", SIGXFSZ },
	{ "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },	  { "WINCH", SIGWINCH },
	{ "IO", SIGIO },	 { "POLL", SIGPOLL },	  { "PWR", SIGPWR },
	{ "SYS", SIGSYS },
};

/* The kernel's real-time range, not glibc's SIGRTMIN (which reserves two for itself). */
#define RT_MIN 32
#define RT_MAX 64

/* A decimal number in [lo, hi], nothing else; -1 otherwise. */
static int number(const char *s, int lo, int hi)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	v = strtol(s, &end, 10);
	if (*end || v < lo || v > hi)
		return -1;
	return v;
}

int signal_parse(const char *text)
{
	const char *name = text;
	int n;

	if (isdigit((unsigned char)*text))
		return number(text, 1, RT_MAX);
	if (!strncasecmp(name, "SIG", 3))
		name += 3;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcasecmp(name, names[i].name))
			return names[i].sig;
	if (!strncasecmp(name, "RTMIN", 5)) {
		if (!name[5])
			return RT_MIN;
		if (name[5] == '+' && (n = number(name + 6, 1, RT_MAX - RT_MIN)) > 0)
			return RT_MIN + n;
	}
	if (!strncasecmp(name, "RTMAX", 5)) {
		if (!name[5])
			return RT_MAX;
		if (name[5] == '-' && (n = number(name + 6, 1, RT_MAX - RT_MIN)) > 0)
			return RT_MAX - n;
	}
	return -1;
}
