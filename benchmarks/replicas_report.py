"""The tables of benchmarks/replicas.py: throughput per number of replicas, and where the time went
(statement timings in the replicas, pg_stat_activity samples, the database's CPU per post)."""

from __future__ import annotations

import argparse
import statistics
from collections import Counter
from typing import Any


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in runs))


def _summed(runs: list[dict[str, Any]], key: str) -> Counter[Any]:
    total: Counter[Any] = Counter()
    for run in runs:
        total.update(run[key])
    return total


def report(runs: list[dict[str, Any]], args: argparse.Namespace) -> list[str]:
    by_n: dict[int, list[dict[str, Any]]] = {}
    for run in runs:
        by_n.setdefault(run["replicas"], []).append(run)
    base = _median(by_n[min(by_n)], "throughput")
    lines = [
        f"{args.subscriptions:,} subscriptions due in the same minute, each with {args.history} past days "
        "(posts, reveals and draws); "
        f"every replica is a separate OS process running the scheduler's start-up catch-up with "
        f"{args.concurrency} sends at a time against an adapter that answers each send after "
        f"{args.latency * 1000:.0f} ms with no rate limit (one replica's ceiling: "
        f"{args.concurrency / args.latency:.0f} posts/s). N = {', '.join(map(str, by_n))}, "
        "alternating order, "
        f"{args.repeats} repeats; medians. **This machine has 2 CPU cores, shared with the replicas, "
        "PostgreSQL and other work**, so the figures are bounded by CPU before anything else. "
        "Target: ≥ 2.6× one replica's throughput at 3.",
        "",
        "| replicas | posts/s (each run) | × one replica | due → first post | due → last post "
        "| posts per replica | duplicates | missed | replicas' CPU | backends' CPU | machine busy | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for n, group in sorted(by_n.items()):
        throughput = _median(group, "throughput")
        each = ", ".join(f"{r['throughput']:.0f}" for r in group)
        split = " / ".join(f"{x:,}" for x in group[-1]["split"])
        lines.append(
            f"| {n} | {throughput:.0f} ({each}) | {throughput / base:.2f} "
            f"| {_median(group, 'first_post_s'):.2f} s | {_median(group, 'last_post_s'):.1f} s | {split} "
            f"| {sum(r['duplicates'] for r in group)} "
            f"| {sum(r['missed'] for r in group)} | {_median(group, 'replica_cpu_s'):.1f} s "
            f"| {_median(group, 'backend_cpu_s'):.1f} s | {_median(group, 'machine_busy') * 100:.0f} % "
            f"| {_median(group, 'load'):.1f} |"
        )
    lines += [
        "",
        "Duplicates: delivery keys the adapters were sent more than once. Missed: subscriptions whose "
        "post is not recorded `sent` with a key an adapter was sent. CPU: the replicas' own process "
        "time during the run, and that of their PostgreSQL backends (from /proc); machine busy: all "
        "CPUs, everything running on the machine; load: the 1-minute load average.",
        "",
        *profile(by_n),
    ]
    return lines


def profile(by_n: dict[int, list[dict[str, Any]]]) -> list[str]:
    """Statement time per kind (in the replicas) and backend activity (in the server), per N."""
    ns = sorted(by_n)
    top = max(ns)
    seconds = {n: _summed(by_n[n], "statement_s") for n in ns}
    calls = {n: _summed(by_n[n], "statement_calls") for n in ns}
    activity = {n: _summed(by_n[n], "activity") for n in ns}
    runs = {n: len(by_n[n]) for n in ns}
    lines = [
        "Where the time goes. Statements, timed in the replicas (wall time from execute to result, so "
        "lock waits count): per run, summed over the replicas; mean per call:",
        "",
        "| statement | " + " | ".join(f"N={n} calls/run | N={n} mean | N={n} s/run" for n in ns) + " |",
        "|---|" + "---|---|---|" * len(ns),
    ]
    for kind, _ in seconds[top].most_common():
        cells: list[str] = []
        for n in ns:
            c = calls[n][kind] / runs[n]
            mean = seconds[n][kind] / calls[n][kind] * 1000 if calls[n][kind] else 0.0
            cells.append(f"{c:.0f} | {mean:.1f} ms | {seconds[n][kind] / runs[n]:.2f}")
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Server side: pg_stat_activity sampled every 20 ms; the average number of the database's "
        "backends in each state (running = on CPU or runnable; waiting = on a lock, I/O or the WAL):",
        "",
        "| backend state | statement | " + " | ".join(f"N={n}" for n in ns) + " |",
        "|---|---|" + "---|" * len(ns),
    ]
    for state, kind in [key for key, _ in activity[top].most_common(12)]:
        shares = " | ".join(f"{activity[n][(state, kind)] / runs[n]:.2f}" for n in ns)
        lines.append(f"| {state} | {kind} | {shares} |")
    lines += ["", *database_limit(by_n[top], top)]
    return lines


def database_limit(runs: list[dict[str, Any]], n: int) -> list[str]:
    """The database's share at N replicas, and the throughput at which it would be the limit."""
    posts = sum(sum(r["split"]) for r in runs)
    per_post_ms = sum(r["backend_cpu_s"] for r in runs) / posts * 1000
    working: dict[str, float] = {}  # per statement kind, backends on average over the runs
    waiting = 0.0
    for (state, kind), backends in _summed(runs, "activity").items():
        if state == "idle in transaction":
            waiting += backends / len(runs)
        elif not state.startswith("idle"):
            working[kind] = working.get(kind, 0.0) + backends / len(runs)
    total = sum(working.values())
    top_kind, top = max(working.items(), key=lambda item: item[1], default=("–", 0.0))
    return [
        f"At N = {n} the database's backends were working (running, or waiting on a lock, I/O or the "
        f"WAL) {total:.2f} backends on average, and idle inside a transaction waiting for a replica "
        f"{waiting:.2f}. They used {per_post_ms:.2f} ms of CPU per post: the database alone would fill "
        f"one core at about {1000 / per_post_ms:,.0f} posts/s. Its largest share of working time goes "
        f"to {top_kind} ({top / max(total, 1e-9) * 100:.0f} %).",
    ]
