"""Write the Fly files a plan needs into the user's repo: fly.toml, and the files its
framework module adds (for Phoenix/Elixir the generated Dockerfile, .dockerignore, rel/ scripts).

Rules: never overwrite a user's file without `force`. A file that exists with
other content is left alone and reported ("kept"); everything that does not
conflict is still written, so a fly.toml never needs `--force`. An existing
fly.toml is merged with tomlkit (comments and the user's other keys stay); a key
the user set to another value keeps the user's value and is reported. The files
written are written together: each goes to a temp file first and all are renamed
into place only when all were written. Running scaffold again on its own output
changes nothing.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import tomlkit
from tomlkit.items import AoT, Table

from herokufly import frameworks
from herokufly.decide.plan import WEB_GROUP
from herokufly.talk.repo import parse_toml

EXECUTABLE = 0o755
REGULAR = 0o644


@dataclass
class FileChange:
    path: str  # relative to the repo
    action: str  # "create", "update", "unchanged", "kept" (differs; left alone without --force)
    detail: str = ""
    kept: list[str] = field(default_factory=list)  # fly.toml keys whose user value was kept


@dataclass
class ScaffoldResult:
    changes: list[FileChange] = field(default_factory=list)
    written: bool = False

    @property
    def conflicts(self) -> list[FileChange]:
        """Files left alone, and fly.toml when some of the user's keys were kept."""
        return [c for c in self.changes if c.action == "kept" or c.kept]

    def to_dict(self) -> dict:
        return {
            "written": self.written,
            "files": [vars(c) for c in self.changes],
            "conflicts": [vars(c) for c in self.conflicts],
        }


def scaffold(plan: dict, repo_dir: str | Path, *, force: bool = False) -> ScaffoldResult:
    """Write (or, on conflict, refuse to write) the Fly files for `plan` into `repo_dir`."""
    root = Path(repo_dir)
    wanted = planned_files(plan, root)
    result = ScaffoldResult()
    to_write: dict[str, tuple[str, int]] = {}

    for rel, (content, mode) in wanted.items():
        path = root / rel
        if rel == "fly.toml" and path.is_file():
            existing = path.read_text(encoding="utf-8")
            merged, conflicts = merge_fly_toml(existing, content, force=force)
            kept = [] if force else conflicts
            detail = ("kept your " + "; ".join(conflicts) + " (--force replaces)") if kept else (
                "merged; replaced " + "; ".join(conflicts) if conflicts else "merged")
            if merged == existing:
                result.changes.append(FileChange(rel, "unchanged", detail if kept else "", kept))
            else:
                result.changes.append(FileChange(rel, "update", detail, kept))
                to_write[rel] = (merged, _mode_of(path))
            continue
        if path.is_dir():
            result.changes.append(FileChange(rel, "kept", "a directory is in the way; left alone"))
        elif not path.exists():
            result.changes.append(FileChange(rel, "create"))
            to_write[rel] = (content, mode)
        elif path.read_text(encoding="utf-8", errors="replace") == content:
            if mode == EXECUTABLE and not os.access(path, os.X_OK):
                result.changes.append(FileChange(rel, "update", "made executable"))
                to_write[rel] = (content, mode)
            else:
                result.changes.append(FileChange(rel, "unchanged"))
        elif force:
            result.changes.append(FileChange(rel, "update", "replaced (--force)"))
            to_write[rel] = (content, mode)
        else:
            result.changes.append(FileChange(rel, "kept", "yours differs; left alone "
                                             "(--force replaces it)"))

    _write_all(root, to_write)
    result.written = bool(to_write)
    return result


def planned_files(plan: dict, root: Path) -> dict[str, tuple[str, int]]:
    """Relative path -> (content, mode) of every file scaffold would write."""
    files = {"fly.toml": (render_fly_toml(plan), REGULAR)}
    if "elixir_mode" in plan["build"]:  # frameworks/phoenix.py (and elixir.py) write their own
        files.update(frameworks.module("phoenix").scaffold_files(plan, root))
    elif plan["build"].get("generated") and plan["framework"] in ("java", "static"):
        # Leiningen apps and static sites: no CNB buildpack builds them.
        files.update(frameworks.module(plan["framework"]).scaffold_files(plan, root))
    target = plan["build"].get("dockerfile")
    if plan["build"].get("generated") and target and target != "Dockerfile" and "Dockerfile" in files:
        files[target] = files.pop("Dockerfile")  # the repo keeps its own Dockerfile
    return files


