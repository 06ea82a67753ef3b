/* Logging for every component: a debug log (--debug-log), warnings, and panic with a stack. */
#ifndef CVISOR_LIB_LOG_H
#define CVISOR_LIB_LOG_H

#include <stdbool.h>

/* Where debug output goes; -1 when debugging is off. Set once at start. */
extern int log_debug_fd;
/* Component name printed in front of each line ("sentry", "gofer", "runsc"). */
extern const char *log_component;

void log_init(const char *component, int debug_fd);
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the message and a stack trace (libunwind) to stderr and the debug log, then aborts. */
void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#define BUG_ON(cond)                                                                          \
	do {                                                                                  \
		if (__builtin_expect(!!(cond), 0))                                            \
			panic("BUG_ON(%s) at %s:%d", #cond, __FILE__, __LINE__);              \
	} while (0)

static inline bool log_debug_enabled(void)
{
	return log_debug_fd >= 0;
}

#endif
