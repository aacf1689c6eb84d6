// A 200-benchmark Google Benchmark suite for the glob-objective gate test (Tests/…/GlobGateEndToEndTests).
// Each benchmark does real work but reports a *manual* time (UseManualTime): a fixed figure per
// benchmark with ±1 % deterministic jitter per repetition, so that the gate's outcome does not depend
// on how loaded the shared CI machine is. CLEANROOM_SLOW="BM_017,BM_123" makes those benchmarks 20 %
// slower — the regression the gate must catch.
#include <benchmark/benchmark.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

static bool slow(const std::string& name) {
  const char* s = std::getenv("CLEANROOM_SLOW");
  if (!s) return false;
  std::string list = std::string(",") + s + ",";
  return list.find("," + name + ",") != std::string::npos;
}

int main(int argc, char** argv) {
  static int repetition[200];
  for (int i = 0; i < 200; i++) {
    char name[16];
    std::snprintf(name, sizeof name, "BM_%03d", i);
    const double base = 1e-6 * (1 + i % 17);   // 1 µs … 17 µs
    const double factor = slow(name) ? 1.2 : 1.0;
    benchmark::RegisterBenchmark(name, [i, base, factor](benchmark::State& state) {
      const int r = repetition[i]++;
      const double jitter = 1.0 + 0.01 * (((r * 7 + i) % 3) - 1);   // -1 %, 0, +1 %
      unsigned long x = i;
      for (auto _ : state) {
        for (int k = 0; k < 64; k++) x = x * 6364136223846793005UL + 1442695040888963407UL;
        benchmark::DoNotOptimize(x);
        state.SetIterationTime(base * factor * jitter);
      }
    })->UseManualTime()->Iterations(20);
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
