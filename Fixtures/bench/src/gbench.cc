// A small Google Benchmark suite for the google-benchmark adapter's fixture.
#include <benchmark/benchmark.h>
#include <string>
#include <vector>
#include <algorithm>

static void BM_StringCopy(benchmark::State& state) {
  std::string x(state.range(0), 'x');
  for (auto _ : state) { std::string copy(x); benchmark::DoNotOptimize(copy); }
  state.SetBytesProcessed(int64_t(state.iterations()) * state.range(0));
}
BENCHMARK(BM_StringCopy)->Arg(64)->Arg(4096);

static void BM_Sort(benchmark::State& state) {
  std::vector<int> v(state.range(0));
  for (auto _ : state) {
    for (size_t i = 0; i < v.size(); i++) v[i] = int((i * 2654435761u) % 1000);
    std::sort(v.begin(), v.end());
    benchmark::DoNotOptimize(v.data());
  }
  state.SetItemsProcessed(int64_t(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Sort)->Arg(1000)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
