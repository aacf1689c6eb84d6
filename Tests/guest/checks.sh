#!/bin/bash
# Runs INSIDE the pure cgroup v2 guest (Tests/guest/run puts it on the 9p share as entry.sh and the
# guest's cleanroom-guest.service runs it as root). No Swift toolchain here: only the release tarball.
# Every check asserts a value or an exit code; the last line is "N passed, N failed".
# Layout of the share: cleanroom.tar.gz, fixtures/ (Fixtures/ with bin/ built on the host), out/ (ours).
set -u
# Hostile checks (sysctl writes, cgroup escapes) must only ever meet the guest's own kernel.
[ "$(hostname)" = cleanroom-guest ] && [ -d /mnt/share ] || { echo "checks.sh runs only inside the cleanroom guest (Tests/guest/run)" >&2; exit 2; }
share=/mnt/share
out=$share/out
mkdir -p "$out"
echo "boot_seconds=$(cut -d' ' -f1 /proc/uptime)" > "$out/timings"
t0=$(date +%s.%N)
pass=0; fail=0; known=0
# Known gaps of the sandbox, checked all the same: a failure here prints KNOWN GAP and does not
# fail the suite; a pass prints FIXED (take it off the list). None at the moment (issue 14 closed
# the sysctl, cgroup and environment ones).
known_gaps=()
is_known() { local g; for g in "${known_gaps[@]}"; do [ "$1" = "$g" ] && return 0; done; return 1; }
ok()  { pass=$((pass + 1)); if is_known "$1"; then echo "FIXED $1 (a known gap no more: remove it from known_gaps)"; else echo "ok   $1"; fi; }
bad() {
  if is_known "$1"; then known=$((known + 1)); echo "KNOWN GAP $1${2:+ — $2}"; return; fi
  fail=$((fail + 1)); echo "FAIL $1${2:+ — $2}"
}

# expect NAME WANT_EXIT CMD...: runs CMD (output to $log), checks its exit code.
log=/tmp/check.log
expect() {
  local name="$1" want="$2"; shift 2
  "$@" > "$log" 2>&1
  local got=$?
  if [ "$got" -eq "$want" ]; then ok "$name"; else bad "$name" "exit $got, want $want: $(tail -c 600 "$log" | tr '\n' ' ')"; fi
  return 0
}
# assert NAME FILE PYTHON-EXPR: the expression, over d = the JSON in FILE, must be true.
assert() {
  local name="$1" file="$2" expr="$3"
  if python3 - "$file" "$expr" <<'PY' > /tmp/assert.log 2>&1
import json, sys
d = json.load(open(sys.argv[1]))
m = d.get("metrics", {}) if isinstance(d, dict) else {}
MiB = 1 << 20
ok = eval(sys.argv[2])
if not ok:
    show = {k: d.get(k) for k in ("outcome", "exit_code", "detail", "degraded", "verdict") if isinstance(d, dict) and k in d}
    print("false:", sys.argv[2], "| metrics:", json.dumps(m)[:700], "|", json.dumps(show)[:500])
    sys.exit(1)
PY
  then ok "$name"; else bad "$name" "$(cat /tmp/assert.log | tail -c 1200)"; fi
}
# grep_in NAME FILE REGEX
grep_in() { if grep -Eq -- "$3" "$2"; then ok "$1"; else bad "$1" "no /$3/ in: $(head -c 600 "$2" | tr '\n' ' ')"; fi; }

echo "== guest: $(uname -r), $(stat -fc %T /sys/fs/cgroup) at /sys/fs/cgroup, $(nproc) CPUs"
[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] && ok "pure cgroup v2 host" || bad "pure cgroup v2 host" "$(stat -fc %T /sys/fs/cgroup)"
command -v swift >/dev/null && bad "no Swift toolchain in the guest" "$(command -v swift)" || ok "no Swift toolchain in the guest"

