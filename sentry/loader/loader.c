/*
 * execve's loader: #! scripts, the ELF program and its interpreter mapped into a new mm, and
 * the initial stack; also the PATH search `runsc do` needs to find its command.
 */
#include "sentry/loader/loader.h"

#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>

#include "lib/log.h"
#include "lib/util.h"
#include "sentry/arch/arch.h"
#include "sentry/kernel/task.h"
#include "sentry/loader/elf.h"
#include "sentry/mm/mm.h"
#include "sentry/mm/usercopy.h"
#include "sentry/vfs/vfs.h"

/* Linux's AT_CLKTCK (USER_HZ), which times() and /proc are counted in. */
#define LOADER_CLKTCK 100
/* Nothing is mapped below this (vm.mmap_min_addr); an ET_DYN base must not fall there. */
#define LOADER_MIN_ADDR 0x10000UL

/* Everything one execve works with; on the heap, as it holds two pages and two images. */
struct exec_state {
	char page[PAGE_SIZE]; /* the first page of the file being looked at */
	size_t page_len;
	struct elf_image prog, interp;
	char interp_path[ELF_INTERP_MAX];
	/* One #! line per level of the script chain: argv points into these. */
	char sh_interp[LOADER_MAX_SCRIPT_DEPTH][LOADER_SHEBANG_MAX];
	char sh_arg[LOADER_MAX_SCRIPT_DEPTH][LOADER_SHEBANG_MAX];
	const char **argv; /* room for argc + 2 per #! level */
	size_t argc, envc;
	struct file *file;  /* the ELF program (a reference) */
	struct file *ifile; /* its interpreter (a reference), or NULL */
	uint8_t *stack;	    /* the initial stack image */
};

static void exec_state_free(struct exec_state *st)
{
	if (st->file)
		file_put(st->file);
	if (st->ifile)
		file_put(st->ifile);
	free(st->argv);
	free(st->stack);
	free(st);
}

/* Reads up to len bytes at off; fewer only at the end of the file. */
static ssize_t read_full(struct file *f, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = file_pread(f, (char *)buf + done, len - done, (int64_t)(off + done));

		if (n == -EINTR)
			continue;
		if (n < 0)
			return n;
		if (n == 0)
			break;
		done += n;
	}
	return (ssize_t)done;
}

/* Opens path and reads its first page into st->page. */
static int open_and_read(struct task *t, struct exec_state *st, const char *path, struct file **out)
{
	struct file *f = NULL;
	ssize_t n;
	int err;

	if ((err = vfs_open_exec(t, path, &f)) < 0)
		return err;
	n = read_full(f, st->page, sizeof(st->page), 0);
	if (n < 0) {
		file_put(f);
		return (int)n;
	}
	st->page_len = n;
	*out = f;
	return 0;
}

/* The ELF header (from st->page) and the program headers (from the page when they lie in
 * it, else read) of f. */
static int read_elf_headers(struct exec_state *st, struct file *f, struct elf_image *img)
{
	cleanup_free uint8_t *phdrs = NULL;
	ssize_t n;
	int err;

	if ((err = elf_parse_ehdr(st->page, st->page_len, img)) < 0)
		return err;
	if (img->phoff <= st->page_len && img->phdrs_size <= st->page_len - img->phoff)
		return elf_parse_phdrs(st->page + img->phoff, img->phdrs_size, img);
	phdrs = malloc(img->phdrs_size);
	if (!phdrs)
		return -ENOMEM;
	n = read_full(f, phdrs, img->phdrs_size, img->phoff);
	if (n < 0)
		return (int)n;
	/* The headers past the end of the file: Linux's short read gives EIO; it is a broken
	 * executable, which is what ENOEXEC says. */
	if ((size_t)n != img->phdrs_size)
		return -ENOEXEC;
	return elf_parse_phdrs(phdrs, img->phdrs_size, img);
}

/* The PT_INTERP path of st->prog into st->interp_path. */
static int read_interp_path(struct exec_state *st)
{
	ssize_t n =
		read_full(st->file, st->interp_path, st->prog.interp_size, st->prog.interp_offset);

	if (n < 0)
		return (int)n;
	if ((uint64_t)n != st->prog.interp_size)
		return -ENOEXEC;
	return elf_check_interp(st->interp_path, st->prog.interp_size);
}

