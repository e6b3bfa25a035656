"""The release workflow under act, against a local registry (GHCR's stand-in) and a local index.

A tag push v<version> runs .github/workflows/release.yml on this machine (act's self-hosted
mode: the steps need the docker CLI). What cannot run here is left out, and only that:
QEMU/buildx set-up (one platform; scripts/release builds with the classic builder), the
provenance attestation (needs GitHub's OIDC and Sigstore), the artifact hand-over (the jobs share
the workspace instead), `gh release create`; the PyPI publish step uploads to pypiserver with
twine instead of OIDC. Then:
  - the image is pulled back from the registry by digest;
  - the release commit (tags v<version> and its major, v0/v1, in the origin repository) has an action.yml
    naming that digest, and plan.yml runs the action from it (act pulls, builds nothing);
  - the wheel installs back from the index, stamped with the release commit and image;
  - one more act run times a job using the image by digest against one building the Dockerfile.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import venv
from pathlib import Path

import pytest
import yaml

from herokufly import __version__
from herokufly.act import workflow
from tests.e2e.conftest import _COPY_IGNORE, REPO_ROOT, missing, run_act, use_standin_bases
from tests.fakes.heroku_api import FakeHeroku

pytestmark = pytest.mark.e2e

TAG = f"v{__version__}"
REPOSITORY = "herokufly/herokufly"
HEROKU_APP = "acme-phoenix"
GITHUB_ONLY = ("docker/setup-qemu-action@", "docker/setup-buildx-action@", "actions/attest-build-provenance@")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, what: str, proc: subprocess.Popen) -> None:
    for _ in range(100):
        if proc.poll() is not None:
            pytest.fail(f"{what} exited ({proc.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"{what} did not answer at {url}")


@pytest.fixture(scope="module")
def registry(act_ready, tmp_path_factory):
    """Debian's docker-registry (distribution) on 127.0.0.1, no auth, storage in a temp dir."""
    binary = shutil.which("docker-registry")
    if not binary:
        missing("docker-registry is not installed (scripts/setup-host)")
    folder = tmp_path_factory.mktemp("registry")
    port = _free_port()
    config = folder / "config.yml"
    config.write_text(yaml.safe_dump({
        "version": 0.1, "log": {"level": "warn"},
        "storage": {"filesystem": {"rootdirectory": str(folder / "data")}, "delete": {"enabled": True}},
        "http": {"addr": f"127.0.0.1:{port}"},
    }))
    proc = subprocess.Popen([binary, "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_http(f"http://127.0.0.1:{port}/v2/", "docker-registry", proc)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    """pypiserver on 127.0.0.1 accepting uploads without a password (PyPI's stand-in)."""
    if subprocess.run([sys.executable, "-c", "import pypiserver, twine"], capture_output=True).returncode != 0:
        missing("pypiserver and twine are not installed (pip install -e '.[test]')")
    packages = tmp_path_factory.mktemp("index")
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "pypiserver", "run", "-i", "127.0.0.1", "-p", str(port),
                             "-a", ".", "-P", ".", str(packages)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_http(f"http://127.0.0.1:{port}/simple/", "pypiserver", proc)
        yield f"http://127.0.0.1:{port}", packages
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def release_for_act(registry: str, index_url: str, origin: Path, share: Path) -> str:
    """release.yml as act can run it here; every change is one GitHub service's local stand-in:

    - the registry is the local one, one platform (no QEMU/buildx set-up), no attestation;
    - actions/checkout: a clone of the origin repository at the same ref (act's self-hosted
      mode starts each job in an empty folder), base images by their stand-in tags;
    - upload/download-artifact: a copy through a shared folder;
    - the PyPI publish: twine to the local index (trusted publishing needs GitHub's OIDC);
    - no `gh release create` (the notes step still runs).
    """
    doc = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / "release.yml").read_text())
    doc["on"] = doc.pop(True)
    doc["env"] = {"REGISTRY": registry, "PLATFORMS": "linux/amd64"}
    for job in doc["jobs"].values():
        job["env"] = {"DOCKER_CONFIG": str(share / "docker-config")}  # docker login writes here, not in ~/.docker
        steps = []
        for step in job["steps"]:
            uses, given = step.get("uses", ""), step.get("with", {})
            if uses.startswith(GITHUB_ONLY) or step.get("name") == "Create the release":
                continue
            if uses.startswith("actions/checkout@"):
                step = {"name": "checkout (clone of origin)",
                        "env": {"ORIGIN": str(origin), "REF": given.get("ref", "${{ github.sha }}")},
                        "run": 'git clone -q "$ORIGIN" . && git checkout -q "$REF"\n'
                               "sed -E -i 's/^(FROM [^ @]+)@sha256:[0-9a-f]{64}/\\1/' Dockerfile\n"}
            elif uses.startswith("actions/upload-artifact@"):
                step = {"name": "upload-artifact (copy)",
                        "run": f'mkdir -p "{share}/{given["name"]}" && cp -a {given["path"]}. "{share}/{given["name"]}/"'}
            elif uses.startswith("actions/download-artifact@"):
                step = {"name": "download-artifact (copy)",
                        "run": f'mkdir -p {given["path"]} && cp -a "{share}/{given["name"]}/." {given["path"]}'}
            elif uses.startswith("pypa/gh-action-pypi-publish@"):
                step = {"name": "Publish to the local index",
                        "env": {"INDEX": index_url},
                        "run": f'{sys.executable} -m twine upload --non-interactive --repository-url "$INDEX" '
                               '-u e2e -p e2e dist/*'}
            steps.append(step)
        job["steps"] = steps
    return yaml.safe_dump(doc, sort_keys=False)


