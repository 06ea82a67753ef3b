/*
 * The loader's pure pieces: ELF parsing (real binaries and corrupted images), the #! line
 * parser, and the initial stack layout.
 */
#include <check.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"
#include "sentry/arch/arch.h"
#include "sentry/loader/elf.h"
#include "sentry/loader/loader.h"

/* ---- helpers ---- */

static uint8_t *read_whole(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	size_t done = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	ck_assert_msg(fd >= 0, "open %s", path);
	ck_assert_int_eq(fstat(fd, &st), 0);
	buf = malloc(st.st_size);
	ck_assert_ptr_nonnull(buf);
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, st.st_size - done);

		ck_assert_int_gt(n, 0);
		done += n;
	}
	close(fd);
	*len = done;
	return buf;
}

/* Parses a copy of buf[0, len) in a block of exactly len bytes, so that ASan sees any read
 * past its end. */
static int parse_exact(const uint8_t *buf, size_t len, struct elf_image *img, char *interp,
		       size_t ilen)
{
	uint8_t *copy = malloc(len ? len : 1);
	int ret;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, buf, len);
	ret = elf_parse(copy, len, img, interp, ilen);
	free(copy);
	return ret;
}

static struct elf_image img;
static char interp[ELF_INTERP_MAX];

/* ---- a synthetic PIE: every field known, to corrupt one at a time ---- */

#define S_LEN 0x1300
#define S_PHNUM 6
#define S_INTERP_OFF 400
static const char s_interp[] = "/lib64/ld-linux-x86-64.so.2";
static uint8_t *s_buf;

static Elf64_Ehdr *s_ehdr(void)
{
	return (Elf64_Ehdr *)s_buf;
}

static Elf64_Phdr *s_phdr(int i)
{
	return (Elf64_Phdr *)(s_buf + sizeof(Elf64_Ehdr)) + i;
}

static void set_phdr(int i, uint32_t type, uint32_t flags, uint64_t off, uint64_t vaddr,
		     uint64_t filesz, uint64_t memsz, uint64_t align)
{
	*s_phdr(i) = (Elf64_Phdr){ .p_type = type,
				   .p_flags = flags,
				   .p_offset = off,
				   .p_vaddr = vaddr,
				   .p_paddr = vaddr,
				   .p_filesz = filesz,
				   .p_memsz = memsz,
				   .p_align = align };
}

static void synth_setup(void)
{
	Elf64_Ehdr *e;

	s_buf = aligned_alloc(16, S_LEN);
	ck_assert_ptr_nonnull(s_buf);
	memset(s_buf, 0, S_LEN);
	e = s_ehdr();
	memcpy(e->e_ident, ELFMAG, SELFMAG);
	e->e_ident[EI_CLASS] = ELFCLASS64;
	e->e_ident[EI_DATA] = ELFDATA2LSB;
	e->e_ident[EI_VERSION] = EV_CURRENT;
	e->e_type = ET_DYN;
	e->e_machine = ARCH_ELF_MACHINE;
	e->e_version = EV_CURRENT;
	e->e_entry = 0x1010;
	e->e_phoff = sizeof(Elf64_Ehdr);
	e->e_ehsize = sizeof(Elf64_Ehdr);
	e->e_phentsize = sizeof(Elf64_Phdr);
	e->e_phnum = S_PHNUM;
	set_phdr(0, PT_PHDR, PF_R, 64, 64, S_PHNUM * 56, S_PHNUM * 56, 8);
	set_phdr(1, PT_INTERP, PF_R, S_INTERP_OFF, S_INTERP_OFF, sizeof(s_interp), sizeof(s_interp),
		 1);
	set_phdr(2, PT_LOAD, PF_R, 0, 0, 0x200, 0x200, 0x1000);
	set_phdr(3, PT_LOAD, PF_R | PF_X, 0x1000, 0x1000, 0x100, 0x100, 0x1000);
	set_phdr(4, PT_LOAD, PF_R | PF_W, 0x1200, 0x2200, 0x100, 0x3000, 0x200000);
	set_phdr(5, PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16);
	memcpy(s_buf + S_INTERP_OFF, s_interp, sizeof(s_interp));
}

static void synth_teardown(void)
{
	free(s_buf);
	s_buf = NULL;
}

static int s_parse(void)
{
	return parse_exact(s_buf, S_LEN, &img, interp, sizeof(interp));
}

/* ---- real binaries ---- */

