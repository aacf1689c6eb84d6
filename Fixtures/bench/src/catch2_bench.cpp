// A small Catch2 (v2) benchmark for the catch2 adapter's fixture.
#define CATCH_CONFIG_MAIN
#define CATCH_CONFIG_ENABLE_BENCHMARKING
#include <catch2/catch.hpp>
#include <string>
#include <vector>
#include <algorithm>

static unsigned fib(unsigned n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

TEST_CASE("fibonacci") {
    BENCHMARK("fib 15") { return fib(15); };
    BENCHMARK("fib 20") { return fib(20); };
}

TEST_CASE("sorting") {
    BENCHMARK("sort 1000 ints") {
        std::vector<int> v(1000);
        for (int i = 0; i < 1000; i++) v[i] = (i * 7919) % 1000;
        std::sort(v.begin(), v.end());
        return v[0];
    };
}
