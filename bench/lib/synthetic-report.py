# A synthetic report.json of W workloads × R runs × S samples (10 × 100 × 600: 18 MB), for the
# benchmarks of what reads or writes reports: their cost depends on the shape, not the numbers.
#   python3 bench/lib/synthetic-report.py W R S OUT
import json, math, random, sys
W, R, S, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
random.seed(1)
def st(vals, unit=None):
    s = sorted(vals); n = len(s); m = sum(s) / n
    q = lambda p: s[min(n - 1, int(round((n - 1) * p)))]
    d = {"n": n, "min": s[0], "max": s[-1], "mean": m, "median": q(.5),
         "stddev": math.sqrt(sum((x - m) ** 2 for x in s) / max(1, n - 1)),
         "p50": q(.5), "p90": q(.9), "p95": q(.95), "p99": q(.99)}
    if unit: d["unit"] = unit
    return d
wls, slos = [], []
for w in range(W):
    runs = []
    for i in range(1, R + 1):
        wall = 30 + random.random()
        t = [round((k + 1) * wall / S, 3) for k in range(S)]
        cpu = [round(80 + 40 * random.random(), 1) for _ in range(S)]
        mem = [float(int(1e8 + 1e8 * k / S + 1e6 * random.random())) for k in range(S)]
        runs.append({"index": i, "warmup": i == 1, "outcome": "ok", "exit_code": 0, "signal": None,
                     "metrics": {"wall_time": wall, "cpu_time": wall * .9, "cpu_percent": 90.0, "memory_peak": max(mem),
                                 "memory_avg": sum(mem) / S, "disk_write_bytes": 1e6, "pids_peak": 4},
                     "unmeasured": {"io_pressure": "PSI is not enabled on this kernel"},
                     "samples": {"t": t, "cpu_percent": cpu, "memory": mem},
                     "custom": {"latency": {"unit": "s", "values": [random.random() / 100 for _ in range(50)]}}})
    measured = [r for r in runs if not r["warmup"]]
    stats = {k: st([r["metrics"][k] for r in measured]) for k in measured[0]["metrics"]}
    stats["custom.latency"] = st([v for r in measured for v in r["custom"]["latency"]["values"]], "s")
    name = f"workload-{w}"
    wls.append({"name": name, "command": ["./bench", str(w)], "runs": runs, "stats": stats})
    slos.append({"name": "Time", "workload": name, "objective": "max(wall_time) <= 30.9s", "level": "error",
                 "observed": stats["wall_time"]["max"], "threshold": 30.9, "unit": "s",
                 "status": "fail" if stats["wall_time"]["max"] > 30.9 else "pass",
                 "margin": (30.9 - stats["wall_time"]["max"]) / 30.9})
json.dump({"schema": "cleanroom/report@1", "verdict": "fail", "started_at": "2026-11-22T10:00:00Z",
           "finished_at": "2026-11-22T11:00:00Z", "host": {"kernel": "6.1.0", "cpus": 2, "cgroup": "v2", "degraded": []},
           "workloads": wls, "slos": slos, "alerts": []}, open(out, "w"))
