# A small pytest-benchmark suite for the pytest-benchmark adapter's fixture.
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def test_fib_10(benchmark):
    assert benchmark(fib, 10) == 55


def test_sorted(benchmark):
    data = list(range(1000, 0, -1))
    benchmark(sorted, data)