@pytest.fixture(scope="module")
def released(act_ready, registry, index, tmp_path_factory):
    """One tag push under act; returns what the test modules check."""
    index_url, packages = index
    root = tmp_path_factory.mktemp("release")
    origin = root / "origin.git"
    workspace = root / "repo"
    shutil.copytree(REPO_ROOT, workspace, ignore=_COPY_IGNORE, symlinks=True)
    git = ["git", "-c", "user.name=herokufly e2e", "-c", "user.email=e2e@example.invalid", "-c", "init.defaultBranch=main"]
    subprocess.run([*git, "init", "-q", "--bare", str(origin)], check=True)
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "release e2e"], ["tag", TAG],
                 # act reads github.repository from the fetch URL; pushes go to the local bare repository
                 ["remote", "add", "origin", f"https://github.com/{REPOSITORY}"],
                 ["remote", "set-url", "--push", "origin", str(origin)],
                 ["push", "-q", "origin", "main", TAG]):
        subprocess.run([*git, *args], cwd=workspace, check=True, capture_output=True)
    tagged = _git(workspace, "rev-parse", "HEAD")
    folder = root / "workflows"
    folder.mkdir()
    share = root / "share"
    share.mkdir()
    (folder / "release.yml").write_text(release_for_act(registry, index_url, origin, share))
    run = run_act(act_ready, workspace, "release.yml", workflow_dir=folder, event_name="push",
                  event={"ref": f"refs/tags/{TAG}", "repository": {"full_name": REPOSITORY}},
                  platform="-self-hosted", variables={}, secrets={"GITHUB_TOKEN": "ghs_e2e_release_token"})
    assert run.returncode == 0, f"act failed ({run.returncode}); log: {workspace.parent}/act-release.yml/act.log"
    outputs = run.outputs("push")
    # The workspace moves to the release commit, as a user pinning it gets it.
    release_commit = _git(origin, "rev-parse", f"refs/tags/{TAG}^{{commit}}")
    subprocess.run([*git, "fetch", "-q", "--force", str(origin), "+refs/tags/*:refs/tags/*"], cwd=workspace, check=True)
    subprocess.run([*git, "checkout", "-q", release_commit], cwd=workspace, check=True)
    yield {"run": run, "workspace": workspace, "origin": origin, "tagged": tagged, "registry": registry,
           "image": outputs["image"], "digest": outputs["digest"], "packages": packages, "index": index_url}
    # The engine stores every layer in full (vfs): leave none of these images behind.
    subprocess.run(["docker", "image", "rm", "-f", f"{outputs['image']}:{TAG}", f"{outputs['image']}@{outputs['digest']}",
                    "act-e2e-build-variant-dockeraction:latest"], capture_output=True, timeout=300)


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


