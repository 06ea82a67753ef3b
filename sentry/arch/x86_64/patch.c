/*
 * Patched syscalls on x86-64, as gVisor's systrap does: a guest syscall made by the 7-byte
 * sequence "mov $nr, %eax; syscall" (b8 imm32 0f 05) that trapped, in program text, is rewritten
 * to "jmp *abs32" (ff 24 25 imm32) through an entry of a table the sentry maps into the guest
 * (ARCH_PATCH_TABLE). The entry's first 8 bytes point to the code after them, the platform's
 * (platform_ops.patch_code), which hands the call to the sentry without a signal and returns
 * after the site. Only that sequence is patched: the number is fixed there, and nothing can
 * jump between its two instructions but a thread already past the first (see arch_patch_fault).
 *
 * The rewrite goes in three steps that leave valid code at every moment (gVisor's): the
 * syscall's first byte becomes 0x06 (invalid: a thread past the mov faults and restarts the
 * site), then bytes 1..6 (the jump's address also has 0x06 there), then byte 0. Putting a
 * site back (arch_patch_off) does the reverse. The GS base is the platform's while sites are
 * patched, so a guest that sets one (arch_prctl(ARCH_SET_GS)) has them put back first.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "lib/util.h"
#include "platform/platform.h"
#include "sentry/arch/arch.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/mm/usercopy.h"

#define SITE_LEN 7
/* Where the syscall instruction was, and what is there while the site is patched. */
#define FAULT_OFF 5
#define FAULT_BYTE 0x06
#define MAX_SITES (ARCH_PATCH_TABLE_SIZE / ARCH_PATCH_ENTRY)

/*
 * A site is patched on its PATCH_AFTER-th trap: patching costs a copy of the page, a table and
 * a stub mapping or two, which a site run a few times (most of a short program's, the dynamic
 * loader's mmap among them) does not earn back. After 3 traps, 200 runs of /bin/true took 15%
 * longer than without patching; after 16, as long (within this VM's noise).
 */
#define PATCH_AFTER 16
#define HIT_SLOTS 128

struct syscall_patches {
	bool table; /* mapped */
	bool off;   /* no (more) patching: every site has been put back */
	unsigned n; /* sites, and table entries used */
	struct {
		uint64_t addr;
		uint32_t count;
	} hits[HIT_SLOTS]; /* traps of sites not patched yet, by address (a slot forgets) */
	struct {
		uint64_t addr;
		uint8_t orig[SITE_LEN];
	} site[MAX_SITES];
};

/* Counts a trap of site; true once it has trapped PATCH_AFTER times. */
static bool hit(struct syscall_patches *p, uint64_t site)
{
	unsigned i = (unsigned)((site * 0x9e3779b97f4a7c15ULL) >> 57) % HIT_SLOTS;

	if (p->hits[i].addr != site) {
		p->hits[i].addr = site;
		p->hits[i].count = 0;
	}
	return ++p->hits[i].count >= PATCH_AFTER;
}

static void patched_bytes(unsigned entry, uint8_t out[SITE_LEN])
{
	uint32_t ptr = (uint32_t)(ARCH_PATCH_TABLE + (uint64_t)entry * ARCH_PATCH_ENTRY);

	out[0] = 0xff;
	out[1] = 0x24;
	out[2] = 0x25;
	memcpy(out + 3, &ptr, sizeof(ptr));
}

/* mm->patch_lock held: the state, made on first use. */
static struct syscall_patches *patches_locked(struct mm *mm)
{
	if (!mm->patches)
		mm->patches = calloc(1, sizeof(*mm->patches));
	return mm->patches;
}

/* The table: executable, not writable by the guest, where nothing of the guest is. */
static int map_table(struct mm *mm, struct syscall_patches *p)
{
	long addr = mm_mmap(mm, ARCH_PATCH_TABLE, ARCH_PATCH_TABLE_SIZE, PROT_READ | PROT_EXEC,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, NULL, 0);

	if (addr < 0)
		return (int)addr;
	if ((uint64_t)addr != ARCH_PATCH_TABLE) {
		mm_munmap(mm, (uint64_t)addr, ARCH_PATCH_TABLE_SIZE);
		return -EEXIST;
	}
	p->table = true;
	return 0;
}

/* The three steps: fault byte, the rest but the first byte, the first byte. */
static int rewrite(struct mm *mm, uint64_t site, const uint8_t to[SITE_LEN])
{
	const uint8_t fault = FAULT_BYTE;
	int err;

	if ((err = mm_poke(mm, site + FAULT_OFF, &fault, 1)) < 0 ||
	    (err = mm_poke(mm, site + 1, to + 1, SITE_LEN - 1)) < 0)
		return err;
	return mm_poke(mm, site, to, 1);
}

