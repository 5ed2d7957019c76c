/*
 * guest.c: the guest of props/qemudiff, for i386 and x86-64. Built by the
 * test with
 *   gcc -m32 -static -O1 -o guest guest.c     (i386, run under qemu-i386)
 *   gcc -static -O1 -o guest guest.c          (x86-64, run under qemu-x86_64)
 * It reads a call sequence on stdin, one call a line, makes each call as a
 * raw system call and prints one result line per call on stdout:
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
 *   pages I LO HI           -> P ADDR HASH, or P ADDR B, for each 4 KiB
 *                              page of [LO, HI) that reads (HASH of its
 *                              bytes) or faults with SIGBUS (B); pages that
 *                              fault with SIGSEGV are left out. Then D I.
 *
 * Numbers are the guest's words (32 or 64 bits). Before the first call it
 * prints "T IDT GDT", the bases of its descriptor tables (sidt, sgdt), and
 * maps and unmaps one page at PROBE, so that QEMU's -d page log shows the
 * layout the calls start from.
 *
 * Loads and stores go one byte at a time, so COUNT is where a fault struck;
 * a SIGSEGV or SIGBUS handler (on an alternate stack) records the signal,
 * si_code and si_addr and siglongjmps back. A signal outside a load, a
 * store or a page probe (QEMU delivering one in a system call) prints
 * "X I SIG CODE ADDR" for the current call and exits with status 4. HASH
 * is FNV-1a (64-bit) of the bytes read. Nothing here allocates memory after
 * start-up (no stdio, no malloc), so the guest's own calls are the only
 * ones that change its address space.
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

typedef unsigned long word; /* the guest's word: 32 or 64 bits */

#define PROBE 0x20000000ul /* free at start-up: between the heap and the mmap area */

static char in[1 << 20];
static char out[512];
static char altstack[65536];
static int fds[16];

static sigjmp_buf jb;
static volatile int fsig, fcode, in_access;
static volatile word faddr, cur;

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

/* A tiny formatter: %u (decimal), %x (hex word), %X (64-bit hex), %s. */
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
        uint64_t v;
        uint64_t base = *fmt == 'u' ? 10 : 16;
        if (*fmt == 'X') {
            v = __builtin_va_arg(ap, uint64_t);
        } else {
            v = __builtin_va_arg(ap, word);
        }
        do {
            tmp[n++] = "0123456789abcdef"[v % base];
            v /= base;
        } while (v);
        while (n > 0) {
            *o++ = tmp[--n];
        }
    }
    __builtin_va_end(ap);
    put(out, (size_t)(o - out));
}

