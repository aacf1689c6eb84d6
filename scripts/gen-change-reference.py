#!/usr/bin/env python3
"""Writes the reference figures the two-sample change interval (baseline objectives, compare)
is tested against.

Run ONCE (the output is committed): numpy/scipy are not needed to build or test cleanroom.
    python3 scripts/gen-change-reference.py
Writes Tests/CleanroomKitTests/Analysis/reference/change-reference.json.

Two kinds of reference per case:
  exact   the same algorithm written independently with numpy: SplitMix64 seeded with FNV-1a of
          the sorted values and a salt, Lemire's multiply-shift for indices, 2000 resamples per
          side, change per pair of resamples, numpy.percentile (linear) at the expanded tails
          Phi(-sqrt(n/(n-1)) * t_0.975,n-1) (scipy.stats.t / norm). Swift must match to 1e-9.
  scipy   scipy.stats.bootstrap((base, head), statistic, method='percentile', n_resamples=100000,
          confidence_level = 1 - 2*tail): the same interval by scipy's own resampling. Swift must
          agree within Monte-Carlo error (tolerance stored per case).
"""
import json
import os
import struct

import numpy as np
import scipy
from scipy import stats

MASK = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def index(self, n):
        return (self.next() * n) >> 64


def seed(sorted_values, salt):
    h = 0xCBF29CE484222325
    for v in sorted_values:
        bits = struct.unpack("<Q", struct.pack("<d", v))[0]
        for _ in range(8):
            h = ((h ^ (bits & 0xFF)) * 0x100000001B3) & MASK
            bits >>= 8
    for b in salt.encode():
        h = ((h ^ b) * 0x100000001B3) & MASK
    return h


def aggregate(agg, xs):
    if agg == "median":
        return float(np.percentile(xs, 50))
    if agg == "mean":
        return float(np.mean(xs))
    if agg.startswith("p"):
        return float(np.percentile(xs, float(agg[1:])))
    raise ValueError(agg)


def distribution(agg, s, resamples, rng):
    n = len(s)
    out = []
    for _ in range(resamples):
        idx = [rng.index(n) for _ in range(n)]
        out.append(aggregate(agg, [s[i] for i in idx]))
    return out


def change(kind, b, h):
    if kind == "absolute":
        return h - b
    return (h - b) / abs(b) * 100 if b != 0 else None


def t975(df):
    # As cleanroom defines it: scipy's quantile rounded to 6 decimals up to 30 degrees of
    # freedom (its table), the Cornish-Fisher expansion beyond.
    if df <= 30:
        return round(float(stats.t.ppf(0.975, df)), 6)
    z, v = 1.959964, float(df)
    return z + (z ** 3 + z) / (4 * v) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * v * v)


def expanded_tail(n):
    return float(stats.norm.cdf(-np.sqrt(n / (n - 1)) * t975(n - 1)))


def exact_interval(agg, base, head, kind, salt, resamples=2000):
    bs, hs = sorted(base), sorted(head)
    what = f"change|{agg}|{kind}|{salt}"
    rb = SplitMix64(seed(bs, "base|" + what))
    rh = SplitMix64(seed(hs, "head|" + what))
    db = distribution(agg, bs, resamples, rb)
    dh = distribution(agg, hs, resamples, rh)
    ch = sorted(c for c in (change(kind, b, h) for b, h in zip(db, dh)) if c is not None)
    tail = expanded_tail(min(len(bs), len(hs))) * 100
    ci = [float(np.percentile(ch, tail)), float(np.percentile(ch, 100 - tail))]
    return hull(ci, welch_floor(agg, base, head, kind, t975)), tail / 100


