#!/usr/bin/env bash
# Installs the Debian packages a feature set needs, only when missing, so
# `make deps` is idempotent and cheap on a machine that already has them.
# Usage: install-deps.sh GROUP...   (groups: core bpf kmod vm plot)
set -euo pipefail

declare -A groups=(
  [core]="build-essential cmake g++ libgtest-dev libgmock-dev libbenchmark-dev pkg-config"
  [bpf]="clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev"
  [netlink]="libnl-3-dev libnl-genl-3-dev"
  [plot]="gnuplot-nox"
)

wanted=()
for g in "$@"; do
  [[ -n "${groups[$g]+x}" ]] || { echo "install-deps: unknown group '$g' (known: ${!groups[*]})" >&2; exit 2; }
  for p in ${groups[$g]}; do wanted+=("$p"); done
done

missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing packages ${missing[*]}; run as root or install them" >&2
  exit 2
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
