/* AVX registers live across a signal handler that uses them too: the kernel (and the sentry)
 * must save and restore the whole XSAVE state, not only the legacy SSE part. */
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "guest.h"

static void handler(int sig __attribute__((unused)))
{
	/* Clobber every ymm register's upper half. */
	__asm__ volatile("vpcmpeqd %%ymm0, %%ymm0, %%ymm0\n\t"
			 "vmovdqa %%ymm0, %%ymm1\n\t"
			 "vmovdqa %%ymm0, %%ymm7\n\t"
			 "vmovdqa %%ymm0, %%ymm15\n\t" ::
				 : "xmm0", "xmm1", "xmm7", "xmm15");
}

int main(void)
{
	uint8_t in[32] __attribute__((aligned(32))), out[4][32] __attribute__((aligned(32)));
	long pid = getpid(), ret;
	bool same = true;

	guest_init();
	if (!__builtin_cpu_supports("avx")) {
		printf("# no AVX on this CPU: nothing to check\n");
		return 0;
	}
	signal(SIGUSR1, handler);
	for (int i = 0; i < 32; i++)
		in[i] = (uint8_t)(i * 7 + 1);
	/* Load the pattern, make the kill syscall inline (the handler runs on its way back),
	 * then read the registers back: no compiler code runs in between. */
	__asm__ volatile("vmovdqa (%[in]), %%ymm0\n\t"
			 "vmovdqa %%ymm0, %%ymm1\n\t"
			 "vmovdqa %%ymm0, %%ymm7\n\t"
			 "vmovdqa %%ymm0, %%ymm15\n\t"
			 "syscall\n\t"
			 "vmovdqa %%ymm0, (%[out])\n\t"
			 "vmovdqa %%ymm1, 32(%[out])\n\t"
			 "vmovdqa %%ymm7, 64(%[out])\n\t"
			 "vmovdqa %%ymm15, 96(%[out])\n\t"
			 : "=a"(ret)
			 : "a"((long)SYS_kill), "D"(pid), "S"((long)SIGUSR1), [in] "r"(in),
			   [out] "r"(out)
			 : "rcx", "r11", "memory", "xmm0", "xmm1", "xmm7", "xmm15");
	for (int r = 0; r < 4; r++)
		same &= memcmp(in, out[r], 32) == 0;
	report_long("kill", ret);
	report_bool("ymm_preserved_across_handler", same);
	return 0;
}
