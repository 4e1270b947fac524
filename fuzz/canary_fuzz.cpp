// The negative twin of every fuzz run (scripts/fuzz-smoke.sh, ctest
// fuzz.smoke): a target with a planted heap overflow and a planted leak.
// Fed an input starting with "CANARY-OVERFLOW" or "CANARY-LEAK", the
// harness must report a finding; if it did not, "no finding" from the
// real targets would mean nothing. Never part of `make fuzz`'s default
// targets, and it calls no project code.
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace {

// Stores through a volatile global make the allocations escape: clang may
// otherwise drop a new/delete pair whose memory nobody reads, bug and all.
char* volatile sink;

bool starts_with(const uint8_t* data, size_t size, const char* tag) {
  size_t n = std::strlen(tag);
  return size >= n && std::memcmp(data, tag, n) == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (starts_with(data, size, "CANARY-OVERFLOW")) {
    volatile size_t at = 4;
    sink = new char[4];
    sink[at] = 1;  // ASan: heap-buffer-overflow
    delete[] sink;
  } else if (starts_with(data, size, "CANARY-LEAK")) {
    sink = new char[64];  // LeakSanitizer: never freed
    sink[0] = 1;
    sink = nullptr;
  }
  return 0;
}