def render_fly_toml(plan: dict) -> str:
    doc = tomlkit.document()
    doc.add(tomlkit.comment(f"fly.toml for {plan['fly_app']}, written by herokufly from Heroku "
                            f"app {plan['heroku_app']}."))
    doc.add(tomlkit.comment("See https://fly.io/docs/reference/configuration/"))
    doc.add(tomlkit.nl())
    doc["app"] = plan["fly_app"]
    doc["primary_region"] = plan["region"]

    build = tomlkit.table()
    if plan["build"]["mode"] == "buildpacks":
        build["builder"] = plan["build"]["builder"]
        if plan["build"].get("buildpacks"):  # several languages, as Heroku ran them
            build["buildpacks"] = list(plan["build"]["buildpacks"])
    else:
        build["dockerfile"] = plan["build"].get("dockerfile", "Dockerfile")
    if plan["build"].get("args"):
        args = tomlkit.table()
        for key, value in plan["build"]["args"].items():
            args[key] = str(value)
        build["args"] = args
    doc["build"] = build

    if plan.get("env"):
        env = tomlkit.table()
        for key, value in plan["env"].items():
            env[key] = value
        doc["env"] = env

    # A lone web group that runs the image's own command needs no [processes] at all.
    if plan["processes"] and plan["processes"] != {WEB_GROUP: ""}:
        processes = tomlkit.table()
        if plan.get("entrypoint"):
            shell = " ".join(plan["entrypoint"]["command"])
            processes.add(tomlkit.comment("Each command is one quoted word: [experimental] "
                                          f"entrypoint runs it as `{shell} <command>`, as Heroku did."))
        elif plan["build"]["mode"] == "buildpacks":
            processes.add(tomlkit.comment("Each command is one quoted word: the buildpacks "
                                          "launcher runs it as `bash -c <command>`, as Heroku did."))
        elif any(c.startswith(("/bin/bash -c", "/bin/sh -c")) for c in plan["processes"].values()):
            processes.add(tomlkit.comment("Procfile lines that need a shell run in one, as on Heroku."))
        for group, command in plan["processes"].items():
            processes[group] = command  # "" = the image's ENTRYPOINT/CMD (flyctl InitCmd)
        doc["processes"] = processes

    if plan.get("entrypoint"):
        experimental = tomlkit.table()
        why = " ".join(str(plan["entrypoint"]["why"]).split())  # one comment line, whatever the repo's names
        experimental.add(tomlkit.comment(f"Replaces the image's ENTRYPOINT: {why}."))
        experimental["entrypoint"] = list(plan["entrypoint"]["command"])
        doc["experimental"] = experimental

    if plan.get("release_command"):
        deploy = tomlkit.table()
        deploy["release_command"] = plan["release_command"]
        doc["deploy"] = deploy

    http = plan.get("http_service")
    if http:
        service = tomlkit.table()
        service["internal_port"] = http["internal_port"]
        service["force_https"] = True
        service["auto_stop_machines"] = http["auto_stop_machines"]
        service["auto_start_machines"] = http["auto_start_machines"]
        service["min_machines_running"] = http["min_machines_running"]
        service["processes"] = http["processes"]
        check = tomlkit.table()
        check["grace_period"] = "10s"
        check["interval"] = "30s"
        check["method"] = "GET"
        check["timeout"] = "5s"
        check["path"] = http["health_check_path"]
        if http.get("health_check_headers"):
            headers = tomlkit.table()
            for name, value in http["health_check_headers"].items():
                headers[name] = value
            check["headers"] = headers
        checks = tomlkit.aot()
        checks.append(check)
        service["checks"] = checks
        doc["http_service"] = service

    vms = tomlkit.aot()
    for group, vm in plan["vm"].items():
        entry = tomlkit.table()
        entry["size"] = vm["size"]
        entry["memory"] = f"{vm['memory_mb']}mb"
        entry["cpu_kind"] = vm["cpu_kind"]
        entry["cpus"] = vm["cpus"]
        entry["processes"] = [group]
        vms.append(entry)
    if len(vms):
        doc["vm"] = vms
    return tomlkit.dumps(doc)


