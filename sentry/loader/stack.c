/*
 * The initial stack of a new program (Linux's create_elf_tables), planned and written into a
 * sentry buffer so that execve copies it into the new address space in one go.
 */
#include <elf.h>
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "lib/util.h"
#include "sentry/loader/loader.h"

/* Sums the lengths (NULs included) of n strings, checking Linux's per-string limit. */
static int strings_size(const char *const *s, size_t n, uint64_t *total)
{
	size_t i;

	for (i = 0; i < n; i++) {
		size_t len = strnlen(s[i], LOADER_ARG_STRLEN_MAX) + 1;

		if (len > LOADER_ARG_STRLEN_MAX)
			return -E2BIG;
		*total += len;
	}
	return 0;
}

int loader_stack_layout(const struct loader_stack_args *a, uint64_t top,
			struct loader_stack_layout *l)
{
	uint64_t argv_bytes = 0, env_bytes = 0, execfn_bytes = 0, p, items, auxv_words;
	int err;

	if (a->argc > LOADER_ARGC_MAX || a->envc > LOADER_ARGC_MAX)
		return -E2BIG;
	if ((err = strings_size(a->argv, a->argc, &argv_bytes)) < 0 ||
	    (err = strings_size(a->envp, a->envc, &env_bytes)) < 0 ||
	    (err = strings_size(&a->execfn, 1, &execfn_bytes)) < 0)
		return err;
	/* Linux counts the pointers too, and at least one argv slot. */
	if (argv_bytes + env_bytes + (MAX(a->argc, 1) + a->envc) * sizeof(uint64_t) >
	    LOADER_ARG_MAX)
		return -E2BIG;
	if (a->auxc > LOADER_AUXV_MAX || top & 15 || top < LOADER_STACK_SIZE)
		return -EINVAL;

	memset(l, 0, sizeof(*l));
	l->top = top;
	/* The top word stays zero: Linux starts bprm->p one pointer below the end. */
	p = top - sizeof(uint64_t);
	l->execfn = p -= execfn_bytes;
	l->env_end = p;
	l->env_start = p -= env_bytes;
	l->arg_end = p;
	l->arg_start = p -= argv_bytes;
	p = ROUND_DOWN(p, 16); /* arch_align_stack without randomization */
	if (a->platform)
		l->platform = p -= strlen(a->platform) + 1;
	l->random = p -= LOADER_AT_RANDOM_SIZE;

	auxv_words = (a->auxc + 1) * 2;
	items = (a->argc + 1) + (a->envc + 1) + 1;
	l->sp = ROUND_DOWN(p - (auxv_words + items) * sizeof(uint64_t), 16);
	l->auxv_start = l->sp + items * sizeof(uint64_t);
	l->auxv_end = l->auxv_start + auxv_words * sizeof(uint64_t);
	return 0;
}

static void put_word(uint8_t *buf, const struct loader_stack_layout *l, uint64_t addr, uint64_t v)
{
	v = htole64(v);
	memcpy(buf + (addr - l->sp), &v, sizeof(v));
}

/* Copies n strings to addr onward and stores their addresses at the pointer slot ptr. */
static void put_strings(uint8_t *buf, const struct loader_stack_layout *l, uint64_t *addr,
			uint64_t *ptr, const char *const *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		size_t len = strlen(s[i]) + 1;

		memcpy(buf + (*addr - l->sp), s[i], len);
		put_word(buf, l, *ptr, *addr);
		*addr += len;
		*ptr += sizeof(uint64_t);
	}
	put_word(buf, l, *ptr, 0);
	*ptr += sizeof(uint64_t);
}

int loader_stack_write(const struct loader_stack_args *a, const struct loader_stack_layout *l,
		       uint8_t *buf, size_t len)
{
	uint64_t str, ptr;
	size_t i;

	if (l->top <= l->sp || len != l->top - l->sp)
		return -EINVAL;
	memset(buf, 0, len);

	ptr = l->sp;
	put_word(buf, l, ptr, a->argc);
	ptr += sizeof(uint64_t);
	str = l->arg_start;
	put_strings(buf, l, &str, &ptr, a->argv, a->argc);
	put_strings(buf, l, &str, &ptr, a->envp, a->envc);
	memcpy(buf + (l->execfn - l->sp), a->execfn, strlen(a->execfn) + 1);
	if (a->platform)
		memcpy(buf + (l->platform - l->sp), a->platform, strlen(a->platform) + 1);
	memcpy(buf + (l->random - l->sp), a->random, LOADER_AT_RANDOM_SIZE);

	for (i = 0; i < a->auxc; i++) {
		uint64_t type = a->auxv[i][0], v = a->auxv[i][1];

		if (type == AT_RANDOM)
			v = l->random;
		else if (type == AT_EXECFN)
			v = l->execfn;
		else if (type == AT_PLATFORM)
			v = l->platform;
		put_word(buf, l, ptr, type);
		put_word(buf, l, ptr + sizeof(uint64_t), v);
		ptr += 2 * sizeof(uint64_t);
	}
	/* AT_NULL: the buffer is already zero there. */
	return 0;
}
