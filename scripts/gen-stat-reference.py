#!/usr/bin/env python3
"""Writes the reference figures the Swift statistics are tested against.

Run ONCE (the output is committed): numpy/scipy are not needed to build or test cleanroom.
    python3 scripts/gen-stat-reference.py
Writes Tests/CleanroomKitTests/Analysis/reference/stat-reference.json.

Definitions matched:
  percentiles  numpy.percentile(x, p) with the default method='linear'
  mean         numpy.mean
  stddev       numpy.std(x, ddof=1)  (sample standard deviation; null for n = 1)
  Mann-Whitney scipy.stats.mannwhitneyu(x, y) with its defaults
               (use_continuity=True, alternative='two-sided', method='auto')
"""
import json
import os
import sys

import numpy as np
import scipy
from scipy import stats

rng = np.random.default_rng(20261122)  # fixed: the file must not change between runs

datasets = {
    "n1": [4.2],
    "n2": [3.0, 1.0],
    "ties": [2.0, 2.0, 2.0, 5.0, 5.0, 7.0, 7.0, 7.0, 7.0, 9.0],
    "unsorted": [0.31, 0.12, 0.95, 0.44, 0.27, 0.81, 0.05, 0.66, 0.5],
    "wall_times_s": [1.234, 1.198, 1.305, 1.251, 1.221],
    "negative_and_zero": [-3.5, 0.0, 2.25, -1.0, 0.0, 8.0],
    "bytes_large_offset": [1_073_741_824.0 + v for v in [0, 4096, 8192, 512, 1_000_000, 12]],
    "lognormal_1000": rng.lognormal(mean=-4.0, sigma=0.6, size=1000).tolist(),
    "uniform_50_150_ms": rng.uniform(0.050, 0.150, size=9).tolist(),
    "all_equal": [7.0] * 6,
}
percentiles = [0, 12.5, 25, 50, 90, 95, 99, 99.9, 100]

out = {
    "generator": "scripts/gen-stat-reference.py",
    "numpy": np.__version__,
    "scipy": scipy.__version__,
    "percentile_method": "linear",
    "percentiles": percentiles,
    "datasets": [],
    "mannwhitneyu": [],
}

for name, xs in datasets.items():
    a = np.asarray(xs, dtype=float)
    out["datasets"].append({
        "name": name,
        "values": [float(v) for v in xs],
        "percentiles": [float(np.percentile(a, p)) for p in percentiles],
        "mean": float(np.mean(a)),
        "stddev": float(np.std(a, ddof=1)) if a.size >= 2 else None,
        "median": float(np.median(a)),
    })

pairs = {
    # no ties, small: scipy's 'auto' picks the exact distribution
    "exact_5_6": ([1.1, 2.3, 3.5, 4.0, 7.2], [2.0, 5.5, 6.1, 8.3, 9.9, 10.4]),
    "exact_3_3_separated": ([1.0, 2.0, 3.0], [4.0, 5.0, 6.0]),
    "exact_1_7": ([3.3], [1.0, 2.0, 4.0, 5.0, 6.0, 7.0, 8.0]),
    "exact_8_8": (rng.normal(1.0, 0.1, 8).tolist(), rng.normal(1.1, 0.1, 8).tolist()),
    "exact_4_30": (rng.normal(0.0, 1.0, 4).tolist(), rng.normal(0.5, 1.0, 30).tolist()),
    "exact_8_300": (rng.normal(0.0, 1.0, 8).tolist(), rng.normal(0.3, 1.0, 300).tolist()),
    # ties force the normal approximation with tie correction
    "ties_small": ([1.0, 2.0, 2.0, 3.0], [2.0, 3.0, 3.0, 4.0, 5.0]),
    "ties_counts": ([3, 3, 4, 5, 5, 5, 6], [4, 5, 6, 6, 7, 7, 8, 8]),
    "all_tied": ([2.0, 2.0, 2.0], [2.0, 2.0]),
    # both larger than 8: normal approximation
    "large_9_10": (rng.normal(0, 1, 9).tolist(), rng.normal(0.8, 1, 10).tolist()),
    "large_40_50": (rng.lognormal(-3, 0.4, 40).tolist(), rng.lognormal(-2.9, 0.4, 50).tolist()),
    "large_identical_dist": (rng.uniform(0, 1, 60).tolist(), rng.uniform(0, 1, 70).tolist()),
}
for name, (x, y) in pairs.items():
    x = [float(v) for v in x]
    y = [float(v) for v in y]
    r = stats.mannwhitneyu(x, y)
    ties = len(set(x + y)) < len(x) + len(y)
    exact = not (len(x) > 8 and len(y) > 8) and not ties
    out["mannwhitneyu"].append({
        "name": name, "x": x, "y": y,
        "u": float(r.statistic), "p": float(r.pvalue), "exact": exact,
    })

here = os.path.dirname(os.path.abspath(__file__))
path = os.path.join(here, "..", "Tests", "CleanroomKitTests", "Analysis", "reference", "stat-reference.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print("wrote", os.path.normpath(path), file=sys.stderr)
