r"""What a Fly Machine will exec: the image's ENTRYPOINT/CMD plus fly.toml, by the real rules.

One model, used by plan, scaffold and the tests. Sources (read, not copied):
- flyctl v0.4.87 `internal/appconfig/processgroups.go` (`InitCmd`): a `[processes]` string is
  split with github.com/google/shlex into the Machine's `init.cmd`; "" means no cmd.
  `internal/appconfig/machines.go` (`ToReleaseMachineConfig`): `[deploy] release_command` is
  split the same way into the release Machine's `init.cmd`; `[experimental] entrypoint` becomes
  `init.entrypoint` for both; `[experimental] cmd` is used only when the group has no command.
- google/shlex (commit e7afc7f, `shlex.go`): POSIX-like words; `'...'` literal, `"..."` with `\`
  escaping any rune, `\` outside quotes escapes the next rune, `#` at the start of a word starts
  a comment to end of line; unclosed quotes or a trailing `\` are errors.
- Machine init (Fly docs, "Machine config object": `init.cmd` overrides the image CMD,
  `init.entrypoint` the image ENTRYPOINT, `init.exec` both); otherwise the image's own values,
  with Docker's rule that the process is ENTRYPOINT + CMD.
- Dockerfile (Docker reference): shell form `CMD x` is `SHELL + ["x"]` (default
  `["/bin/sh", "-c"]`), so a shell-form ENTRYPOINT ignores CMD and any Machine cmd; a stage
  `FROM <earlier stage>` inherits its ENTRYPOINT/CMD; setting ENTRYPOINT clears an inherited CMD.
- Cloud Native Buildpacks: the exporter sets ENTRYPOINT `/cnb/process/<default type>`, or
  `/cnb/lifecycle/launcher` when there is no default (buildpacks/spec `platform.md`, exporter
  outputs). heroku/buildpacks-procfile `src/launch.rs` defines each Procfile entry as command
  `["bash", "-c"]`, args `[line]`, default = `web` (or the only entry). The launcher
  (buildpacks/lifecycle `launch/process.go` `handleUserArgs`, platform API >= 0.10) keeps
  `bash -c` and REPLACES the args with the Machine's cmd, so cmd must be the single word `line`;
  with `/cnb/lifecycle/launcher` and no default process, one user arg `X` runs as `bash -c X`
  (`launch/bash.go`, script mode), and `-- cmd args` runs directly.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import os
import posixpath
import re
import shlex as posix_shlex
from dataclasses import dataclass, field

CNB_LAUNCHER = "/cnb/lifecycle/launcher"
CNB_PROCESS_DIR = "/cnb/process/"
DOCKER_DEFAULT_SHELL = ("/bin/sh", "-c")
HEROKU_SHELL = "/bin/bash"  # a dyno runs each Procfile line as `bash -c <line>`

# Base images known to lack bash (then a line must run under /bin/sh).
_NO_BASH_BASES = re.compile(r"(^|/)(alpine|busybox|distroless)\b|-alpine\b|:.*alpine")
# Init wrappers that exec their arguments unchanged.
_PASS_THROUGH = {"tini": ("--",), "dumb-init": (), "tini-static": ("--",)}


class FlyctlSplitError(ValueError):
    """flyctl would refuse this command string (google/shlex error)."""


@dataclass(frozen=True)
class Image:
    """What the built image declares."""

    kind: str  # "dockerfile" | "buildpacks"
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    # CNB process types -> argv (Procfile buildpack: ("bash", "-c", line)).
    processes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    default_process: str | None = None  # CNB default process type
    expose: tuple[int, ...] = ()  # Dockerfile EXPOSE ports, in order
    base_image: str | None = None  # the external image the final stage builds on
    entrypoint_shell_form: bool = False  # ENTRYPOINT x (ignores CMD and the Machine's cmd)
    has_bash: bool = True  # False for alpine/busybox/distroless bases
    declared: bool = True  # False when ENTRYPOINT/CMD come from a base image we cannot see
    # What an exec-form ENTRYPOINT script from the repo does with its arguments: "passes"
    # (ends in `exec "$@"`), "ignores" (never reads them), or None (not known).
    entrypoint_args: str | None = None
    entrypoint_source: str | None = None  # the repo file the ENTRYPOINT script was copied from
    entrypoint_migrates: bool = False  # that script runs database migrations itself
    # Hosts that script waits for or connects to by name, as (host, variable that overrides it
    # or None): a docker-compose service name such as `postgres` has no address on Fly.
    entrypoint_waits_for: tuple[tuple[str, str | None], ...] = ()
    # A CMD script from the repo (no ENTRYPOINT) and the hosts it waits for, as above.
    cmd_source: str | None = None
    cmd_waits_for: tuple[tuple[str, str | None], ...] = ()
    # The exec-form ENTRYPOINT is a relative path the build context does not have: the image
    # cannot start (`exec ./x: no such file or directory`).
    entrypoint_missing: bool = False
    # Shell text of the final stage's RUN instructions (own and inherited), to tell which
    # language tools the image installs.
    installs: str = ""
    # (source, destination) of `COPY --from=<stage>` into the final stage.
    copied_from_stages: tuple[tuple[str, str], ...] = ()
    # Sources of COPY/ADD from the build context into the final stage (own and inherited).
    copied_from_context: tuple[str, ...] = ()
    # Set by `bypass_entrypoint`: the ENTRYPOINT fly.toml replaces, and the line a group
    # without a command of its own must name to run what the image ran.
    bypassed: tuple[str, ...] = ()
    own_line: str = ""  # the shell line that runs what the image ran, "" when none
    bypass_keeps_script: bool = False  # own_line still starts the replaced ENTRYPOINT script
    bypass_reason: str = ""


# -- flyctl's splitting ----------------------------------------------------------------------


def process_argv(fly_cmd: str) -> list[str]:
    """flyctl's split of a `[processes]` value or `release_command` (google/shlex.Split)."""
    words: list[str] = []
    i, n = 0, len(fly_cmd)
    while i < n:
        ch = fly_cmd[i]
        if ch in " \t\r\n":
            i += 1
            continue
        if ch == "#":  # comment to end of line
            end = fly_cmd.find("\n", i)
            i = n if end < 0 else end + 1
            continue
        word: list[str] = []
        while i < n and fly_cmd[i] not in " \t\r\n":
            ch = fly_cmd[i]
            if ch == "\\":
                if i + 1 >= n:
                    raise FlyctlSplitError("EOF found after escape character")
                word.append(fly_cmd[i + 1])
                i += 2
            elif ch == "'":
                end = fly_cmd.find("'", i + 1)
                if end < 0:
                    raise FlyctlSplitError("EOF found when expecting closing quote")
                word.append(fly_cmd[i + 1:end])
                i = end + 1
            elif ch == '"':
                i += 1
                while True:
                    if i >= n:
                        raise FlyctlSplitError("EOF found when expecting closing quote")
                    if fly_cmd[i] == '"':
                        i += 1
                        break
                    if fly_cmd[i] == "\\":
                        if i + 1 >= n:
                            raise FlyctlSplitError("EOF found after escape character")
                        word.append(fly_cmd[i + 1])
                        i += 2
                    else:
                        word.append(fly_cmd[i])
                        i += 1
            else:
                word.append(ch)
                i += 1
        words.append("".join(word))
    return words