# --- the tarball ------------------------------------------------------------------------------
rm -rf /opt/cleanroom && mkdir -p /opt/cleanroom
tar -xzf $share/cleanroom.tar.gz -C /opt/cleanroom --strip-components=1 && ok "tarball unpacks" || bad "tarball unpacks"
CR=/opt/cleanroom/bin/cleanroom
ldd $CR > $out/ldd.txt 2>&1
if grep -q "not found" $out/ldd.txt; then bad "every library the binary needs is on a plain Debian" "$(grep 'not found' $out/ldd.txt)"; else ok "every library the binary needs is on a plain Debian"; fi
grep -q libswift $out/ldd.txt && bad "Swift runtime linked statically" "$(grep libswift $out/ldd.txt)" || ok "Swift runtime linked statically"
$CR --version > $out/version.txt 2>&1
grep_in "--version names the version and the commit" $out/version.txt '^[0-9]+\.[0-9]+\.[0-9]+ \(commit [0-9a-f]{7,}'
expect "install.sh installs into a prefix" 0 /opt/cleanroom/install.sh /tmp/prefix
[ -x /tmp/prefix/bin/cleanroom ] && [ -f /tmp/prefix/share/man/man1/cleanroom.1 ] && [ -x /tmp/prefix/libexec/cleanroom/cleanroom-webhook ] \
  && ok "installed binary, webhook sender and man page" || bad "installed binary, webhook sender and man page"
ldd /opt/cleanroom/libexec/cleanroom/cleanroom-webhook > $out/ldd-webhook.txt 2>&1
grep -Eq "not found|libswift" $out/ldd-webhook.txt && bad "the webhook sender needs only a plain Debian's libraries" "$(cat $out/ldd-webhook.txt)" \
  || ok "the webhook sender needs only a plain Debian's libraries"

fx=/root/fx
rm -rf $fx && cp -r $share/fixtures $fx
cd $fx