def test_the_image_is_pushed_and_pulled_back_by_digest(released):
    image, digest = released["image"], released["digest"]
    assert image == f"{released['registry']}/{REPOSITORY}"
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest)
    ref = f"{image}@{digest}"
    subprocess.run(["docker", "image", "rm", "-f", f"{image}:{TAG}", ref], capture_output=True, timeout=120)
    assert subprocess.run(["docker", "image", "inspect", ref], capture_output=True).returncode != 0
    pulled = subprocess.run(["docker", "pull", ref], capture_output=True, text=True, timeout=600)
    assert pulled.returncode == 0, pulled.stderr
    digests = subprocess.run(["docker", "image", "inspect", "-f", "{{json .RepoDigests}}", ref],
                             capture_output=True, text=True, check=True).stdout
    assert ref in json.loads(digests)
    labels = subprocess.run(["docker", "image", "inspect", "-f", "{{json .Config.Labels}}", ref],
                            capture_output=True, text=True, check=True).stdout
    assert json.loads(labels)["org.opencontainers.image.version"] == __version__


def test_the_release_commit_runs_the_action_from_the_digest_and_carries_both_tags(released):
    origin = released["origin"]
    commit = _git(origin, "rev-parse", f"refs/tags/{TAG}^{{commit}}")
    major = TAG.split(".")[0]  # v0 for 0.x releases, v1 for 1.x
    assert _git(origin, "rev-parse", f"refs/tags/{major}^{{commit}}") == commit
    assert _git(origin, "rev-parse", f"{commit}^") == released["tagged"]  # one commit on the tagged one
    assert _git(origin, "diff", "--name-only", f"{commit}^", commit) == "action.yml"
    action = yaml.safe_load(_git(origin, "show", f"{commit}:action.yml"))
    assert action["runs"] == {"using": "docker", "image": f"docker://{released['image']}@{released['digest']}"}


def test_the_wheel_installs_back_from_the_index_pinned_to_the_release(released, tmp_path):
    names = sorted(p.name for p in released["packages"].iterdir())
    assert names == [f"herokufly-{__version__}-py3-none-any.whl", f"herokufly-{__version__}.tar.gz"]
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    install = subprocess.run([str(env_dir / "bin" / "pip"), "install", "-q", "--disable-pip-version-check",
                              "--index-url", f"{released['index']}/simple/", "--extra-index-url", "https://pypi.org/simple/",
                              f"herokufly=={__version__}"], capture_output=True, text=True, env=clean, timeout=600)
    assert install.returncode == 0, install.stdout + install.stderr
    commit = _git(released["origin"], "rev-parse", f"refs/tags/{TAG}^{{commit}}")
    probe = ("import herokufly, json; from herokufly.base import pins; "
             "from herokufly.act import workflow; "
             "print(json.dumps([herokufly.__file__, pins.release(), workflow.action_pin(None)]))")
    out = subprocess.run([str(env_dir / "bin" / "python"), "-c", probe], cwd=tmp_path, capture_output=True, text=True,
                         env=clean, timeout=60)
    where, record, pin = json.loads(out.stdout)
    assert where.startswith(str(env_dir))
    assert record == {**record, "version": __version__, "commit": commit,
                      "image": f"{released['image']}@{released['digest']}"}
    # Workflows generated by the released package pin the release commit, named by its version.
    assert pin == f"{workflow.ACTION_REPOSITORY}@{commit} # {TAG}"


def test_the_release_notes_come_from_the_changelog(released):
    run = released["run"]
    notes = "".join(r.get("content", "") for r in run.records
                    if r.get("command") == "summary" and r.get("jobID") == "github-release")
    expected = subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "release"), "notes", TAG],
                              capture_output=True, text=True, check=True).stdout
    assert expected.strip() and expected.strip() in notes


@pytest.fixture(scope="module")
def heroku():
    fake = FakeHeroku(token="HRKU-e2e-release-0000")
    fake.start()
    fake.load_seed(REPO_ROOT / "tests" / "fakes" / "heroku_seed_phoenix.json")
    yield fake
    fake.stop()