def fly_command_for(argv: list[str] | tuple[str, ...]) -> str:
    """A fly.toml command string that flyctl splits into exactly `argv`."""
    return " ".join(_quote_word(word) for word in argv)


def _quote_word(word: str) -> str:
    if word and not re.search(r"[\s'\"\\]", word) and not word.startswith("#"):
        return word
    if "'" not in word:
        return f"'{word}'"
    return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'


# -- images ----------------------------------------------------------------------------------


def image_from_buildpacks(procfile: dict[str, str],
                          buildpack_processes: dict[str, tuple[str, ...]] | None = None) -> Image:
    """The image Heroku's CNB builder makes: Procfile types are `bash -c <line>`.

    `buildpack_processes` are types a language buildpack adds (e.g. a default `web`); the
    Procfile's own entries win, as the Procfile buildpack runs last.
    """
    processes = dict(buildpack_processes or {})
    processes.update({kind: ("bash", "-c", line) for kind, line in procfile.items()})
    if "web" in processes:
        default = "web"
    elif len(processes) == 1:
        default = next(iter(processes))
    else:
        default = None
    entrypoint = (CNB_PROCESS_DIR + default,) if default else (CNB_LAUNCHER,)
    return Image(kind="buildpacks", entrypoint=entrypoint, cmd=(), processes=processes,
                 default_process=default)


