"""bench/run --cluster N: one live session served by N `facilitator serve --nats` processes on a real
`nats-server -js` (one node, or three routed on loopback ports), its participants spread over them, and
beside it the same size on one SQLite server, so the cost per vote of the two stores is read side by side.

Each step: a fresh JetStream store (its folder in the run's temporary folder), N facilitators with the
same scenarios and key, each on its own free port; the first swarm process hosts the session on server 1
and prints its code, the others join it with --code on servers 2..N (then 1..N again when a server's share
needs more than one process: at most PER_PROCESS participants a swarm process and PER_FACILITATOR a
facilitator, the open-file limit being per process)."""

import json
import math
import os
import signal
import subprocess
import time
import urllib.request

from benchlib import (KEY, PER_PROCESS, Server, cpu_seconds, finish, free_port, log, merged, pinned, start,
                      swarm_cmd, vm_rss_kib, wait_line)

# The open-file limit is 20,000 a process: a facilitator keeps room for its NATS connections, the store and
# the listening socket. 50,000 over three facilitators is 16,667 each.
PER_FACILITATOR = 17000
SQLITE_MAX = 19900  # what one SQLite facilitator holds: the reference step above that runs at this size


class NatsNode:
    """One `nats-server -js` on free loopback ports, its store in dir; with routes, one node of a cluster."""

    def __init__(self, args, dir, name, route_port=None, routes=()):
        os.makedirs(dir, exist_ok=True)
        self.name, self.dir = name, dir
        self.port, self.monitor = free_port(), free_port()
        argv = ["nats-server", "-js", "-sd", os.path.join(dir, "js"), "-a", "127.0.0.1", "-p", str(self.port),
                "-m", str(self.monitor), "-n", name]
        if route_port:
            others = ",".join(f"nats://127.0.0.1:{r}" for r in routes if r != route_port)
            argv += ["--cluster_name", "roundtable", "--cluster", f"nats://127.0.0.1:{route_port}", "--routes", others]
        argv = pinned(args.server_cpu, argv)
        self.cmd = " ".join(argv)
        self.log = open(os.path.join(dir, "nats.log"), "w")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"nats://127.0.0.1:{self.port}"

    def wait_ready(self, timeout=30):
        """Until the node's /healthz says JetStream is ready (a cluster node: once there is a quorum)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"nats-server {self.name} exited at start; see {self.dir}/nats.log")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.monitor}/healthz", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass  # not listening yet, or 503 while JetStream is not ready
            time.sleep(0.05)
        raise SystemExit(f"nats-server {self.name}: JetStream not ready within {timeout} s; see {self.dir}/nats.log")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def nats_nodes(args):
    """How many nats-server nodes: --nats-nodes, else three where the cores allow it, else one."""
    return args.nats_nodes or (3 if (os.cpu_count() or 1) >= 4 else 1)


def nats_mode(args):
    """One line for the output: which JetStream the facilitators ran on, and why."""
    if nats_nodes(args) == 3:
        return "three nats-server nodes (a JetStream cluster routed on loopback), --nats-replicas 3"
    return (f"one nats-server node, --nats-replicas 1 ({os.cpu_count()} cores: three nodes and their three copies "
            "of every write do not fit beside the facilitators and swarms; --nats-nodes 3 forces them)")


def start_nats(args, tmp, tag):
    """A fresh JetStream for one step: one node, or three routed to each other; returns once ready."""
    if nats_nodes(args) == 1:
        nodes = [NatsNode(args, os.path.join(tmp, f"{tag}-n1"), "n1")]
    else:
        routes = [free_port() for _ in range(3)]
        nodes = [NatsNode(args, os.path.join(tmp, f"{tag}-n{i + 1}"), f"n{i + 1}", routes[i], routes) for i in range(3)]
    for node in nodes:
        node.wait_ready()
    return nodes


def swarm_plan(n, servers):
    """[(server index, participants)] of each swarm process: n spread evenly over the servers, each
    server's share over as few processes as PER_PROCESS allows. The first process is on server 0."""
    share = [n // servers + (1 if i < n % servers else 0) for i in range(servers)]
    if max(share) > PER_FACILITATOR:
        raise SystemExit(f"bench/run: {n} participants over {servers} facilitators is {max(share)} a facilitator, "
                         f"more than {PER_FACILITATOR} (the open-file limit is per process): use a larger --cluster")
    plan = []
    for i, s in enumerate(share):
        parts = max(1, math.ceil(s / PER_PROCESS))
        plan += [(i, s // parts + (1 if p < s % parts else 0)) for p in range(parts)]
    return plan


def source_ips(j):
    """Five loopback source addresses of swarm process j, apart from every other process's."""
    return f"127.0.0.{2 + 5 * j}-127.0.0.{6 + 5 * j}"


def start_swarms(args, tmp, n, servers):
    """Every swarm process of a step, started; returns [(server index, proc, command)] once all joined."""
    common = ["--ramp", str(args.ramp), "--max-inflight", "200", "--vote-window", "2", "--timeout", "300",
              "--expect-ballots", str(n)]
    plan = swarm_plan(n, len(servers))
    first_share = sum(c for i, c in plan if i == 0)
    # Presence is counted per server: the host opens the round once server 1's share is present, after a
    # hold long enough for the other processes to finish joining (they start a moment later).
    hold = 3 + n / 10000
    a = swarm_cmd(args, servers[0], plan[0][1], ["--key", KEY, "--scenario", "warm-up", "--hold", f"{hold:g}",
                  "--open-at", str(first_share), "--source-ips", source_ips(0)] + common)
    swarms = [(0, start(a, tmp, f"cluster-swarm-{n}-0"), " ".join(a))]
    m = wait_line(swarms[0][1], r"^session (\d+)", 60)
    if not m:
        raise SystemExit("the first swarm printed no session:\n" + "".join(swarms[0][1].lines))
    for j, (i, count) in enumerate(plan[1:], start=1):
        b = swarm_cmd(args, servers[i], count, ["--code", m.group(1), "--source-ips", source_ips(j)] + common)
        swarms.append((i, start(b, tmp, f"cluster-swarm-{n}-{j}"), " ".join(b)))
    for _, p, _ in swarms:
        wait_line(p, r"^joined ", 300)
    return swarms


def stored_ballots(server, code):
    """The ballots of the session's first round as this server's export replays them from the stream."""
    req = urllib.request.Request(f"http://127.0.0.1:{server.port}/api/sessions/{code}/export.json",
                                 headers={"Authorization": "Bearer " + KEY})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            export = json.load(r)
        return sum(rd.get("ballots", 0) for q in export.get("questions", []) for rd in q.get("rounds", [])[:1])
    except (OSError, ValueError) as e:
        log(f"export from {server.url} failed: {e}")
        return -1


def cluster_step(args, tmp, n):
    """One size on N facilitators over JetStream: per-server and per-swarm numbers, nats-server's apart."""
    nodes = start_nats(args, tmp, f"nats-{n}")
    servers = []
    try:
        replicas = 3 if len(nodes) == 3 else 1
        extra = ["--nats", ",".join(node.url for node in nodes), "--nats-replicas", str(replicas)]
        servers = [Server(tmp, f"cluster-{n}-{i + 1}", args, extra) for i in range(args.cluster)]
        pids = [s.proc.pid for s in servers]
        npids = [node.proc.pid for node in nodes]
        rss0, cpu0 = [vm_rss_kib(p) for p in pids], [cpu_seconds(p) for p in pids]
        ncpu0 = [cpu_seconds(p) for p in npids]
        swarms = start_swarms(args, tmp, n, servers)
        time.sleep(1.0)  # everyone joined and idle: the swarms hold before voting
        rss1, nrss1 = [vm_rss_kib(p) for p in pids], [vm_rss_kib(p) for p in npids]
        results = [finish(p, 400) for _, p, _ in swarms]
        cpu1, ncpu1 = [cpu_seconds(p) for p in pids], [cpu_seconds(p) for p in npids]
        nrss2 = [vm_rss_kib(p) for p in npids]
        stored = [stored_ballots(s, results[0]["code"]) for s in servers]
    finally:
        for s in servers:
            s.stop()
        for node in nodes:
            node.stop()
    per_server = [{"server": s.cmd, "rss0_kib": rss0[i], "rss_idle_kib": rss1[i],
                   "cpu_s": round(cpu1[i] - cpu0[i], 2), "stored_ballots": stored[i],
                   "results": [r for (si, _, _), r in zip(swarms, results) if si == i]}
                  for i, s in enumerate(servers)]
    return {"n": n, "nats": {"mode": nats_mode(args), "nodes": [node.cmd for node in nodes],
                             "rss_idle_kib": sum(nrss1), "rss_after_kib": sum(nrss2),
                             "cpu_s": round(sum(ncpu1) - sum(ncpu0), 2)},
            "servers": per_server, "swarm": [c for _, _, c in swarms],
            "swarm_server": [si for si, _, _ in swarms], "results": results}


def run(args, tmp, sizes, sqlite_step):
    """Every size: the cluster step, then the SQLite reference step (one server) of the same size."""
    out = []
    for n in sizes:
        swarm_plan(n, args.cluster)  # refuse a size the facilitators cannot hold before starting anything
        log(f"{n} participants over {args.cluster} facilitators on JetStream ({nats_mode(args)}) ...")
        c = cluster_step(args, tmp, n)
        log("cluster:", merged(c["results"]))
        ref = min(n, SQLITE_MAX)
        log(f"{ref} participants on one facilitator with SQLite (the reference) ...")
        out.append({"n": n, "cluster": c, "sqlite": sqlite_step(args, tmp, ref)})
        log("sqlite:", merged(out[-1]["sqlite"]["results"]))
    return out


def summary(step):
    """The side-by-side numbers of one size: the cluster's summed over facilitators, and SQLite's."""
    c, s = step["cluster"], step["sqlite"]
    rc, rs = merged(c["results"]), merged(s["results"])
    cpu = sum(x["cpu_s"] for x in c["servers"])
    idle = sum(x["rss_idle_kib"] for x in c["servers"])
    grown = idle - sum(x["rss0_kib"] for x in c["servers"])
    return {
        "participants": step["n"], "facilitators": len(c["servers"]),
        "stored": [x["stored_ballots"] for x in c["servers"]],
        "cluster": rc, "cluster_rss_idle_kib": idle, "cluster_kib_per_participant": grown / step["n"],
        "cluster_cpu_s": round(cpu, 2), "cluster_ms_per_vote": 1000 * cpu / max(1, rc["acked"]),
        "nats_rss_idle_kib": c["nats"]["rss_idle_kib"], "nats_cpu_s": c["nats"]["cpu_s"],
        "nats_ms_per_vote": 1000 * c["nats"]["cpu_s"] / max(1, rc["acked"]),
        "sqlite_n": s["n"], "sqlite": rs, "sqlite_rss_idle_kib": s["rss_idle_kib"],
        "sqlite_kib_per_participant": (s["rss_idle_kib"] - s["rss0_kib"]) / s["n"],
        "sqlite_cpu_s": s["cpu_s"], "sqlite_ms_per_vote": 1000 * s["cpu_s"] / max(1, rs["acked"]),
    }


def table(steps, mode):
    """The Markdown: SQLite and the cluster side by side per size, then each facilitator's own row."""
    rows = [f"JetStream: {mode}. Latencies: each swarm process's own p50 and p99; a merged cell is the worst "
            "process's (not a pooled percentile). Counts add up over the processes. Vote-to-results is each "
            "process's k-th acked vote against the first push counting k ballots of all processes, so with several "
            "processes it reads low (a p50 of 0 means the push counting k came before this process's k-th vote). "
            "CPU ms per acked vote: the step's whole CPU (joins, votes, fan-out) over the acked votes.", "",
            "| participants | store | facilitators | connected | acked / sent | counted (progress) | in the log "
            "(each server's export) | ack p50 / p99 ms | vote-to-results p50 / p99 ms | facilitators' RSS idle MiB "
            "(KiB per participant) | facilitators' CPU s | **CPU ms per acked vote** | nats-server RSS MiB, CPU s, "
            "ms per vote |",
            "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]

    def row(n, store, k, r, stored, rss, per, cpu, ms, nats):
        return (f"| {n:,} | {store} | {k} | {r['connected']:,} | {r['acked']:,} / {r['sent']:,} | "
                f"{r['max_progress']:,} | {stored} | {r['ack_p50_ms']} / {r['ack_p99_ms']} | {r['results_p50_ms']} / "
                f"{r['results_p99_ms']} | {rss / 1024:,.1f} ({per:.2f}) | {cpu} | **{ms:.3f}** | {nats} |")

    for step in steps:
        x = summary(step)
        rows.append(row(x["sqlite_n"], "SQLite", 1, x["sqlite"], "-", x["sqlite_rss_idle_kib"],
                        x["sqlite_kib_per_participant"], x["sqlite_cpu_s"], x["sqlite_ms_per_vote"], "-"))
        nats = f"{x['nats_rss_idle_kib'] / 1024:,.1f}, {x['nats_cpu_s']}, {x['nats_ms_per_vote']:.3f}"
        same = len(set(x["stored"])) == 1
        stored = f"{x['stored'][0]:,} (all {len(x['stored'])})" if same else " / ".join(f"{b:,}" for b in x["stored"])
        rows.append(row(x["participants"], "JetStream", x["facilitators"], x["cluster"], stored,
                        x["cluster_rss_idle_kib"], x["cluster_kib_per_participant"], x["cluster_cpu_s"],
                        x["cluster_ms_per_vote"], nats))
    for step in steps:
        for store, rs in (("JetStream", step["cluster"]["results"]), ("SQLite", step["sqlite"]["results"])):
            reasons = {}
            for r in rs:
                for why, count in r.get("error_reasons", {}).items():
                    reasons[why] = reasons.get(why, 0) + count
            if reasons:
                rows.append(f"\n{step['n']:,} on {store}: errors answered to votes or joins: " +
                            "; ".join(f"{count:,} x `{why}`" for why, count in reasons.items()))
    rows += ["", "Each facilitator of the cluster (its swarm processes merged as above):", "",
             "| participants | server | swarm processes | connected | acked / sent | counted (progress) | in the log "
             "(export) | ack p50 / p99 ms | vote-to-results p50 / p99 ms | RSS idle MiB | CPU s |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for step in steps:
        for i, s in enumerate(step["cluster"]["servers"], start=1):
            r = merged(s["results"])
            rows.append(f"| {step['n']:,} | {i} | {len(s['results'])} | {r['connected']:,} | {r['acked']:,} / "
                        f"{r['sent']:,} | {r['max_progress']:,} | {s['stored_ballots']:,} | "
                        f"{r['ack_p50_ms']} / {r['ack_p99_ms']} | "
                        f"{r['results_p50_ms']} / {r['results_p99_ms']} | {s['rss_idle_kib'] / 1024:,.1f} | "
                        f"{s['cpu_s']} |")
    return "\n".join(rows)


COLUMNS = ["participants", "facilitators", "connected", "acked", "lost", "counted", "stored_min", "ack_p50_ms",
           "ack_p99_ms",
           "results_p50_ms", "results_p99_ms", "cluster_rss_idle_mib", "cluster_cpu_s", "cluster_ms_per_vote",
           "nats_rss_idle_mib", "nats_cpu_s", "nats_ms_per_vote", "cluster_nats_ms_per_vote", "sqlite_participants",
           "sqlite_acked", "sqlite_ack_p99_ms", "sqlite_results_p99_ms", "sqlite_cpu_s", "sqlite_ms_per_vote"]


def data_row(step):
    """One row of NAME.cluster.tsv (COLUMNS): the cluster's numbers and its SQLite reference's."""
    x = summary(step)
    r, s = x["cluster"], x["sqlite"]
    return [x["participants"], x["facilitators"], r["connected"], r["acked"], r["sent"] - r["acked"],
            r["max_progress"], min(x["stored"]), r["ack_p50_ms"], r["ack_p99_ms"], r["results_p50_ms"],
            r["results_p99_ms"],
            round(x["cluster_rss_idle_kib"] / 1024, 1), x["cluster_cpu_s"], round(x["cluster_ms_per_vote"], 3),
            round(x["nats_rss_idle_kib"] / 1024, 1), x["nats_cpu_s"], round(x["nats_ms_per_vote"], 3),
            round(x["cluster_ms_per_vote"] + x["nats_ms_per_vote"], 3), x["sqlite_n"], s["acked"],
            s["ack_p99_ms"], s["results_p99_ms"], x["sqlite_cpu_s"], round(x["sqlite_ms_per_vote"], 3)]
