"""A tiny load generator for the bundled example: N GETs against the `web` service, each
request's latency appended to $CLEANROOM_METRICS as a custom metric."""
import json, os, sys, time, urllib.request

n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
url = sys.argv[2] if len(sys.argv) > 2 else "http://127.0.0.1:8765/"
out = open(os.environ["CLEANROOM_METRICS"], "a")
for _ in range(n):
    t = time.monotonic()
    urllib.request.urlopen(url, timeout=5).read()
    out.write(json.dumps({"name": "request_latency", "value": (time.monotonic() - t) * 1000, "unit": "ms"}) + "\n")
print(f"{n} requests")