# --- root: doctor -------------------------------------------------------------------------------
# Twice in full CI runs (2026-12-05) the guest went quiet here for 16 minutes with QEMU busy on
# both vCPUs (the fixtures above had been read whole): a watchdog records what every process was
# doing after 120 s, and doctor is ended after 600 s so the checks go on (and this one fails).
( sleep 120; { echo "== doctor still running after 120 s: $(date +%T)"; ps -eo pid,ppid,stat,wchan:32,etime,args
  for p in $(pgrep -f "$CR"); do echo "== $p"; cat /proc/$p/stack 2>&1
    for t in /proc/$p/task/*; do echo "-- $t $(cat $t/comm) $(cat $t/stat | cut -d' ' -f3) $(cat $t/wchan)"; cat $t/stack 2>&1; done
  done
  # This guest's own kernel: its blocked tasks and every CPU's backtrace, read back from its log.
  echo w > /proc/sysrq-trigger; echo l > /proc/sysrq-trigger; sleep 2; echo "== dmesg"; dmesg | tail -300
  } > /tmp/hang-doctor.txt 2>&1
  # The serial console first: it is a file QEMU writes on the host, which still shows this if the
  # 9p share (guest.log, out/) is what hangs.
  { echo "WATCHDOG doctor (root) still running after 120 s:"; cat /tmp/hang-doctor.txt; } > /dev/console 2>&1
  cp /tmp/hang-doctor.txt $out/hang-doctor.txt; echo "WATCHDOG doctor (root) still running after 120 s:"; cat /tmp/hang-doctor.txt ) &
watchdog=$!
expect "doctor (root)" 0 timeout -k 10 600 $CR doctor
kill $watchdog 2>/dev/null
cp $log $out/doctor-root.txt
$CR doctor --json > $out/doctor-root.json
assert "doctor --json: cgroup v2" $out/doctor-root.json 'd["cgroup"] == "v2"'
assert "doctor --json: nothing missing or degraded as root (limits, namespaces, seccomp, run)" $out/doctor-root.json \
  'not [c for c in d["checks"] if c["status"] in ("missing", "degraded") and c["area"] != "measure"]'

# --- root: exec ground truth ------------------------------------------------------------------
x() { local name="$1"; shift; $CR exec --json "$@" > $out/$name.json 2> $out/$name.err; echo $? > $out/$name.rc; }
x oom --memory 64MiB -- ./bin/alloc_mib 200 100
[ "$(cat $out/oom.rc)" = 1 ] && ok "oom: exit 1" || bad "oom: exit 1" "exit $(cat $out/oom.rc)"
assert "oom: outcome oom, memory_peak = the 64 MiB limit" $out/oom.json \
  'd["outcome"] == "oom" and 60*MiB <= m["memory_peak"] <= 64*MiB + 64*1024'
assert "oom: memory_peak read from cgroup v2 memory.peak" $out/oom.json '"memory.peak" in d["sources"]["memory_peak"]'
# The init (PID 1 of the run) is exempt from the OOM killer; the workload is not and cannot make
# itself so (root here has CAP_SYS_RESOURCE, which the init uses and the workload lacks).
$CR exec -- sh -c 'cat /proc/self/oom_score_adj; echo -1000 2>/dev/null > /proc/self/oom_score_adj && echo lowered || echo refused; cat /proc/1/oom_score_adj' > $out/oomadj.txt 2>&1
[ "$(head -3 $out/oomadj.txt | tr '\n' ' ')" = "0 refused -1000 " ] && ok "oom: the init exempt, the workload killable and unable to change that" \
  || bad "oom: the init exempt, the workload killable and unable to change that" "$(head -3 $out/oomadj.txt | tr '\n' ' ')"

x mem -- ./bin/fork_alloc 4 50 500
assert "memory_peak: 4 children x 50 MiB = the whole tree (200-216 MiB)" $out/mem.json \
  'd["outcome"] == "ok" and 200*MiB <= m["memory_peak"] <= 216*MiB'
assert "pids_peak: 5 processes of fork_alloc" $out/mem.json 'm["pids_peak"] >= 5'
# rss_peak's walks wait on memory.stat pgfault (v2's name): still for 1 s, then 40 MiB touched
# and held 2 s. Walks are paced at 1 % of a core by their own cost, which emulation multiplies
# (3.4 ms a walk here, so 0.35 s or more between two): with a 0.5 s hold one run had no walk while
# the 40 MiB were held, only one while they were being touched (2026-12-05, rss_peak 16.7 MiB).
x walkgate -- sh -c 'sleep 1; exec ./bin/alloc_mib 40 2000'
assert "rss_peak: walked after a still second, on cgroup v2 memory.stat pgfault (>= 40 MiB)" $out/walkgate.json \
  'm["rss_peak"] >= 40*MiB and "memory.stat pgfault moved" in d["sources"]["rss_peak"]'

x pids --pids 32 --timeout 5s -- ./bin/forkbomb
assert "pids: fork bomb held at pids_peak 32, ended by the timeout" $out/pids.json \
  'd["outcome"] == "timeout" and m["pids_peak"] == 32'

x cpus --cpus 0.5 -- ./bin/spin 1 1000 cpu
assert "cpus 0.5: 1 s of thread CPU (+ start-up under emulation), throttled" $out/cpus.json \
  'd["outcome"] == "ok" and 0.95 <= m["cpu_time"] <= 2.0 and m["cpu_throttled_time"] >= 0.6'
assert "cpus 0.5: cpu_percent <= 55 and cpu_time from cgroup v2 cpu.stat" $out/cpus.json \
  'm["cpu_percent"] <= 55 and "cpu.stat" in d["sources"]["cpu_time"]'

x io -- ./bin/write_fsync scratch.bin 64
assert "io: 64 MiB fsync'd = disk_write_bytes from io.stat" $out/io.json \
  'd["outcome"] == "ok" and 64*MiB <= m["disk_write_bytes"] <= 72*MiB and "io.stat" in d["sources"]["disk_write_bytes"]'

x timeout --timeout 2s --kill-grace 1s -- ./bin/ignore_sigterm
[ "$(cat $out/timeout.rc)" = 1 ] && ok "timeout: exit 1" || bad "timeout: exit 1" "exit $(cat $out/timeout.rc)"
assert "timeout: outcome timeout, SIGKILL after the grace (wall 2-10 s)" $out/timeout.json \
  'd["outcome"] == "timeout" and 2.0 <= m["wall_time"] <= 10'

# --- root: sandbox through the binary ---------------------------------------------------------
x daemon -- ./bin/doublefork cleanroom-guest-marker-1
sleep 1
if grep -qs cleanroom-guest-marker-1 /proc/[0-9]*/cmdline; then bad "double-forked daemon does not outlive the run"; else ok "double-forked daemon does not outlive the run"; fi
left=$(find /sys/fs/cgroup -type d -name 'cr-*' 2>/dev/null | head -5)
[ -z "$left" ] && ok "no run cgroup left behind" || bad "no run cgroup left behind" "$left"
x seccomp -- ./bin/forbidden_syscall ptrace 3 mount 2
assert "seccomp default: ptrace and mount denied and counted" $out/seccomp.json \
  'd.get("seccomp_denied", {}).get("ptrace") == 3 and d.get("seccomp_denied", {}).get("mount") == 2'
host_netns=$(readlink /proc/self/ns/net)
expect "network none: the run has its own network namespace with only lo" 0 $CR exec -- sh -c \
  "test \"\$(readlink /proc/self/ns/net)\" != '$host_netns' && test \"\$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ')\" = lo"
expect "network host: the host's namespace" 0 $CR exec --network host -- sh -c "test \"\$(readlink /proc/self/ns/net)\" = '$host_netns'"
expect "readonly filesystem: /usr not writable" 1 $CR exec --filesystem readonly -- sh -c 'touch /usr/cleanroom-x'
swappiness=$(cat /proc/sys/vm/swappiness)
# Its own value written back: harmless even if the protection were missing.
for fs in host private-tmp readonly; do
  expect "cannot write host sysctls (filesystem $fs)" 1 $CR exec --seccomp none --filesystem $fs -- sh -c 'cat /proc/sys/vm/swappiness > /proc/sys/vm/swappiness || exit 1; exit 0'
done
[ "$(cat /proc/sys/vm/swappiness)" = "$swappiness" ] && ok "host sysctl untouched" || bad "host sysctl untouched"
# In its cgroup namespace the run's own cgroup is "/": whatever it writes, it must still be there.
$CR exec -- sh -c 'echo $$ > /sys/fs/cgroup/cgroup.procs; echo $$ > /sys/fs/cgroup/../cgroup.procs; cat /proc/self/cgroup' > $out/cgroup-escape.txt 2>&1
grep_in "cannot leave its cgroup (still 0::/ in its namespace)" $out/cgroup-escape.txt '^0::/$'
[ "$(hostname)" = cleanroom-guest ] && ok "host name untouched" || bad "host name untouched" "$(hostname)"
SECRET_TOKEN=s3cr3t-value $CR exec --seccomp none -- sh -c 'env; cat /proc/1/environ /proc/1/cmdline 2>/dev/null; head -c 4096 /proc/1/mem 2>&1' > $out/env.txt 2>&1
grep -q s3cr3t-value $out/env.txt && bad "cleanroom's environment not visible to the run" || ok "cleanroom's environment not visible to the run"
grep_in "the init's memory refused (non-dumpable)" $out/env.txt "/proc/1/mem.*Permission denied"
# What runtimes size themselves by: the run's own limits at /sys/fs/cgroup (pure v2 names).
$CR exec --memory 48MiB --pids 37 --cpus 0.5 -- sh -c 'cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max /sys/fs/cgroup/cpu.max; cat /proc/self/cgroup; touch /sys/fs/cgroup/cgroup.procs 2>&1' > $out/cgroup-view.txt 2>&1
if [ "$(head -n 4 $out/cgroup-view.txt | tr '\n' ' ')" = "50331648 37 50000 100000 0::/ " ] && grep -q 'Read-only file system' $out/cgroup-view.txt; then
  ok "the run's limits at /sys/fs/cgroup: memory.max 48 MiB, pids.max 37, cpu.max 50000 100000, read-only, in its cgroup namespace"
else bad "the run's limits at /sys/fs/cgroup: memory.max 48 MiB, pids.max 37, cpu.max 50000 100000, read-only, in its cgroup namespace" "$(head -c 400 $out/cgroup-view.txt | tr '\n' ' ')"; fi
assert "doctor --json: every protection ok from inside a run" $out/doctor-root.json \
  'len([c for c in d["checks"] if c["area"] == "protect" and c["status"] == "ok"]) == 7'
# A descriptor cleanroom's caller holds (fd 7, on a file only root reads) must not reach the run.
echo secret > /root/secret-fd && chmod 600 /root/secret-fd
$CR exec -- ./bin/fdlist > $out/fds.txt 2>&1 7</root/secret-fd
if grep -Eq '^fds 0 1 2( |$)' $out/fds.txt && ! grep -Eq '^fds .* 7( |$)' $out/fds.txt && grep -q 'NoNewPrivs:.1' $out/fds.txt; then
  ok "caller's descriptors not inherited, no_new_privs ($(head -1 $out/fds.txt))"
else bad "caller's descriptors not inherited, no_new_privs" "$(head -3 $out/fds.txt | tr '\n' ' ')"; fi
expect "exit code passed through" 3 $CR exec -- sh -c 'exit 3'
expect "missing command: 127" 127 $CR exec -- /nonexistent/cmd
expect "usage error: 2" 2 $CR exec --memory lots -- true
expect "--strict as root: nothing degraded" 0 $CR exec --strict --memory 64MiB --cpus 1 --pids 64 -- true

# --- root: run on the bundled example, every format ---------------------------------------------
rm -rf $out/example
$CR run -c slo.json -o $out/example --format json,csv,html,junit,markdown,openmetrics --history /root/history.db --label branch=guest > $out/example-console.txt 2>&1
example_code=$?
# Latency objectives (HttpP95, Latency) may miss under emulation (5-10x slower): 1 or 4 is a verdict;
# the figures below must hold whatever it is.
case $example_code in 0|1|4) ok "run: bundled example ran (exit $example_code)" ;; *) bad "run: bundled example ran" "exit $example_code: $(tail -c 600 $out/example-console.txt)" ;; esac
for f in report.json report.csv slos.csv report.html junit.xml summary.md metrics.prom; do
  [ -s $out/example/$f ] && ok "run wrote $f" || bad "run wrote $f"
