/*
 * Errors outside the sentry: a function that fails fills a struct cli_error and returns -1; the
 * message travels up to main, the one place that prints it (as crun's libcrun_error_t).
 */
#ifndef CVISOR_RUNSC_ERROR_H
#define CVISOR_RUNSC_ERROR_H

struct cli_error {
	int status; /* what runsc exits with */
	char msg[1024];
};

/*
 * Sets *err (allocated here; the first error wins, later ones are dropped so the root cause is
 * what gets printed) and returns -1. The _errno form appends ": strerror(errnum)".
 */
int cli_error(struct cli_error **err, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int cli_error_errno(struct cli_error **err, int errnum, int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void cli_error_free(struct cli_error *err);

/* Where errors are also written (--log, --log-format text|json), as runc does for containerd. */
void cli_error_set_log(const char *path, const char *format);
/* Prints "runsc: MSG" on stderr (and to the log); returns err->status. Frees err. */
int cli_error_report(struct cli_error *err);

#endif
