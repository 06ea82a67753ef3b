/* #! scripts: the interpreter line, parsed exactly as Linux's fs/binfmt_script.c does. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "lib/util.h"
#include "sentry/loader/loader.h"

static bool spacetab(char c)
{
	return c == ' ' || c == '\t';
}

/* The first byte of [first, last] that is not a space or tab, or NULL. */
static const char *next_non_spacetab(const char *first, const char *last)
{
	for (; first <= last; first++)
		if (!spacetab(*first))
			return first;
	return NULL;
}

/* The first space, tab or NUL of [first, last], or NULL. */
static const char *next_terminator(const char *first, const char *last)
{
	for (; first <= last; first++)
		if (spacetab(*first) || *first == '\0')
			return first;
	return NULL;
}

static int copy_out_str(char *dst, size_t dlen, const char *s, const char *end)
{
	size_t n = strnlen(s, end - s);

	if (n >= dlen)
		return -ENAMETOOLONG;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

int loader_parse_shebang(const char *buf, size_t len, char *interp, size_t ilen, char *arg,
			 size_t alen)
{
	/* Linux's bprm->buf: the first bytes of the file, NUL-padded when the file is shorter. */
	char b[LOADER_SHEBANG_MAX] = { 0 };
	const char *buf_end = b + sizeof(b) - 1;
	const char *i_end = NULL, *i_name, *i_sep, *i_arg = NULL;
	size_t i;
	int err;

	memcpy(b, buf, MIN(len, sizeof(b)));
	if (b[0] != '#' || b[1] != '!')
		return -ENOEXEC;
	/* The newline, looked for up to the first NUL as strnchr does. */
	for (i = 0; i < sizeof(b) && b[i] != '\0'; i++) {
		if (b[i] == '\n') {
			i_end = b + i;
			break;
		}
	}
	if (!i_end) {
		/* No newline: the line is cut, which is fine for the argument (the interpreter
		 * re-reads the script) but not for the interpreter's path, so a space, tab or
		 * NUL must end it inside the buffer. */
		i_end = next_non_spacetab(b + 2, buf_end);
		if (!i_end)
			return -ENOEXEC;
		if (!next_terminator(i_end, buf_end))
			return -ENOEXEC;
		i_end = buf_end;
	}
	while (spacetab(i_end[-1]))
		i_end--;
	i_name = next_non_spacetab(b + 2, i_end);
	if (!i_name || i_name == i_end)
		return -ENOEXEC;
	i_sep = next_terminator(i_name, i_end);
	if (i_sep && *i_sep != '\0')
		i_arg = next_non_spacetab(i_sep, i_end);

	if ((err = copy_out_str(interp, ilen, i_name, i_sep ? i_sep : i_end)) < 0)
		return err;
	if (!i_arg) {
		if (alen == 0)
			return -ENAMETOOLONG;
		arg[0] = '\0';
		return 0;
	}
	/* A cut line can leave an empty argument; Linux passes it, so do we. */
	if ((err = copy_out_str(arg, alen, i_arg, i_end)) < 0)
		return err;
	return 1;
}
