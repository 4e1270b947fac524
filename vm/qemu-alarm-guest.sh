#!/bin/sh
# Guest side of the QEMU check (vm/qemu-alarm.sh; docs/statistics-and-alarm.md):
# QEMU runs vm/qemu-guest/dirtier.S on KVM with a RING-entry dirty ring and
# migrates it to `exec:cat > /dev/null` (logging on); `dirtyscope stats -p`,
# one watcher per source in SOURCES, must count ring pushes, resets and
# ring-full exits, know the ring size and give the verdict EXPECT (ok,
# overrun, or any).
# Usage: qemu-alarm-guest.sh BIN_DIR QEMU GUEST_ELF RING SECONDS EXPECT SOURCES...
# KTAP on stdout; exit 0 pass, 1 fail.
bin=$1 qemu_bin=$2 elf=$3 ring=$4 secs=$5 expect=$6
shift 6
# Its FIFOs and logs: /tmp in the guest; on a host (live.qemu_host_alarm)
# a private folder, QEMU_ALARM_TMP.
tmp=${QEMU_ALARM_TMP:-/tmp}
# shellcheck source=alarm-lib.sh
. "$(command -v alarm-lib || echo "${0%/*}/alarm-lib.sh")"
alarm_plan $#
qmp=$tmp/qmp
rm -f $qmp.in $qmp.out
mkfifo $qmp.in $qmp.out
# QMP over a pipe chardev: busybox has no unix-socket client. QEMU reads
# $qmp.in and writes $qmp.out.
"$qemu_bin" -machine pc -accel kvm,dirty-ring-size="$ring" -m 64M -smp 1 \
	-display none -nodefaults -no-reboot -kernel "$elf" \
	-chardev pipe,id=qmp,path=$qmp -mon chardev=qmp,mode=control >$tmp/qemu.log 2>&1 &
qemu=$!
watchers=""
# Cut short (the harness's per-program limit sends TERM): QEMU and the
# watchers go with this script, so a stuck QEMU does not hold the guest's
# CPU through the rest of the suite.
# shellcheck disable=SC2086 # a list of pids
trap 'kill -9 $qemu $watchers 2>/dev/null; exit 143' TERM
# Read-write opens: a FIFO opened O_RDWR does not wait for the other end
# (Linux), so a QEMU that dies at start cannot hang or kill this script.
exec 7<>$qmp.in 8<>$qmp.out
sleep 2
if ! kill -0 $qemu 2>/dev/null; then
	sed 's/^/# qemu: /' $tmp/qemu.log
	wait $qemu
	echo "not ok 1 QEMU did not start (exit $?)"
	exit 1
fi
qmp() { echo "$1" >&7; }
: >$tmp/qmp.log
# qmp_wait PATTERN SECONDS: read QMP output (kept in $tmp/qmp.log) until a
# line matches; the last line read is in $line.
qmp_wait() {
	end=$(($(date +%s) + $2))
	while [ "$(date +%s)" -lt $end ]; do
		if read -t 1 -r line <&8; then
			echo "$line" >>$tmp/qmp.log
			case $line in *$1*) return 0 ;; esac
		fi
	done
	return 1
}
qmp '{"execute":"qmp_capabilities"}'
for src in "$@"; do
	"$bin/dirtyscope" stats -p $qemu -i 1 --json --cumulative --source "$src" \
		>$tmp/qemu-alarm-$src.json 2>$tmp/qemu-alarm-$src.err &
	watchers="$watchers $!"
done
# Logging must not start before every watcher is attached (a BPF load
# under TCG takes seconds): each prints its first batch once attached.
t=$(date +%s)
for src in "$@"; do
	while [ ! -s $tmp/qemu-alarm-$src.json ] && [ $(($(date +%s) - t)) -lt 60 ]; do sleep 0.5; done
	[ -s $tmp/qemu-alarm-$src.json ] || { echo "# $src watcher printed nothing in 60 s:"; sed 's/^/# /' $tmp/qemu-alarm-$src.err; }
done
echo "# watchers ready after $(($(date +%s) - t)) s"
# Nor before the guest runs (it counts its passes at 0x3ff000): a slow
# start would leave clean memory, and the migration would complete.
passes=0 t=$(date +%s)
while [ $(($(date +%s) - t)) -lt 60 ]; do
	qmp '{"execute":"human-monitor-command","arguments":{"command-line":"xp /1wx 0x3ff000"}}'
	if qmp_wait '3ff000:' 5; then
		passes=$(printf '%d' "$(echo "$line" | grep -o '0x[0-9a-f]*' | tail -n 1)")
		[ "$passes" -ge 2 ] && break
	fi
	sleep 1
done
echo "# guest made $passes passes over its memory before the migration ($(($(date +%s) - t)) s)"
[ "$passes" -ge 2 ] || { tail -n 5 $tmp/qmp.log | sed 's/^/# qmp: /'; sed 's/^/# qemu: /' $tmp/qemu.log; }
# A migration that never converges keeps dirty logging on for the whole
# window: 1 ms of allowed downtime and a bandwidth cap far below the
# guest's dirtying rate.
qmp '{"execute":"migrate-set-parameters","arguments":{"downtime-limit":1,"max-bandwidth":4194304}}'
qmp '{"execute":"migrate","arguments":{"uri":"exec:cat > /dev/null"}}'
t0=$(date +%s)
# In the background: a TERM is handled at once, not when the sleep ends.
sleep "$secs" &
wait $!
qmp '{"execute":"query-migrate"}'
qmp_wait '"ram"' 10
qmp '{"execute":"migrate_cancel"}'
# Two more batches after the cancel's last reset before QEMU destroys its
# VM (the module forgets a destroyed VM): kmod and bpf stay comparable.
sleep 3
qmp '{"execute":"quit"}'
qmp_wait SHUTDOWN 10 || echo "# no SHUTDOWN event from QEMU within 10 s of quit"
# wait_exit PID WHAT SECONDS: a process that should end on its own gets that
# long, then is killed and named, so nothing here waits without a limit.
wait_exit() {
	end=$(($(date +%s) + $3))
	while kill -0 "$1" 2>/dev/null && [ "$(date +%s)" -lt $end ]; do sleep 0.5; done
	killed=0
	kill -0 "$1" 2>/dev/null && { echo "# $2 (pid $1) still running $3 s later: killed"; kill -9 "$1" 2>/dev/null; killed=1; }
	wait "$1"
}
# QEMU ignoring quit is only noted; a watcher outliving its process fails
# (stats -p must end with it).
hung=0
wait_exit $qemu "QEMU after quit" 60
qrc=$?
qemu_killed=$killed
t1=$(date +%s)
# shellcheck disable=SC2086
for w in $watchers; do
	wait_exit $w "dirtyscope stats watcher after QEMU exited" 60
	[ $killed -eq 0 ] || hung=1
done
if [ $hung -ne 0 ] || [ $qemu_killed -ne 0 ]; then
	sed 's/^/# qemu: /' $tmp/qemu.log
	for src in "$@"; do sed "s/^/# $src watcher: /" $tmp/qemu-alarm-$src.err; done
fi
echo "# qemu exit $qrc; migration window $((t1 - t0)) s; ring $ring entries"
grep -o '"status": "[a-z-]*"' $tmp/qmp.log | head -n 3 | sed 's/^/# migration /'
grep -o '"dirty-sync-count": [0-9]*' $tmp/qmp.log | sed 's/^/# /'
sed 's/^/# qemu: /' $tmp/qemu.log | head -n 5
for src in "$@"; do
	json=$tmp/qemu-alarm-$src.json
	counts "$json" "$src"
	echo "# $src: pushes ${pushes:-none} resets ${resets:-none} ring-full exits ${full:-none}" \
		"hwm ${hwm:-none} ring size ${size:-unknown} alarm ${alarm:-none}"
	sed 's/^/# stats: /' $tmp/qemu-alarm-$src.err
	ok=1
	[ $hung -eq 0 ] || { ok=0; echo "# a watcher outlived QEMU and was killed (above)"; }
	counted
	[ "${size:-0}" = "$ring" ] || { ok=0; echo "# ring size ${size:-unknown}, want $ring"; }
	case $expect/$alarm in
	any/ok | any/late | any/overrun | ok/ok | overrun/overrun) ;;
	*) ok=0; echo "# ring alarm '${alarm:-none}', want $expect" ;;
	esac
	# Two sources on one QEMU, both attached before logging began: the
	# counts must be the same numbers, not just both non-zero.
	[ -z "${seen:-}" ] || [ "$seen" = "$pushes/$resets/$full" ] ||
		{ ok=0; echo "# $src counted $pushes/$resets/$full (pushes/resets/full exits), the first source $seen"; }
	seen=${seen:-$pushes/$resets/$full}
	verdict "QEMU watched by dirtyscope stats --source $src" "$json"
done
[ $fails = 0 ]