static void handler(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    if (!in_access) {
        say("X %u %u %u %x\n", cur, (word)sig, (word)si->si_code, (word)si->si_addr);
        _exit(4);
    }
    fsig = sig;
    fcode = si->si_code;
    faddr = (word)si->si_addr;
    siglongjmp(jb, 1);
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

static word num(char **p)
{
    return (word)strtoull(next_tok(p), NULL, 0);
}

static void result(word i, long r)
{
    if (r == -1) {
        say("R %u E %u\n", i, (word)errno);
    } else {
        say("R %u %x\n", i, (word)r);
    }
}

static int fd_of(long idx)
{
    return idx < 0 || idx >= 16 ? -1 : fds[idx];
}

static void fault_tail(int faulted)
{
    if (faulted) {
        say(" F %u %u %x", (word)fsig, (word)fcode, faddr);
    }
    say("\n");
}

static void do_load(word i, word addr, word n)
{
    volatile word count = 0;
    volatile uint64_t hash = 0xcbf29ce484222325ull;
    volatile int faulted = 0;
    fsig = 0;
    if (sigsetjmp(jb, 1) == 0) {
        volatile unsigned char *p = (volatile unsigned char *)addr;
        in_access = 1;
        while (count < n) {
            unsigned char c = p[count];
            hash = (hash ^ c) * 0x100000001b3ull;
            count = count + 1;
        }
    } else {
        faulted = 1;
    }
    in_access = 0;
    say("L %u %u %X", i, count, (uint64_t)hash);
    fault_tail(faulted);
}

static void do_store(word i, word addr, word b, word n)
{
    volatile word count = 0;
    volatile int faulted = 0;
    fsig = 0;
    if (sigsetjmp(jb, 1) == 0) {
        volatile unsigned char *p = (volatile unsigned char *)addr;
        in_access = 1;
        while (count < n) {
            p[count] = (unsigned char)b;
            count = count + 1;
        }
    } else {
        faulted = 1;
    }
    in_access = 0;
    say("S %u %u", i, count);
    fault_tail(faulted);
}

/* page_hash hashes the 4 KiB page at addr, or returns the signal that
 * stopped the first read (the page faults whole). */
static int page_hash(word addr, uint64_t *hash)
{
    volatile uint64_t h = 0xcbf29ce484222325ull;
    fsig = 0;
    if (sigsetjmp(jb, 1) == 0) {
        volatile uint32_t *p = (volatile uint32_t *)addr;
        in_access = 1;
        for (int k = 0; k < 1024; k++) {
            uint32_t w = p[k];
            for (int b = 0; b < 4; b++) {
                h = (h ^ (w & 0xff)) * 0x100000001b3ull;
                w >>= 8;
            }
        }
        in_access = 0;
        *hash = h;
        return 0;
    }
    in_access = 0;
    return fsig;
}

static void do_pages(word i, word lo, word hi)
{
    for (word a = lo; a < hi && a >= lo; a += 4096) {
        uint64_t h;
        int sig = page_hash(a, &h);
        if (sig == 0) {
            say("P %x %X\n", a, h);
        } else if (sig == SIGBUS) {
            say("P %x B\n", a);
        }
    }
    say("D %u\n", i);
}

static void tables(void)
{
    struct {
        uint16_t limit;
        word base;
    } __attribute__((packed)) idt, gdt;
    __asm__ volatile("sidt %0" : "=m"(idt));
    __asm__ volatile("sgdt %0" : "=m"(gdt));
    say("T %x %x\n", idt.base, gdt.base);
}

static long sys_mmap(word a, word l, word prot, word fl, int fd, word off)
{
#ifdef __i386__
    return syscall(SYS_mmap2, a, l, prot, fl, fd, off >> 12);
#else
    return syscall(SYS_mmap, a, l, prot, fl, fd, off);
#endif
}

static long sys_pwrite(int fd, const void *buf, word n, word off)
{
#ifdef __i386__
    return syscall(SYS_pwrite64, fd, buf, n, off, 0);
#else
    return syscall(SYS_pwrite64, fd, buf, n, off);
#endif
}

int main(void)
{
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack)};
    struct sigaction sa;
    size_t len = 0;
    ssize_t n;

    tables();
    /*
     * A MAP_FIXED mapping made and removed at once, before the first call:
     * its page dump in QEMU's -d page log is the layout the calls start
     * from (start-up's later mprotects, of RELRO say, dump nothing).
     */
    sys_mmap(PROBE, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
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
        word i = num(&p);
        cur = i;
        if (!strcmp(cmd, "open")) {
            char *path = next_tok(&p);
            word rw = num(&p);
            long r = open(path, rw ? O_RDWR : O_RDONLY);
            if (r >= 0 && i < 16) {
                fds[i] = (int)r;
            }
            result(i, r);
        } else if (!strcmp(cmd, "mmap")) {
            word a = num(&p), l = num(&p), prot = num(&p), fl = num(&p);
            long f = (long)num(&p);
            word off = num(&p);
            result(i, sys_mmap(a, l, prot, fl, f < 0 ? -1 : fd_of(f), off));
        } else if (!strcmp(cmd, "munmap")) {
            word a = num(&p), l = num(&p);
            result(i, syscall(SYS_munmap, a, l));
        } else if (!strcmp(cmd, "mprotect")) {
            word a = num(&p), l = num(&p), prot = num(&p);
            result(i, syscall(SYS_mprotect, a, l, prot));
        } else if (!strcmp(cmd, "mremap")) {
            word a = num(&p), ol = num(&p), nl = num(&p), fl = num(&p), na = num(&p);
            result(i, syscall(SYS_mremap, a, ol, nl, fl, na));
        } else if (!strcmp(cmd, "msync")) {
            word a = num(&p), l = num(&p), fl = num(&p);
            result(i, syscall(SYS_msync, a, l, fl));
        } else if (!strcmp(cmd, "madvise")) {
            word a = num(&p), l = num(&p), adv = num(&p);
            result(i, syscall(SYS_madvise, a, l, adv));
        } else if (!strcmp(cmd, "pwrite")) {
            static unsigned char data[4096];
            long f = (long)num(&p);
            word off = num(&p), b = num(&p), cnt = num(&p);
            if (cnt > sizeof(data)) {
                cnt = sizeof(data);
            }
            memset(data, (int)b, cnt);
            result(i, sys_pwrite(fd_of(f), data, cnt, off));
        } else if (!strcmp(cmd, "ftruncate")) {
            long f = (long)num(&p);
            word size = num(&p);
            result(i, syscall(SYS_ftruncate, fd_of(f), size));
        } else if (!strcmp(cmd, "load")) {
            word a = num(&p), cnt = num(&p);
            do_load(i, a, cnt);
        } else if (!strcmp(cmd, "store")) {
            word a = num(&p), b = num(&p), cnt = num(&p);
            do_store(i, a, b, cnt);
        } else if (!strcmp(cmd, "pages")) {
            word lo = num(&p), hi = num(&p);
            do_pages(i, lo, hi);
        }
        if (!end) {
            break;
        }
        line = end + 1;
    }
    return 0;
}
