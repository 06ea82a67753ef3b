/* Prints docs/syscalls.md, the Markdown table of syscall_table_native, and refuses a table
 * whose entries contradict themselves (the table is the documentation). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "syscalls/syscalls.h"

static const char *support_name(enum syscall_support s)
{
	switch (s) {
	case SYSCALL_FULL:
		return "full";
	case SYSCALL_PARTIAL:
		return "partial";
	case SYSCALL_UNIMPLEMENTED:
		return "unimplemented";
	}
	return NULL;
}

/* How many arguments a strace format describes: its letters, not counting '>' (the next
 * argument is written by the call) nor what follows '=' (how the result prints). */
static unsigned int format_args(const char *f)
{
	unsigned int n = 0;

	for (; *f && *f != '='; f++)
		n += *f != '>';
	return n;
}

/* Why entry nr is inconsistent, or NULL when it is fine. */
static const char *entry_problem(const struct syscall_table *tab, unsigned int nr)
{
	const struct syscall_entry *e = &tab->entries[nr];

	if (!support_name(e->support))
		return "unknown support level";
	if (e->support == SYSCALL_UNIMPLEMENTED) {
		if (e->fn)
			return "unimplemented but has a handler";
		if (e->err <= 0)
			return "unimplemented without a positive errno";
	} else if (!e->fn) {
		return "full or partial without a handler";
	}
	if (e->support == SYSCALL_PARTIAL && (!e->note || !e->note[0]))
		return "partial without a note saying what is missing";
	if (e->args && format_args(e->args) > 6)
		return "a strace format of more than 6 arguments";
	for (unsigned int i = 0; i < nr; i++)
		if (tab->entries[i].name && strcmp(tab->entries[i].name, e->name) == 0)
			return "name used twice";
	return NULL;
}

/* Markdown table cells cannot hold '|' or line breaks. */
static void print_cell(const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|')
			fputs("\\|", stdout);
		else if (*s == '\n')
			putchar(' ');
		else
			putchar(*s);
	}
}

int main(void)
{
	const struct syscall_table *tab = &syscall_table_native;
	unsigned int count[3] = { 0 }, total = 0;
	bool bad = false;

	for (unsigned int nr = 0; nr < tab->count; nr++) {
		const struct syscall_entry *e = &tab->entries[nr];
		const char *problem;

		if (!e->name)
			continue; /* a hole in the numbering */
		problem = entry_problem(tab, nr);
		if (problem) {
			fprintf(stderr, "syscalls-md: %s syscall %u (%s): %s\n", tab->arch, nr,
				e->name, problem);
			bad = true;
			continue;
		}
		count[e->support]++;
		total++;
	}
	if (bad)
		return 1;

	printf("# Syscalls on %s\n\n", tab->arch);
	printf("Generated from `syscalls/%s.def` by `tools/syscalls-md.c` during the build; do not "
	       "edit.\n\n",
	       tab->arch);
	printf("%u syscalls: %u full, %u partial, %u unimplemented.\n\n", total,
	       count[SYSCALL_FULL], count[SYSCALL_PARTIAL], count[SYSCALL_UNIMPLEMENTED]);
	printf("| nr | name | support | note |\n");
	printf("| ---: | --- | --- | --- |\n");
	for (unsigned int nr = 0; nr < tab->count; nr++) {
		const struct syscall_entry *e = &tab->entries[nr];

		if (!e->name)
			continue;
		printf("| %u | %s | %s", nr, e->name, support_name(e->support));
		if (e->support == SYSCALL_UNIMPLEMENTED) {
			const char *name = strerrorname_np(e->err);

			if (name)
				printf(": %s", name);
			else
				printf(": errno %d", e->err);
		}
		printf(" | ");
		print_cell(e->note);
		printf(" |\n");
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("syscalls-md: stdout");
		return 1;
	}
	return 0;
}
