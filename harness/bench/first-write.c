/*
 * The host's first write to new memory, per 4 KiB page, as a migration's
 * destination does it to the guest memory it receives: mapped anonymous,
 * MADV_HUGEPAGE, as ram_block_add() maps guest memory.  A lab probe for
 * what the sender's pace measurement (migration/dirty-pace.c) sees of it.
 *
 * Build and run: cc -O2 -o first-write harness/bench/first-write.c &&
 *                ./first-write 512
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096

static double now_us(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/* Map @mib MiB, write a byte to each page, unmap: us per page */
static double first_write(size_t mib)
{
    size_t len = mib << 20;
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    double start;
    size_t i;

    if (p == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    madvise(p, len, MADV_HUGEPAGE);
    start = now_us();
    for (i = 0; i < len; i += PAGE) {
        p[i] = 1;
    }
    start = now_us() - start;
    munmap(p, len);
    return start / (len / PAGE);
}

int main(int argc, char **argv)
{
    size_t big = argc > 1 ? strtoul(argv[1], NULL, 0) : 512;

    printf("64 MiB, first: %.2f us/page\n", first_write(64));
    first_write(big);
    printf("64 MiB, right after %zu MiB were freed: %.2f us/page\n", big,
           first_write(64));
    first_write(big);
    sleep(5);
    printf("64 MiB, 5 s after %zu MiB were freed: %.2f us/page\n", big,
           first_write(64));
    printf("%zu MiB: %.2f us/page\n", big, first_write(big));
    return 0;
}
