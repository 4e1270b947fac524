// Micro-benchmarks of the userspace side of dirty tracking (no KVM needed):
//  - BM_BitmapToPages: a KVM dirty bitmap of a 256 MiB .. 1 TiB guest, at
//    0.01 % .. 100 % dirty, turned into a page list (the bitmap
//    interfaces' cost after KVM_GET_DIRTY_LOG). bytes_per_second is the
//    bitmap read rate; compare it with BM_MemoryRead, the same bytes
//    summed, which is this machine's streaming read limit.
//  - BM_BitmapToPagesBitwise: the bit-by-bit reference, for scale.
//  - BM_RingHarvest: N published kvm_dirty_gfn entries consumed with the
//    library's own consume_dirty_gfns (the code DirtyRing runs on the
//    mapped ring) into a page list: the ring interface's cost per page.
#include <benchmark/benchmark.h>

#include <linux/kvm.h>

#include <cstdint>
#include <numeric>
#include <vector>

#include "dirtyscope/bitmap_pages.hpp"
#include "dirtyscope/dirty_ring.hpp"

using namespace dirtyscope;

namespace {

constexpr uint64_t kGiB = 1ULL << 30;

uint64_t splitmix(uint64_t& s) {
  uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A bitmap of `pages` bits with each bit set with probability
// per_million / 1e6 (deterministic seed: runs are comparable).
std::vector<uint64_t> random_bitmap(uint64_t pages, uint64_t per_million) {
  std::vector<uint64_t> words((pages + 63) / 64, 0);
  if (per_million >= 1000000) {
    std::fill(words.begin(), words.end(), ~0ULL);
    return words;
  }
  uint64_t seed = 42;
  const uint64_t dirty = pages * per_million / 1000000;
  for (uint64_t i = 0; i < dirty; ++i) {
    const uint64_t p = splitmix(seed) % pages;
    words[p / 64] |= 1ULL << (p % 64);
  }
  return words;
}

// Args: guest GiB (0 means 256 MiB), dirty fraction in parts per million.
uint64_t guest_bytes(int64_t gib_arg) { return gib_arg == 0 ? kGiB / 4 : static_cast<uint64_t>(gib_arg) * kGiB; }

template <uint64_t (*Convert)(const uint64_t*, uint64_t, uint64_t, uint64_t*)>
void bitmap_bench(benchmark::State& state) {
  const uint64_t pages = guest_bytes(state.range(0)) / 4096;
  const auto bitmap = random_bitmap(pages, static_cast<uint64_t>(state.range(1)));
  uint64_t set = 0;
  for (uint64_t w : bitmap) set += static_cast<uint64_t>(__builtin_popcountll(w));
  std::vector<uint64_t> out(set + 64);
  uint64_t n = 0;
  for (auto _ : state) {
    n = Convert(bitmap.data(), pages, 0, out.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  if (n != set) state.SkipWithError("conversion lost pages");
  const double iters = static_cast<double>(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(bitmap.size() * 8));
  state.counters["dirty_pages"] = static_cast<double>(set);
  state.counters["pages/s"] = benchmark::Counter(static_cast<double>(set) * iters, benchmark::Counter::kIsRate);
  // Bytes of page list written: dense bitmaps are bound by this, not by
  // the bitmap read (8 bytes out per dirty bit).
  state.counters["out_bytes/s"] =
      benchmark::Counter(static_cast<double>(set) * 8 * iters, benchmark::Counter::kIsRate,
                         benchmark::Counter::OneK::kIs1024);
}

void BM_BitmapToPages(benchmark::State& state) { bitmap_bench<bitmap_to_pages>(state); }
void BM_BitmapToPagesBitwise(benchmark::State& state) { bitmap_bench<bitmap_to_pages_bitwise>(state); }

// Streaming read of a buffer the size of the bitmap: the limit the
// word-at-a-time scan of a sparse bitmap is measured against.
void BM_MemoryRead(benchmark::State& state) {
  const uint64_t words = guest_bytes(state.range(0)) / 4096 / 64;
  std::vector<uint64_t> buf(words, 1);
  for (auto _ : state) {
    uint64_t any = 0;
    for (uint64_t w : buf) any |= w;
    benchmark::DoNotOptimize(any);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(words * 8));
}

void BM_RingHarvest(benchmark::State& state) {
  const auto entries = static_cast<uint32_t>(state.range(0));
  std::vector<kvm_dirty_gfn> ring(entries);
  std::vector<uint64_t> out(entries);
  uint64_t fetch = 0;
  for (auto _ : state) {
    state.PauseTiming();
    // Publish a full ring as KVM would: slot/offset, then the DIRTY flag.
    for (uint32_t i = 0; i < entries; ++i) ring[i] = kvm_dirty_gfn{KVM_DIRTY_GFN_F_DIRTY, 1, uint64_t{i} * 7 % entries};
    state.ResumeTiming();
    uint64_t* o = out.data();
    const uint32_t n = consume_dirty_gfns(ring.data(), entries, fetch, [&](uint32_t slot, uint64_t offset) {
      *o++ = (uint64_t{slot} << 40) | offset;
    });
    benchmark::DoNotOptimize(out.data());
    if (n != entries) state.SkipWithError("harvest lost entries");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * entries);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * entries * static_cast<int64_t>(sizeof(kvm_dirty_gfn)));
}

// 256 MiB (0), 1, 16, 256 GiB and 1 TiB guests; 0.01 %, 0.1 %, 1 %, 10 %, 100 %.
void bitmap_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"guest_GiB", "dirty_ppm"});
  for (int64_t gib : {0, 1, 16, 256, 1024})
    for (int64_t ppm : {100, 1000, 10000, 100000, 1000000}) b->Args({gib, ppm});
}

}  // namespace

BENCHMARK(BM_BitmapToPages)->Apply(bitmap_args)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_BitmapToPagesBitwise)
    ->ArgNames({"guest_GiB", "dirty_ppm"})
    ->Args({1, 1000})->Args({1, 100000})->Args({1, 1000000})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MemoryRead)->ArgName("guest_GiB")->Arg(0)->Arg(16)->Arg(1024)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RingHarvest)->ArgName("entries")->RangeMultiplier(4)->Range(256, 65536)->Unit(benchmark::kMicrosecond);

int main(int argc, char** argv) {
  benchmark::AddCustomContext(
      "how to read",
      "BM_BitmapToPages bytes_per_second = bitmap read rate; BM_MemoryRead at the same size is the "
      "streaming-read limit; out_bytes/s = page list written (the limit for dense bitmaps)");
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
