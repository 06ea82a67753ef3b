/* The sandbox's UTS names: the kernel identity it reports and its own hostname. */
#include "sentry/kernel/uts.h"

#include <pthread.h>
#include <string.h>

static pthread_mutex_t uts_lock = PTHREAD_MUTEX_INITIALIZER; /* guards uts; a leaf lock */
static struct utsname uts;

void uts_init(const char *hostname)
{
	struct utsname host;

	uname(&host);
	pthread_mutex_lock(&uts_lock);
	uts = host;
	if (hostname)
		strncpy(uts.nodename, hostname, sizeof(uts.nodename) - 1);
	pthread_mutex_unlock(&uts_lock);
}

void uts_get(struct utsname *u)
{
	pthread_mutex_lock(&uts_lock);
	*u = uts;
	pthread_mutex_unlock(&uts_lock);
}

void uts_set(bool domain, const char *name)
{
	pthread_mutex_lock(&uts_lock);
	if (domain)
		strncpy(uts.domainname, name, sizeof(uts.domainname) - 1);
	else
		strncpy(uts.nodename, name, sizeof(uts.nodename) - 1);
	pthread_mutex_unlock(&uts_lock);
}
