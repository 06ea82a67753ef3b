/* x86-64 facts for the ELF auxiliary vector: AT_HWCAP and AT_PLATFORM. */
#include <cpuid.h>
#include <pthread.h>

#include "sentry/arch/arch.h"

static uint64_t hwcap;
static pthread_once_t hwcap_once = PTHREAD_ONCE_INIT;

/* CPUID traps to the hypervisor on a VM: ask once. */
static void hwcap_init(void)
{
	unsigned int eax, ebx, ecx, edx;

	if (__get_cpuid(1, &eax, &ebx, &ecx, &edx))
		hwcap = edx;
}

/* Linux's ELF_HWCAP on x86: CPUID leaf 1 EDX (boot_cpu_data.x86_capability[CPUID_1_EDX]). */
uint64_t arch_elf_hwcap(void)
{
	pthread_once(&hwcap_once, hwcap_init);
	return hwcap;
}

/* Linux's ELF_PLATFORM on x86-64: the machine name. */
const char *arch_elf_platform(void)
{
	return ARCH_NAME;
}
