/*
 * guest.c: the i386 guest of props/qemudiff. Built by the test with
 *   gcc -m32 -static -O1 -o guest guest.c
 * and run under qemu-i386. It reads a call sequence on stdin, one call a
 * line, makes each call as a raw system call and prints one result line per
 * call on stdout:
 *
 *   open I PATH RW          -> R I FD           (RW: 1 for O_RDWR, 0 for O_RDONLY)
 *   mmap I ADDR LEN PROT FLAGS FILE OFF         (FILE: index of an opened file, -1 anonymous)
 *   munmap I ADDR LEN / mprotect I ADDR LEN PROT
 *   mremap I OLD OLDLEN NEWLEN FLAGS NEW / msync I ADDR LEN FLAGS
 *   madvise I ADDR LEN ADVICE
 *   pwrite I FILE OFF BYTE N / ftruncate I FILE SIZE
 *                           -> R I VALUE        (hex; or R I E ERRNO)
 *   load I ADDR N           -> L I COUNT HASH [F SIG CODE ADDR]
 *   store I ADDR BYTE N     -> S I COUNT [F SIG CODE ADDR]
 *   maps I                  -> the guest's /proc/self/maps, then M I
 *
 * Before the first call it maps and unmaps one page at PROBE, so that
 * QEMU's -d page log shows the layout the calls start from.
 *
 * Loads and stores go one byte at a time, so COUNT is where a fault struck;
 * a SIGSEGV or SIGBUS handler (on an alternate stack) records the signal,
 * si_code and si_addr and siglongjmps back. HASH is FNV-1a (64-bit) of the
 * bytes read. Nothing here allocates memory after start-up (no stdio, no
 * malloc), so the guest's own calls are the only ones that change its
 * address space.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <sys/mman.h>

#define PROBE 0x20000000u /* free at start-up: between the heap and the stack */

static char in[1 << 20];
static char out[512];
static char altstack[65536];
static int fds[16];

static sigjmp_buf jb;
static volatile int fsig, fcode;
static volatile uint32_t faddr;

static void handler(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    fsig = sig;
    fcode = si->si_code;
    faddr = (uint32_t)(uintptr_t)si->si_addr;
    siglongjmp(jb, 1);
}

static void put(const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(1, s, n);
        if (w <= 0) {
            _exit(3);
        }
        s += w;
        n -= (size_t)w;
    }
}

/* A tiny formatter: %u (decimal), %x (hex), %X (64-bit hex), %s. */
static void say(const char *fmt, ...)
{
    __builtin_va_list ap;
    char *o = out;
    __builtin_va_start(ap, fmt);
    for (; *fmt && o < out + sizeof(out) - 24; fmt++) {
        if (*fmt != '%') {
            *o++ = *fmt;
            continue;
        }
        fmt++;
        if (*fmt == 's') {
            const char *s = __builtin_va_arg(ap, const char *);
            while (*s && o < out + sizeof(out) - 24) {
                *o++ = *s++;
            }
            continue;
        }
        char tmp[24];
        int n = 0;
        if (*fmt == 'X') {
            uint64_t v = __builtin_va_arg(ap, uint64_t);
            do {
                tmp[n++] = "0123456789abcdef"[v & 15];
                v >>= 4;
            } while (v);
        } else {
            uint32_t v = __builtin_va_arg(ap, uint32_t);
            uint32_t base = *fmt == 'x' ? 16 : 10;
            do {
                tmp[n++] = "0123456789abcdef"[v % base];
                v /= base;
            } while (v);
        }
        while (n > 0) {
            *o++ = tmp[--n];
        }
    }
    __builtin_va_end(ap);
    put(out, (size_t)(o - out));
}

static char *next_tok(char **p)
{
    char *s = *p;
    while (*s == ' ') {
        s++;
    }
    char *t = s;
    while (*s && *s != ' ') {
        s++;
    }
    if (*s) {
        *s++ = 0;
    }
    *p = s;
    return t;
}

static uint32_t num(char **p)
{
    return (uint32_t)strtoll(next_tok(p), NULL, 0);
}

static void result(uint32_t i, long r)
{
    if (r == -1) {
        say("R %u E %u\n", i, (uint32_t)errno);
    } else {
        say("R %u %x\n", i, (uint32_t)r);
    }
}

static int fd_of(int32_t idx)
{
    return idx < 0 || idx >= 16 ? -1 : fds[idx];
}

static void fault_tail(int faulted)
{
    if (faulted) {
        say(" F %u %u %x", (uint32_t)fsig, (uint32_t)fcode, (uint32_t)faddr);
    }
    say("\n");
}

static void do_load(uint32_t i, uint32_t addr, uint32_t n)
{
    volatile uint32_t count = 0;
    volatile uint64_t hash = 0xcbf29ce484222325ull;
    volatile int faulted = 0;
    fsig = 0;
    if (sigsetjmp(jb, 1) == 0) {
        volatile unsigned char *p = (volatile unsigned char *)(uintptr_t)addr;
        while (count < n) {
            unsigned char c = p[count];
            hash = (hash ^ c) * 0x100000001b3ull;
            count = count + 1;
        }
    } else {
        faulted = 1;
    }
    say("L %u %u %X", i, (uint32_t)count, (uint64_t)hash);
    fault_tail(faulted);
}

