// Micro-benchmarks of the userspace side of dirty tracking (no KVM needed):
//  - BM_BitmapToPages: a KVM dirty bitmap of a 256 MiB .. 1 TiB guest, at
//    0.01 % .. 100 % dirty, turned into a page list (the bitmap
//    interfaces' cost after KVM_GET_DIRTY_LOG). bytes_per_second is the
//    bitmap read rate; compare it with BM_MemoryRead, the same bytes
//    summed, which is the machine's streaming read limit.
//  - BM_BitmapToPagesBitwise: the bit-by-bit reference, for scale.
//  - BM_RingHarvest: N published kvm_dirty_gfn entries consumed with the
//    library's own consume_dirty_gfns (the code DirtyRing runs on the
//    mapped ring) into a page list: the ring interface's cost per page.
//  - BM_RingCollect: what dirty_log_perf's ring mode really runs per
//    entry: RingEntryRecorder::harvest (RingCollector's own harvest: the
//    protocol, the slot and offset checks, the insert into the DirtySet of
//    a 256 MiB test region) on a DirtyRing over plain memory, with the
//    ring's entries in cache (cold:0) or evicted by a 64 MiB sweep before
//    every harvest (cold:1), as after a guest pass over its memory.
//  - BM_DirtySetMerge: a KVM slot bitmap merged into a DirtySet (the
//    bitmap collectors' userspace work per page).
// `--icount`: instead of timing, runs each case's measured region once
// between callgrind client requests (bench/icount.sh runs it under
// `valgrind --tool=callgrind` and prints instructions per entry / page,
// which repeat exactly on a noisy machine).
#include <benchmark/benchmark.h>
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#else  // no valgrind (scripts/install-deps.sh core installs it): --icount dumps nothing
#define CALLGRIND_ZERO_STATS
#define CALLGRIND_TOGGLE_COLLECT
#define CALLGRIND_DUMP_STATS_AT(name) (void)(name)
#endif

#include <linux/kvm.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "dirtyscope/bitmap_pages.hpp"
#include "dirtyscope/dirty_ring.hpp"
#include "dirtyscope/dirty_set.hpp"
#include "dirtyscope/host_memory.hpp"
#include "dirtyscope/ring_collector.hpp"
#include "dirtyscope/test_region.hpp"
#include "spp_plan.h"

using namespace dirtyscope;

namespace {

constexpr uint64_t kGiB = 1ULL << 30;

uint64_t splitmix(uint64_t& s) { return ds_mix64(s += 0x9e3779b97f4a7c15ULL); }

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

// dirty_log_perf's default region: 256 MiB in one memslot (id 1) at 4 GiB.
constexpr uint64_t kRegionBytes = kGiB / 4;
TestRegion make_region() {
  return TestRegion(HostMemory::allocate(Backing::Anonymous, kRegionBytes), 4 * kGiB, 1, 1);
}

// Publishes `n` entries as KVM does on a pass in page order: slot/offset,
// then the DIRTY flag.
void publish(std::vector<kvm_dirty_gfn>& ring, uint32_t slot, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) ring[i] = kvm_dirty_gfn{KVM_DIRTY_GFN_F_DIRTY, slot, i};
}

// Evicts the caches: a sweep over a buffer larger than the last level.
void evict(std::vector<uint64_t>& sweep) {
  for (size_t i = 0; i < sweep.size(); i += 8) sweep[i] += 1;
  benchmark::DoNotOptimize(sweep.data());
}

void BM_RingCollect(benchmark::State& state) {
  const auto entries = static_cast<uint32_t>(state.range(0));
  const bool cold = state.range(1) != 0;
  TestRegion region = make_region();
  RingEntryRecorder recorder(region, Injection::None);
  std::vector<kvm_dirty_gfn> gfns(entries);
  DirtyRing ring(0, gfns.data(), entries);
  std::vector<uint64_t> sweep(cold ? (64ULL << 20) / 8 : 0);
  const uint32_t n_pages = static_cast<uint32_t>(std::min<uint64_t>(entries, region.pages()));
  for (auto _ : state) {
    state.PauseTiming();
    publish(gfns, region.slots()[0].slot, n_pages);
    recorder.pending().clear();
    if (cold) evict(sweep);
    state.ResumeTiming();
    const uint32_t n = recorder.harvest(ring);
    if (n != n_pages) state.SkipWithError("harvest lost entries");
  }
  if (recorder.pending().count() != n_pages) state.SkipWithError("DirtySet lost pages");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * n_pages);
}

void BM_DirtySetMerge(benchmark::State& state) {
  const uint64_t pages = guest_bytes(state.range(0)) / 4096;
  const auto bitmap = random_bitmap(pages, static_cast<uint64_t>(state.range(1)));
  DirtySet set(pages);
  for (auto _ : state) {
    set.merge_bitmap(0, bitmap.data(), pages);
    benchmark::DoNotOptimize(set.words());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(pages));
}