START_TEST(test_bin_ls)
{
	size_t len;
	uint8_t *buf = read_whole("/bin/ls", &len);
	int i;

	ck_assert_int_eq(parse_exact(buf, len, &img, interp, sizeof(interp)), 0);
	ck_assert_int_eq(img.type, ET_DYN);
	ck_assert(img.has_interp);
	ck_assert_str_eq(interp, "/lib64/ld-linux-x86-64.so.2");
	ck_assert_int_ge(img.nload, 2);
	ck_assert_uint_eq(img.load[0].vaddr, 0); /* a PIE starts at 0 */
	ck_assert(img.has_phdr);
	ck_assert_uint_eq(img.phdr_vaddr, 64); /* PT_PHDR right after the ELF header */
	ck_assert_uint_eq(img.phoff, 64);
	ck_assert(!img.exec_stack);
	for (i = 1; i < img.nload; i++)
		ck_assert_uint_ge(img.load[i].vaddr, img.load[i - 1].vaddr);
	/* Some segment is text, some is data with bss. */
	for (i = 0; i < img.nload && !(img.load[i].prot & PROT_EXEC); i++)
		;
	ck_assert_int_lt(i, img.nload);
	ck_assert_uint_gt(img.load[img.nload - 1].memsz, img.load[img.nload - 1].filesz);
	ck_assert(img.load[img.nload - 1].prot & PROT_WRITE);
	free(buf);
}
END_TEST

START_TEST(test_bin_ls_truncated)
{
	size_t len, cut, needed;
	uint8_t *buf = read_whole("/bin/ls", &len);

	ck_assert_int_eq(parse_exact(buf, len, &img, NULL, 0), 0);
	/* Headers, program headers and PT_INTERP must all be inside the file. */
	needed = MAX(img.phoff + img.phdrs_size, img.interp_offset + img.interp_size);
	for (cut = 0; cut < needed; cut++)
		ck_assert_int_eq(parse_exact(buf, cut, &img, interp, sizeof(interp)), -ENOEXEC);
	ck_assert_int_eq(parse_exact(buf, needed, &img, interp, sizeof(interp)), 0);
	free(buf);
}
END_TEST

START_TEST(test_bin_busybox)
{
	size_t len;
	uint8_t *buf = read_whole("/bin/busybox", &len);

	/* Debian's busybox-static: a non-PIE static executable. */
	ck_assert_int_eq(parse_exact(buf, len, &img, interp, sizeof(interp)), 0);
	ck_assert_int_eq(img.type, ET_EXEC);
	ck_assert(!img.has_interp);
	ck_assert_int_ge(img.nload, 2);
	ck_assert_uint_ge(img.load[0].vaddr, 0x10000);
	/* No PT_PHDR: AT_PHDR comes from the PT_LOAD that maps the headers (offset 0). */
	ck_assert(img.has_phdr);
	ck_assert_uint_eq(img.load[0].offset, 0);
	ck_assert_uint_eq(img.phdr_vaddr, img.load[0].vaddr + img.phoff);
	ck_assert(!img.exec_stack);
	free(buf);
}
END_TEST

/* ---- the synthetic image and its corruptions ---- */

START_TEST(test_synth_good)
{
	ck_assert_int_eq(s_parse(), 0);
	ck_assert_int_eq(img.type, ET_DYN);
	ck_assert_uint_eq(img.entry, 0x1010);
	ck_assert_int_eq(img.phnum, S_PHNUM);
	ck_assert_int_eq(img.nload, 3);
	ck_assert_int_eq(img.load[0].prot, PROT_READ);
	ck_assert_int_eq(img.load[1].prot, PROT_READ | PROT_EXEC);
	ck_assert_int_eq(img.load[2].prot, PROT_READ | PROT_WRITE);
	ck_assert_uint_eq(img.load[2].vaddr, 0x2200);
	ck_assert_uint_eq(img.load[2].offset, 0x1200);
	ck_assert_uint_eq(img.load[2].filesz, 0x100);
	ck_assert_uint_eq(img.load[2].memsz, 0x3000);
	ck_assert_uint_eq(img.max_align, 0x200000);
	ck_assert(img.has_interp);
	ck_assert_uint_eq(img.interp_offset, S_INTERP_OFF);
	ck_assert_uint_eq(img.interp_size, sizeof(s_interp));
	ck_assert_str_eq(interp, s_interp);
	ck_assert(img.has_phdr);
	ck_assert_uint_eq(img.phdr_vaddr, 64);
	ck_assert(!img.exec_stack);
}
END_TEST

START_TEST(test_synth_truncated)
{
	size_t cut;

	for (cut = 0; cut < S_INTERP_OFF + sizeof(s_interp); cut++)
		ck_assert_int_eq(parse_exact(s_buf, cut, &img, interp, sizeof(interp)), -ENOEXEC);
	ck_assert_int_eq(parse_exact(s_buf, cut, &img, interp, sizeof(interp)), 0);
}
END_TEST

