# The start every host-side vm/ script shares (sourced after setting WHO):
# ROOT is the checkout, BUILD_DIR absolute (default build), die and note
# print one WHO-prefixed line on stderr (die then exits 2).
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-build}
[[ $BUILD_DIR = /* ]] || BUILD_DIR=$ROOT/$BUILD_DIR
die() { echo "$WHO: $*" >&2; exit 2; }
note() { echo "$WHO: $*" >&2; }
