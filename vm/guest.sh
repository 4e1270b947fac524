# The guest side of /init (vm/init.sh, both architectures, sources it;
# vm/boot.sh copies it to /guest.sh): mounts, the results port, KTAP
# results, checks, programs, the kernel log.
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox mount -t debugfs debugfs /sys/kernel/debug
mkdir -p /tmp
export PATH=/bin:/sbin
# Shared libraries of the plan's programs, copied by vm/run.sh.
[ -f /etc/ld_library_path ] && LD_LIBRARY_PATH=$(cat /etc/ld_library_path) && export LD_LIBRARY_PATH
# KTAP goes to $RESULTS, the second port (vm/arch/*.conf), apart from the console.
exec 3>"$RESULTS"
out() { echo "$*" >&3; }
out "KTAP version 1"
# A check's output: diagnostics under its result.
diag() { sed 's/^/# /' >&3; }
# A program's output: its KTAP nested under its result. An init whose
# programs must not be counted leaf by leaf (must-fail twins) redefines it.
nest() { sed 's/^/    /' >&3; }
up() { cut -d' ' -f1 /proc/uptime; }
# Every SysRq function: the host's account of a guest that outlives its
# limit is the kernel's own backtraces (vm/boot.sh stuck_report). A kernel
# built without SysRq (the tree kernel) has no such file.
[ -w /proc/sys/kernel/sysrq ] && echo 1 >/proc/sys/kernel/sysrq
dmesg >/tmp/dmesg.boot
# Where the tests begin in the kernel log: a debug kernel's own reports
# before it (vm/debug_reports.py) are the kernel's, not the module's.
echo "dirtyscope-vm: tests begin" >/dev/kmsg
# A kernel with kmemleak (KERNEL=debug): forget what boot allocated, so the
# scan in dmesg_clean reports only what leaked while the tests ran.
KMEMLEAK=/sys/kernel/debug/kmemleak
[ -w $KMEMLEAK ] && echo clear >$KMEMLEAK
n=0
# result RC NAME: 0 pass, 4 skip (kselftest's code), else fail; a failure's
# exit code goes on a diagnostic line, so the result line keeps the bare
# NAME that host-side parsers look tests up by.
result() {
	n=$((n + 1))
	case $1 in
	0) out "ok $n $2" ;;
	4) out "ok $n $2 # SKIP" ;;
	*) out "# $2: exit $1" && out "not ok $n $2" ;;
	esac
}
# step NAME CMD...: a shell check, its output as diagnostics, then its result
step() {
	name=$1
	shift
	"$@" >/tmp/step.out 2>&1
	rc=$?
	diag </tmp/step.out
	result $rc "$name"
}
# Each program's /results/NN-NAME.{ktap,rc,cmd,json} go to $FILES, the third
# port, as it ends (a base64 tar, then a blank line); vm/boot.sh unpacks.
np=0
mkdir -p /results
# next_files NAME: the next program's NN-NAME (NAME's first word, no path)
next_files() { w=${1%% *}; printf %02d-%s $((np + 1)) "${w##*/}"; }
# prog NAME LIMIT CMD...: a program run for at most LIMIT seconds
prog() {
	name=$1 tmo=$2
	shift 2
	f=$(next_files "$name")
	np=$((np + 1))
	out "# running: $*"
	echo "$*" >"/results/$f.cmd"
	start=$(up)
	timeout "$tmo" "$@" </dev/null >"/results/$f.ktap" 2>&1
	rc=$?
	echo $rc >"/results/$f.rc"
	nest <"/results/$f.ktap"
	(cd /results && tar -c "$f".* | base64 && echo) >"$FILES"
	[ $rc -eq 124 ] || [ $rc -eq 143 ] && out "# $name: timed out after ${tmo}s"
	out "# $name: guest uptime $start -> $(up) s"
	result $rc "$name"
}
# run_plan FILE: one program a line, "LIMIT<TAB>NAME<TAB>KIND<TAB>REGEX<TAB>
# COMMAND"; KIND and REGEX other than "-" are judged by /bin/expect
# (vm/expect.sh): "=" must run, "!" must fail; @JSON@ is its JSON's path.
run_plan() {
	while IFS='	' read -r tmo name kind re cmd; do
		[ -n "$cmd" ] || continue
		cmd=$(echo "$cmd" | sed "s|@JSON@|/results/$(next_files "$name").json|g")
		# shellcheck disable=SC2086 # the command is a word list on purpose
		if [ "$kind$re" = -- ]; then
			prog "$name" "$tmo" $cmd
		else
			prog "$name" "$tmo" /bin/expect "$kind" "$re" $cmd
		fi
	done <"$1"
}
# status_has REGEX: the module's status has a matching line; show_status prints it, fails.
status_has() { grep -q "$1" /sys/kernel/debug/dirtyscope/status; }
show_status() { cat /sys/kernel/debug/dirtyscope/status; return 1; }
# finish LINE: the last diagnostic, then power off.
finish() { out "$1"; sync; poweroff -f; }
# reload_module: the module out and in again, every hook attached (the
# init's own attached()).
reload_module() { rmmod dirtyscope && insmod /dirtyscope.ko && attached; }
final_rmmod() { rmmod dirtyscope && ! grep -q '^dirtyscope ' /proc/modules; }
# dmesg_clean [REGEX]: the kernel log since boot has no warning, oops or
# leak report, no deprecation notice naming the module (7.2's "work func
# ds_... [dirtyscope] enqueued on deprecated workqueue"), nor REGEX; only
# after boot counts, since CPU-bug banners under TCG may say WARNING
# before any module is loaded.
dmesg_clean() {
	# kmemleak's findings go into the kernel log, one record per line, so
	# this check and the host's report count (vm/debug_reports.py) see them.
	# Two scans: kmemleak reports an object only once its contents are the
	# same at two scans in a row (a new one is only checksummed at the first).
	if [ -w $KMEMLEAK ]; then
		echo scan >$KMEMLEAK
		echo scan >$KMEMLEAK
		while read -r line; do echo "kmemleak: $line" >/dev/kmsg; done <$KMEMLEAK
	fi
	dmesg | tail -n +$(($(wc -l </tmp/dmesg.boot) + 1)) >/tmp/dmesg.txt
	grep dirtyscope /tmp/dmesg.txt
	! grep -E "WARNING:|BUG:|Oops|Call Trace|leak|unreferenced object|UBSAN:|general protection|refcount_t|dirtyscope.*deprecated|deprecated.*dirtyscope${1:+|$1}" /tmp/dmesg.txt
}
