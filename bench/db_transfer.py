#!/usr/bin/env python3
"""Benchmark: herokufly db transfer (with verification) against the manual pipe.

Builds a Heroku-like dataset (tests/pg_dataset.py) of about --size-mb in a throwaway
PostgreSQL server, then alternates, --runs times, on the same server:
  (a) reference: pg_dump -Fc SRC | pg_restore --clean --no-owner --no-acl -d TGT
  (b) herokufly db transfer --from SRC --to TGT --verify counts
each into a new empty database. Prints every run, the medians, the ratio b/a and the
peak RSS of the herokufly process (the largest single process of its tree).

With --stats-views N the source also gets Heroku's pg_stat_statements in heroku_ext and N
views over it (chained), and herokufly copies with --fly-target, so each run also pays for
finding the extension Fly cannot create and leaving it and the views out (the preflight phase).

Usage: python3 bench/db_transfer.py --size-mb 200 --runs 3 [--jobs N] [--verify counts] [--stats-views N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from tests import pg_dataset, pgserver  # noqa: E402


def timed(cmd: list[str], env: dict) -> tuple[float, int, int, str]:
    """(seconds, exit code, peak RSS in kB of the largest process, stderr tail)."""
    started = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate()
    seconds = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, proc.returncode, peak, (err or b"").decode(errors="replace")[-600:] + \
        (out or b"").decode(errors="replace")[-0:]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--size-mb", type=float, default=100)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--verify", default="counts", choices=["counts", "checksums", "none"])
    ap.add_argument("--json", action="store_true", help="also print the figures as JSON")
    ap.add_argument("--stats-views", type=int, default=0,
                    help="add pg_stat_statements + this many views on it; copy with --fly-target")
    args = ap.parse_args()

    server = pgserver.start_host_server(15)
    try:
        src = server.create_database("bench_src")
        t0 = time.monotonic()
        pg_dataset.build(src, pg_dataset.rows_for_mb(args.size_mb))
        if args.stats_views:
            server.execute("CREATE EXTENSION pg_stat_statements SCHEMA heroku_ext", dbname="bench_src")
            views = ["CREATE VIEW public.stats_0 AS SELECT query, calls FROM heroku_ext.pg_stat_statements"]
            views += [f"CREATE VIEW public.stats_{i} AS SELECT * FROM public.stats_{i - 1} WHERE calls > {i}"
                      for i in range(1, args.stats_views)]
            server.execute(";\n".join(views), dbname="bench_src")
        size = int(server.query("SELECT pg_database_size('bench_src')"))
        print(f"dataset: {size / 1e6:.0f} MB built in {time.monotonic() - t0:.0f}s "
              f"(PostgreSQL {server.major}, {os.cpu_count()} CPUs)", flush=True)

        env = dict(os.environ, PGPASSWORD=pgserver.PASSWORD)
        env.pop("GITHUB_ACTIONS", None)
        conn = f"host=127.0.0.1 port={server.port} user={pgserver.SUPERUSER} dbname="
        ref_times, hf_times, hf_rss = [], [], []
        hf_detail = None
        for run in range(args.runs):
            order = ("ref", "hf") if run % 2 == 0 else ("hf", "ref")
            for kind in order:
                name = f"bench_{kind}_{run}"
                tgt = server.create_database(name)
                if kind == "ref":
                    cmd = ["bash", "-o", "pipefail", "-c",
                           f"pg_dump -Fc -d '{conn}bench_src' | pg_restore --clean --no-owner "
                           f"--no-acl -d '{conn}{name}'"]
                    seconds, code, _peak, _err = timed(cmd, env)
                    ref_times.append(seconds)
                    print(f"run {run + 1} reference: {seconds:6.1f}s (exit {code})", flush=True)
                else:
                    cmd = ["/usr/bin/time", "-f", "peak-rss-kb %M", sys.executable, "-m", "herokufly",
                           "db", "transfer", "--from", src, "--to", tgt, "--verify", args.verify, "--json"]
                    if args.jobs:
                        cmd += ["--jobs", str(args.jobs)]
                    if args.stats_views:
                        cmd.append("--fly-target")
                    started = time.monotonic()
                    proc = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True)
                    seconds = time.monotonic() - started
                    rss = next((int(ln.split()[-1]) for ln in proc.stderr.splitlines()
                                if ln.startswith("peak-rss-kb")), 0)
                    if proc.returncode != 0:
                        print(proc.stderr[-2000:])
                        raise SystemExit(f"herokufly failed with exit {proc.returncode}")
                    hf_detail = json.loads(proc.stdout)
                    hf_times.append(seconds)
                    hf_rss.append(rss)
                    phases = ", ".join(f"{p['name']} {p['seconds']:.1f}" for p in hf_detail["phases"])
                    print(f"run {run + 1} herokufly: {seconds:6.1f}s (verify {args.verify}, "
                          f"peak RSS {rss / 1024:.0f} MB; {phases})", flush=True)
                server.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        ref, hf = statistics.median(ref_times), statistics.median(hf_times)
        print(f"\nmedian reference pipe: {ref:.1f}s")
        print(f"median herokufly (with verification '{args.verify}'): {hf:.1f}s")
        print(f"ratio herokufly/reference: {hf / ref:.2f} (goal <= 0.60)")
        print(f"herokufly peak RSS: {max(hf_rss) / 1024:.0f} MB")
        if args.json:
            print(json.dumps({"size_bytes": size, "reference_s": ref_times, "herokufly_s": hf_times,
                              "ratio": hf / ref, "peak_rss_kb": max(hf_rss),
                              "last_phases": hf_detail["phases"] if hf_detail else None}))
    finally:
        pgserver.remove(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