START_TEST(test_ehdr_bad_ident)
{
	s_buf[1] = 'F';
	ck_assert_int_eq(s_parse(), -ENOEXEC);
	s_buf[1] = 'E';
	s_buf[EI_CLASS] = ELFCLASS32;
	ck_assert_int_eq(s_parse(), -ENOEXEC);
	s_buf[EI_CLASS] = ELFCLASSNONE;
	ck_assert_int_eq(s_parse(), -ENOEXEC);
	s_buf[EI_CLASS] = ELFCLASS64;
	s_buf[EI_DATA] = ELFDATA2MSB;
	ck_assert_int_eq(s_parse(), -ENOEXEC);
	s_buf[EI_DATA] = ELFDATA2LSB;
	ck_assert_int_eq(s_parse(), 0);
}
END_TEST

START_TEST(test_ehdr_bad_type_machine)
{
	s_ehdr()->e_type = ET_REL;
	ck_assert_int_eq(s_parse(), -ENOEXEC);
	s_ehdr()->e_type = ET_CORE;
	ck_assert_int_eq(s_parse(), -ENOEXEC);
	s_ehdr()->e_type = ET_EXEC;
	ck_assert_int_eq(s_parse(), 0);
	s_ehdr()->e_machine = EM_386;
	ck_assert_int_eq(s_parse(), -ENOEXEC);
	s_ehdr()->e_machine = ARCH_ELF_MACHINE == EM_X86_64 ? EM_AARCH64 : EM_X86_64;
	ck_assert_int_eq(s_parse(), -ENOEXEC);
}
END_TEST

START_TEST(test_ehdr_bad_phentsize)
{
	s_ehdr()->e_phentsize = 32;
	ck_assert_int_eq(s_parse(), -ENOEXEC);
	s_ehdr()->e_phentsize = 64;
	ck_assert_int_eq(s_parse(), -ENOEXEC);
	s_ehdr()->e_phentsize = 0;
	ck_assert_int_eq(s_parse(), -ENOEXEC);
}
END_TEST

START_TEST(test_ehdr_bad_phnum)
{
	s_ehdr()->e_phnum = 0;
	ck_assert_int_eq(s_parse(), -ENOEXEC);
	s_ehdr()->e_phnum = ELF_MAX_PHNUM + 1;
	ck_assert_int_eq(s_parse(), -ENOEXEC);
	s_ehdr()->e_phnum = 0xffff; /* PN_XNUM: the count would be in a section header */
	ck_assert_int_eq(s_parse(), -ENOEXEC);
	/* Within the limit but past the end of the file. */
	s_ehdr()->e_phnum = ELF_MAX_PHNUM;
	ck_assert_int_eq(parse_exact(s_buf, 1024, &img, NULL, 0), -ENOEXEC);
}
END_TEST

START_TEST(test_ehdr_bad_phoff)
{
	s_ehdr()->e_phoff = S_LEN;
	ck_assert_int_eq(s_parse(), -ENOEXEC);
	s_ehdr()->e_phoff = S_LEN - 55;
	ck_assert_int_eq(s_parse(), -ENOEXEC);
	s_ehdr()->e_phoff = UINT64_MAX - 100; /* the table's end overflows */
	ck_assert_int_eq(s_parse(), -ENOEXEC);
	s_ehdr()->e_phoff = UINT64_MAX - 6 * 56 - 10;
	ck_assert_int_eq(s_parse(), -ENOEXEC);
}
END_TEST

START_TEST(test_phdr_short_buffer)
{
	ck_assert_int_eq(elf_parse_ehdr(s_buf, S_LEN, &img), 0);
	ck_assert_uint_eq(img.phdrs_size, S_PHNUM * 56);
	ck_assert_int_eq(elf_parse_phdrs(s_buf + 64, img.phdrs_size - 1, &img), -ENOEXEC);
	ck_assert_int_eq(elf_parse_phdrs(s_buf + 64, img.phdrs_size, &img), 0);
	ck_assert_int_eq(elf_parse_ehdr(s_buf, ELF_EHDR_SIZE - 1, &img), -ENOEXEC);
}
END_TEST

START_TEST(test_load_filesz_gt_memsz)
{
	s_phdr(4)->p_filesz = s_phdr(4)->p_memsz + 1;
	ck_assert_int_eq(s_parse(), -EINVAL);
}
END_TEST