static void do_store(uint32_t i, uint32_t addr, uint32_t b, uint32_t n)
{
    volatile uint32_t count = 0;
    volatile int faulted = 0;
    fsig = 0;
    if (sigsetjmp(jb, 1) == 0) {
        volatile unsigned char *p = (volatile unsigned char *)(uintptr_t)addr;
        while (count < n) {
            p[count] = (unsigned char)b;
            count = count + 1;
        }
    } else {
        faulted = 1;
    }
    say("S %u %u", i, (uint32_t)count);
    fault_tail(faulted);
}

static void do_maps(uint32_t i)
{
    static char buf[65536];
    int fd = open("/proc/self/maps", O_RDONLY);
    if (fd >= 0) {
        ssize_t n;
        while ((n = read(fd, buf, sizeof(buf))) > 0) {
            put(buf, (size_t)n);
        }
        close(fd);
    }
    say("M %u\n", i);
}

int main(void)
{
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack)};
    struct sigaction sa;
    size_t len = 0;
    ssize_t n;

    /*
     * A MAP_FIXED mapping made and removed at once, before the first call:
     * its page dump in QEMU's -d page log is the layout the calls start
     * from (start-up's later mprotects, of RELRO say, dump nothing).
     */
    syscall(SYS_mmap2, PROBE, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    syscall(SYS_munmap, PROBE, 4096);
    sigaltstack(&ss, NULL);
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    for (int k = 0; k < 16; k++) {
        fds[k] = -1;
    }
    while ((n = read(0, in + len, sizeof(in) - 1 - len)) > 0) {
        len += (size_t)n;
    }
    in[len] = 0;

    for (char *line = in; *line;) {
        char *end = strchr(line, '\n');
        if (end) {
            *end = 0;
        }
        char *p = line;
        char *cmd = next_tok(&p);
        uint32_t i = num(&p);
        if (!strcmp(cmd, "open")) {
            char *path = next_tok(&p);
            uint32_t rw = num(&p);
            long r = open(path, rw ? O_RDWR : O_RDONLY);
            if (r >= 0 && i < 16) {
                fds[i] = (int)r;
            }
            result(i, r);
        } else if (!strcmp(cmd, "mmap")) {
            uint32_t a = num(&p), l = num(&p), prot = num(&p), fl = num(&p);
            int32_t f = (int32_t)num(&p);
            uint32_t off = num(&p);
            result(i, syscall(SYS_mmap2, a, l, prot, fl, f < 0 ? -1 : fd_of(f), off >> 12));
        } else if (!strcmp(cmd, "munmap")) {
            uint32_t a = num(&p), l = num(&p);
            result(i, syscall(SYS_munmap, a, l));
        } else if (!strcmp(cmd, "mprotect")) {
            uint32_t a = num(&p), l = num(&p), prot = num(&p);
            result(i, syscall(SYS_mprotect, a, l, prot));
        } else if (!strcmp(cmd, "mremap")) {
            uint32_t a = num(&p), ol = num(&p), nl = num(&p), fl = num(&p), na = num(&p);
            result(i, syscall(SYS_mremap, a, ol, nl, fl, na));
        } else if (!strcmp(cmd, "msync")) {
            uint32_t a = num(&p), l = num(&p), fl = num(&p);
            result(i, syscall(SYS_msync, a, l, fl));
        } else if (!strcmp(cmd, "madvise")) {
            uint32_t a = num(&p), l = num(&p), adv = num(&p);
            result(i, syscall(SYS_madvise, a, l, adv));
        } else if (!strcmp(cmd, "pwrite")) {
            static unsigned char data[4096];
            int32_t f = (int32_t)num(&p);
            uint32_t off = num(&p), b = num(&p), cnt = num(&p);
            if (cnt > sizeof(data)) {
                cnt = sizeof(data);
            }
            memset(data, (int)b, cnt);
            result(i, syscall(SYS_pwrite64, fd_of(f), data, cnt, off, 0));
        } else if (!strcmp(cmd, "ftruncate")) {
            int32_t f = (int32_t)num(&p);
            uint32_t size = num(&p);
            result(i, syscall(SYS_ftruncate, fd_of(f), size));
        } else if (!strcmp(cmd, "load")) {
            uint32_t a = num(&p), cnt = num(&p);
            do_load(i, a, cnt);
        } else if (!strcmp(cmd, "store")) {
            uint32_t a = num(&p), b = num(&p), cnt = num(&p);
            do_store(i, a, b, cnt);
        } else if (!strcmp(cmd, "maps")) {
            do_maps(i);
        }
        if (!end) {
            break;
        }
        line = end + 1;
    }
    return 0;
}