void arch_patch_syscall(struct task *t)
{
	struct mm *mm = t->mm;
	const uint64_t ret = t->regs.gp.rip, site = ret - SITE_LEN, nr = t->regs.gp.orig_rax;
	uint8_t code[SITE_LEN], to[SITE_LEN], entry[ARCH_PATCH_ENTRY];
	struct syscall_patches *p;
	uint64_t ptr;
	uint32_t nr32 = (uint32_t)nr;
	size_t len;

	if (!platform->patch_code || site / PAGE_SIZE != (ret - 1) / PAGE_SIZE || nr != nr32)
		return;
	if (t->regs.gp.gs_base) {
		/* A thread that took GS without telling us (wrgsbase). */
		arch_patch_off(mm);
		return;
	}
	if (mm_copy_in(mm, code, site, SITE_LEN) < 0 || code[0] != 0xb8 ||
	    memcmp(code + 1, &nr32, sizeof(nr32)) != 0 || code[5] != 0x0f || code[6] != 0x05)
		return;
	pthread_mutex_lock(&mm->patch_lock);
	p = patches_locked(mm);
	if (!p || p->off || p->n >= MAX_SITES || !hit(p, site) || !mm_is_text(mm, site))
		goto out;
	/* Another thread may have patched it meanwhile: the bytes say. */
	if (mm_copy_in(mm, code, site, SITE_LEN) < 0 || code[0] != 0xb8)
		goto out;
	if (!p->table && map_table(mm, p) < 0) {
		p->off = true;
		goto out;
	}
	ptr = ARCH_PATCH_TABLE + (uint64_t)p->n * ARCH_PATCH_ENTRY + sizeof(ptr);
	memcpy(entry, &ptr, sizeof(ptr));
	len = platform->patch_code(ret, nr32, entry + sizeof(ptr), sizeof(entry) - sizeof(ptr));
	if (len == 0) {
		p->off = true;
		goto out;
	}
	if (mm_poke(mm, ptr - sizeof(ptr), entry, sizeof(ptr) + len) < 0)
		goto out;
	patched_bytes(p->n, to);
	if (rewrite(mm, site, to) < 0) {
		/* Nothing but the site's own page can fail, and it is private now: put it back. */
		rewrite(mm, site, code);
		goto out;
	}
	p->site[p->n].addr = site;
	memcpy(p->site[p->n].orig, code, SITE_LEN);
	p->n++;
out:
	pthread_mutex_unlock(&mm->patch_lock);
}

bool arch_patch_fault(struct task *t, uint64_t ip)
{
	struct mm *mm = t->mm;
	bool found = false, off = false;
	uint8_t b;

	pthread_mutex_lock(&mm->patch_lock);
	for (unsigned i = 0; mm->patches && i < mm->patches->n && !found; i++)
		found = mm->patches->site[i].addr + FAULT_OFF == ip;
	off = mm->patches && mm->patches->off;
	pthread_mutex_unlock(&mm->patch_lock);
	/* Put back since the fault, the site is whole again; still patched, it must still have
	 * the fault byte (else the guest's own code is there now, and faulted). */
	if (!found || (!off && (mm_copy_in(mm, &b, ip, 1) < 0 || b != FAULT_BYTE)))
		return false;
	t->regs.gp.rip = ip - FAULT_OFF;
	return true;
}

void arch_patch_off(struct mm *mm)
{
	struct syscall_patches *p;
	uint8_t code[SITE_LEN], to[SITE_LEN];

	pthread_mutex_lock(&mm->patch_lock);
	p = patches_locked(mm);
	if (p && !p->off) {
		p->off = true;
		/* The list stays: arch_patch_fault still restarts a thread caught meanwhile. */
		for (unsigned i = 0; i < p->n; i++) {
			const uint8_t *orig = p->site[i].orig;
			uint64_t site = p->site[i].addr;

			/* Only a site that still holds our jump: the guest may have reused it. */
			patched_bytes(i, to);
			if (mm_copy_in(mm, code, site, SITE_LEN) < 0 ||
			    memcmp(code, to, SITE_LEN) != 0)
				continue;
			/* The reverse of rewrite(): 0x06 stays at the fault offset to the last. */
			mm_poke(mm, site, orig, 1);
			mm_poke(mm, site + 1, orig + 1, FAULT_OFF - 1);
			mm_poke(mm, site + FAULT_OFF + 1, orig + FAULT_OFF + 1, 1);
			mm_poke(mm, site + FAULT_OFF, orig + FAULT_OFF, 1);
		}
	}
	pthread_mutex_unlock(&mm->patch_lock);
}

void arch_patch_guard(struct mm *mm, uint64_t addr, uint64_t len)
{
	bool table;

	pthread_mutex_lock(&mm->patch_lock);
	table = mm->patches && mm->patches->table && !mm->patches->off;
	pthread_mutex_unlock(&mm->patch_lock);
	if (table && addr < ARCH_PATCH_TABLE + ARCH_PATCH_TABLE_SIZE &&
	    ARCH_PATCH_TABLE < addr + len)
		arch_patch_off(mm);
}

struct syscall_patches *arch_patch_copy(const struct syscall_patches *p)
{
	struct syscall_patches *n = malloc(sizeof(*n));

	if (n)
		memcpy(n, p, sizeof(*n));
	return n;
}

void arch_patch_free(struct syscall_patches *p)
{
	free(p);
}
