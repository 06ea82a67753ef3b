/* Logging and panic: a panic prints the host stack through libunwind before aborting. */
#define UNW_LOCAL_ONLY
#include "lib/log.h"

#include <libunwind.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int log_debug_fd = -1;
const char *log_component = "cvisor";

void log_init(const char *component, int debug_fd)
{
	log_component = component;
	log_debug_fd = debug_fd;
}

static void log_write(int fd, const char *level, const char *fmt, va_list ap)
{
	char buf[4096];
	struct timespec ts;
	int n;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	n = snprintf(buf, sizeof(buf), "%ld.%06ld %s[%d] %s", (long)ts.tv_sec, ts.tv_nsec / 1000,
		     log_component, getpid(), level);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return;
	n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	if ((size_t)n >= sizeof(buf) - 1)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(fd, buf, n) < 0)
		return;
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_debug_fd < 0)
		return;
	va_start(ap, fmt);
	log_write(log_debug_fd, "", fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_write(log_debug_fd >= 0 ? log_debug_fd : STDERR_FILENO, "warning: ", fmt, ap);
	va_end(ap);
}

static void print_stack(int fd)
{
	unw_cursor_t cursor;
	unw_context_t ctx;
	char name[256], line[512];
	int depth = 0;

	if (unw_getcontext(&ctx) != 0 || unw_init_local(&cursor, &ctx) != 0)
		return;
	while (unw_step(&cursor) > 0 && depth++ < 64) {
		unw_word_t ip, off;
		int n;

		unw_get_reg(&cursor, UNW_REG_IP, &ip);
		if (unw_get_proc_name(&cursor, name, sizeof(name), &off) != 0)
			strcpy(name, "?");
		n = snprintf(line, sizeof(line), "  #%d 0x%lx %s+0x%lx\n", depth, (unsigned long)ip,
			     name, (unsigned long)off);
		if (n > 0 && write(fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1) < 0)
			return;
	}
}

void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_write(STDERR_FILENO, "panic: ", fmt, ap);
	va_end(ap);
	print_stack(STDERR_FILENO);
	if (log_debug_fd >= 0 && log_debug_fd != STDERR_FILENO) {
		va_start(ap, fmt);
		log_write(log_debug_fd, "panic: ", fmt, ap);
		va_end(ap);
		print_stack(log_debug_fd);
	}
	abort();
}
