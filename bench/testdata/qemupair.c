/*
 * The guest of bench's section 7, built with gcc -m32 -static and run
 * under qemu-i386 -p 65536: it maps LIVE one-page mappings (alternately
 * rw- and r--, so none merge), then makes WARM mmap+munmap pairs (QEMU
 * translates the loop once), then times PAIRS pairs: an anonymous private
 * rw- page mapped where the kernel chooses, and unmapped. It prints
 * "pairs N ns T" (T the monotonic nanoseconds the pairs took), or
 * "error ..." and exits 1.
 *
 * usage: qemupair LIVE WARM PAIRS
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static long long now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int pairs(long n)
{
	for (long i = 0; i < n; i++) {
		void *a = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (a == MAP_FAILED || munmap(a, 4096) != 0) {
			printf("error pair %ld\n", i);
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		printf("error usage: qemupair LIVE WARM PAIRS\n");
		return 1;
	}
	long live = atol(argv[1]), warm = atol(argv[2]), n = atol(argv[3]);
	for (long i = 0; i < live; i++) {
		int prot = i % 2 ? PROT_READ : PROT_READ | PROT_WRITE;
		if (mmap(0, 4096, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED) {
			printf("error live mapping %ld\n", i);
			return 1;
		}
	}
	if (pairs(warm))
		return 1;
	long long t = now();
	if (pairs(n))
		return 1;
	printf("pairs %ld ns %lld\n", n, now() - t);
	return 0;
}