def test_plan_runs_from_the_digest_with_no_build(released, heroku):
    """plan.yml's `uses: ./` is now the release commit's action.yml: act pulls the image."""
    workspace = released["workspace"]
    ref = f"{released['image']}@{released['digest']}"
    subprocess.run(["docker", "image", "rm", "-f", ref], capture_output=True, timeout=120)
    run = run_act(shutil.which("act"), workspace, "plan.yml",
                  variables={"HEROKU_API_URL": heroku.url, "HEROKU_APP": HEROKU_APP, "FLY_APP": "acme-released"},
                  secrets={"HEROKU_API_KEY": "HRKU-e2e-release-0000", "WRONG_HEROKU_API_KEY": "HRKU-wrong-0000"})
    assert run.returncode == 0, f"act failed; log: {workspace.parent}/act-plan.yml/act.log"
    assert run.step_result("plan") == "success"
    assert json.loads(run.outputs("plan")["plan_json"])["fly_app"] == "acme-released"
    assert f"docker pull image={ref}" in run.text
    assert f"docker run image={ref}" in run.text
    assert "docker build" not in run.text and "act-dockeraction" not in run.text
    assert f"herokufly {__version__}" in run.summary("plan")


def _step_seconds(run, job: str, step_id: str) -> float:
    """act's own execution time of one step (its stepResult record carries it in ns)."""
    times = [r["executionTime"] for r in run.records
             if r.get("jobID") == job and r.get("stepID") == [step_id] and "stepResult" in r and "executionTime" in r]
    assert len(times) == 1, f"no timing for {job}/{step_id}"
    return times[0] / 1e9


def test_time_saved_per_job_by_the_digest(released, tmp_path):
    """Two jobs in one act run: the action by digest, then the same action built from the
    Dockerfile (as every job did before; act rebuilds it, with a warm layer cache)."""
    workspace = released["workspace"]
    build = workspace / ".e2e-build-variant"
    shutil.rmtree(build, ignore_errors=True)
    build.mkdir()
    for name in ("herokufly", "entrypoint.py", "Dockerfile", ".dockerignore"):
        source = REPO_ROOT / name
        (shutil.copytree(source, build / name, ignore=_COPY_IGNORE) if source.is_dir() else shutil.copy(source, build / name))
    use_standin_bases(build / "Dockerfile")
    action = yaml.safe_load((workspace / "action.yml").read_text())
    action["runs"] = {"using": "docker", "image": "Dockerfile"}
    (build / "action.yml").write_text(yaml.safe_dump(action, sort_keys=False))
    plan = {"command": "plan", "heroku_app": HEROKU_APP, "working_directory": "examples/phoenix_app"}
    checkout = {"uses": f"actions/checkout@{workflow.CHECKOUT.split(' #')[0]}",
                "with": {"persist-credentials": False}}
    doc = {"name": "digest vs build", "on": "workflow_dispatch", "permissions": {}, "jobs": {
        "digest": {"runs-on": "ubuntu-latest", "steps": [checkout, {"id": "action", "uses": "./", "with": plan}]},
        "dockerfile": {"runs-on": "ubuntu-latest", "needs": "digest",
                       "steps": [checkout, {"id": "action", "uses": "./.e2e-build-variant", "with": plan}]},
    }}
    folder = tmp_path / "workflows"
    folder.mkdir()
    (folder / "timing.yml").write_text(yaml.safe_dump(doc, sort_keys=False))
    subprocess.run(["docker", "image", "rm", "-f", f"{released['image']}@{released['digest']}"], capture_output=True)
    run = run_act(shutil.which("act"), workspace, "timing.yml", workflow_dir=folder, variables={}, secrets={},
                  extra_args=("--rebuild=true",))
    assert run.returncode == 0, f"act failed; log: {workspace.parent}/act-timing.yml/act.log"
    by_digest, by_build = _step_seconds(run, "digest", "action"), _step_seconds(run, "dockerfile", "action")
    report = workspace.parent / "digest-vs-build.json"
    report.write_text(json.dumps({"digest_s": by_digest, "dockerfile_warm_s": by_build}))
    print(f"\naction step: by digest {by_digest:.1f} s, building the Dockerfile (warm cache) {by_build:.1f} s")
    assert by_digest > 0 and by_build > 0
    assert f"docker pull image={released['image']}@{released['digest']}" in run.text  # the first job pulled
    assert "docker build -t act-e2e-build-variant-dockeraction" in run.text  # the second job built
    assert "act-dockeraction:latest" not in run.text
