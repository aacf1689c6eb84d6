#!/usr/bin/env python3
"""A small exporter-style HTTP server for the Prometheus scrape test and example.

GET /metrics   Prometheus text format: a counter, a gauge and a histogram (with HELP/TYPE, labels,
               one label value with escapes), state as it is now.
GET /work?d=S  records one request of duration S seconds (no sleeping: the figure is what is
               recorded, so the test's quantiles can be computed by hand).
GET /health    200 once listening.
Usage: exporter.py PORT
"""
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import urlparse, parse_qs

BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25]
state = {"requests": 0, "errors": 0, "inflight": 0, "buckets": [0] * (len(BOUNDS) + 1), "sum": 0.0}


def exposition():
    lines = [
        "# HELP app_requests_total Requests served.",
        "# TYPE app_requests_total counter",
        'app_requests_total{code="200"} %d' % state["requests"],
        'app_requests_total{code="500"} %d' % state["errors"],
        "# HELP app_inflight Requests in flight.",
        "# TYPE app_inflight gauge",
        "app_inflight %d" % state["inflight"],
        "# HELP app_request_duration_seconds Time to serve a request.",
        "# TYPE app_request_duration_seconds histogram",
    ]
    cumulative = 0
    for bound, n in zip(BOUNDS + [None], state["buckets"]):
        cumulative += n
        le = "+Inf" if bound is None else repr(bound)
        lines.append('app_request_duration_seconds_bucket{le="%s"} %d' % (le, cumulative))
    lines.append("app_request_duration_seconds_sum %r" % state["sum"])
    lines.append("app_request_duration_seconds_count %d" % cumulative)
    lines.append('app_build_info{version="1.0 \\"quoted\\"",path="C:\\\\app"} 1')
    return "\n".join(lines) + "\n"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/metrics":
            body = exposition().encode()
            ctype = "text/plain; version=0.0.4"
        elif url.path == "/work":
            d = float(parse_qs(url.query).get("d", ["0"])[0])
            k = next((i for i, b in enumerate(BOUNDS) if d <= b), len(BOUNDS))
            state["buckets"][k] += 1
            state["sum"] += d
            state["requests"] += 1
            state["inflight"] = 1
            body, ctype = b"ok\n", "text/plain"
        elif url.path == "/health":
            body, ctype = b"ok\n", "text/plain"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