def image_from_dockerfile(text: str, read_file=None) -> Image:
    """ENTRYPOINT/CMD/EXPOSE of the final stage (exec and shell forms; last one wins).

    `read_file(rel) -> str | None` reads a file of the build context; when given, an exec-form
    ENTRYPOINT script copied from the repo is read to learn whether it execs its arguments.
    """
    stages: dict[str, dict] = {}
    current: dict | None = None
    global_args: dict[str, str] = {}  # ARGs before the first FROM: only FROM lines see them
    for instruction, args in _dockerfile_instructions(text):
        if instruction == "ARG" and current is None:
            for word in _shell_words(args) or []:
                name, _, default = word.partition("=")
                global_args[name] = _expand_args(default, global_args)
            continue
        if instruction == "FROM":
            words = _expand_args(args, global_args).split()
            words = [w for w in words if not w.startswith("--")]
            source = words[0] if words else ""
            alias = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else None
            parent = stages.get(source.lower())
            if parent is not None:
                current = dict(parent, expose=list(parent["expose"]), cmd_set_here=False,
                               copies=list(parent["copies"]), runs=list(parent["runs"]),
                               stage_copies=list(parent["stage_copies"]))
            else:
                current = {"entrypoint": (), "cmd": (), "shell_form": False, "expose": [],
                           "shell": DOCKER_DEFAULT_SHELL, "base": source, "declared": False,
                           "cmd_set_here": False, "copies": [], "workdir": "/", "runs": [],
                           "stage_copies": []}
            stages[str(len(stages))] = current
            if alias:
                stages[alias] = current
            continue
        if current is None:
            continue  # ARG before FROM
        if instruction == "WORKDIR":
            path = args.strip()
            words = _shell_words(path)
            if words and len(words) == 1:
                path = words[0]  # Docker's word processing drops quotes
            current["workdir"] = posixpath.normpath(posixpath.join(current["workdir"], path))
        elif instruction == "RUN":
            current["runs"].append(args)
        elif instruction in ("COPY", "ADD"):
            words = args.split()
            if any(w.startswith("--from") for w in words):
                paths = [w for w in words if not w.startswith("--")]
                if len(paths) >= 2:
                    dest = posixpath.join(current["workdir"], paths[-1])
                    current["stage_copies"] += [(src, dest) for src in paths[:-1]]
            else:
                words = [w for w in words if not w.startswith("--")]
                if len(words) >= 2 and not words[0].startswith("["):
                    dest = posixpath.join(current["workdir"], words[-1])
                    current["copies"].append((tuple(words[:-1]), dest, words[-1].endswith("/")))
        elif instruction == "SHELL":
            form = _json_form(args)
            if form:
                current["shell"] = tuple(form)
        elif instruction == "ENTRYPOINT":
            form = _json_form(args)
            current["entrypoint"] = tuple(form) if form is not None else (*current["shell"], args)
            current["shell_form"] = form is None
            current["declared"] = True
            if not current["cmd_set_here"]:
                current["cmd"] = ()  # Docker: ENTRYPOINT resets a CMD inherited from the base
        elif instruction == "CMD":
            form = _json_form(args)
            current["cmd"] = tuple(form) if form is not None else (*current["shell"], args)
            current["cmd_set_here"] = True
            current["declared"] = True
        elif instruction == "EXPOSE":
            for port in args.split():
                match = re.fullmatch(r"(\d+)(?:/tcp)?", port)
                if match:
                    current["expose"].append(int(match.group(1)))
    if current is None:
        return Image(kind="dockerfile", declared=False)
    base = current["base"]
    script_args, script_source, migrates, waits, missing = None, None, False, (), False
    if read_file is not None and current["entrypoint"] and not current["shell_form"]:
        script_source, script = _entrypoint_script(current["entrypoint"][0], current, read_file)
        script_args = _script_args(script) if script is not None else None
        migrates = script is not None and bool(re.search(r"migrat", _code_of(script), re.I))
        waits = tuple(_script_hosts(script)) if script is not None else ()
        missing = script is None and _missing_from_context(current["entrypoint"][0], current)
    cmd_source, cmd_waits = None, ()
    cmd = list(current["cmd"])
    if read_file is not None and not current["entrypoint"] and cmd and not current["shell_form"]:
        # A CMD that runs a script (`["/bin/bash", "docker/run.sh"]`, `["./run.sh"]`)
        path = cmd[1] if (len(cmd) > 1 and posixpath.basename(cmd[0]) in ("bash", "sh", "dash")
                          and not cmd[1].startswith("-")) else cmd[0]
        if "/" in path or path.endswith(".sh"):
            cmd_source, cmd_script = _entrypoint_script(path, current, read_file)
            cmd_waits = tuple(_script_hosts(cmd_script)) if cmd_script is not None else ()
    return Image(
        kind="dockerfile",
        cmd_source=cmd_source,
        cmd_waits_for=cmd_waits,
        entrypoint_waits_for=waits,
        entrypoint_missing=missing,
        installs="\n".join(current["runs"]),
        copied_from_stages=tuple(current["stage_copies"]),
        copied_from_context=tuple(src for sources, _, _ in current["copies"] for src in sources),
        entrypoint_migrates=migrates,
        entrypoint_args=script_args,
        entrypoint_source=script_source,
        entrypoint=current["entrypoint"],
        cmd=current["cmd"],
        expose=tuple(current["expose"]),
        base_image=base,
        entrypoint_shell_form=current["shell_form"],
        has_bash=not _NO_BASH_BASES.search(base.lower()),
        declared=current["declared"],
    )