START_TEST(test_load_overflow)
{
	s_phdr(4)->p_vaddr = UINT64_MAX - 0x1000 + 0x200;
	ck_assert_int_eq(s_parse(), -EINVAL);
	s_phdr(4)->p_vaddr = 0x2200;
	s_phdr(4)->p_memsz = UINT64_MAX;
	s_phdr(4)->p_filesz = 0x100;
	ck_assert_int_eq(s_parse(), -EINVAL);
	/* Inside 64 bits but past the user address range. */
	s_phdr(4)->p_vaddr = ARCH_TASK_SIZE - 0x1000 + 0x200;
	s_phdr(4)->p_memsz = 0x3000;
	ck_assert_int_eq(s_parse(), -EINVAL);
	s_phdr(4)->p_vaddr = ARCH_TASK_SIZE - 0x3000 + 0x200;
	s_phdr(4)->p_memsz = 0x2e00;
	ck_assert_int_eq(s_parse(), 0);
	/* p_offset + p_filesz overflows. */
	s_phdr(4)->p_offset = UINT64_MAX - 0x80;
	ck_assert_int_eq(s_parse(), -EINVAL);
}
END_TEST

START_TEST(test_load_misaligned)
{
	s_phdr(4)->p_offset = 0x1208;
	ck_assert_int_eq(s_parse(), -EINVAL);
	/* Congruent modulo the page is enough, whatever p_align says. */
	s_phdr(4)->p_offset = 0x5200;
	ck_assert_int_eq(s_parse(), 0);
}
END_TEST

START_TEST(test_load_order)
{
	set_phdr(3, PT_LOAD, PF_R | PF_W, 0x1200, 0x2200, 0x100, 0x3000, 0x1000);
	set_phdr(4, PT_LOAD, PF_R | PF_X, 0x1000, 0x1000, 0x100, 0x100, 0x1000);
	ck_assert_int_eq(s_parse(), -ENOEXEC);
}
END_TEST

START_TEST(test_no_load)
{
	s_phdr(2)->p_type = PT_NOTE;
	s_phdr(3)->p_type = PT_NOTE;
	s_phdr(4)->p_type = PT_NOTE;
	ck_assert_int_eq(s_parse(), -ENOEXEC);
	/* Empty PT_LOADs map nothing and do not count. */
	s_phdr(2)->p_type = PT_LOAD;
	s_phdr(2)->p_filesz = s_phdr(2)->p_memsz = 0;
	ck_assert_int_eq(s_parse(), -ENOEXEC);
}
END_TEST

START_TEST(test_interp_not_terminated)
{
	s_buf[S_INTERP_OFF + sizeof(s_interp) - 1] = 'x';
	ck_assert_int_eq(s_parse(), -ENOEXEC);
	ck_assert_int_eq(elf_check_interp((char *)s_buf + S_INTERP_OFF, sizeof(s_interp)),
			 -ENOEXEC);
}
END_TEST

START_TEST(test_interp_empty)
{
	s_buf[S_INTERP_OFF] = '\0';
	ck_assert_int_eq(s_parse(), -ENOEXEC);
}
END_TEST

START_TEST(test_interp_past_eof)
{
	s_phdr(1)->p_offset = S_LEN - 10;
	ck_assert_int_eq(s_parse(), -ENOEXEC);
	s_phdr(1)->p_offset = UINT64_MAX - 5;
	ck_assert_int_eq(s_parse(), -ENOEXEC);
}
END_TEST

START_TEST(test_interp_bad_size)
{
	s_phdr(1)->p_filesz = 1;
	ck_assert_int_eq(s_parse(), -ENOEXEC);
	s_phdr(1)->p_filesz = 0;
	ck_assert_int_eq(s_parse(), -ENOEXEC);
	s_phdr(1)->p_filesz = ELF_INTERP_MAX + 1;
	ck_assert_int_eq(s_parse(), -ENOEXEC);
	/* A size inside the bounds but bigger than the caller's buffer. */
	s_phdr(1)->p_filesz = sizeof(s_interp);
	ck_assert_int_eq(parse_exact(s_buf, S_LEN, &img, interp, 8), -ENAMETOOLONG);
}
END_TEST

START_TEST(test_phdr_from_load_and_exec_stack)
{
	s_phdr(0)->p_type = PT_NULL;
	s_phdr(5)->p_flags = PF_R | PF_W | PF_X;
	ck_assert_int_eq(s_parse(), 0);
	ck_assert(img.has_phdr);
	ck_assert_uint_eq(img.phdr_vaddr, 64);
	ck_assert(img.exec_stack);
	/* No PT_GNU_STACK: not executable. No segment holding e_phoff: no AT_PHDR. */
	s_phdr(5)->p_type = PT_NULL;
	s_phdr(2)->p_offset = 0x2000;
	s_phdr(2)->p_vaddr = 0;
	ck_assert_int_eq(s_parse(), 0);
	ck_assert(!img.exec_stack);
	ck_assert(!img.has_phdr);
}
END_TEST

