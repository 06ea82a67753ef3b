/* The sandbox's UTS names (uname, sethostname). */
#ifndef CVISOR_KERNEL_UTS_H
#define CVISOR_KERNEL_UTS_H

#include <stdbool.h>
#include <sys/utsname.h>

/* Takes the host's names as the starting point (before the sentry's sandbox is sealed). */
void uts_init(const char *hostname);
void uts_get(struct utsname *u);
void uts_set(bool domain, const char *name);

#endif
