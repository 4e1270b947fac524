// Turns fuzz bytes into a command line. Input with a NUL byte is split on
// NULs (so empty arguments and spaces inside one are reachable); input
// without one is split on runs of spaces, which keeps seeds readable
// ("stats -i 2 --json"). Word 0 is argv[0], as a shell would pass it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace dirtyscope::fuzz {

class FuzzArgv {
 public:
  FuzzArgv(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    const bool nul = text.find('\0') != std::string::npos;
    const char sep = nul ? '\0' : ' ';
    std::size_t start = 0;
    for (;;) {
      const std::size_t end = text.find(sep, start);
      const std::string word = text.substr(start, end == std::string::npos ? end : end - start);
      if (nul || !word.empty()) words_.push_back(word);
      if (end == std::string::npos || words_.size() >= kMaxArgs) break;
      start = end + 1;
    }
    // Owned, NUL-terminated and mutable: getopt may permute argv.
    for (std::string& w : words_) ptrs_.push_back(w.data());
    ptrs_.push_back(nullptr);
  }
  FuzzArgv(const FuzzArgv&) = delete;
  FuzzArgv& operator=(const FuzzArgv&) = delete;

  int argc() const { return static_cast<int>(words_.size()); }
  char** argv() { return ptrs_.data(); }
  const std::string& word(std::size_t i) const { return words_.at(i); }

 private:
  // More arguments add no new parser states, only time per input.
  static constexpr std::size_t kMaxArgs = 64;
  std::vector<std::string> words_;
  std::vector<char*> ptrs_;
};

}  // namespace dirtyscope::fuzz
