# Every host-side vm/ script's start (sourced after setting WHO): ROOT, the
# checkout; BUILD_DIR, absolute; die (exit 2) and note, one line on stderr.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-build}
[[ $BUILD_DIR = /* ]] || BUILD_DIR=$ROOT/$BUILD_DIR
die() { echo "$WHO: $*" >&2; exit 2; }
note() { echo "$WHO: $*" >&2; }