/*
 * Rewrites argv for a #! script at depth: interp [arg] path argv[1..], path being the file
 * just opened (the script), as Linux's load_script does.
 */
static void script_argv(struct exec_state *st, int depth, bool has_arg, const char *path)
{
	size_t shift = has_arg ? 2 : 1;

	memmove(st->argv + 1 + shift, st->argv + 1, (st->argc - 1) * sizeof(st->argv[0]));
	st->argv[0] = st->sh_interp[depth];
	if (has_arg)
		st->argv[1] = st->sh_arg[depth];
	st->argv[shift] = path;
	st->argc += shift;
}

/*
 * Opens path, following #! scripts, until an ELF file: st->file with its first page in
 * st->page, and argv rewritten. A file neither ELF nor a script is left to the ELF parser
 * to refuse with ENOEXEC.
 */
static int open_program(struct task *t, struct exec_state *st, const char *path)
{
	const char *cur = path;
	int depth, ret;

	for (depth = 0;; depth++) {
		struct file *f;

		if ((ret = open_and_read(t, st, cur, &f)) < 0)
			return ret;
		if (st->page_len < 2 || st->page[0] != '#' || st->page[1] != '!') {
			st->file = f;
			return 0;
		}
		file_put(f);
		if (depth == LOADER_MAX_SCRIPT_DEPTH)
			return -ELOOP;
		ret = loader_parse_shebang(st->page, st->page_len, st->sh_interp[depth],
					   sizeof(st->sh_interp[depth]), st->sh_arg[depth],
					   sizeof(st->sh_arg[depth]));
		if (ret < 0)
			return ret;
		/* "#!" then a NUL names the empty path, which Linux fails to open. */
		if (st->sh_interp[depth][0] == '\0')
			return -ENOENT;
		script_argv(st, depth, ret == 1, cur);
		cur = st->sh_interp[depth];
	}
}

/* The page-aligned span [lo, hi) an image's PT_LOADs cover, before the bias. */
static void image_span(const struct elf_image *img, uint64_t *lo, uint64_t *hi)
{
	uint64_t end = 0;
	int i;

	for (i = 0; i < img->nload; i++)
		end = MAX(end, img->load[i].vaddr + img->load[i].memsz);
	*lo = ROUND_DOWN(img->load[0].vaddr, PAGE_SIZE);
	*hi = ROUND_UP(end, PAGE_SIZE);
}

static const uint8_t zero_page[PAGE_SIZE];

/*
 * Maps one PT_LOAD at bias: the file's pages privately, then anonymous pages for the bss
 * past them. The rest of the last file page is zeroed (the file's next bytes are not the
 * program's), with the page writable for that moment if the segment is not.
 */