def bypass_entrypoint(image: Image, *, keep_script: bool, reason: str = "") -> Image:
    """The image as Machines run it when fly.toml sets `[experimental] entrypoint` to the
    shell Heroku used, `["/bin/bash", "-c"]` (`/bin/sh` where the base has no bash).

    flyctl (`internal/appconfig/machines.go`) gives that entrypoint to every process group and
    the release Machine, so each command, one quoted word, runs as `bash -c <line>` as on
    Heroku (the same form as on buildpack images). A group that ran the image's own command
    must now name it: its ENTRYPOINT+CMD when the script itself can still run
    (`keep_script`), else its CMD alone. A shell-form ENTRYPOINT was `sh -c <text>` already.
    """
    if image.entrypoint_shell_form:
        own = image.entrypoint[-1]
    elif keep_script:
        own = posix_shlex.join(image.entrypoint + image.cmd)
    else:
        own = posix_shlex.join(image.cmd)
    shell = HEROKU_SHELL if image.has_bash else "/bin/sh"
    return dataclasses.replace(
        image, entrypoint=(shell, "-c"), entrypoint_shell_form=False, entrypoint_args=None,
        entrypoint_waits_for=(), entrypoint_missing=False, entrypoint_source=None,
        entrypoint_migrates=False, bypassed=image.entrypoint, own_line=own,
        bypass_keeps_script=keep_script or image.entrypoint_shell_form, bypass_reason=reason)


def _expand_args(text: str, args: dict[str, str]) -> str:
    """Docker's `$NAME`/`${NAME}` substitution of build args (unknown names become "")."""
    return re.sub(r"\$(?:\{(\w+)\}|(\w+))",
                  lambda m: args.get(m.group(1) or m.group(2), ""), text)


def _shell_words(text: str) -> list[str] | None:
    """POSIX shell words of `text`, or None when its quotes do not close."""
    try:
        return posix_shlex.split(text)
    except ValueError:
        return None


def _entrypoint_script(path: str, stage: dict, read_file) -> tuple[str | None, str | None]:
    """(repo path, text) of the file the image has at `path`: from the stage's COPY/ADD from
    the build context, else the longest suffix of `path` that is a repo file."""
    target = posixpath.normpath(posixpath.join(stage["workdir"], path))
    candidates = []
    for sources, dest, dest_is_dir in reversed(stage["copies"]):
        dest = posixpath.normpath(dest)
        for source in sources:
            source = source.rstrip("/") or "."
            if not dest_is_dir and len(sources) == 1 and target == dest:
                candidates.append(source)
            elif target.startswith(dest.rstrip("/") + "/"):
                rest = target[len(dest.rstrip("/")) + 1:]
                if source == ".":
                    candidates.append(rest)
                elif re.search(r"[*?\[]", posixpath.basename(source)):
                    # `COPY dir/* /usr/bin/`: each match lands under its own name
                    if "/" not in rest and fnmatch.fnmatchcase(rest, posixpath.basename(source)):
                        candidates.append(posixpath.join(posixpath.dirname(source), rest))
                elif posixpath.basename(source) == rest:
                    candidates.append(source)
                else:
                    candidates.append(posixpath.join(source, rest))
    parts = target.strip("/").split("/")
    candidates += ["/".join(parts[i:]) for i in range(len(parts))]
    for candidate in candidates:
        candidate = posixpath.normpath(candidate.removeprefix("./"))
        if candidate.startswith("..") or candidate in (".", ""):
            continue
        text = read_file(candidate)
        if text is not None:
            return candidate, text
    return None, None