/* Random corruption of the headers: any result, but never a read out of bounds (ASan) and,
 * when accepted, an image whose invariants hold. */
START_TEST(test_fuzz_headers)
{
	uint8_t *orig = malloc(S_LEN);
	unsigned int seed = 12345;
	int iter, i;

	memcpy(orig, s_buf, S_LEN);
	for (iter = 0; iter < 20000; iter++) {
		int flips = 1 + rand_r(&seed) % 6, ret;

		memcpy(s_buf, orig, S_LEN);
		for (i = 0; i < flips; i++)
			s_buf[rand_r(&seed) % (S_INTERP_OFF + sizeof(s_interp))] = rand_r(&seed);
		ret = parse_exact(s_buf, rand_r(&seed) % 8 ? S_LEN : rand_r(&seed) % S_LEN, &img,
				  interp, sizeof(interp));
		ck_assert_msg(ret == 0 || ret == -ENOEXEC || ret == -EINVAL, "ret %d", ret);
		if (ret < 0)
			continue;
		ck_assert(img.nload >= 1 && img.nload <= ELF_MAX_PHNUM);
		for (i = 0; i < img.nload; i++) {
			const struct elf_segment *s = &img.load[i];

			ck_assert_uint_le(s->filesz, s->memsz);
			ck_assert_uint_le(s->vaddr + s->memsz, ARCH_TASK_SIZE);
			ck_assert_uint_eq(s->vaddr % 4096, s->offset % 4096);
			if (i)
				ck_assert_uint_ge(s->vaddr, img.load[i - 1].vaddr);
		}
		if (img.has_interp)
			ck_assert(strlen(interp) > 0 && strlen(interp) < ELF_INTERP_MAX);
	}
	free(orig);
}
END_TEST

/* ---- #! lines ---- */

static char sh_interp[LOADER_SHEBANG_MAX], sh_arg[LOADER_SHEBANG_MAX];

static int shebang(const char *s, size_t len)
{
	char *copy = malloc(len ? len : 1);
	int ret;

	memcpy(copy, s, len);
	memset(sh_interp, 'Z', sizeof(sh_interp));
	memset(sh_arg, 'Z', sizeof(sh_arg));
	ret = loader_parse_shebang(copy, len, sh_interp, sizeof(sh_interp), sh_arg, sizeof(sh_arg));
	free(copy);
	return ret;
}
#define SHEBANG(lit) shebang(lit, sizeof(lit) - 1)

START_TEST(test_shebang_simple)
{
	ck_assert_int_eq(SHEBANG("#!/bin/sh\necho hi\n"), 0);
	ck_assert_str_eq(sh_interp, "/bin/sh");
	ck_assert_str_eq(sh_arg, "");
	ck_assert_int_eq(SHEBANG("#! /bin/sh -e \nexit 1\n"), 1);
	ck_assert_str_eq(sh_interp, "/bin/sh");
	ck_assert_str_eq(sh_arg, "-e");
	ck_assert_int_eq(SHEBANG("#!\t/bin/sh\t-x\t\t\n"), 1);
	ck_assert_str_eq(sh_interp, "/bin/sh");
	ck_assert_str_eq(sh_arg, "-x");
	ck_assert_int_eq(SHEBANG("#!/bin/sh   \n"), 0);
	ck_assert_str_eq(sh_interp, "/bin/sh");
	ck_assert_str_eq(sh_arg, "");
}
END_TEST

START_TEST(test_shebang_one_argument)
{
	/* Everything after the interpreter is one argument; inner blanks stay. */
	ck_assert_int_eq(SHEBANG("#!/usr/bin/env python3 -u  -x\nprint(1)\n"), 1);
	ck_assert_str_eq(sh_interp, "/usr/bin/env");
	ck_assert_str_eq(sh_arg, "python3 -u  -x");
	/* A carriage return is not a blank for Linux. */
	ck_assert_int_eq(SHEBANG("#!/bin/sh\r\n"), 0);
	ck_assert_str_eq(sh_interp, "/bin/sh\r");
	/* "#!" alone names the empty path, which Linux then fails to open (ENOENT). */
	ck_assert_int_eq(SHEBANG("#!"), 0);
	ck_assert_str_eq(sh_interp, "");
}
END_TEST

START_TEST(test_shebang_not_script)
{
	ck_assert_int_eq(SHEBANG(""), -ENOEXEC);
	ck_assert_int_eq(SHEBANG("#"), -ENOEXEC);
	ck_assert_int_eq(SHEBANG("\x7f"
				 "ELF"),
			 -ENOEXEC);
	ck_assert_int_eq(SHEBANG(" #!/bin/sh\n"), -ENOEXEC);
	ck_assert_int_eq(SHEBANG("#!\n/bin/sh\n"), -ENOEXEC);
	ck_assert_int_eq(SHEBANG("#!   \t \n"), -ENOEXEC);
}
END_TEST

