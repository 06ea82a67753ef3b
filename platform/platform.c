/* Choosing the platform by name (--platform). */
#include <string.h>

#include "platform/platform.h"

const struct platform_ops *platform = &platform_ptrace;

const struct platform_ops *platform_lookup(const char *name)
{
	if (strcmp(name, "ptrace") == 0)
		return &platform_ptrace;
	if (strcmp(name, "systrap") == 0)
		return &platform_systrap;
	return NULL;
}