done
assert "example: host cgroup v2, nothing degraded, every run ok" $out/example/report.json \
  'd["host"]["cgroup"] == "v2" and d["host"]["degraded"] == [] and all(r["outcome"] == "ok" for w in d["workloads"] for r in w["runs"])'
assert "example: the resource objectives pass (memory, disk, network, service memory)" $out/example/report.json \
  'all(o["status"] == "pass" for o in d["slos"] if o["name"] in ("AllocMemory", "WriteBytes", "LoopbackBytes", "WebMemory"))'
# SpinCPU's 800 ms assumes native speed: under emulation the loader and libc start-up cost CPU too.
assert "example: 2 threads x 300 ms of thread CPU measured as 0.6-2 s of the cgroup's CPU" $out/example/report.json \
  'all(0.6 <= r["metrics"]["cpu_time"] <= 2.0 for w in d["workloads"] if w["name"] == "spin-2-threads" for r in w["runs"])'
assert "example: write-16MiB counted by io.stat (16-20 MiB)" $out/example/report.json \
  'all(16*MiB <= r["metrics"]["disk_write_bytes"] <= 20*MiB and "io.stat" in r["sources"]["disk_write_bytes"] for w in d["workloads"] if w["name"] == "write-16MiB" for r in w["runs"])'
assert "example: 64 MiB allocation measured 64-80 MiB from memory.peak" $out/example/report.json \
  'all(64*MiB <= r["metrics"]["memory_peak"] <= 80*MiB for w in d["workloads"] if w["name"] == "allocate-64MiB" for r in w["runs"])'
