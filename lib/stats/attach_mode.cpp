#include "dirtyscope/stats/bpf_stats_source.hpp"

namespace dirtyscope::stats {

// Shared by the real source and the no-BPF stub, so the CLI can name modes
// either way.
std::string_view attach_mode_name(AttachMode mode) {
  switch (mode) {
    case AttachMode::Auto: return "auto";
    case AttachMode::TpBtf: return "tp_btf";
    case AttachMode::RawTp: return "raw_tp";
    case AttachMode::Tp: return "tp";
  }
  return "?";
}

}  // namespace dirtyscope::stats
