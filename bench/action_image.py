#!/usr/bin/env python3
"""Benchmark: the action image (size, build times) and one act run of `command: plan`.

Measures, on the running Docker engine with the stand-in base images (scripts/setup-docker):
  - warm build: `docker build` with every layer cached (what act does on each run)
  - code build: the same after a change to the package (only the last layer rebuilds)
  - cold build (--cold): `docker build --no-cache` (both apt stages)
  - image size (docker image inspect .Size; the flyctl stand-in is a small script, the real
    flyctl binary comes on top: its size is read from flyio/flyctl:<pinned> when that image is
    the real one, and is unknown here otherwise)
  - every file above 1 MB in the image, with what it is there for (--files; also on its own
    with --files-only, from the image just built)
  - one act run of tests/e2e/workflows/plan.yml against the fake Heroku API (--runs times)

The base images are the local stand-ins, named by tag (the Dockerfile pins them by digest).

Usage: python3 bench/action_image.py [--cold] [--runs 1] [--files | --files-only]
"""

from __future__ import annotations

import argparse
import os
import re
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
MB = 1_000_000

# What each large file is in the image for (first matching pattern wins).
PURPOSES = [
    (r"^/var/cache/apt/", "downloaded .deb files: should not be in the image"),
    (r"^/usr/local/bin/flyctl$", "flyctl: every Fly call (stand-in here: the fake)"),
    (r"^/usr/lib/postgresql/17/bin/(pg_dump|psql)$", "the database copy (pg_dump schema, psql COPY pipes)"),
    (r"^/usr/(bin/git|lib/git-core/)", "git: reads the repository, commits generated workflows"),
    (r"^/usr/bin/python3", "the Python interpreter running herokufly"),
    (r"^/usr/lib/python3\.\d+/", "the Python standard library"),
    (r"^/usr/lib/python3/dist-packages/", "herokufly's libraries (PyGithub, psycopg, requests, ...) and their deps"),
    (r"libpython3", "the Python interpreter (shared library)"),
    (r"lib(crypto|ssl)\.so", "TLS for Heroku, Fly, GitHub and PostgreSQL"),
    (r"lib(gnutls|curl|nghttp|ngtcp|idn2|unistring|hogweed|nettle|gmp|p11-kit|tasn1|ldap|sasl|gssapi|krb5|k5crypto)",
     "TLS/HTTP stack of git's https transport and libpq"),
    (r"libpq\.so", "libpq: PostgreSQL client library"),
    (r"lib(icu|zstd|lz4|readline|sqlite3|db-|pcre2|expat|z\.so)", "compression, regex, line editing, data for git, psql and Python"),
    (r"^/usr/lib/locale/", "C.UTF-8 locale"),
    (r"/perl", "perl-base: Essential in Debian, part of the base image"),
    (r"libapt|/sqv$|libdb-", "apt and its signature checker (base image)"),
    (r"^/(usr/)?(s?bin|lib/x86_64-linux-gnu|lib/aarch64-linux-gnu)/", "Debian base system (trixie-slim)"),
    (r"^/var/lib/dpkg/|^/var/cache/debconf/", "Debian package database (base image)"),
    (r"^/usr/share/", "data files of Debian packages"),
]


def build(context: Path, *extra: str) -> float:
    started = time.monotonic()
    subprocess.run(
        ["docker", "build", "--network", "host", "-q", "-t", TAG, *extra, str(context)],
        env={**os.environ, "DOCKER_BUILDKIT": "0"}, check=True, capture_output=True,
    )
    return time.monotonic() - started


def large_files(image: str) -> list[tuple[int, str]]:
    """(bytes, path) of every regular file above 1 MB in the image, largest first."""
    out = subprocess.run(
        ["docker", "run", "--rm", "--entrypoint", "sh", image, "-c",
         "find / -xdev -type f -size +1M ! -path '/proc/*' ! -path '/sys/*' -exec stat -c '%s %n' {} +"],
        check=True, capture_output=True, text=True).stdout
    files = [(int(size), path) for size, path in (line.split(" ", 1) for line in out.splitlines())]
    return sorted(files, reverse=True)


def purpose(path: str) -> str:
    return next((why for pattern, why in PURPOSES if re.search(pattern, path)), "unexplained: check it is needed")


def print_large_files(image: str) -> None:
    files = large_files(image)
    print(f"files above 1 MB in {image}: {len(files)}, {sum(s for s, _ in files) / MB:.1f} MB together")
    for size, path in files:
        print(f"  {size / MB:6.1f} MB  {path:60s} {purpose(path)}")


def real_flyctl_bytes() -> int | None:
    """Size of /flyctl in flyio/flyctl:<pinned> when that image is the real one (no stand-in label)."""
    image = e2e.flyctl_base_image()
    label = subprocess.run(["docker", "image", "inspect", "-f",
                            '{{with .Config.Labels}}{{index . "herokufly.fake-sha"}}{{end}}', image],
                           capture_output=True, text=True)
    if label.returncode != 0 or label.stdout.strip():
        return None
    ctr = subprocess.run(["docker", "create", image, "/flyctl"], capture_output=True, text=True, check=True).stdout.strip()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(["docker", "cp", f"{ctr}:/flyctl", tmp], check=True, capture_output=True)
            return (Path(tmp) / "flyctl").stat().st_size
    finally:
        subprocess.run(["docker", "rm", ctr], capture_output=True)


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
    parser.add_argument("--files", action="store_true", help="list every file above 1 MB in the image")
    parser.add_argument("--files-only", metavar="IMAGE", help="only list the large files of IMAGE")
    args = parser.parse_args()
    if args.files_only:
        print_large_files(args.files_only)
        return

    with tempfile.TemporaryDirectory(prefix="herokufly-bench-") as tmp:
        context = Path(tmp) / "repo"
        shutil.copytree(REPO, context, ignore=shutil.ignore_patterns(".git", "__pycache__", "*.egg-info"))
        e2e.use_standin_bases(context / "Dockerfile")
        if args.cold:
            print(f"cold build (no cache):    {build(context, '--no-cache'):6.1f} s")
        build(context)  # make sure every layer is cached
        print(f"warm build (all cached):  {build(context):6.1f} s")
        (context / "herokufly" / "_bench_marker.py").write_text(f"# {time.time()}\n")
        print(f"code change rebuild:      {build(context):6.1f} s")
        size = int(subprocess.run(["docker", "image", "inspect", "-f", "{{.Size}}", TAG],
                                  check=True, capture_output=True, text=True).stdout)
        print(f"image size:               {size / MB:6.1f} MB (with the flyctl stand-in)")
        flyctl = real_flyctl_bytes()
        if flyctl is None:
            print("with the real flyctl:     unknown here (flyio/flyctl is a stand-in; no source read records the "
                  "size of flyctl's release archive)")
        else:
            print(f"with the real flyctl:     {size / MB:6.1f} MB (the image above holds it: {flyctl / MB:.1f} MB)")
        if args.files:
            print_large_files(TAG)
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