def _missing_from_context(path: str, stage: dict) -> bool:
    """A relative ENTRYPOINT path (`./x`, `bin/x`) that no COPY/ADD from the build context
    provides and no RUN names: nothing in the image can be at that path."""
    if path.startswith("/") or "/" not in path:
        return False  # absolute or looked up on PATH: the base image may have it
    name = posixpath.basename(path)
    return not any(name in run for run in stage["runs"])


def _code_of(script: str) -> str:
    """A shell script without its comments (roughly: `#` to end of line)."""
    return "\n".join(line.split("#", 1)[0] if not line.startswith("#!") else ""
                     for line in script.splitlines())


def _script_args(script: str) -> str | None:
    """"passes" when a script execs its arguments, "ignores" when it never reads them."""
    code = _code_of(script)
    if re.search(r'\bexec\s+"?\$(?:@|\{@\})"?\s*$', code, re.M):
        return "passes"
    if not re.search(r"\$(?:[@*1-9]|\{[@*1-9])", code):
        return "ignores"
    return None


# Programs that wait for or reach a database/cache host, and how each names the host.
# A host word: `${VAR:-default}` (kept whole), or a run of characters up to a space or `:`.
_HOST_WORD = r"""(?:"?\$\{\w+:?[-=][^}]*\}"?|[^\s:;|&]+)"""
_HOST_TOOLS = re.compile(
    rf"""\b(?:nc|netcat|ncat)\s+(?:-[a-zA-Z]+\s+)*(?P<nc>{_HOST_WORD})\s+["']?(?:\d+|\$)"""
    rf"""|\b(?:pg_isready|psql|mysqladmin|mysql|redis-cli)\b[^\n;|&]*?(?:-h\s*|--host[= ])(?P<h>{_HOST_WORD})"""
    rf"""|\b(?:wait-for-it(?:\.sh)?|wait-for(?:\.sh)?)\s+(?:-[a-z]+\s+)*(?P<wf>{_HOST_WORD}):"""
    rf"""|\bdockerize\b[^\n]*?-wait\s+(?:tcp|http)s?://(?P<dz>{_HOST_WORD})""")
# `VAR="${VAR:-db}"`, `VAR=${OTHER:-db}`, `: "${VAR:=db}"`: a variable holding a default host.
_HOST_DEFAULT = re.compile(r"""(?:^|\s)(?:export\s+)?(\w+)=["']?\$\{(\w+):?[-=]([\w.-]*)\}["']?(?=\s|$)"""
                           r"""|:\s+["']?\$\{(\w+):?=([\w.-]*)\}["']?""", re.M)
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "[::1]"}


def _script_hosts(script: str) -> list[tuple[str, str | None]]:
    """Hosts an ENTRYPOINT script always waits for or connects to, by a name it writes itself.

    A literal name (`nc -z postgres 5432`) or a default (`${DB_HOST:-db}`, or `$DB_HOST` after
    `DB_HOST="${DB_HOST:-db}"`), with the variable that would override it. Names with a dot
    or an IP, localhost, `$VAR` with no default, and waits inside an `if`/`case` (gated on
    something Fly may not set) are not reported: they may resolve anywhere, or not run.
    """
    code = _code_of(script)
    defaults: dict[str, tuple[str, str]] = {}
    for m in _HOST_DEFAULT.finditer(code):
        if m.group(1):
            defaults[m.group(1)] = (m.group(3), m.group(2))
        else:
            defaults[m.group(4)] = (m.group(5), m.group(4))
    found = []
    for match in _HOST_TOOLS.finditer(code):
        if _gated(code[:match.start()]):
            continue
        word = next(v for v in match.groupdict().values() if v is not None).strip("\"'")
        default = re.fullmatch(r"\$\{(\w+):?[-=]([^}]*)\}", word)
        plain = re.fullmatch(r"\$\{?(\w+)\}?", word)
        if default:
            host, variable = default.group(2).strip("\"'"), default.group(1)
        elif plain and plain.group(1) in defaults:
            host, variable = defaults[plain.group(1)]
        else:
            host, variable = word, None
        if (not host or "$" in host or "." in host or ":" in host or host in _LOCAL_HOSTS
                or not re.fullmatch(r"[A-Za-z][\w-]*", host)):
            continue
        if (host, variable) not in found:
            found.append((host, variable))
    return found


