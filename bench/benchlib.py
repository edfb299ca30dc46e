"""What bench/run's steps share: the facilitator and swarm processes, reading their output, and
the process numbers (/proc) every table is made of. Imported by bench/run and bench/cluster.py."""

import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "build", "bin")
KEY = "bench-key-0123456789abcdef"
PER_PROCESS = 10000  # above this, two swarm processes (the open-file limit is 20,000 a process)
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(*a):
    print("bench:", *a, file=sys.stderr, flush=True)


def vm_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def pinned(cpu, argv):
    """argv under `taskset -c CPU` (a core or a list such as 0-1), when taskset is there."""
    return ["taskset", "-c", str(cpu)] + argv if shutil.which("taskset") else argv


def free_port():
    """A loopback port the kernel just handed out and took back: free unless taken meanwhile."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One `facilitator serve` on a free loopback port: SQLite at tmp/NAME.db, or JetStream with extra
    (`--nats ...`; the db file then holds only saved cases)."""

    def __init__(self, tmp, name, args, extra=()):
        self.db = os.path.join(tmp, name + ".db")
        self.log_path = os.path.join(tmp, name + ".log")
        argv = pinned(args.server_cpu, [args.facilitator, "serve", "--host", "127.0.0.1", "--port", "0",
                      "--db", self.db, "--scenarios", os.path.join(ROOT, "scenarios"), "--key", KEY,
                      "--threads", str(args.server_threads), "--max-connections", "19960",
                      "--max-connections-per-address", "19960",
                      # capacity, not abuse: the sustained step votes far above 30 a second per connection
                      "--rate-messages", "1000000"] + list(extra))
        self.cmd = " ".join(argv)
        self.log = open(self.log_path, "w+")
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"listening on http://[^:]+:(\d+)", line)
        if not m:
            raise SystemExit("server did not start: " + line + open(self.log_path).read())
        self.port = int(m.group(1))
        self.url = f"ws://127.0.0.1:{self.port}/ws"

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def swarm_cmd(args, server, count, extra):
    return pinned(args.swarm_cpu, [args.participant, "swarm", "--server", server.url, "--count",
                  str(count), "--json"] + extra)


def wait_line(proc, pattern, timeout):
    """Reads proc's stdout until a line matches; returns the match (lines kept in proc.lines)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            return None
        proc.lines.append(line)
        m = re.search(pattern, line)
        if m:
            return m
    return None


def finish(proc, timeout):
    """Waits for a swarm process to end; returns its closing JSON line."""
    out, _ = proc.communicate(timeout=timeout)
    proc.lines += out.splitlines(keepends=True)
    for line in reversed(proc.lines):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise SystemExit("no JSON line from the swarm:\n" + "".join(proc.lines))


def start(argv, tmp, name):
    """A swarm process, its stdout read by wait_line and finish, its stderr in tmp/NAME.err."""
    err = open(os.path.join(tmp, name + ".err"), "w")
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, text=True)
    p.lines = []
    return p


def children_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def merged(rs):
    """Several processes' numbers: counts add up, latency percentiles taken as the worst one."""
    out = dict(rs[0])
    for r in rs[1:]:
        for k in ("participants", "connected", "acked", "errors", "disconnects", "sent"):
            out[k] += r[k]
        for k in ("join_p99_ms", "ack_p50_ms", "ack_p99_ms", "results_p50_ms", "results_p99_ms", "burst_s", "duration_s",
                  "ack_max_ms", "results_max_ms"):
            out[k] = max(out[k], r[k])
        out["join_rate_per_s"] += r["join_rate_per_s"]
        out["max_progress"] = max(out["max_progress"], r["max_progress"])
    return out
