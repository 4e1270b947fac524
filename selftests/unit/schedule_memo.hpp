// The schedule checker's memo (schedule_model.cpp): a value per explored
// state, for millions of states. Keys are plain bytes without padding, so
// they hash and compare as bytes. Entries sit in chunks that never move;
// the open-addressing index, at most half full, holds per slot a hash tag
// and an entry number, so a probe reads a few adjacent slots and, for a
// hit, one entry: no node, string or allocation per state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

namespace dirtyscope::schedule {

template <typename Key, typename Value>
class ByteMemo {
  static_assert(std::has_unique_object_representations_v<Key>, "a key's bytes must be the key");

 public:
  static uint64_t hash(const Key& k) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(&k);
    uint64_t h = sizeof(Key);
    for (size_t i = 0; i < sizeof(Key); i += 8) {
      uint64_t w = 0;
      std::memcpy(&w, bytes + i, i + 8 <= sizeof(Key) ? 8 : sizeof(Key) - i);
      h = ((h << 27 | h >> 37) ^ w) * 0x9E3779B97F4A7C15ull;
    }
    // MurmurHash3's finaliser: every bit of h reaches the slot bits and the tag.
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ull;
    return h ^ (h >> 33);
  }

  // The value stored for `k` (whose hash is `h`), or null.
  const Value* find(const Key& k, uint64_t h) const {
    if (slots_.empty()) return nullptr;
    const uint64_t tag = h >> 32, mask = slots_.size() - 1;
    for (uint64_t i = home(tag);; i = (i + 1) & mask) {
      const uint64_t slot = slots_[i];
      if (slot == 0) return nullptr;
      if (slot >> 32 != tag) continue;
      const Entry& e = entry(static_cast<uint32_t>(slot) - 1u);
      if (std::memcmp(&e.key, &k, sizeof(Key)) == 0) return &e.value;
    }
  }

  // Stores `v` for `k`, which must not be stored yet.
  void insert(const Key& k, uint64_t h, const Value& v) {
    if (count_ + 1 >= UINT32_MAX) throw std::length_error("schedule memo: more states than a slot can number");
    if ((count_ + 1) * 2 > slots_.size()) grow();
    if (count_ == chunks_.size() * kChunk) chunks_.push_back(std::make_unique<Entry[]>(kChunk));
    Entry& e = entry(count_);
    e.key = k;
    e.value = v;
    place((h >> 32) << 32 | ++count_);
  }

  size_t size() const { return count_; }

 private:
  struct Entry {
    Key key;
    Value value;
  };
  static constexpr size_t kChunk = size_t{1} << 14;

  Entry& entry(size_t n) const { return chunks_[n / kChunk][n % kChunk]; }

  // A slot's home is the top bits of its tag, so the index grows without
  // reading an entry or hashing again, in one pass over the old slots.
  uint64_t home(uint64_t tag) const { return tag >> (32 - bits_); }

  void place(uint64_t slot) {
    const uint64_t mask = slots_.size() - 1;
    uint64_t i = home(slot >> 32);
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = slot;
  }

  void grow() {
    bits_ = slots_.empty() ? 16 : bits_ + 1;
    if (bits_ > 32) throw std::length_error("schedule memo: more states than its index holds");
    const std::vector<uint64_t> old = std::exchange(slots_, std::vector<uint64_t>(size_t{1} << bits_, 0));
    for (const uint64_t slot : old)
      if (slot != 0) place(slot);
  }

  std::vector<std::unique_ptr<Entry[]>> chunks_;
  std::vector<uint64_t> slots_;  // tag << 32 | entry number + 1; 0: empty
  size_t count_ = 0;
  uint32_t bits_ = 0;  // slots_.size() is 1 << bits_
};

}  // namespace dirtyscope::schedule
