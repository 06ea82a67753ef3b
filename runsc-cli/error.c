/* Errors outside the sentry: carried up to main, printed once on stderr and to --log. */
#include "runsc-cli/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/util.h"

static const char *log_path, *log_format;

static int set(struct cli_error **err, int errnum, int status, const char *fmt, va_list ap)
{
	struct cli_error *e;
	size_t n;

	if (!err || *err)
		return -1;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -1;
	e->status = status;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	n = strlen(e->msg);
	if (errnum)
		snprintf(e->msg + n, sizeof(e->msg) - n, ": %s", strerror(errnum));
	/* One line whatever the pieces held. */
	for (char *p = e->msg; *p; p++)
		if (*p == '\n')
			*p = ' ';
	*err = e;
	return -1;
}

int cli_error(struct cli_error **err, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set(err, 0, status, fmt, ap);
	va_end(ap);
	return -1;
}

int cli_error_errno(struct cli_error **err, int errnum, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set(err, errnum, status, fmt, ap);
	va_end(ap);
	return -1;
}

void cli_error_free(struct cli_error *err)
{
	free(err);
}

void cli_error_set_log(const char *path, const char *format)
{
	int fd;

	log_path = path;
	log_format = format;
	/*
	 * The file exists from the start, as runc's: containerd's shim reads it after any failure
	 * and reports a missing one instead of the error.
	 */
	if (path && (fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) >= 0)
		close(fd);
}

/* JSON string body: escapes what JSON requires; the message is one line already. */
static void json_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
}

static void write_log(const char *msg)
{
	char stamp[64];
	struct tm tm;
	time_t now = time(NULL);
	cleanup_close int fd = -1;
	FILE *f;

	if (!log_path)
		return;
	fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	f = fdopen(fd, "a");
	if (!f)
		return;
	fd = -1;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (log_format && !strcmp(log_format, "json")) {
		fprintf(f, "{\"level\":\"error\",\"msg\":\"");
		json_escape(f, msg);
		fprintf(f, "\",\"time\":\"%s\"}\n", stamp);
	} else {
		fprintf(f, "time=\"%s\" level=error msg=\"", stamp);
		json_escape(f, msg);
		fprintf(f, "\"\n");
	}
	fclose(f);
}

int cli_error_report(struct cli_error *err)
{
	int status;

	if (!err) {
		fprintf(stderr, "runsc: out of memory\n");
		return 1;
	}
	/* An empty message: whoever failed (the sentry) has said why already. */
	if (err->msg[0]) {
		fprintf(stderr, "runsc: %s\n", err->msg);
		write_log(err->msg);
	}
	status = err->status;
	cli_error_free(err);
	return status;
}
