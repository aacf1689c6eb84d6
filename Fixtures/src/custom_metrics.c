/* Ground truth for custom metrics: appends GOOD latency lines (value i+1 in ms, so the series in
   seconds is 0.001 .. GOOD/1000) and BAD malformed lines to the file named by $CLEANROOM_METRICS.
   usage: custom_metrics GOOD BAD */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    int good = argc > 1 ? atoi(argv[1]) : 100;
    int bad = argc > 2 ? atoi(argv[2]) : 3;
    const char *path = getenv("CLEANROOM_METRICS");
    if (!path) { fprintf(stderr, "CLEANROOM_METRICS not set\n"); return 2; }
    FILE *f = fopen(path, "a");
    if (!f) { perror(path); return 1; }
    const char *malformed[] = {
        "{\"name\": \"request_latency\", \"value\": \"fast\", \"unit\": \"ms\"}",
        "not json at all",
        "{\"name\": \"request_latency\", \"unit\": \"ms\"}",
        "{\"name\": \"request_latency\", \"value\": 1, \"unit\": \"parsecs\"",
    };
    for (int i = 0; i < good; i++) {
        fprintf(f, "{\"name\": \"request_latency\", \"value\": %d, \"unit\": \"ms\"}\n", i + 1);
        if (i < bad) fprintf(f, "%s\n", malformed[i % 4]);
    }
    fclose(f);
    return 0;
}
