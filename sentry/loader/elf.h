/*
 * ELF64 parsing for execve: validates headers read from an untrusted file and describes what
 * the loader maps. Pure functions over caller buffers; no I/O, no guest memory.
 */
#ifndef CVISOR_LOADER_ELF_H
#define CVISOR_LOADER_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Real programs have about a dozen program headers; Linux allows 1170, we need far fewer. */
#define ELF_MAX_PHNUM 128
/* The ELF header is 64 bytes and a program header 56, in every ELF64 file. */
#define ELF_EHDR_SIZE 64
#define ELF_PHDR_SIZE 56
/* PT_INTERP bounds, as Linux: at least one character and its NUL, at most PATH_MAX. */
#define ELF_INTERP_MIN 2
#define ELF_INTERP_MAX 4096

/* One PT_LOAD with p_memsz > 0; addresses are before any load bias. */
struct elf_segment {
	uint64_t vaddr, memsz;	 /* vaddr + memsz neither overflows nor passes ARCH_TASK_SIZE */
	uint64_t offset, filesz; /* filesz <= memsz; offset and vaddr agree modulo the page */
	int prot;		 /* PROT_* from p_flags */
};

/*
 * A validated executable. elf_parse_ehdr fills the first group, elf_parse_phdrs the second;
 * the PT_INTERP string itself is the caller's to read (interp_offset, interp_size) and to
 * check with elf_check_interp.
 */
struct elf_image {
	uint16_t type;	   /* ET_EXEC or ET_DYN */
	uint64_t entry;	   /* e_entry, before any load bias */
	uint64_t phoff;	   /* the program headers: phnum * ELF_PHDR_SIZE bytes at phoff */
	uint16_t phnum;	   /* 1..ELF_MAX_PHNUM */
	size_t phdrs_size; /* phnum * ELF_PHDR_SIZE */

	int nload; /* 1..ELF_MAX_PHNUM, in ascending vaddr order */
	struct elf_segment load[ELF_MAX_PHNUM];
	uint64_t max_align; /* the largest power-of-two p_align of the PT_LOADs, at least a page */
	bool has_interp;
	uint64_t interp_offset, interp_size; /* ELF_INTERP_MIN <= interp_size <= ELF_INTERP_MAX */
	bool has_phdr;	     /* phdr_vaddr is where the program headers are once loaded */
	uint64_t phdr_vaddr; /* from PT_PHDR, else the PT_LOAD whose file bytes hold e_phoff */
	bool exec_stack;     /* PT_GNU_STACK with PF_X; without PT_GNU_STACK the stack is not */
};

/*
 * Validates the ELF header in buf[0, len): magic, ELFCLASS64, little endian, ET_EXEC or
 * ET_DYN, this architecture's e_machine, e_phentsize, 1 <= e_phnum <= ELF_MAX_PHNUM, and a
 * program header table whose end does not overflow. Fills type, entry, phoff, phnum,
 * phdrs_size. 0 or -ENOEXEC.
 */
int elf_parse_ehdr(const void *buf, size_t len, struct elf_image *img);

/*
 * Validates the program headers (img->phdrs_size bytes of buf[0, len), as read from
 * img->phoff) and fills the rest of img. -ENOEXEC for a bad format (short buffer, no PT_LOAD,
 * PT_LOADs out of order, PT_INTERP of a bad size), -EINVAL where Linux's execve says EINVAL
 * (p_filesz > p_memsz, a segment past the user address range or overflowing, p_offset and
 * p_vaddr not congruent modulo the page, which mmap would refuse).
 */
int elf_parse_phdrs(const void *buf, size_t len, struct elf_image *img);

/* Checks the PT_INTERP bytes (interp_size of them): NUL-terminated, not empty. 0 or -ENOEXEC. */
int elf_check_interp(const char *buf, size_t len);

/*
 * The whole file in buf[0, len): the two steps above, with the program headers and the
 * PT_INTERP string required to lie inside the file. When interp is not NULL and the file
 * has PT_INTERP, the path is copied there (ilen >= ELF_INTERP_MAX suffices).
 */
int elf_parse(const void *buf, size_t len, struct elf_image *img, char *interp, size_t ilen);

#endif
