//go:build linux && amd64

// Command pkuvm is the init process of a throwaway virtual machine that runs
// hostvm's Linux differential (TestLinuxDiff) on a CPU this machine may not
// have: QEMU's software CPU "max" has protection keys (pku). run.sh builds
// the machine: a Debian kernel, this program as /init, the hostvm test
// binary, the ext4 modules, and a disk for the test's files.
//
// As /init it mounts /proc, /sys, /dev and /tmp, loads the kernel modules
// /mods/order.txt names (finit_module), mounts /dev/vda (ext4) on /mnt for
// the test's files (hostvm models ext4), runs each line of /run.txt as a
// command in /work with TMPDIR=/mnt, printing its output to the console,
// and powers the machine off.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// sysFinitModule is finit_module(2) on x86-64 (the syscall package does not
// name it).
const sysFinitModule = 313

func main() {
	if os.Getpid() != 1 {
		fmt.Fprintln(os.Stderr, "pkuvm: this is a virtual machine's /init (see run.sh), not a command")
		os.Exit(2)
	}
	for _, m := range []struct{ src, dst, typ string }{
		{"proc", "/proc", "proc"}, {"sysfs", "/sys", "sysfs"}, {"devtmpfs", "/dev", "devtmpfs"}, {"tmpfs", "/tmp", "tmpfs"},
	} {
		os.MkdirAll(m.dst, 0o755)
		if err := syscall.Mount(m.src, m.dst, m.typ, 0, ""); err != nil {
			fmt.Println("pkuvm: mount", m.dst+":", err)
		}
	}
	loadModules()
	mountDisk()
	lines, err := os.ReadFile("/run.txt")
	if err != nil {
		fmt.Println("pkuvm:", err)
	}
	for _, line := range strings.Split(string(lines), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		fmt.Println("=== pkuvm run:", line)
		c := exec.Command(f[0], f[1:]...)
		c.Dir = "/work"
		c.Env = []string{"HOME=/tmp", "TMPDIR=/mnt", "PATH=/"}
		c.Stdout, c.Stderr = os.Stdout, os.Stdout
		fmt.Println("=== pkuvm exit:", c.Run())
	}
	syscall.Sync()
	syscall.Reboot(syscall.LINUX_REBOOT_CMD_POWER_OFF)
}

// loadModules loads the modules /mods/order.txt lists, in its order.
func loadModules() {
	order, err := os.ReadFile("/mods/order.txt")
	if err != nil {
		return
	}
	params := []byte{0}
	for _, name := range strings.Fields(string(order)) {
		f, err := os.Open("/mods/" + name)
		if err != nil {
			fmt.Println("pkuvm: module", name+":", err)
			continue
		}
		if _, _, e := syscall.Syscall(sysFinitModule, f.Fd(), uintptr(unsafe.Pointer(&params[0])), 0); e != 0 {
			fmt.Println("pkuvm: module", name+":", e)
		}
		f.Close()
	}
}

// mountDisk mounts /dev/vda, once the virtio driver has found it, on /mnt.
func mountDisk() {
	for i := 0; i < 100; i++ {
		if _, err := os.Stat("/dev/vda"); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	os.MkdirAll("/mnt", 0o755)
	if err := syscall.Mount("/dev/vda", "/mnt", "ext4", 0, ""); err != nil {
		fmt.Println("pkuvm: mount /dev/vda on /mnt:", err)
		return
	}
	fmt.Println("pkuvm: /dev/vda (ext4) on /mnt")
}