def merge_fly_toml(existing: str, generated: str, *, force: bool) -> tuple[str, list[str]]:
    """Merge our fly.toml into the user's; return (text, conflicting keys).

    Keys we do not set are kept; keys we set to another value are conflicts
    (replaced by ours only with force). Comments and layout stay tomlkit's.
    """
    theirs = parse_toml(existing, "fly.toml")
    ours = tomlkit.parse(generated)
    conflicts: list[str] = []
    if "services" in theirs and "http_service" in ours and "http_service" not in theirs:
        # Their [[services]] already expose the app; a second [http_service] on the same
        # internal port would add a competing set of ports and checks.
        if force:
            del theirs["services"]
        else:
            del ours["http_service"]
            conflicts.append("http_service (your [[services]] kept)")
    _merge_table(theirs, ours, "", conflicts, force)
    return tomlkit.dumps(theirs), conflicts


def _merge_table(theirs, ours, prefix: str, conflicts: list[str], force: bool) -> None:
    for key, value in ours.items():
        path = f"{prefix}{key}"
        if key not in theirs:
            theirs[key] = value
        elif isinstance(value, Table) and isinstance(theirs[key], (Table, dict)):
            _merge_table(theirs[key], value, path + ".", conflicts, force)
        elif isinstance(value, AoT):
            _merge_aot(theirs, key, value, path, conflicts, force)
        elif not _same(key, theirs[key], value):
            conflicts.append(f"{path} is {_show(theirs[key])}, plan wants {_show(value)}")
            if force:
                theirs[key] = value


def _merge_aot(theirs, key, ours: AoT, path, conflicts, force) -> None:
    current = theirs[key]
    if not isinstance(current, (AoT, list)):
        conflicts.append(f"{path} is not an array of tables")
        if force:
            theirs[key] = ours
        return
    if key == "checks":
        if len(current) == 0:
            for item in ours:
                current.append(item)
        return  # the user's own checks win
    # [[vm]]: one entry per process group, matched by `processes`.
    for entry in ours:
        groups = list(entry.get("processes", []))
        match = next((t for t in current if list(t.get("processes", [])) == groups), None)
        if match is None and len(current) == 1 and "processes" not in current[0] and groups == [WEB_GROUP]:
            match = current[0]  # a single [[vm]] without processes applies to every group
        if match is None:
            current.append(entry)
        else:
            _merge_table(match, entry, f"{path}[{','.join(groups)}].", conflicts, force)


def _same(key: str, a, b) -> bool:
    if key == "memory":
        return _memory_mb(a) == _memory_mb(b)
    return _plain(a) == _plain(b)


def _plain(value):
    return value.unwrap() if hasattr(value, "unwrap") else value


def _memory_mb(value) -> int | None:
    value = _plain(value)
    if isinstance(value, int):
        return value
    match = re.fullmatch(r"\s*(\d+)\s*(mb|gb)?\s*", str(value).lower())
    if not match:
        return None
    return int(match.group(1)) * (1024 if match.group(2) == "gb" else 1)


def _show(value) -> str:
    return repr(_plain(value))


def _mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _write_all(root: Path, files: dict[str, tuple[str, int]]) -> None:
    """Write every file to a temp file beside it, then rename all into place."""
    made_dirs: list[Path] = []
    temps: list[tuple[Path, Path]] = []
    try:
        for rel, (content, mode) in files.items():
            target = root / rel
            for parent in reversed(target.relative_to(root).parents):
                directory = root / parent
                if not directory.exists():
                    directory.mkdir()
                    made_dirs.append(directory)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".herokufly", dir=target.parent)
            temps.append((Path(tmp), target))
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fh.write(content)
            os.chmod(tmp, mode)
    except BaseException:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)
        for directory in reversed(made_dirs):
            try:
                directory.rmdir()
            except OSError:
                pass
        raise
    for tmp, target in temps:
        os.replace(tmp, target)
