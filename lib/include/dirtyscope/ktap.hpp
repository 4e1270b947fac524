// KTAP version 1 output and kselftest exit codes, as the kernel's
// selftests print them (Documentation/dev-tools/ktap.rst).
#pragma once

#include <cstdio>
#include <string>

namespace dirtyscope {

inline constexpr int kExitPass = 0;
inline constexpr int kExitFail = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitSkip = 4;

class Ktap {
 public:
  explicit Ktap(std::FILE* out = stdout) : out_(out) {}
  void header(size_t planned);
  void diag(const std::string& line);  // "# line"
  void pass(const std::string& name);
  void fail(const std::string& name);
  void skip(const std::string& name, const std::string& reason);
  // "# Totals: ..." and the kselftest exit code for what was reported.
  int finish();
  static void skip_all(const std::string& reason, std::FILE* out = stdout);  // "1..0 # SKIP"

 private:
  void result(bool ok, const std::string& name, const std::string& directive);
  std::FILE* out_;
  size_t number_ = 0, passed_ = 0, failed_ = 0, skipped_ = 0;
};

}  // namespace dirtyscope