assert "example: loopback 5 MB sent in the run's namespace" $out/example/report.json \
  'all(r["metrics"]["net_tx_bytes"] >= 5e6 for w in d["workloads"] if w["name"] == "loopback-5MB" for r in w["runs"])'
assert "example: the service's own figures in every run (services.web.metrics.memory_peak)" $out/example/report.json \
  'all(r["services"]["web"]["metrics"]["memory_peak"] > 0 for w in d["workloads"] if w["name"] == "http-load" for r in w["runs"])'
python3 -c 'import sys, xml.dom.minidom as x; x.parse(sys.argv[1])' $out/example/junit.xml && ok "junit.xml is XML" || bad "junit.xml is XML"
expect "check re-judges the saved report (same exit code as the run)" $example_code $CR check $out/example/report.json
expect "run with --baseline history (second run)" 0 $CR run -c slo.json -o /root/example2 --format json --history /root/history.db --baseline history --label branch=guest allocate-64MiB
expect "history lists the recorded runs (system SQLite)" 0 $CR history --history /root/history.db --workload allocate-64MiB --metric memory_peak --format json
cp $log $out/history.json
assert "history: two reports recorded" $out/history.json 'len(d["points"]) >= 2'
expect "compare two reports" 0 $CR compare $out/example/report.json /root/example2/report.json
expect "validate a broken config: 2" 2 $CR validate configs/many-errors.json