START_TEST(test_shebang_no_newline)
{
	char line[400];

	/* A short file: the NUL padding ends the interpreter. */
	ck_assert_int_eq(SHEBANG("#!/bin/sh"), 0);
	ck_assert_str_eq(sh_interp, "/bin/sh");
	ck_assert_int_eq(SHEBANG("#!/bin/sh -x"), 1);
	ck_assert_str_eq(sh_arg, "-x");
	/* A NUL before any newline ends the search for one, as strnchr does. */
	ck_assert_int_eq(SHEBANG("#!/bin/sh\0 -x\n"), 0);
	ck_assert_str_eq(sh_interp, "/bin/sh");
	ck_assert_str_eq(sh_arg, "");

	/* A long argument is cut at byte 255. */
	memset(line, 'a', sizeof(line));
	memcpy(line, "#!/bin/sh ", 10);
	ck_assert_int_eq(shebang(line, sizeof(line)), 1);
	ck_assert_str_eq(sh_interp, "/bin/sh");
	ck_assert_uint_eq(strlen(sh_arg), 255 - 10);

	/* An interpreter path that the 256 bytes cut is refused. */
	memset(line, 'x', sizeof(line));
	memcpy(line, "#!/", 3);
	ck_assert_int_eq(shebang(line, sizeof(line)), -ENOEXEC);
	ck_assert_int_eq(shebang(line, 256), -ENOEXEC);
	/* ... unless the file ends before (NUL padding). */
	ck_assert_int_eq(shebang(line, 200), 0);
	ck_assert_uint_eq(strlen(sh_interp), 198);

	/* A newline past byte 255 does not count. */
	memset(line, ' ', sizeof(line));
	memcpy(line, "#!/bin/sh", 9);
	line[300] = '\n';
	ck_assert_int_eq(shebang(line, sizeof(line)), 0);
	ck_assert_str_eq(sh_interp, "/bin/sh");
}
END_TEST

START_TEST(test_shebang_small_outputs)
{
	char i[8], a[4];

	ck_assert_int_eq(loader_parse_shebang("#!/bin/bash\n", 12, i, sizeof(i), a, sizeof(a)),
			 -ENAMETOOLONG);
	ck_assert_int_eq(loader_parse_shebang("#!/bin/sh -eux\n", 15, i, sizeof(i), a, sizeof(a)),
			 -ENAMETOOLONG);
	ck_assert_int_eq(loader_parse_shebang("#!/bin/sh -eu\n", 14, i, sizeof(i), a, sizeof(a)),
			 1);
	ck_assert_str_eq(a, "-eu");
}
END_TEST

/* ---- the initial stack ---- */

#define TOP 0x7ffffff00000UL

