/* Process titles: runsc forks the sentry and the gofer, each renamed so ps tells them apart. */
#include "lib/proctitle.h"

#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

static char *title_start;
static size_t title_len;
/* The argv strings moved out of the title's way; reachable for the process's life. */
static char *argv_copy;

void proctitle_init(int argc, char **argv)
{
	size_t off = 0;

	if (argc < 1)
		return;
	/* argv strings are contiguous: the space runs to the end of the last one. */
	title_start = argv[0];
	title_len = argv[argc - 1] + strlen(argv[argc - 1]) + 1 - argv[0];
	/* Flags keep pointers into argv (--platform=NAME): they must survive a rename. */
	argv_copy = malloc(title_len);
	if (!argv_copy) {
		title_len = 0;
		return;
	}
	memcpy(argv_copy, title_start, title_len);
	for (int i = 0; i < argc; i++) {
		argv[i] = argv_copy + off;
		off += strlen(argv[i]) + 1;
	}
}

void proctitle_set(const char *name)
{
	prctl(PR_SET_NAME, name, 0, 0, 0);
	if (!title_start || title_len == 0)
		return;
	memset(title_start, 0, title_len);
	strncpy(title_start, name, title_len - 1);
}
