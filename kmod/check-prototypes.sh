#!/usr/bin/env bash
# Refuses a kernel whose tracepoint prototypes differ from dirtyscope.ko's
# probes. The probes attach by tracepoint name at run time; the x86 events
# (arch/x86/kvm/trace.h, mmutrace.h) are not in any headers package, so the
# compiler cannot check them, and a kernel that changed one would make a
# probe misread its arguments. This compares kmod/probe-prototypes.txt with
# the btf_trace_<tracepoint> typedefs in the kernel's BTF (vmlinux plus
# kvm.ko as split BTF on top of it), read by btf_prototypes.py beside this
# (a reader of its own that knows every BTF kind, so the check does not
# hang on a bpftool too old for the kernel's BTF). vm/run.sh runs it
# before every guest boot, dkms.conf before every dkms build.
#
# Usage: check-prototypes.sh [options]
#   --kernel REL     the kernel REL: /boot/vmlinuz-REL (or /sys/kernel/btf/vmlinux
#                    when REL is running) and /lib/modules/REL/.../kvm.ko*
#   --image FILE     a vmlinuz/bzImage (vmlinux is unpacked from it) or a vmlinux
#   --kvm-ko FILE    kvm.ko (.xz/.zst/.gz); none: KVM is looked up in vmlinux
#   --dump FILE      an already made list of "typedef void (*btf_trace_X)(...);"
#                    lines, as btf_prototypes.py or `bpftool btf dump ... format c`
#                    print them (tests)
#   --expected FILE  the expected list (default: probe-prototypes.txt beside this)
#   --cache DIR      keep the BTF dump there (keyed by the inputs)
# Exit 0 all match; 1 a mismatch or a missing tracepoint (one line each,
# naming the tracepoint and both prototypes); 2 usage error, or the check
# could not be made (no BTF, or BTF this reader cannot read): one line
# starting "check-prototypes: could not check". DIRTYSCOPE_SKIP_BTF_CHECK=1
# turns the check off (exit 0, with a warning).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
usage() { echo "check-prototypes: $*" >&2; exit 2; }
cannot_check() { echo "check-prototypes: could not check probe prototypes: $*" >&2; exit 2; }
REL='' IMAGE='' KVM_KO='' DUMP='' CACHE=''
EXPECTED=$HERE/probe-prototypes.txt
while (($#)); do
  case $1 in
  --kernel) REL=${2:?}; shift 2 ;;
  --image) IMAGE=${2:?}; shift 2 ;;
  --kvm-ko) KVM_KO=${2:?}; shift 2 ;;
  --dump) DUMP=${2:?}; shift 2 ;;
  --expected) EXPECTED=${2:?}; shift 2 ;;
  --cache) CACHE=${2:?}; shift 2 ;;
  *) usage "unknown argument '$1' (see the header of $0)" ;;
  esac
done
if [[ ${DIRTYSCOPE_SKIP_BTF_CHECK:-0} == 1 ]]; then
  echo "check-prototypes: WARNING: DIRTYSCOPE_SKIP_BTF_CHECK=1, probe prototypes not checked" >&2
  exit 0
fi
[[ -f $EXPECTED ]] || usage "expected list '$EXPECTED' not found"

if [[ -n $REL ]]; then
  if [[ -z $IMAGE ]]; then
    if [[ $REL == "$(uname -r)" && -r /sys/kernel/btf/vmlinux ]]; then
      IMAGE=/sys/kernel/btf/vmlinux
    else
      IMAGE=/boot/vmlinuz-$REL
    fi
  fi
  if [[ -z $KVM_KO && -d /lib/modules/$REL/kernel/arch/x86/kvm ]]; then
    KVM_KO=$(find "/lib/modules/$REL/kernel/arch/x86/kvm" -name 'kvm.ko*' | head -n1)
  fi
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [[ -z $DUMP ]]; then
  [[ -n $IMAGE ]] || usage "no kernel given (--kernel, --image or --dump)"
  [[ -r $IMAGE ]] || cannot_check "kernel image '$IMAGE' not readable"
  [[ -z $KVM_KO || -r $KVM_KO ]] || cannot_check "kvm.ko '$KVM_KO' not readable"
  key=$( { for f in "$IMAGE" ${KVM_KO:+"$KVM_KO"}; do
    echo "$(realpath "$f") $(stat -Lc '%s %Y' "$f")"; done; } | sha256sum | cut -c1-16)
  DUMP=${CACHE:+$CACHE/btf-$key.h}
  DUMP=${DUMP:-$tmp/btf.h}
  if [[ ! -s $DUMP ]]; then
    vmlinux=$IMAGE   # btf_prototypes.py unpacks a compressed image itself
    if [[ -n $KVM_KO ]]; then
      ko=$KVM_KO
      case $ko in
      *.xz) xz -dc "$ko" >"$tmp/kvm.ko"; ko=$tmp/kvm.ko ;;
      *.zst) zstd -qdc "$ko" >"$tmp/kvm.ko"; ko=$tmp/kvm.ko ;;
      *.gz) gzip -dc "$ko" >"$tmp/kvm.ko"; ko=$tmp/kvm.ko ;;
      esac
      # kvm.ko's BTF is split BTF on top of vmlinux's; the dump has both.
      python3 "$HERE/btf_prototypes.py" "$vmlinux" "$ko" >"$DUMP.tmp" 2>"$tmp/err" ||
        cannot_check "$(tail -n1 "$tmp/err") (kvm.ko $KVM_KO on top of $IMAGE)"
    else
      python3 "$HERE/btf_prototypes.py" "$vmlinux" >"$DUMP.tmp" 2>"$tmp/err" ||
        cannot_check "$(tail -n1 "$tmp/err") ($IMAGE)"
    fi
    mv "$DUMP.tmp" "$DUMP"
  fi
fi
[[ -s $DUMP ]] || cannot_check "no tracepoint prototypes in '$DUMP'"

bad=0
while IFS=$'\t' read -r tp args; do
  [[ -z $tp || $tp == \#* ]] && continue
  want="void (*)($args)"
  # "typedef void (*btf_trace_kvm_exit)(void *, struct kvm_vcpu *, u32);"
  line=$(grep -F "(*btf_trace_$tp)(" "$DUMP" | head -n1 || true)
  if [[ -z $line ]]; then
    echo "MISMATCH: tracepoint $tp: probe expects $want; kernel BTF has no btf_trace_$tp"
    bad=1
    continue
  fi
  have=$(sed -E "s/^typedef (.*)\(\*btf_trace_$tp\)\((.*)\);\$/\1(*)(\2)/" <<<"$line")
  if [[ $have == "$want" ]]; then
    echo "match: $tp: $want"
  else
    echo "MISMATCH: tracepoint $tp: probe expects $want; kernel BTF has $have"
    bad=1
  fi
done <"$EXPECTED"
if ((bad)); then
  echo "check-prototypes: refusing: dirtyscope.ko's probes do not match this kernel's tracepoints (update kmod/probes*.c and kmod/probe-prototypes*.txt)"
fi
exit $bad
