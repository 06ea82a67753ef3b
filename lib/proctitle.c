/* Process titles: runsc forks the sentry and the gofer, each renamed so ps tells them apart. */
#include "lib/proctitle.h"

#include <string.h>
#include <sys/prctl.h>

static char *title_start;
static size_t title_len;

void proctitle_init(int argc, char **argv)
{
	if (argc < 1)
		return;
	title_start = argv[0];
	/* argv strings are contiguous: the space runs to the end of the last one. */
	title_len = argv[argc - 1] + strlen(argv[argc - 1]) + 1 - argv[0];
}

void proctitle_set(const char *name)
{
	prctl(PR_SET_NAME, name, 0, 0, 0);
	if (!title_start || title_len == 0)
		return;
	memset(title_start, 0, title_len);
	strncpy(title_start, name, title_len - 1);
}