def welch_floor(agg, base, head, kind, t_of_df):
    """Below 5 values a side: Welch's t interval of the difference of the aggregates (the median's
    standard error √(π/2) × the mean's), df rounded down; None when it does not apply."""
    if min(len(base), len(head)) >= 5 or agg not in ("median", "mean"):
        return None
    scale = np.sqrt(np.pi / 2) if agg == "median" else 1.0
    vb = float(np.var(base, ddof=1)) / len(base)
    vh = float(np.var(head, ddof=1)) / len(head)
    if vb + vh == 0:
        return None
    df = (vb + vh) ** 2 / (vb ** 2 / (len(base) - 1) + vh ** 2 / (len(head) - 1))
    half = t_of_df(max(1, int(np.floor(df)))) * scale * np.sqrt(vb + vh)
    b, h = aggregate(agg, base), aggregate(agg, head)
    lo, hi = h - b - half, h - b + half
    return [lo, hi] if kind == "absolute" else [lo / abs(b) * 100, hi / abs(b) * 100]


def hull(ci, floor):
    return ci if floor is None else [min(ci[0], floor[0]), max(ci[1], floor[1])]


rng = np.random.default_rng(20261202)
cases = [
    ("wall 5v5 +10%", "median", "relative", [0.279, 0.283, 0.276, 0.291, 0.280],
     [0.309, 0.305, 0.312, 0.318, 0.301]),
    ("wall 3v3 A/A", "median", "relative", [1.00, 1.04, 0.97], [1.02, 0.99, 1.05]),
    ("normal 12v10", "median", "relative", rng.normal(1.0, 0.05, 12).tolist(), rng.normal(1.08, 0.05, 10).tolist()),
    ("lognormal 30v30 mean", "mean", "relative", rng.lognormal(-3, 0.1, 30).tolist(), rng.lognormal(-3, 0.1, 30).tolist()),
    ("bytes 8v8 absolute p90", "p90", "absolute", (100e6 + rng.normal(0, 1e6, 8)).tolist(),
     (102e6 + rng.normal(0, 1e6, 8)).tolist()),
    ("latency 60v60 median", "median", "relative", rng.lognormal(-6, 0.3, 60).tolist(), rng.lognormal(-5.9, 0.3, 60).tolist()),
]

out = {"generator": "scripts/gen-change-reference.py", "numpy": np.__version__, "scipy": scipy.__version__,
       "resamples": 2000, "cases": []}
for name, agg, kind, base, head in cases:
    ci, tail = exact_interval(agg, base, head, kind, "wall_time")
    b, h = aggregate(agg, base), aggregate(agg, head)

    def statistic(x, y, axis=-1):
        fx = np.percentile(x, 50 if agg == "median" else float(agg[1:]) if agg.startswith("p") else 50, axis=axis) \
            if agg != "mean" else np.mean(x, axis=axis)
        fy = np.percentile(y, 50 if agg == "median" else float(agg[1:]) if agg.startswith("p") else 50, axis=axis) \
            if agg != "mean" else np.mean(y, axis=axis)
        return (fy - fx) / np.abs(fx) * 100 if kind == "relative" else fy - fx

    res = stats.bootstrap((np.asarray(base), np.asarray(head)), statistic, method="percentile", vectorized=True,
                          n_resamples=100000, confidence_level=1 - 2 * tail, random_state=np.random.default_rng(7))
    sci = [float(res.confidence_interval.low), float(res.confidence_interval.high)]
    # The small-sample floor with scipy's own t quantile (not cleanroom's 6-decimal table).
    sci = hull(sci, welch_floor(agg, base, head, kind, lambda df: float(stats.t.ppf(0.975, df))))
    width = sci[1] - sci[0]
    out["cases"].append({
        "name": name, "aggregate": agg, "kind": kind, "salt": "wall_time", "base": base, "head": head,
        "change": change(kind, b, h), "tail": tail, "exact_ci": ci, "scipy_ci": sci,
        # Monte-Carlo error of 2000 resamples at extreme tails: a fifth of the width (a third for n <= 5).
        "scipy_tolerance": width * (0.34 if min(len(base), len(head)) <= 5 else 0.2),
    })

path = os.path.join(os.path.dirname(__file__), "..", "Tests", "CleanroomKitTests", "Analysis", "reference",
                    "change-reference.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print("wrote", os.path.normpath(path))
