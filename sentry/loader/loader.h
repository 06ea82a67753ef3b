/*
 * execve's loader: builds a new address space holding an ELF program (its PT_INTERP too, and
 * the #! interpreters in front of it) and its initial stack, without touching the task.
 */
#ifndef CVISOR_LOADER_LOADER_H
#define CVISOR_LOADER_LOADER_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

struct task;
struct mm;
struct file;

/* A #! line is read from the first 256 bytes of the file (Linux's BINPRM_BUF_SIZE). */
#define LOADER_SHEBANG_MAX 256
/* At most this many auxv entries before AT_NULL (Linux has room for about 50). */
#define LOADER_AUXV_MAX 64
/* A chain of at most this many #! scripts, as Linux (exec_binprm); one more is -ELOOP. */
#define LOADER_MAX_SCRIPT_DEPTH 5
/* The stack VMA: 8 MiB ending at ARCH_STACK_TOP, as the default RLIMIT_STACK. */
#define LOADER_STACK_SIZE (8UL << 20)
/* Argument limits (Linux's bprm_stack_limits with an 8 MiB stack, and MAX_ARG_STRLEN):
 * strings plus their pointers, one string, and either count. Past them: -E2BIG. */
#define LOADER_ARG_MAX (2UL << 20)
#define LOADER_ARG_STRLEN_MAX (32UL * 4096)
#define LOADER_ARGC_MAX 65536UL
/* Where ET_DYN programs with an interpreter go: Linux's ELF_ET_DYN_BASE (2/3 of the 47-bit
 * address space) with ASLR off, rounded down to the largest PT_LOAD alignment. */
#define LOADER_ET_DYN_BASE 0x555555554aaaUL

/* What loader_exec hands to task_execve. */
struct loaded_image {
	uint64_t entry;	       /* first instruction: the interpreter's entry, else the program's */
	uint64_t sp;	       /* initial stack pointer, 16-byte aligned; argc is there */
	uint64_t load_bias;    /* added to the program's p_vaddr (0 for ET_EXEC) */
	uint64_t interp_base;  /* AT_BASE: the interpreter's load address, 0 without one */
	struct file *exe;      /* a reference the caller owns: the ELF file run, not a #! script */
	char execfn[PATH_MAX]; /* the path given to execve, kept through #!: AT_EXECFN */
	char comm[16];	       /* its last component, truncated to 15 bytes: the task's new name */
};

/*
 * Loads path for t (its cwd, root, credentials): follows #! scripts, maps the ELF program
 * and its interpreter and writes the initial stack into a new mm. argv and envp are
 * NULL-terminated sentry copies; an empty argv becomes { "" } as in Linux. On success
 * *new_mm is the new address space (one reference, mm->exe set) and img is filled; the
 * caller swaps mms and sets registers with arch_regs_init(&regs, img->entry, img->sp). On
 * failure nothing is left allocated: a negative errno (ENOENT, EACCES, ENOEXEC, ELOOP,
 * E2BIG, ELIBBAD, EINVAL, ENOMEM, EIO ...).
 */
int loader_exec(struct task *t, const char *path, char *const argv[], char *const envp[],
		struct mm **new_mm, struct loaded_image *img);
/* Drops what img holds (the reference on img->exe); img may be released twice. */
void loader_image_release(struct loaded_image *img);

/*
 * For `runsc do CMD`: a cmd with a '/' is copied as is; otherwise the directories of PATH
 * (from envp, default LOADER_DEFAULT_PATH; an empty entry is the cwd) are searched for an
 * executable regular file, as execvp does. 0 with the path in out[0, outlen), -ENOENT when
 * none is found, -EACCES when only non-executable candidates are, -ENAMETOOLONG.
 */
#define LOADER_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
int loader_resolve_command(struct task *t, const char *cmd, char *const envp[], char *out,
			   size_t outlen);

/*
 * Parses a #! line from the first len bytes of a file, exactly as Linux's load_script:
 * only the first LOADER_SHEBANG_MAX bytes count; the interpreter is the first word after
 * "#!" (spaces and tabs skipped); the optional argument is the rest of the line, trailing
 * spaces and tabs removed, inner ones kept. Without a newline the line may be truncated,
 * but only after a complete interpreter path. Returns 1 when there is an argument (which a
 * cut line can leave empty), 0 when there is none (arg is then ""), with interp filled
 * (empty for a file holding just "#!", which the caller then fails to open, as Linux);
 * -ENOEXEC when this is not a usable #! line; -ENAMETOOLONG when an output is too small
 * (LOADER_SHEBANG_MAX bytes always suffice).
 */
int loader_parse_shebang(const char *buf, size_t len, char *interp, size_t ilen, char *arg,
			 size_t alen);

/* The inputs of the initial stack (Linux's create_elf_tables). */
struct loader_stack_args {
	const char *const *argv;
	size_t argc;
	const char *const *envp;
	size_t envc;
	const char *execfn;    /* AT_EXECFN's string */
	const char *platform;  /* AT_PLATFORM's string, or NULL */
	const uint8_t *random; /* AT_RANDOM's 16 bytes */
	/* The auxiliary vector in order, (type, value) pairs without AT_NULL; the values of
	 * AT_RANDOM, AT_EXECFN and AT_PLATFORM are replaced by their strings' addresses. */
	const uint64_t (*auxv)[2];
	size_t auxc;
};

/* Guest addresses of the initial stack, all inside [sp, top). */
struct loader_stack_layout {
	uint64_t top, sp;
	uint64_t arg_start, arg_end, env_start, env_end; /* the strings */
	uint64_t auxv_start, auxv_end;			 /* AT_NULL included */
	uint64_t execfn, platform, random;
};

#define LOADER_AT_RANDOM_SIZE 16

/*
 * Plans the stack below top (16-byte aligned), byte for byte as Linux with ASLR off: from
 * the top, 8 zero bytes, execfn, the envp and argv strings, alignment to 16, platform, the
 * random bytes; then, from the final sp (16-byte aligned), argc, argv[], NULL, envp[],
 * NULL and the auxv. 0; -E2BIG past the LOADER_ARG* limits; -EINVAL for a top that is
 * misaligned or below LOADER_STACK_SIZE, or more than LOADER_AUXV_MAX auxv entries.
 */
int loader_stack_layout(const struct loader_stack_args *a, uint64_t top,
			struct loader_stack_layout *l);

/* Writes the image planned from the same a into buf, which stands for the guest bytes
 * [l->sp, l->top): len must be l->top - l->sp. 0 or -EINVAL. */
int loader_stack_write(const struct loader_stack_args *a, const struct loader_stack_layout *l,
		       uint8_t *buf, size_t len);

#endif
