# A private apt state: its own sources.list, lists, cache and status file
# in one folder, so fetching a kernel never touches the host's apt
# configuration, dpkg architectures or installed packages. Sourced after vm/lib.sh.
# apt_mirror: the archive host the host's own sources name (deb822 or
# one-line), else deb.debian.org.
apt_mirror() {
  local m
  m=$( (cat /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null || true) |
    grep -oE 'https?://[^ ]+/debian/?( |$)' | head -n1 | tr -d ' ' || true)
  echo "${m:-http://deb.debian.org/debian}"
}
# apt_state DIR ARCH SUITE [MIRROR]: sets APT_OPTS (apt-get's options) and
#   APT_LIST (the suite's Packages list), updating the lists the first time.
apt_state() {
  local dir=$1 arch=$2 suite=$3 mirror=${4:-${DEBIAN_MIRROR:-http://deb.debian.org/debian}} lists
  APT_OPTS=(-o "Dir::Etc::sourcelist=$dir/sources.list" -o Dir::Etc::sourceparts=-
    -o "Dir::State::Lists=$dir/lists" -o "Dir::State::status=$dir/status" -o "Dir::Cache=$dir/cache"
    -o Dir::Etc::preferencesparts=- -o "APT::Architecture=$arch" -o "APT::Architectures=$arch"
    -o APT::Sandbox::User=root -o Debug::NoLocking=1)
  mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
  : >>"$dir/status"
  echo "deb [arch=$arch signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${mirror%/} $suite main" \
    >"$dir/sources.list"
  lists=("$dir"/lists/*_"${suite}"_main_binary-"${arch}"_Packages*)
  if [[ ! -f ${lists[0]} ]]; then
    note "apt-get update (private $arch lists in $dir, $suite from $mirror)"
    apt-get -q "${APT_OPTS[@]}" update >"$dir/update.log" 2>&1 ||
      { tail -n 5 "$dir/update.log" >&2; die "apt-get update for $suite failed (log: $dir/update.log)"; }
    lists=("$dir"/lists/*_"${suite}"_main_binary-"${arch}"_Packages*)
  fi
  [[ -f ${lists[0]} ]] || die "no $suite $arch Packages list in $dir/lists"
  APT_LIST=${lists[0]}
}
# apt_packages: the Packages list as text (apt may keep it compressed).
apt_packages() { /usr/lib/apt/apt-helper cat-file "$APT_LIST"; }
# apt_newest REGEX: "PACKAGE VERSION", the newest package whose name
# matches REGEX (awk), debug packages aside.
apt_newest() {
  apt_packages | awk -v re="$1" '/^Package: /{p=$2} /^Version: /{ if (p ~ re && p !~ /-dbg$/) print p, $2 }' |
    sort -V -k2 | tail -n1
}
# apt_deb DIR PKG VERSION: the path of PKG=VERSION's .deb in DIR, downloaded
# if missing (log DIR/download.log).
apt_deb() {
  local found=("$1/${2}_${3//:/%3a}_"*.deb)
  [[ ! -f ${found[0]} ]] || { echo "${found[0]}"; return; }
  note "downloading $2=$3"
  (cd "$1" && apt-get -q "${APT_OPTS[@]}" download "$2=$3") >>"$1/download.log" 2>&1 ||
    { tail -n 5 "$1/download.log" >&2; die "apt-get download of $2=$3 failed (log: $1/download.log)"; }
  found=("$1/${2}_${3//:/%3a}_"*.deb)
  echo "${found[0]}"
}
# apt_extract ROOT DEB...: ROOT made afresh with every DEB unpacked into it.
apt_extract() {
  local root=$1 deb
  rm -rf "$root" && mkdir -p "$root"
  for deb in "${@:2}"; do dpkg-deb -x "$deb" "$root"; done
}
# apt_unpack_source DEB DIR: the tree a linux-source .deb carries as its
# linux-source-X.Y.tar.xz, unpacked into DIR.
apt_unpack_source() {
  mkdir -p "$2"
  dpkg-deb --fsys-tarfile "$1" | tar -xO --wildcards '*/linux-source-*.tar.xz' | tar -xJ -C "$2" --strip-components=1
}
# apt_source_tree DEBS PKG VERSION SRC [STALE...]: SRC holds the tree of
#   linux-source PKG=VERSION (SRC/.version says which), unpacked from its
#   .deb in DEBS (downloaded if missing) unless it already does; the STALE
#   folders, built from the tree it replaces, go with that tree.
apt_source_tree() {
  [[ ! -f $4/.version || $(cat "$4/.version") != "$3" ]] || return 0
  local deb
  deb=$(apt_deb "$1" "$2" "$3")
  rm -rf "$4" "${@:5}"
  note "unpacking $2 $3 into $4"
  apt_unpack_source "$deb" "$4"
  echo "$3" >"$4/.version"
}
