#include "dirtyscope/ktap.hpp"

namespace dirtyscope {

void Ktap::header(size_t planned) {
  std::fprintf(out_, "KTAP version 1\n1..%zu\n", planned);
  std::fflush(out_);
}

void Ktap::diag(const std::string& line) {
  std::fprintf(out_, "# %s\n", line.c_str());
  std::fflush(out_);
}

void Ktap::result(bool ok, const std::string& name, const std::string& directive) {
  std::fprintf(out_, "%s %zu %s%s\n", ok ? "ok" : "not ok", ++number_, name.c_str(), directive.c_str());
  std::fflush(out_);
}

void Ktap::pass(const std::string& name) {
  ++passed_;
  result(true, name, "");
}

void Ktap::fail(const std::string& name) {
  ++failed_;
  result(false, name, "");
}

void Ktap::skip(const std::string& name, const std::string& reason) {
  ++skipped_;
  result(true, name, " # SKIP " + reason);
}

int Ktap::finish() {
  std::fprintf(out_, "# Totals: pass:%zu fail:%zu xfail:0 xpass:0 skip:%zu error:0\n", passed_, failed_,
               skipped_);
  std::fflush(out_);
  if (failed_) return kExitFail;
  if (passed_ == 0 && skipped_ > 0) return kExitSkip;
  return kExitPass;
}

void Ktap::skip_all(const std::string& reason, std::FILE* out) {
  std::fprintf(out, "KTAP version 1\n1..0 # SKIP %s\n", reason.c_str());
  std::fflush(out);
}

}  // namespace dirtyscope