// --icount: each case's region once, between callgrind client requests
// (no-ops when not under valgrind). The dump is named "case=NAME
// units=N unit=U"; bench/icount.sh divides the dump's instruction total
// by N. Warm-up runs first (outside collection), so the measured run pays
// no lazy binding or first-touch work.
template <typename Setup, typename Region>
void icount_case(const char* name, uint64_t units, const char* unit, Setup&& setup, Region&& region) {
  setup();
  region();  // warm-up
  setup();
  CALLGRIND_ZERO_STATS;
  CALLGRIND_TOGGLE_COLLECT;
  region();
  CALLGRIND_TOGGLE_COLLECT;
  const std::string dump = std::string("case=") + name + " units=" + std::to_string(units) + " unit=" + unit;
  CALLGRIND_DUMP_STATS_AT(dump.c_str());
  std::printf("%s\n", dump.c_str());
}

int run_icount() {
  constexpr uint32_t kEntries = 65536;
  TestRegion region = make_region();
  const uint32_t slot = region.slots()[0].slot;
  std::vector<kvm_dirty_gfn> gfns(kEntries);
  uint64_t fetch = 0;
  std::vector<uint64_t> out(kEntries);
  uint32_t n = 0;
  // The protocol alone: acquire-load, release-store, index.
  icount_case("ring_consume_noop", kEntries, "entry", [&] { publish(gfns, slot, kEntries); }, [&] {
    n = consume_dirty_gfns(gfns.data(), kEntries, fetch, [](uint32_t, uint64_t) {});
  });
  // BM_RingHarvest: into a page list.
  icount_case("ring_consume_list", kEntries, "entry", [&] { publish(gfns, slot, kEntries); }, [&] {
    uint64_t* o = out.data();
    n = consume_dirty_gfns(gfns.data(), kEntries, fetch, [&](uint32_t s, uint64_t off) { *o++ = (uint64_t{s} << 40) | off; });
  });
  // dirty_log_perf's ring path: RingEntryRecorder::harvest into the DirtySet.
  RingEntryRecorder recorder(region, Injection::None);
  DirtyRing ring(0, gfns.data(), kEntries);
  icount_case("ring_collect", kEntries, "entry", [&] {
    publish(gfns, slot, kEntries);
    recorder.pending().clear();
  }, [&] { n = recorder.harvest(ring); });
  if (n != kEntries || recorder.pending().count() != kEntries) {
    std::fprintf(stderr, "icount: ring_collect lost entries (%u harvested, %llu pages)\n", n,
                 static_cast<unsigned long long>(recorder.pending().count()));
    return 1;
  }
  // The runner's merge of pending pages (do_collect), per region page.
  DirtySet into(region.pages());
  icount_case("ring_merge_pending", region.pages(), "page", [] {}, [&] {
    DirtySet& p = recorder.pending();
    into.merge_bitmap(0, p.words(), p.pages());
    p.clear();
  });
  // Bitmap collectors: a slot bitmap merged into the DirtySet, per page.
  for (uint64_t ppm : {1000000ULL, 10000ULL}) {
    const uint64_t pages = region.pages();
    const auto bitmap = random_bitmap(pages, ppm);
    DirtySet set(pages);
    const std::string name = "bitmap_merge_" + std::to_string(ppm / 10000) + "pct";
    icount_case(name.c_str(), pages, "page", [] {}, [&] { set.merge_bitmap(0, bitmap.data(), pages); });
  }
  // DirtySet insert alone, page by page (what each ring entry ends in).
  DirtySet set(region.pages());
  icount_case("dirtyset_set", region.pages(), "page", [&] { set.clear(); }, [&] {
    for (uint64_t p = 0; p < set.pages(); ++p) set.set(p);
  });
  // Bitmap to page list (bitmap_to_pages), per dirty page: 256 MiB at 100 % and 1 %.
  for (uint64_t ppm : {1000000ULL, 10000ULL}) {
    const uint64_t pages = region.pages();
    const auto bitmap = random_bitmap(pages, ppm);
    uint64_t dirty = 0;
    for (uint64_t w : bitmap) dirty += static_cast<uint64_t>(__builtin_popcountll(w));
    std::vector<uint64_t> list(dirty + 64);
    const std::string name = "bitmap_to_pages_" + std::to_string(ppm / 10000) + "pct";
    icount_case(name.c_str(), dirty, "dirty page", [] {}, [&] {
      benchmark::DoNotOptimize(bitmap_to_pages(bitmap.data(), pages, 0, list.data()));
    });
  }
  benchmark::DoNotOptimize(out.data());
  return 0;
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
BENCHMARK(BM_RingCollect)
    ->ArgNames({"entries", "cold"})
    ->Args({4096, 0})->Args({65536, 0})->Args({65536, 1})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_DirtySetMerge)->ArgNames({"guest_GiB", "dirty_ppm"})->Args({0, 10000})->Args({0, 1000000})->Unit(benchmark::kMicrosecond);

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--icount") == 0) return run_icount();
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
