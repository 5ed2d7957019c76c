#!/usr/bin/env bash
# Runs hostvm's Linux differential (TestLinuxDiff) in a virtual machine whose
# CPU has protection keys (pku), for a machine that has none: QEMU's
# software CPU "max" has them, and Linux gives a PROT_EXEC-only mapping the
# execute-only key there. The package comment of init.go says how.
#
#   bash internal/pkuvm/run.sh [FIRST [LAST [CPU [FLAGS...]]]]
#
# runs seeds FIRST..LAST (default 1..200), one TestLinuxDiff per seed, on
# the QEMU CPU model CPU (default "max"; "max,-pku" takes the keys away),
# with FLAGS added to each test's (default: 600 calls per seed, bounded by
# calls, not time, so that a seed compares the same calls whatever the
# speed). The console goes to pkuvm-CPU-FIRST-LAST.log in the current
# directory, and the last lines printed sum it up.
#
# Needs: Go, qemu-system-x86 (a KVM-less software CPU is enough), cpio,
# e2fsprogs, curl, xz-utils; the network to reach deb.debian.org, for
# Debian unstable's newest kernel (hostvm models Linux 6.18; a newer kernel
# differs where Linux changed since, and the test's -linuxdiff.strict
# reports that too: compare with CPU "max,-pku" to tell those apart).
set -euo pipefail
first=${1:-1} last=${2:-200} cpu=${3:-max}
shift $(( $# < 3 ? $# : 3 ))
flags=${*:--linuxdiff.calls=600 -linuxdiff.time=600s}
root=$(cd "$(dirname "$0")/../.." && pwd)
cache=${PKUVM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mmapsim-pkuvm}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$cache"

# The kernel and its modules: Debian unstable's newest amd64 kernel.
if [ ! -f "$cache/kernel/vmlinuz" ]; then
	curl -fsS http://deb.debian.org/debian/dists/sid/main/binary-amd64/Packages.xz | xz -dc > "$work/Packages"
	pick() { # the file of the newest package whose name matches $1
		awk -v re="$1" '/^Package: /{p=($2 ~ re)} p&&/^Filename: /{print $2}' "$work/Packages" | sort -V | tail -1
	}
	rm -rf "$cache/kernel" && mkdir -p "$cache/kernel"
	for re in '^linux-binary-[0-9.]+\+deb[0-9]+-amd64$' '^linux-modules-[0-9.]+\+deb[0-9]+-amd64$'; do
		f=$(pick "$re")
		curl -fsS -o "$work/pkg.deb" "http://deb.debian.org/debian/$f"
		dpkg-deb -x "$work/pkg.deb" "$work/x"
	done
	mods=$(echo "$work"/x/usr/lib/modules/*)
	cp "$mods/vmlinuz" "$cache/kernel/vmlinuz"
	# ext4 (and what it needs) and the virtio disk: modules in Debian.
	for m in lib/crc/crc16 fs/mbcache fs/jbd2/jbd2 fs/ext4/ext4 drivers/block/virtio_blk; do
		xz -dc "$mods/kernel/$m.ko.xz" > "$cache/kernel/$(basename "$m").ko"
	done
fi

# The machine's files: /init, the test binary, the modules, the seeds.
mkdir -p "$work/root/work" "$work/root/mods"
(cd "$root" && CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -o "$work/root/init" ./internal/pkuvm &&
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go test -c -o "$work/root/hostvm.test" ./hostvm)
cp -r "$root/hostvm/testdata" "$work/root/work/"
cp "$cache"/kernel/*.ko "$work/root/mods/"
echo "crc16.ko mbcache.ko jbd2.ko ext4.ko virtio_blk.ko" > "$work/root/mods/order.txt"
for n in $(seq "$first" "$last"); do
	echo "/hostvm.test -test.run TestLinuxDiff\$ -test.v -linuxdiff.strict $flags -linuxdiff.seed=$n"
done > "$work/root/run.txt"
(cd "$work/root" && find . | cpio -o -H newc --quiet | gzip -1 > "$work/initrd.gz")
truncate -s 1G "$work/disk.img"
mkfs.ext4 -q -F "$work/disk.img"

log="pkuvm-${cpu//,/}-$first-$last.log"
# proc_mem.force_override=always: the test reads pages through
# /proc/self/mem, which Debian's kernels refuse to force past a page's
# protection unless told.
qemu-system-x86_64 -cpu "$cpu" -m 2048 -smp 1 -nographic -no-reboot \
	-kernel "$cache/kernel/vmlinuz" -initrd "$work/initrd.gz" \
	-drive "file=$work/disk.img,if=virtio,format=raw" \
	-append "console=ttyS0 quiet panic=-1 rdinit=/init proc_mem.force_override=always" > "$log" 2>&1
grep -a -m1 'protection keys:' "$log" || true
echo "$(grep -ac '^--- PASS: TestLinuxDiff' "$log") seeds passed, $(grep -ac '^--- FAIL: TestLinuxDiff' "$log") failed (unexplained differences); console in $log"