# SIGINT mid-run: exit 130, a partial report marked interrupted, nothing left behind.
# The signal is sent once the workload has started (it says so with a file), not after a guessed time.
rm -f /root/int-started
cat > /root/int.json <<'JSON'
{ "version": 1, "workloads": [ { "name": "long", "command": ["sh", "-c", "touch /root/int-started; exec sleep 300"] } ] }
JSON
$CR run -c /root/int.json -o /root/interrupted --format json > /tmp/int.log 2>&1 &
crpid=$!
for i in $(seq 1 600); do [ -e /root/int-started ] && break; sleep 0.2; done
kill -INT $crpid; wait $crpid; code=$?
[ $code = 130 ] && ok "SIGINT: exit 130" || bad "SIGINT: exit 130" "exit $code: $(tail -c 400 /tmp/int.log)"
assert "SIGINT: partial report, verdict interrupted" /root/interrupted/report.json 'd["verdict"] == "interrupted"'

# --- non-root, no delegated cgroup: degraded, said so, --strict → 3 ----------------------------
U="runuser -u tester --"
rm -rf /home/tester/fx && cp -r $share/fixtures /home/tester/fx && chown -R tester: /home/tester/fx
cd /home/tester/fx
$U $CR doctor > $out/doctor-user.txt 2>&1; echo "doctor exit $?" >> $out/doctor-user.txt
$U $CR exec --json --memory 64MiB -- true > $out/user-plain.json 2> $out/user-plain.err
assert "non-root, no delegation: runs, and degraded names the memory limit" $out/user-plain.json \
  'd["outcome"] == "ok" and any("memory" in x for x in d["degraded"])'
$U $CR exec --memory 64MiB -- true > /dev/null 2> $out/user-plain-console.err
grep_in "non-root, no delegation: the console says what was not enforced" $out/user-plain-console.err 'not enforced'
expect "non-root, no delegation: --strict exits 3" 3 $U $CR exec --strict --memory 64MiB -- true
expect "non-root, no delegation: run --strict exits 3" 3 $U $CR run --strict -c slo.json -o /home/tester/strict --format json allocate-64MiB
$U $CR run -c slo.json -o /home/tester/plain --format json allocate-64MiB > /dev/null 2>&1
assert "non-root, no delegation: report host.degraded is not empty" /home/tester/plain/report.json 'len(d["host"]["degraded"]) > 0'

