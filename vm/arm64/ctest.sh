#!/usr/bin/env bash
# ctest's vm.arm64_selftests: cross-build (make build ARCH=arm64, its own
# build-arm64/ directory) and run the short arm64 cycle plus the module's
# arm64 suite (vm/arm64/suite.sh short --kmod).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
make -C "$ROOT" --no-print-directory build ARCH=arm64 >/dev/null
exec "$ROOT/vm/arm64/suite.sh" short --kmod