def _gated(before: str) -> bool:
    """True when the text that follows `before` sits inside an `if`/`case` block."""
    depth = 0
    for word in re.findall(r"(?<![\w$-])(if|fi|case|esac)(?![\w-])", before):
        depth += 1 if word in ("if", "case") else -1
    return depth > 0


def unreachable_hosts(image: Image, set_names) -> list[str]:
    """Hosts the ENTRYPOINT script needs that no Fly Machine can resolve: a bare name (a
    docker-compose service) that no variable in `set_names` overrides. Fly's private network
    names apps `<app>.internal`/`.flycast`; a bare `postgres` resolves nowhere."""
    return _unresolved(image.entrypoint_waits_for, set_names)


def _unresolved(waits, set_names) -> list[str]:
    """The hosts in `waits` ((host, overriding variable) pairs) no set variable overrides."""
    names = set(set_names or ())
    return [host for host, variable in waits if variable is None or variable not in names]


# Language tools a Procfile line may start with, the package names that install them, and
# base images that have them. A final stage on a bare OS base has none of them.
_TOOL_RUNTIMES = {
    "mix": "elixir", "elixir": "elixir", "iex": "elixir",
    "bundle": "ruby", "rake": "ruby", "rails": "ruby", "ruby": "ruby",
    "python": "python", "python3": "python", "pip": "python",
    "node": "node", "npm": "node", "npx": "node", "yarn": "node",
    "php": "php", "composer": "php", "java": "java", "mvn": "java", "gradle": "java"}
_RUNTIME_WORDS = {"elixir": r"elixir", "ruby": r"ruby", "python": r"python",
                  "node": r"node(?:js)?|npm|yarn", "php": r"php", "java": r"jdk|jre|java"}
_BARE_BASES = re.compile(r"^(?:docker\.io/(?:library/)?)?(alpine|debian|ubuntu|busybox|scratch|"
                         r"gcr\.io/distroless/static(?:-debian\d+)?|gcr\.io/distroless/base"
                         r"(?:-debian\d+)?|gcr\.io/distroless/cc(?:-debian\d+)?)(?::|@|$)")


_SHELL_OPERATORS = {"&&", "||", ";", "|", ";;", "&"}


def own_command_problem(image: Image, set_names=()) -> str | None:
    """Why the image's own ENTRYPOINT+CMD cannot start the app, or None.

    Docker execs exec-form words directly (no shell), so `["rm", "-f", "x", "&&", "bundle", …]`
    runs rm with `&&` as a file name; and an image whose command is only an init wrapper
    (`ENTRYPOINT ["tini", "--"]` with no CMD) has nothing to run.
    """
    if image.kind != "dockerfile" or image.entrypoint_shell_form or not image.declared:
        return None
    argv = list(image.entrypoint) + list(image.cmd)
    words = argv[2:] if argv[1:2] == ["-c"] else argv  # `sh -c <line>` forms are whole lines
    operators = sorted({w for w in words if w in _SHELL_OPERATORS or w.endswith(";")})
    if operators and not (argv[1:2] == ["-c"]):
        return (f"its exec-form command {argv} passes {', '.join(repr(o) for o in operators)} "
                f"to {os.path.basename(argv[0])} as an argument (no shell runs it)")
    if not strip_pass_through(argv):
        return f"it has no command to run ({argv or 'no ENTRYPOINT or CMD'})"
    hosts = _unresolved(image.cmd_waits_for, set_names)
    if hosts:
        return (f"its CMD runs {image.cmd_source}, which waits for {', '.join(hosts)}, a host "
                "name (a docker-compose service) that has no address on Fly's network")
    return None


def _release_only(image: Image) -> bool:
    """The final stage holds a built Mix/Distillery release (`COPY --from … _build/<env>/rel`)
    and no mix.exs from the build context (neither it nor the whole context is copied)."""
    has_release = any(re.search(r"_build/[^/]+/rel(?:/|$)", src) for src, _ in image.copied_from_stages)
    has_project = any(posixpath.basename(src.rstrip("/")) in ("mix.exs", ".", "") or src in (".", "./")
                      for src in image.copied_from_context)
    return has_release and not has_project


