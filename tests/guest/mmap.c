/* Guest test: memory — anonymous private/shared mappings across fork, file mappings (private and
 * shared), mprotect with the SIGSEGV it causes, munmap, brk and mremap. */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>

#include "guest.h"

#define PAGE 4096

static sigjmp_buf fault_jmp;
static volatile void *fault_addr;
static volatile int fault_code;

static void on_segv(int sig, siginfo_t *si, void *uctx)
{
	(void)sig;
	(void)uctx;
	fault_addr = si->si_addr;
	fault_code = si->si_code;
	siglongjmp(fault_jmp, 1);
}

/* Writes one byte at p; returns "ok", or the si_code of the SIGSEGV it raised. */
static const char *try_write(volatile char *p)
{
	fault_addr = NULL;
	if (sigsetjmp(fault_jmp, 1) == 0) {
		*p = 1;
		return "ok";
	}
	if (fault_addr != p)
		return "SIGSEGV at a wrong address";
	return fault_code == SEGV_ACCERR ? "SIGSEGV SEGV_ACCERR" :
	       fault_code == SEGV_MAPERR ? "SIGSEGV SEGV_MAPERR" :
					   "SIGSEGV other code";
}

static void *map_anon(size_t len, int flags)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	return p;
}

static void anonymous(void)
{
	int *priv = map_anon(PAGE, MAP_PRIVATE), *shared = map_anon(PAGE, MAP_SHARED);
	pid_t pid;

	report_long("anon_zero_filled", priv[0] + priv[PAGE / sizeof(int) - 1] + shared[0]);
	*priv = 1;
	*shared = 1;
	pid = fork();
	if (pid == 0) {
		*priv = 2;
		*shared = 2;
		_exit(*priv == 2 ? 0 : 1);
	}
	printf("child: %s\n", wait_str(pid));
	report_long("private_after_child_write", *priv);
	report_long("shared_after_child_write", *shared);
	report("munmap", munmap(priv, PAGE));
	report("munmap_again", munmap(priv, PAGE));
	munmap(shared, PAGE);
}

static void files(void)
{
	char buf[16] = { 0 }, *p;
	int fd = open("data", O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || write(fd, "file contents", 13) != 13)
		die("writing data");
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		die("mmap private");
	printf("private_file_map: %.13s\n", p);
	report_long("private_map_tail_zero", p[13] + p[PAGE - 1]);
	p[0] = 'F';
	pread(fd, buf, 4, 0);
	printf("private_write_not_in_file: %.4s\n", buf);
	munmap(p, PAGE);

	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap shared");
	memcpy(p, "SHARED", 6);
	pread(fd, buf, 13, 0);
	printf("shared_write_seen_by_read: %.13s\n", buf);
	pwrite(fd, "write", 5, 0);
	printf("write_seen_by_shared_map: %.6s\n", p);
	report("msync", msync(p, PAGE, MS_SYNC));
	munmap(p, PAGE);

	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, PAGE * 16);
	report_bool("map_past_eof_allowed", p != MAP_FAILED);
	if (p != MAP_FAILED)
		munmap(p, PAGE);
	report_err("map_unaligned_offset", (long)mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 1));
	close(fd);
	fd = open("data", O_RDONLY);
	report_err("shared_writable_map_of_readonly_fd",
		   (long)mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	close(fd);
}

static void protection(void)
{
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO };
	char *p = map_anon(3 * PAGE, MAP_PRIVATE);

	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	printf("write_rw: %s\n", try_write(p));
	report("mprotect_read_only", mprotect(p + PAGE, PAGE, PROT_READ));
	printf("write_read_only: %s\n", try_write(p + PAGE + 8));
	printf("write_next_page_still_rw: %s\n", try_write(p + 2 * PAGE));
	report("mprotect_back", mprotect(p + PAGE, PAGE, PROT_READ | PROT_WRITE));
	printf("write_after_mprotect_back: %s\n", try_write(p + PAGE + 8));
	munmap(p + PAGE, PAGE);
	printf("write_unmapped_hole: %s\n", try_write(p + PAGE));
	report_err("mprotect_unmapped", mprotect(p + PAGE, PAGE, PROT_READ));
	report_err("mprotect_unaligned", mprotect(p + 1, PAGE, PROT_READ));
	printf("write_still_works_after_faults: %s\n", try_write(p));
	munmap(p, 3 * PAGE);
	signal(SIGSEGV, SIG_DFL);
}

static void brk_and_mremap(void)
{
	char *start = sbrk(0), *p, *q;

	report("brk_grow", brk(start + 16 * PAGE));
	report_bool("brk_moved", (char *)sbrk(0) == start + 16 * PAGE);
	memset(start, 0x5a, 16 * PAGE);
	report("brk_shrink", brk(start + PAGE));
	report_bool("brk_shrunk", (char *)sbrk(0) == start + PAGE);

	p = map_anon(PAGE, MAP_PRIVATE);
	strcpy(p, "kept across mremap");
	q = mremap(p, PAGE, 64 * PAGE, MREMAP_MAYMOVE);
	if (q == MAP_FAILED)
		die("mremap");
	printf("mremap_grow_keeps: %s\n", q);
	report_long("mremap_grown_part_zero", q[PAGE] + q[64 * PAGE - 1]);
	q[64 * PAGE - 1] = 1;
	q = mremap(q, 64 * PAGE, PAGE, 0);
	report_bool("mremap_shrink_in_place", q != MAP_FAILED);
	report_err("mremap_grow_fixed_in_place_blocked", (long)mremap(q, PAGE, 1UL << 46, 0));
	munmap(q, PAGE);
}

int main(void)
{
	guest_init();
	scratch_init("mmap");
	anonymous();
	files();
	protection();
	brk_and_mremap();
	scratch_done();
	return 0;
}