# --- non-root inside a delegated scope (user manager with lingering): enforced ------------------
uenv="XDG_RUNTIME_DIR=/run/user/1000 DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus"
for i in $(seq 1 60); do [ -S /run/user/1000/bus ] && break; sleep 1; done
S() { $U env $uenv systemd-run --user --scope --quiet -p Delegate=yes "$@"; }
S cat /proc/self/cgroup > $out/scope-cgroup.txt 2>&1
grep_in "delegated user scope exists" $out/scope-cgroup.txt 'user@1000.service/.*\.scope'
S $CR doctor > $out/doctor-scope.txt 2>&1; echo "doctor exit $?" >> $out/doctor-scope.txt
S $CR exec --json --strict --memory 64MiB -- ./bin/alloc_mib 200 100 > $out/scope-oom.json 2> $out/scope-oom.err
assert "delegated scope: --strict memory limit enforced (oom at 64 MiB)" $out/scope-oom.json \
  'd["outcome"] == "oom" and d["degraded"] == [] and 60*MiB <= m["memory_peak"] <= 64*MiB + 64*1024'
S $CR exec --json --strict --pids 32 --timeout 5s -- ./bin/forkbomb > $out/scope-pids.json 2> $out/scope-pids.err
assert "delegated scope: --strict pids held at 32" $out/scope-pids.json 'd["outcome"] == "timeout" and m["pids_peak"] == 32'
S $CR exec --json --strict --cpus 0.5 -- ./bin/spin 1 1000 cpu > $out/scope-cpus.json 2> $out/scope-cpus.err
assert "delegated scope: --strict cpus 0.5 throttled" $out/scope-cpus.json \
  'd["degraded"] == [] and 0.95 <= m["cpu_time"] <= 2.0 and 40 <= m["cpu_percent"] <= 55 and m["cpu_throttled_time"] >= 0.6'
# Under emulation the guest's own daemons can push a run over the contention threshold: --strict then
# leaves timing objectives inconclusive (exit 4), which is that rule working, not a gap of delegation.
S $CR run --strict -c slo.json -o /home/tester/scoped --format json,markdown allocate-64MiB loopback-5MB report-latencies > $out/scope-run.txt 2>&1
code=$?
if [ $code = 0 ] || { [ $code = 4 ] && grep -q "host contention" $out/scope-run.txt; }; then ok "delegated scope: run --strict on the example (exit $code)"
else bad "delegated scope: run --strict on the example (exit 0, or 4 for contended timing only)" "exit $code: $(tail -c 600 $out/scope-run.txt)"; fi
assert "delegated scope: report nothing degraded, no objective failed" /home/tester/scoped/report.json \
  'd["host"]["degraded"] == [] and d["verdict"] in ("pass", "inconclusive") and all(o["status"] in ("pass", "inconclusive") for o in d["slos"])'
S env SECRET_TOKEN=s3cr3t-user $CR exec --seccomp none -- sh -c 'cat /proc/1/environ /proc/1/cmdline 2>/dev/null; head -c 4096 /proc/1/mem 2>&1; cat /sys/fs/cgroup/memory.max' > $out/scope-secret.txt 2>&1
grep -q s3cr3t-user $out/scope-secret.txt && bad "delegated scope: cleanroom's environment not visible to the run" "$(head -c 300 $out/scope-secret.txt)" || ok "delegated scope: cleanroom's environment not visible to the run"
grep_in "delegated scope: the init's memory refused (non-dumpable)" $out/scope-secret.txt "/proc/1/mem.*Permission denied"
S $CR exec --json --network none -- ./bin/loopback 2000000 > $out/scope-net.json 2> $out/scope-net.err
assert "delegated scope: network bytes counted in the run's namespace (through the descriptor kept before the gate)" $out/scope-net.json \
  'm.get("net_tx_bytes", 0) >= 2e6'