def missing_program(image: Image, line: str | None) -> str | None:
    """The language tool `line` runs that the app's own image provably lacks, else None.

    Provable only when the final stage builds on a bare OS image (alpine, debian, ubuntu,
    busybox, scratch, distroless) and neither a RUN in it nor a `COPY --from` names that
    language: a Mix release image has no `mix`.
    """
    if image.kind != "dockerfile":
        return None
    words = [w for w in (line or "").split() if not _ENV_PREFIX.match(w)]
    runtime = _TOOL_RUNTIMES.get(words[0]) if words else None
    if runtime is None:
        return None
    if runtime == "elixir" and words[0] == "mix" and _release_only(image):
        return "mix"  # Mix runs only inside a Mix project, and the final stage has none
    if not image.base_image or not _BARE_BASES.match(image.base_image):
        return None
    pattern = re.compile(rf"\b(?:{_RUNTIME_WORDS[runtime]})", re.I)
    copied = " ".join(src for src, _ in image.copied_from_stages)
    if pattern.search(image.installs) or pattern.search(copied):
        return None
    return words[0]


def _dockerfile_instructions(text: str):
    """(INSTRUCTION, arguments) with comments dropped and `\\` continuations joined."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    escape = "\\"
    directive = re.match(r"\s*#\s*escape\s*=\s*(\S)", text)
    if directive:
        escape = directive.group(1)
    logical = ""
    for raw in text.split("\n"):
        line = raw.rstrip()
        if not logical and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if logical and line.lstrip().startswith("#"):
            continue  # comments inside a continued instruction are dropped
        if line.endswith(escape):
            logical += line[:-1] + " "
            continue
        logical += line
        parts = logical.strip().split(None, 1)
        logical = ""
        if parts:
            yield parts[0].upper(), parts[1].strip() if len(parts) > 1 else ""
    if logical.strip():
        parts = logical.strip().split(None, 1)
        yield parts[0].upper(), parts[1].strip() if len(parts) > 1 else ""


def _json_form(args: str) -> list[str] | None:
    if not args.startswith("["):
        return None
    try:
        value = json.loads(args)
    except ValueError:
        return None  # Docker runs invalid JSON as shell form
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


# -- what PID 1 runs -------------------------------------------------------------------------


def machine_exec(image: Image, fly_cmd: str | None, *, entrypoint: list[str] | None = None,
                 exec_argv: list[str] | None = None) -> list[str]:
    """The argv the Machine's init runs for a group whose fly.toml command is `fly_cmd`.

    `entrypoint` is `[experimental] entrypoint`, `exec_argv` is `init.exec`. For buildpack
    images the CNB launcher is resolved, so the answer is what finally runs (`bash -c ...`).
    An empty list means nothing can run (the Machine would fail to start).
    """
    if exec_argv:
        return list(exec_argv)
    cmd = process_argv(fly_cmd) if fly_cmd else []
    ep = list(entrypoint) if entrypoint is not None else list(image.entrypoint)
    argv = ep + (cmd if cmd else list(image.cmd))
    if image.kind == "buildpacks" and argv and (argv[0] == CNB_LAUNCHER
                                                or argv[0].startswith(CNB_PROCESS_DIR)):
        return _cnb_launch(image, argv)
    return argv


def _cnb_launch(image: Image, argv: list[str]) -> list[str]:
    """buildpacks/lifecycle `launch/process.go` (platform API >= 0.10)."""
    if argv[0].startswith(CNB_PROCESS_DIR):
        kind, user_args = argv[0][len(CNB_PROCESS_DIR):], argv[1:]
    elif image.default_process:
        kind, user_args = image.default_process, argv[1:]
    else:
        user_args = argv[1:]
        if not user_args:
            return []  # "when there is no default process a command is required"
        if user_args[0] == "--":
            return user_args[1:]
        if len(user_args) == 1:
            return ["bash", "-c", user_args[0]]  # script mode: exec bash -c "$@"
        return user_args  # each token is `eval echo`ed, then exec'd
    process = image.processes.get(kind)
    if process is None:
        return []
    command, default_args = _cnb_split(process)
    return command + (user_args if user_args else default_args)


def _cnb_split(process: tuple[str, ...]) -> tuple[list[str], list[str]]:
    if process[:2] == ("bash", "-c"):
        return list(process[:2]), list(process[2:])
    return list(process[:1]), list(process[1:])


def fly_command_running(image: Image, line: str) -> str | None:
    """The fly.toml command that makes the Machine run Procfile `line` as Heroku did, or None.

    None when the image cannot be made to (a shell-form ENTRYPOINT ignores every cmd).
    """
    if image.kind == "buildpacks" or image.bypassed:
        return fly_command_for([line])  # the one argument of `bash -c`
    if image.entrypoint_shell_form:
        return None
    line = line.strip()
    if not needs_shell(line):
        return line  # plain words: flyctl's split equals the shell's
    shell = HEROKU_SHELL if image.has_bash else "/bin/sh"
    return fly_command_for([shell, "-c", line])


def shell_argv(line: str, *, has_bash: bool = True) -> list[str]:
    return [HEROKU_SHELL if has_bash else "/bin/sh", "-c", line]


# -- the Heroku meaning ----------------------------------------------------------------------

_SHELL_SYNTAX = re.compile(r"[$`'\"\\;&|<>(){}*?\[\]~#!]")
_ENV_PREFIX = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_SHELL_BUILTINS = {"cd", "export", "source", ".", "exec", "ulimit", "umask", "set", "eval",
                   "trap", "if", "for", "while", "case", "until", "test", "[", "[["}
_BASHISMS = re.compile(r"\[\[|\bsource\b|<\(|>\(|\$\{[^}]*(//|:[0-9])|\{[^}\s]*,[^}\s]*\}|&>|\bfunction\b")
_PORT_REF = re.compile(r"\$(?:PORT\b|\{PORT\})")


def needs_shell(line: str) -> bool:
    """True when `line` means something different without a shell (expansions, operators...)."""
    line = line.strip()
    if _SHELL_SYNTAX.search(line):
        return True
    words = line.split()
    return bool(words) and (bool(_ENV_PREFIX.match(words[0])) or words[0] in _SHELL_BUILTINS)


def runs_heroku_line(argv: list[str], procfile_line: str, env: dict | None = None,
                     image: Image | None = None) -> bool:
    """True when PID 1 running `argv` does what Heroku did for `procfile_line`.

    Heroku ran `bash -c <line>` with PORT set. Accepted: `bash -c <line>` (any path), `sh -c
    <line>` for a line without bash-only syntax, or the line's own words when it needs no
    shell at all, optionally behind a pass-through init (tini, dumb-init). When `env` (the
    fly.toml [env]) is given, a line that reads $PORT without a default also needs PORT there,
    since Fly does not set it. With `image`, its ENTRYPOINT script is looked through when it
    is known to exec its arguments (`exec "$@"`) and waits for no host Fly lacks (a variable
    overriding the host must be in `env`), and a line whose language tool the image provably
    lacks (`missing_program`) never runs.
    """
    line = procfile_line.strip()
    argv = list(argv)
    ep = list(image.entrypoint) if image is not None else []
    if (image is not None and ep and not image.bypassed and argv[:len(ep)] == ep
            and strip_pass_through(ep)):  # an init wrapper (tini --) is looked through below
        if image.entrypoint_args != "passes" or unreachable_hosts(image, env):
            return False  # the script ignores the command, or waits for a host Fly lacks
        argv = argv[len(ep):]
    if image is not None and missing_program(image, line):
        return False
    argv = strip_pass_through(argv)
    if not argv:
        return False
    if env is not None and _PORT_REF.search(line) and "PORT" not in env:
        return False
    program = os.path.basename(argv[0])
    if len(argv) >= 3 and argv[1] == "-c" and program in ("bash", "sh"):
        if argv[2].strip() != line:
            return False
        return program == "bash" or not _BASHISMS.search(line)
    if needs_shell(line):
        return False
    return argv == _words(line)


def strip_pass_through(argv: list[str]) -> list[str]:
    """argv without the init wrappers that exec their arguments unchanged (tini, dumb-init)."""
    while argv and os.path.basename(argv[0]) in _PASS_THROUGH:
        separators = _PASS_THROUGH[os.path.basename(argv[0])]
        argv = argv[1:]
        if argv and argv[0] in separators:
            argv = argv[1:]
    return argv


def _words(line: str) -> list[str]:
    return posix_shlex.split(line)
