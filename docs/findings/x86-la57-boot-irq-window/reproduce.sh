#!/usr/bin/env bash
# Boots an x86-64 KASAN kernel N times under QEMU/TCG with 5-level paging
# (-cpu max offers LA57) and counts the boots whose log has KASAN's
# wild-memory-access report from an interrupt taken while identify_cpu()
# rebuilds the boot CPU's feature words. Each boot is stopped as soon as
# the kernel is past that point ("x86/fpu:" is printed after it), so a boot
# costs seconds, not a whole start-up.
# Usage: reproduce.sh [N] [BZIMAGE]   (default 20, the debug kernel of
#        `make vm-test KERNEL=debug`: build/kernels/debug/out/arch/x86/boot/bzImage)
# Prints one line per boot and "hit H of N"; exit 0 when no boot hit, 1
# when one did, 2 on bad input. Logs: $OUT (default build/findings/la57-window).
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
n=${1:-20}
image=${2:-$root/build/kernels/debug/out/arch/x86/boot/bzImage}
out=${OUT:-$root/build/findings/la57-window}
[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "reproduce.sh: N='$n' is not a positive number" >&2; exit 2; }
[[ -f $image ]] || { echo "reproduce.sh: no kernel image '$image' (make vm-test KERNEL=debug builds it)" >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null || { echo "reproduce.sh: qemu-system-x86_64 not installed" >&2; exit 2; }
mkdir -p "$out"
hits=0
for i in $(seq 1 "$n"); do
  log=$out/boot-$i.log
  : >"$log"
  qemu-system-x86_64 -M pc -accel tcg -cpu max -smp 1 -m 1G -nographic -no-reboot \
    -kernel "$image" -append "console=ttyS0 panic=-1" </dev/null >"$log" 2>&1 &
  qemu=$!
  # Past identify_cpu, or the kernel died, or 600 s: stop the boot.
  for _ in $(seq 1 6000); do
    grep -q -e 'x86/fpu:' -e 'Kernel panic' "$log" && break
    kill -0 "$qemu" 2>/dev/null || break
    sleep 0.1
  done
  kill "$qemu" 2>/dev/null || true
  wait "$qemu" 2>/dev/null || true
  if grep -q 'BUG: KASAN: wild-memory-access' "$log"; then
    hits=$((hits + 1))
    echo "boot $i: hit: $(grep -m1 'BUG: KASAN' "$log" | sed 's/^\[[^]]*\] //'), interrupted at $(grep -m1 '^\[.*\] RIP: ' "$log" | sed 's/^.*RIP: [0-9a-f]*:\{0,1\}//')"
  else
    echo "boot $i: clean"
  fi
done
echo "hit $hits of $n ($image)"
((hits == 0))