# The CI script's own privilege pick (scripts/ci-run): no root, no sudo, so the delegated scope.
cp /opt/cleanroom/libexec/cleanroom/ci-run /home/tester/ci-run && chmod 755 /home/tester/ci-run
$U env $uenv INPUT_CLEANROOM=/opt/cleanroom INPUT_CONFIG=slo.json INPUT_OUTPUT=/home/tester/ci-out \
  INPUT_ARGS="--strict allocate-64MiB" GITHUB_OUTPUT=/home/tester/gh-out GITHUB_STEP_SUMMARY=/home/tester/gh-summary \
  /home/tester/ci-run > $out/ci-run.txt 2>&1
echo "exit $?" >> $out/ci-run.txt
grep_in "ci-run as a user picks the delegated scope and says so" $out/ci-run.txt 'delegated cgroup \(systemd-run --user'
grep_in "ci-run in the scope: verdict pass" /home/tester/gh-out '^verdict=pass$'

# An alert from a user's cleanroom: its webhook sender (libexec/cleanroom/cleanroom-webhook; no Swift
# here) posts the signed body to a server on the guest's loopback, which takes one request.
cat > /home/tester/hook.py <<'PY'
import http.server, sys
class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        open(sys.argv[2], "w").write(self.headers.get("X-Cleanroom-Signature-256", "") + "\n" + str(len(body)) + "\n")
        self.send_response(204)
        self.end_headers()
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
open(sys.argv[1], "w").write(str(server.server_port))
server.handle_request()
PY
rm -f /tmp/hook.port /tmp/hook.got
python3 /home/tester/hook.py /tmp/hook.port /tmp/hook.got & hook=$!
for i in $(seq 1 300); do [ -s /tmp/hook.port ] && break; sleep 0.1; done
cat > /home/tester/alert.json <<'JSON'
{"workloads": [{"name": "w", "command": ["true"]}],
 "slos": [{"name": "Quick", "workload": "w", "objective": "max(wall_time) < 60s", "noise": "off"}],
 "defaults": {"repeat": 1},
 "alerts": {"webhooks": [{"url_env": "HOOK", "secret_env": "HOOK_SECRET", "on": ["pass"]}]}}
JSON
chown tester: /home/tester/alert.json
$U env HOOK="http://127.0.0.1:$(cat /tmp/hook.port)/hook" HOOK_SECRET=k $CR run -c /home/tester/alert.json \
  -o /home/tester/alert-out --format json > $out/user-alert.txt 2>&1
assert "non-root: the webhook sender delivers the alert" /home/tester/alert-out/report.json \
  '[a["status"] for a in d["alerts"]] == ["delivered"] and d["alerts"][0].get("http_status") == 204'
grep_in "non-root: the alert reached the server, signed" /tmp/hook.got '^sha256=[0-9a-f]{64}$'
kill $hook 2>/dev/null; wait $hook 2>/dev/null
cd /

# A service started with User= and Delegate=yes by the system manager: io is delegated there too.
systemd-run --quiet --wait --pipe -p User=tester -p Delegate=yes -p WorkingDirectory=/home/tester/fx \
  $CR exec --json --strict --memory 128MiB --pids 64 -- ./bin/write_fsync scratch.bin 16 > $out/svc-io.json 2> $out/svc-io.err
assert "User= service with Delegate=yes: --strict, io.stat counts 16 MiB" $out/svc-io.json \
  'd["degraded"] == [] and 16*MiB <= m["disk_write_bytes"] <= 20*MiB'

left=$(find /sys/fs/cgroup -type d -name 'cr-*' 2>/dev/null | head -5)
[ -z "$left" ] && ok "no run cgroup left anywhere at the end" || bad "no run cgroup left anywhere at the end" "$left"

t1=$(date +%s.%N)
echo "test_seconds=$(python3 -c "print(round($t1 - $t0, 1))")" >> "$out/timings"
[ "$known" -gt 0 ] && echo "$known known sandbox gap(s) reproduced (KNOWN GAP lines above)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