static int map_segment(struct mm *mm, struct file *f, const struct elf_segment *s, uint64_t bias)
{
	uint64_t start = bias + s->vaddr, page = ROUND_DOWN(start, PAGE_SIZE);
	uint64_t file_end = start + s->filesz, mem_end = start + s->memsz;
	uint64_t file_map_end = page, mem_map_end = ROUND_UP(mem_end, PAGE_SIZE);
	long ret;

	if (s->filesz > 0) {
		bool zero_tail = s->memsz > s->filesz && !PAGE_ALIGNED(file_end);
		int prot = s->prot | (zero_tail ? PROT_WRITE : 0);

		file_map_end = ROUND_UP(file_end, PAGE_SIZE);
		ret = mm_mmap(mm, page, file_map_end - page, prot, MAP_PRIVATE | MAP_FIXED, f,
			      ROUND_DOWN(s->offset, PAGE_SIZE));
		if (ret < 0)
			return (int)ret;
		if (zero_tail) {
			ret = mm_copy_out(mm, file_end, zero_page, file_map_end - file_end);
			if (ret < 0)
				return (int)ret;
			if (prot != s->prot &&
			    (ret = mm_mprotect(mm, page, file_map_end - page, s->prot)) < 0)
				return (int)ret;
		}
	}
	if (mem_map_end > file_map_end) {
		ret = mm_mmap(mm, file_map_end, mem_map_end - file_map_end, s->prot,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
		if (ret < 0)
			return (int)ret;
	}
	return 0;
}

/*
 * Maps an image's segments. fixed_base: the address its lowest page goes to, or 0 to let
 * mm_mmap choose (below mm->mmap_base) by reserving the whole span first, so that the
 * segments keep their distances; the holes between them are given back after. Everything
 * must end below limit (the stack). Sets *bias, what is added to the image's p_vaddr.
 */
static int map_image(struct mm *mm, struct file *f, const struct elf_image *img,
		     uint64_t fixed_base, uint64_t limit, uint64_t *bias)
{
	uint64_t lo, hi, base, covered;
	long ret;
	int i;

	image_span(img, &lo, &hi);
	if (img->type == ET_EXEC) {
		base = lo;
	} else if (fixed_base) {
		base = fixed_base;
	} else {
		ret = mm_mmap(mm, 0, hi - lo, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
		if (ret < 0)
			return (int)ret;
		base = (uint64_t)ret;
	}
	if (base < LOADER_MIN_ADDR && img->type == ET_DYN)
		return -EINVAL;
	if (hi - lo > limit || base > limit - (hi - lo))
		return -ENOMEM;
	*bias = base - lo;

	covered = base;
	for (i = 0; i < img->nload; i++) {
		const struct elf_segment *s = &img->load[i];
		uint64_t page = ROUND_DOWN(*bias + s->vaddr, PAGE_SIZE);

		if (page > covered && (ret = mm_munmap(mm, covered, page - covered)) < 0)
			return (int)ret;
		if ((ret = map_segment(mm, f, s, *bias)) < 0)
			return (int)ret;
		covered = MAX(covered, ROUND_UP(*bias + s->vaddr + s->memsz, PAGE_SIZE));
	}
	return 0;
}

/* The stack VMA: LOADER_STACK_SIZE below ARCH_STACK_TOP, [stack] in /proc/PID/maps. */
static int map_stack(struct mm *mm, bool exec)
{
	uint64_t lo = ARCH_STACK_TOP - LOADER_STACK_SIZE;
	int prot = PROT_READ | PROT_WRITE | (exec ? PROT_EXEC : 0);
	struct vma *v;
	long ret;

	ret = mm_mmap(mm, lo, LOADER_STACK_SIZE, prot,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_GROWSDOWN, NULL, 0);
	if (ret < 0)
		return (int)ret;
	pthread_mutex_lock(&mm->lock);
	for (v = mm->vmas; v; v = v->next)
		if (v->start == lo)
			v->flags |= VMA_STACK | VMA_GROWSDOWN;
	pthread_mutex_unlock(&mm->lock);
	return 0;
}

static int get_random(uint8_t *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = getrandom(buf + done, len - done, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += n;
	}
	return 0;
}

/* Fills the auxv template (Linux's order) and writes the stack into mm. */
static int write_stack(struct task *t, struct exec_state *st, struct mm *mm, char *const envp[],
		       const char *execfn, uint64_t prog_bias, uint64_t interp_bias,
		       struct loader_stack_layout *l)
{
	uint8_t random[LOADER_AT_RANDOM_SIZE];
	const struct creds *c = &t->creds;
	const uint64_t auxv[][2] = {
		{ AT_HWCAP, arch_elf_hwcap() },
		{ AT_PAGESZ, PAGE_SIZE },
		{ AT_CLKTCK, LOADER_CLKTCK },
		{ AT_PHDR, st->prog.has_phdr ? prog_bias + st->prog.phdr_vaddr : 0 },
		{ AT_PHENT, ELF_PHDR_SIZE },
		{ AT_PHNUM, st->prog.phnum },
		{ AT_BASE, interp_bias },
		{ AT_FLAGS, 0 },
		{ AT_ENTRY, prog_bias + st->prog.entry },
		{ AT_UID, c->uid },
		{ AT_EUID, c->euid },
		{ AT_GID, c->gid },
		{ AT_EGID, c->egid },
		{ AT_SECURE, 0 },
		{ AT_RANDOM, 0 },
		{ AT_HWCAP2, 0 },
		{ AT_EXECFN, 0 },
		{ AT_PLATFORM, 0 },
	};
	struct loader_stack_args a = {
		.argv = st->argv,
		.argc = st->argc,
		.envp = (const char *const *)envp,
		.envc = st->envc,
		.execfn = execfn,
		.platform = arch_elf_platform(),
		.random = random,
		.auxv = auxv,
		.auxc = ARRAY_SIZE(auxv),
	};
	size_t len;
	int err;

	if ((err = get_random(random, sizeof(random))) < 0)
		return err;
	if ((err = loader_stack_layout(&a, ARCH_STACK_TOP, l)) < 0)
		return err;
	len = l->top - l->sp;
	st->stack = malloc(len);
	if (!st->stack)
		return -ENOMEM;
	if ((err = loader_stack_write(&a, l, st->stack, len)) < 0)
		return err;
	return mm_copy_out(mm, l->sp, st->stack, len);
}

/* Counts a NULL-terminated vector, giving up past the limit. */
static int count_strings(char *const v[], size_t *n)
{
	size_t i = 0;

	while (v && v[i]) {
		if (++i > LOADER_ARGC_MAX)
			return -E2BIG;
	}
	*n = i;
	return 0;
}

/* Builds the new mm from the opened program (and interpreter) in st. */
static int build_mm(struct task *t, struct exec_state *st, const char *execfn, char *const envp[],
		    struct mm *mm, struct loaded_image *img)
{
	uint64_t limit = ARCH_STACK_TOP - LOADER_STACK_SIZE, lo, hi, bias, ibias = 0, entry;
	uint64_t base = 0;
	struct loader_stack_layout l;
	int err;

	if ((err = map_stack(mm, st->prog.exec_stack)) < 0)
		return err;
	/* A program with an interpreter (a PIE) goes at Linux's fixed base; one without
	 * (static-pie, or ld.so run directly) where mmap puts it, away from the programs a
	 * loader may load, as Linux does. */
	if (st->prog.type == ET_DYN && st->prog.has_interp)
		base = ROUND_DOWN(LOADER_ET_DYN_BASE, st->prog.max_align);
	if ((err = map_image(mm, st->file, &st->prog, base, limit, &bias)) < 0)
		return err;
	entry = bias + st->prog.entry;
	if (entry >= ARCH_TASK_SIZE)
		return -EINVAL;
	if (st->ifile) {
		if ((err = map_image(mm, st->ifile, &st->interp, 0, limit, &ibias)) < 0)
			return err;
		entry = ibias + st->interp.entry;
		if (entry >= ARCH_TASK_SIZE)
			return -EINVAL;
	}

	/* The heap starts after the program; for a loader run directly, at the base a PIE
	 * would have, since nothing but mmap-placed objects sits above it (Linux does the
	 * same when it randomizes). */
	image_span(&st->prog, &lo, &hi);
	mm->brk_start = bias + hi;
	if (st->prog.type == ET_DYN && !st->prog.has_interp)
		mm->brk_start = ROUND_DOWN(LOADER_ET_DYN_BASE, PAGE_SIZE);
	mm->brk = mm->brk_start;

	if ((err = write_stack(t, st, mm, envp, img->execfn, bias, st->ifile ? ibias : 0, &l)) < 0)
		return err;
	mm->stack_start = l.sp;
	mm->arg_start = l.arg_start;
	mm->arg_end = l.arg_end;
	mm->env_start = l.env_start;
	mm->env_end = l.env_end;
	mm->auxv_start = l.auxv_start;
	mm->auxv_end = l.auxv_end;
	mm->entry = bias + st->prog.entry;
	file_get(st->file);
	mm->exe = st->file;

	img->entry = entry;
	img->sp = l.sp;
	img->load_bias = bias;
	img->interp_base = st->ifile ? ibias : 0;
	return 0;
}

int loader_exec(struct task *t, const char *path, char *const argv[], char *const envp[],
		struct mm **new_mm, struct loaded_image *img)
{
	struct exec_state *st;
	const char *name;
	struct mm *mm = NULL;
	size_t argc, plen = strnlen(path, PATH_MAX);
	int err;

	*new_mm = NULL;
	memset(img, 0, sizeof(*img));
	if (plen == 0)
		return -ENOENT;
	if (plen >= PATH_MAX)
		return -ENAMETOOLONG;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	if ((err = count_strings(argv, &argc)) < 0 || (err = count_strings(envp, &st->envc)) < 0)
		goto out;
	st->argv = calloc(MAX(argc, 1) + 2 * LOADER_MAX_SCRIPT_DEPTH, sizeof(st->argv[0]));
	if (!st->argv) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(st->argv, argv, argc * sizeof(st->argv[0]));
	/* Linux runs a program given no arguments with argv[0] = "". */
	if (argc == 0)
		st->argv[argc++] = "";
	st->argc = argc;
	memcpy(img->execfn, path, plen + 1);
	name = strrchr(path, '/');
	name = name ? name + 1 : path;
	strncpy(img->comm, name, sizeof(img->comm) - 1);

	if ((err = open_program(t, st, path)) < 0)
		goto out;
	if ((err = read_elf_headers(st, st->file, &st->prog)) < 0)
		goto out;
	if (st->prog.has_interp) {
		if ((err = read_interp_path(st)) < 0)
			goto out;
		if ((err = open_and_read(t, st, st->interp_path, &st->ifile)) < 0)
			goto out;
		/* As in Linux: an interpreter too short for an ELF header is a failed read (EIO),
		 * a broken one ELIBBAD; its own PT_INTERP is ignored. */
		if (st->page_len < ELF_EHDR_SIZE) {
			err = -EIO;
			goto out;
		}
		if ((err = read_elf_headers(st, st->ifile, &st->interp)) < 0) {
			if (err == -ENOEXEC)
				err = -ELIBBAD;
			goto out;
		}
	}

	mm = mm_new();
	if (!mm) {
		err = -ENOMEM;
		goto out;
	}
	if ((err = build_mm(t, st, img->execfn, envp, mm, img)) < 0)
		goto out;
	if (log_debug_enabled())
		log_debug("loader: %s: entry %#lx sp %#lx bias %#lx interp %s at %#lx", path,
			  (unsigned long)img->entry, (unsigned long)img->sp,
			  (unsigned long)img->load_bias,
			  st->prog.has_interp ? st->interp_path : "-",
			  (unsigned long)img->interp_base);
	img->exe = steal_pointer(&st->file);
	*new_mm = steal_pointer(&mm);
	err = 0;
out:
	if (mm)
		mm_put(mm);
	exec_state_free(st);
	return err;
}

void loader_image_release(struct loaded_image *img)
{
	if (img->exe)
		file_put(img->exe);
	img->exe = NULL;
}

int loader_resolve_command(struct task *t, const char *cmd, char *const envp[], char *out,
			   size_t outlen)
{
	const char *path = LOADER_DEFAULT_PATH, *p, *end;
	size_t clen = strlen(cmd), i;
	bool saw_eacces = false;

	if (clen == 0)
		return -ENOENT;
	if (strchr(cmd, '/')) {
		if (clen >= outlen)
			return -ENAMETOOLONG;
		memcpy(out, cmd, clen + 1);
		return 0;
	}
	for (i = 0; envp && envp[i]; i++) {
		if (strncmp(envp[i], "PATH=", 5) == 0) {
			path = envp[i] + 5;
			break;
		}
	}
	for (p = path;; p = end + 1) {
		struct file *f;
		size_t dlen;
		int err;

		end = strchrnul(p, ':');
		dlen = end - p;
		/* An empty entry is the current directory, as for execvp. */
		if (dlen == 0 && clen < outlen) {
			memcpy(out, cmd, clen + 1);
		} else if (dlen + 1 + clen < outlen) {
			memcpy(out, p, dlen);
			out[dlen] = '/';
			memcpy(out + dlen + 1, cmd, clen + 1);
		} else {
			goto next;
		}
		err = vfs_open_exec(t, out, &f);
		if (err == 0) {
			file_put(f);
			return 0;
		}
		/* As execvp: keep looking past what is missing or not executable. */
		if (err == -EACCES)
			saw_eacces = true;
		else if (err != -ENOENT && err != -ENOTDIR && err != -ELOOP &&
			 err != -ENAMETOOLONG && err != -ESTALE && err != -ENODEV)
			return err;
	next:
		if (*end == '\0')
			break;
	}
	if (outlen > 0)
		out[0] = '\0';
	return saw_eacces ? -EACCES : -ENOENT;
}