static const char *const st_argv[] = { "prog", "-x" };
static const char *const st_envp[] = { "A=1", "PATH=/bin" };
static const uint8_t st_random[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
static const uint64_t st_auxv[][2] = {
	{ AT_PAGESZ, 4096 },
	{ AT_RANDOM, 0 },
	{ AT_EXECFN, 0 },
	{ AT_PLATFORM, 0 },
};

static struct loader_stack_args stack_args(void)
{
	return (struct loader_stack_args){
		.argv = st_argv,
		.argc = 2,
		.envp = st_envp,
		.envc = 2,
		.execfn = "/bin/prog",
		.platform = "x86_64",
		.random = st_random,
		.auxv = st_auxv,
		.auxc = 4,
	};
}

static uint64_t word_at(const uint8_t *buf, const struct loader_stack_layout *l, uint64_t addr)
{
	uint64_t v;

	ck_assert(addr >= l->sp && addr + 8 <= l->top);
	memcpy(&v, buf + (addr - l->sp), 8);
	return v;
}

static const char *str_at(const uint8_t *buf, const struct loader_stack_layout *l, uint64_t addr)
{
	ck_assert(addr >= l->sp && addr < l->top);
	return (const char *)buf + (addr - l->sp);
}

START_TEST(test_stack_layout)
{
	struct loader_stack_args a = stack_args();
	struct loader_stack_layout l;
	uint8_t *buf;
	size_t len;
	uint64_t p;

	ck_assert_int_eq(loader_stack_layout(&a, TOP, &l), 0);
	/*
	 * By hand, as Linux computes it: 8 zero bytes, "/bin/prog" (10) at TOP-18, the
	 * environment (4 + 10) at TOP-32, the arguments (5 + 3) at TOP-40; aligned down to
	 * TOP-48; "x86_64" (7) at TOP-55; 16 random bytes at TOP-71; then 5 auxv pairs (10
	 * words) and argc + 3 + 3 words: (TOP-71-136) & ~15 = TOP-208.
	 */
	ck_assert_uint_eq(l.top, TOP);
	ck_assert_uint_eq(l.execfn, TOP - 18);
	ck_assert_uint_eq(l.env_end, TOP - 18);
	ck_assert_uint_eq(l.env_start, TOP - 32);
	ck_assert_uint_eq(l.arg_end, TOP - 32);
	ck_assert_uint_eq(l.arg_start, TOP - 40);
	ck_assert_uint_eq(l.platform, TOP - 55);
	ck_assert_uint_eq(l.random, TOP - 71);
	ck_assert_uint_eq(l.sp, TOP - 208);
	ck_assert_uint_eq(l.sp % 16, 0);
	ck_assert_uint_eq(l.auxv_start, l.sp + 7 * 8);
	ck_assert_uint_eq(l.auxv_end, l.auxv_start + 10 * 8);
	ck_assert_uint_le(l.auxv_end, l.random);

	len = l.top - l.sp;
	buf = malloc(len);
	ck_assert_int_eq(loader_stack_write(&a, &l, buf, len - 1), -EINVAL);
	ck_assert_int_eq(loader_stack_write(&a, &l, buf, len), 0);

	p = l.sp;
	ck_assert_uint_eq(word_at(buf, &l, p), 2);
	ck_assert_str_eq(str_at(buf, &l, word_at(buf, &l, p + 8)), "prog");
	ck_assert_uint_eq(word_at(buf, &l, p + 8), l.arg_start);
	ck_assert_str_eq(str_at(buf, &l, word_at(buf, &l, p + 16)), "-x");
	ck_assert_uint_eq(word_at(buf, &l, p + 24), 0);
	ck_assert_str_eq(str_at(buf, &l, word_at(buf, &l, p + 32)), "A=1");
	ck_assert_uint_eq(word_at(buf, &l, p + 32), l.env_start);
	ck_assert_str_eq(str_at(buf, &l, word_at(buf, &l, p + 40)), "PATH=/bin");
	ck_assert_uint_eq(word_at(buf, &l, p + 48), 0);
	p = l.auxv_start;
	ck_assert_uint_eq(word_at(buf, &l, p), AT_PAGESZ);
	ck_assert_uint_eq(word_at(buf, &l, p + 8), 4096);
	ck_assert_uint_eq(word_at(buf, &l, p + 16), AT_RANDOM);
	ck_assert_uint_eq(word_at(buf, &l, p + 24), l.random);
	ck_assert_uint_eq(word_at(buf, &l, p + 32), AT_EXECFN);
	ck_assert_uint_eq(word_at(buf, &l, p + 40), l.execfn);
	ck_assert_uint_eq(word_at(buf, &l, p + 48), AT_PLATFORM);
	ck_assert_uint_eq(word_at(buf, &l, p + 56), l.platform);
	ck_assert_uint_eq(word_at(buf, &l, p + 64), AT_NULL);
	ck_assert_uint_eq(word_at(buf, &l, p + 72), 0);
	ck_assert_str_eq(str_at(buf, &l, l.execfn), "/bin/prog");
	ck_assert_str_eq(str_at(buf, &l, l.platform), "x86_64");
	ck_assert_mem_eq(str_at(buf, &l, l.random), st_random, 16);
	ck_assert_uint_eq(word_at(buf, &l, TOP - 8), 0);
	free(buf);
}
END_TEST

START_TEST(test_stack_alignment)
{
	static const char *const words[] = { "a", "bb", "ccc", "dddd", "eeeee", "ffffff", "g" };
	struct loader_stack_args a = stack_args();
	struct loader_stack_layout l;
	size_t argc, envc;

	/* Whatever the counts and lengths, sp is 16-byte aligned and the pieces do not
	 * overlap. */
	for (argc = 0; argc <= 7; argc++) {
		for (envc = 0; envc <= 7; envc++) {
			a.argv = words;
			a.argc = argc;
			a.envp = words + 7 - envc;
			a.envc = envc;
			a.platform = envc % 2 ? NULL : "x86_64";
			ck_assert_int_eq(loader_stack_layout(&a, TOP, &l), 0);
			ck_assert_uint_eq(l.sp % 16, 0);
			ck_assert_uint_eq(l.auxv_start, l.sp + (argc + envc + 3) * 8);
			ck_assert_uint_le(l.auxv_end, l.random);
			ck_assert_uint_le(l.random + 16, a.platform ? l.platform : l.arg_start);
			ck_assert_uint_le(l.random + 16, l.arg_start);
		}
	}
}
END_TEST

START_TEST(test_stack_limits)
{
	struct loader_stack_args a = stack_args();
	struct loader_stack_layout l;
	const char **many;
	char *big;
	size_t i;

	/* One string at Linux's MAX_ARG_STRLEN (NUL included) passes, one byte more fails. */
	big = malloc(LOADER_ARG_STRLEN_MAX + 1);
	memset(big, 'x', LOADER_ARG_STRLEN_MAX);
	big[LOADER_ARG_STRLEN_MAX - 1] = '\0';
	a.argv = (const char *const *)&big;
	a.argc = 1;
	ck_assert_int_eq(loader_stack_layout(&a, TOP, &l), 0);
	big[LOADER_ARG_STRLEN_MAX - 1] = 'x';
	big[LOADER_ARG_STRLEN_MAX] = '\0';
	ck_assert_int_eq(loader_stack_layout(&a, TOP, &l), -E2BIG);
	big[LOADER_ARG_STRLEN_MAX - 1] = '\0';

	/* 16 strings of 128 KiB: 2 MiB and their pointers, past the total. */
	many = malloc(sizeof(*many) * (LOADER_ARGC_MAX + 1));
	for (i = 0; i < 16; i++)
		many[i] = big;
	a.argv = many;
	a.argc = 15;
	ck_assert_int_eq(loader_stack_layout(&a, TOP, &l), 0);
	a.argc = 16;
	ck_assert_int_eq(loader_stack_layout(&a, TOP, &l), -E2BIG);

	/* Counts. */
	for (i = 0; i <= LOADER_ARGC_MAX; i++)
		many[i] = "";
	a.argc = LOADER_ARGC_MAX;
	ck_assert_int_eq(loader_stack_layout(&a, TOP, &l), 0);
	a.argc = LOADER_ARGC_MAX + 1;
	ck_assert_int_eq(loader_stack_layout(&a, TOP, &l), -E2BIG);
	a.argc = 1;
	a.envp = many;
	a.envc = LOADER_ARGC_MAX + 1;
	ck_assert_int_eq(loader_stack_layout(&a, TOP, &l), -E2BIG);

	/* A bad top. */
	a = stack_args();
	ck_assert_int_eq(loader_stack_layout(&a, TOP + 8, &l), -EINVAL);
	ck_assert_int_eq(loader_stack_layout(&a, 0x1000, &l), -EINVAL);
	free(many);
	free(big);
}
END_TEST

static Suite *elf_suite(void)
{
	Suite *s = suite_create("loader");
	TCase *tc = tcase_create("real");

	tcase_add_test(tc, test_bin_ls);
	tcase_add_test(tc, test_bin_ls_truncated);
	tcase_add_test(tc, test_bin_busybox);
	suite_add_tcase(s, tc);

	tc = tcase_create("synthetic");
	tcase_add_checked_fixture(tc, synth_setup, synth_teardown);
	tcase_add_test(tc, test_synth_good);
	tcase_add_test(tc, test_synth_truncated);
	tcase_add_test(tc, test_ehdr_bad_ident);
	tcase_add_test(tc, test_ehdr_bad_type_machine);
	tcase_add_test(tc, test_ehdr_bad_phentsize);
	tcase_add_test(tc, test_ehdr_bad_phnum);
	tcase_add_test(tc, test_ehdr_bad_phoff);
	tcase_add_test(tc, test_phdr_short_buffer);
	tcase_add_test(tc, test_load_filesz_gt_memsz);
	tcase_add_test(tc, test_load_overflow);
	tcase_add_test(tc, test_load_misaligned);
	tcase_add_test(tc, test_load_order);
	tcase_add_test(tc, test_no_load);
	tcase_add_test(tc, test_interp_not_terminated);
	tcase_add_test(tc, test_interp_empty);
	tcase_add_test(tc, test_interp_past_eof);
	tcase_add_test(tc, test_interp_bad_size);
	tcase_add_test(tc, test_phdr_from_load_and_exec_stack);
	tcase_add_test(tc, test_fuzz_headers);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);

	tc = tcase_create("shebang");
	tcase_add_test(tc, test_shebang_simple);
	tcase_add_test(tc, test_shebang_one_argument);
	tcase_add_test(tc, test_shebang_not_script);
	tcase_add_test(tc, test_shebang_no_newline);
	tcase_add_test(tc, test_shebang_small_outputs);
	suite_add_tcase(s, tc);

	tc = tcase_create("stack");
	tcase_add_test(tc, test_stack_layout);
	tcase_add_test(tc, test_stack_alignment);
	tcase_add_test(tc, test_stack_limits);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(elf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
