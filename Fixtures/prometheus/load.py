#!/usr/bin/env python3
"""The workload of the scrape test: records 100 requests on the exporter with known durations.

40 × 3 ms, 30 × 20 ms, 20 × 40 ms, 9 × 80 ms, 1 × 0.5 s. Usage: load.py PORT
"""
import sys
import urllib.request

port = int(sys.argv[1])
for d, n in [(0.003, 40), (0.02, 30), (0.04, 20), (0.08, 9), (0.5, 1)]:
    for _ in range(n):
        urllib.request.urlopen("http://127.0.0.1:%d/work?d=%r" % (port, d)).read()
