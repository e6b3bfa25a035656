#!/usr/bin/env python3
"""Benchmark: the action image (size, build times) and one act run of `command: plan`.

Measures, on the running Docker engine with the stand-in base images (scripts/setup-docker):
  - warm build: `docker build` with every layer cached (what act does on each run)
  - code build: the same after a change to the package (only the last layer rebuilds)
  - cold build (--cold): `docker build --no-cache` (both apt stages)
  - image size (docker image inspect .Size; the flyctl stand-in is a small script, the real
    flyctl binary comes on top)
  - one act run of tests/e2e/workflows/plan.yml against the fake Heroku API (--runs times)

Usage: python3 bench/action_image.py [--cold] [--runs 1]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.e2e import conftest as e2e  # noqa: E402
from tests.fakes.heroku_api import FakeHeroku  # noqa: E402

TAG = "herokufly-action:bench"


def build(context: Path, *extra: str) -> float:
    started = time.monotonic()
    subprocess.run(
        ["docker", "build", "--network", "host", "-q", "-t", TAG, *extra, str(context)],
        env={**os.environ, "DOCKER_BUILDKIT": "0"}, check=True, capture_output=True,
    )
    return time.monotonic() - started


def act_run(workspace: Path) -> float:
    fake = FakeHeroku(token="bench-heroku-key-0000")
    fake.start()
    try:
        fake.load_seed(REPO / "tests" / "fakes" / "heroku_seed_phoenix.json")
        run = e2e.run_act(
            shutil.which("act"), workspace, "plan.yml",
            variables={"HEROKU_API_URL": fake.url, "HEROKU_APP": "acme-phoenix", "FLY_APP": "acme-bench"},
            secrets={"HEROKU_API_KEY": "bench-heroku-key-0000", "WRONG_HEROKU_API_KEY": "bench-wrong-key-0000"},
        )
    finally:
        fake.stop()
    if run.returncode != 0:
        raise SystemExit(f"act failed; see {workspace.parent}/act-plan.yml/act.log")
    return run.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", action="store_true", help="also time a build without any cache")
    parser.add_argument("--runs", type=int, default=1, help="act runs to time")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="herokufly-bench-") as tmp:
        context = Path(tmp) / "repo"
        shutil.copytree(REPO, context, ignore=shutil.ignore_patterns(".git", "__pycache__", "*.egg-info"))
        if args.cold:
            print(f"cold build (no cache):    {build(context, '--no-cache'):6.1f} s")
        build(context)  # make sure every layer is cached
        print(f"warm build (all cached):  {build(context):6.1f} s")
        (context / "herokufly" / "_bench_marker.py").write_text(f"# {time.time()}\n")
        print(f"code change rebuild:      {build(context):6.1f} s")
        size = int(subprocess.run(["docker", "image", "inspect", "-f", "{{.Size}}", TAG],
                                  check=True, capture_output=True, text=True).stdout)
        print(f"image size:               {size / 1e6:6.1f} MB (flyctl stand-in; add the real flyctl binary)")
        subprocess.run(["docker", "image", "rm", TAG], capture_output=True)

        workspace = Path(tmp) / "act" / "repo"
        shutil.copytree(REPO, workspace, ignore=e2e._COPY_IGNORE, symlinks=True)
        git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
        for step in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "bench"]):
            subprocess.run([*git, *step], cwd=workspace, check=True, capture_output=True)
        times = [act_run(workspace) for _ in range(args.runs)]
        print(f"act run of plan.yml:      {statistics.median(times):6.1f} s median of {len(times)}")


if __name__ == "__main__":
    main()
