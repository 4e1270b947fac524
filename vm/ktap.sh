# KTAP results for the VM inits (vm/init.sh, vm/arm64/init.sh,
# vm/arm64/kmod-init.sh source it; their packers copy it to /ktap.sh).
# Each init first defines where lines go:
#   out LINE   a top-level KTAP line
#   diag       a filter: a check's output, turned into diagnostics under it
n=0
# result RC NAME: 0 pass, 4 skip (kselftest's code), else fail; a failure's
# exit code goes on a diagnostic line, so the result line keeps the bare
# NAME that host-side parsers look tests up by.
result() {
	n=$((n + 1))
	case $1 in
	0) out "ok $n $2" ;;
	4) out "ok $n $2 # SKIP" ;;
	*)
		out "# $2: exit $1"
		out "not ok $n $2"
		;;
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
