/*
 * ELF64 header and program-header validation for execve. Every field is read from an
 * untrusted file: each is checked before it is used, and nothing is read past len.
 */
#include "sentry/loader/elf.h"

#include <elf.h>
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "lib/util.h"
#include "sentry/arch/arch.h"

/* Fields are little endian in the file, whatever the host: read them byte-exactly. */
static uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return le16toh(v);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

int elf_parse_ehdr(const void *buf, size_t len, struct elf_image *img)
{
	const uint8_t *b = buf;
	uint16_t type, phentsize, phnum;
	uint64_t phoff;

	if (len < ELF_EHDR_SIZE)
		return -ENOEXEC;
	if (memcmp(b, ELFMAG, SELFMAG) != 0 || b[EI_CLASS] != ELFCLASS64 ||
	    b[EI_DATA] != ELFDATA2LSB)
		return -ENOEXEC;
	type = get16(b + offsetof(Elf64_Ehdr, e_type));
	if (type != ET_EXEC && type != ET_DYN)
		return -ENOEXEC;
	if (get16(b + offsetof(Elf64_Ehdr, e_machine)) != ARCH_ELF_MACHINE)
		return -ENOEXEC;
	phentsize = get16(b + offsetof(Elf64_Ehdr, e_phentsize));
	phnum = get16(b + offsetof(Elf64_Ehdr, e_phnum));
	phoff = get64(b + offsetof(Elf64_Ehdr, e_phoff));
	if (phentsize != ELF_PHDR_SIZE || phnum < 1 || phnum > ELF_MAX_PHNUM)
		return -ENOEXEC;
	if (phoff + (uint64_t)phnum * ELF_PHDR_SIZE < phoff)
		return -ENOEXEC;

	memset(img, 0, sizeof(*img));
	img->type = type;
	img->entry = get64(b + offsetof(Elf64_Ehdr, e_entry));
	img->phoff = phoff;
	img->phnum = phnum;
	img->phdrs_size = (size_t)phnum * ELF_PHDR_SIZE;
	return 0;
}

static int prot_of(uint32_t pflags)
{
	return (pflags & PF_R ? PROT_READ : 0) | (pflags & PF_W ? PROT_WRITE : 0) |
	       (pflags & PF_X ? PROT_EXEC : 0);
}

/* Checks one PT_LOAD as Linux's load_elf_binary does, plus what mmap would refuse later. */
static int check_load(const struct elf_segment *s)
{
	if (s->filesz > s->memsz)
		return -EINVAL;
	if (s->memsz > ARCH_TASK_SIZE || s->vaddr > ARCH_TASK_SIZE - s->memsz)
		return -EINVAL;
	if (s->offset + s->filesz < s->offset)
		return -EINVAL;
	/* The file page holding p_offset is mapped at the page holding p_vaddr. */
	if ((s->offset & (PAGE_SIZE - 1)) != (s->vaddr & (PAGE_SIZE - 1)))
		return -EINVAL;
	return 0;
}

int elf_parse_phdrs(const void *buf, size_t len, struct elf_image *img)
{
	const uint8_t *b = buf;
	int i, err;

	if (img->phnum < 1 || img->phnum > ELF_MAX_PHNUM ||
	    img->phdrs_size != (size_t)img->phnum * ELF_PHDR_SIZE || len < img->phdrs_size)
		return -ENOEXEC;
	img->nload = 0;
	img->max_align = PAGE_SIZE;
	img->has_interp = img->has_phdr = img->exec_stack = false;

	for (i = 0; i < img->phnum; i++) {
		const uint8_t *p = b + (size_t)i * ELF_PHDR_SIZE;
		uint32_t ptype = get32(p + offsetof(Elf64_Phdr, p_type));
		uint32_t pflags = get32(p + offsetof(Elf64_Phdr, p_flags));
		uint64_t offset = get64(p + offsetof(Elf64_Phdr, p_offset));
		uint64_t vaddr = get64(p + offsetof(Elf64_Phdr, p_vaddr));
		uint64_t filesz = get64(p + offsetof(Elf64_Phdr, p_filesz));
		uint64_t memsz = get64(p + offsetof(Elf64_Phdr, p_memsz));
		uint64_t align = get64(p + offsetof(Elf64_Phdr, p_align));

		switch (ptype) {
		case PT_LOAD: {
			struct elf_segment *s;

			/* Linux maps nothing for an empty segment; neither do we. */
			if (memsz == 0)
				break;
			s = &img->load[img->nload];
			*s = (struct elf_segment){ .vaddr = vaddr,
						   .memsz = memsz,
						   .offset = offset,
						   .filesz = filesz,
						   .prot = prot_of(pflags) };
			if ((err = check_load(s)) < 0)
				return err;
			/* The ELF specification orders PT_LOADs by p_vaddr; the bias and the
			 * brk are computed from the first and the highest. */
			if (img->nload > 0 && vaddr < img->load[img->nload - 1].vaddr)
				return -ENOEXEC;
			if (align > img->max_align && (align & (align - 1)) == 0)
				img->max_align = align;
			img->nload++;
			break;
		}
		case PT_INTERP:
			/* Linux uses the first PT_INTERP and ignores any other. */
			if (img->has_interp)
				break;
			if (filesz < ELF_INTERP_MIN || filesz > ELF_INTERP_MAX ||
			    offset + filesz < offset)
				return -ENOEXEC;
			img->has_interp = true;
			img->interp_offset = offset;
			img->interp_size = filesz;
			break;
		case PT_GNU_STACK:
			/* The last one wins, as in Linux; without one the stack is not executable
			 * (x86-64 and arm64 defaults). */
			img->exec_stack = pflags & PF_X;
			break;
		case PT_PHDR:
			img->has_phdr = true;
			img->phdr_vaddr = vaddr;
			break;
		}
	}
	if (img->nload == 0)
		return -ENOEXEC;

	/* Without PT_PHDR, the headers are wherever the segment holding e_phoff maps them
	 * (Linux 6.x); static binaries rely on this for AT_PHDR. */
	for (i = 0; !img->has_phdr && i < img->nload; i++) {
		const struct elf_segment *s = &img->load[i];

		if (img->phoff >= s->offset && img->phoff - s->offset < s->filesz) {
			img->has_phdr = true;
			img->phdr_vaddr = s->vaddr + (img->phoff - s->offset);
		}
	}
	return 0;
}

int elf_check_interp(const char *buf, size_t len)
{
	if (len < ELF_INTERP_MIN || len > ELF_INTERP_MAX || buf[len - 1] != '\0' || buf[0] == '\0')
		return -ENOEXEC;
	return 0;
}

int elf_parse(const void *buf, size_t len, struct elf_image *img, char *interp, size_t ilen)
{
	const uint8_t *b = buf;
	int err;

	if ((err = elf_parse_ehdr(buf, len, img)) < 0)
		return err;
	if (img->phoff > len || img->phdrs_size > len - img->phoff)
		return -ENOEXEC;
	if ((err = elf_parse_phdrs(b + img->phoff, img->phdrs_size, img)) < 0)
		return err;
	if (!img->has_interp)
		return 0;
	if (img->interp_offset > len || img->interp_size > len - img->interp_offset)
		return -ENOEXEC;
	if ((err = elf_check_interp((const char *)b + img->interp_offset, img->interp_size)) < 0)
		return err;
	if (interp) {
		size_t n = strlen((const char *)b + img->interp_offset);

		if (n >= ilen)
			return -ENAMETOOLONG;
		memcpy(interp, b + img->interp_offset, n + 1);
	}
	return 0;
}
