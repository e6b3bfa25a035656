"""Check a fly.toml the way flyctl v0.4.87 would, before anything is deployed.

Each rule names the flyctl (superfly/flyctl@v0.4.87, commit 3eb236fa) or fly-go
(superfly/fly-go@22d6e518) file and function it follows. `problems(text)` returns one
line per problem; an empty list means flyctl would load, validate (`fly config validate
--strict`) and convert every process group to a Machine config without error or warning.
Warnings count as problems: a value flyctl silently raises or ignores is not what we meant.
"""

from __future__ import annotations

import copy
import re
import shlex
import tomllib

# internal/appconfig/config.go `Config` struct tags (toml names), plus the nested structs
# below; StrictValidate (internal/appconfig/strict_validate.go) reports any other key.
TOP_KEYS = {
    "app", "primary_region", "kill_signal", "kill_timeout", "swap_size_mb", "console_command",
    "experimental", "build", "deploy", "env", "processes", "mounts", "http_service", "services",
    "checks", "files", "host_dedication_id", "machine_config", "container", "machine_checks",
    "restart", "vm", "statics", "metrics",
}
# config.go `Build`
BUILD_KEYS = {
    "builder", "args", "buildpacks", "image", "settings", "builtin", "dockerfile", "ignorefile",
    "build-target", "compose", "compression", "compression_level",
}
# config.go `Deploy`
DEPLOY_KEYS = {
    "strategy", "max_unavailable", "wait_timeout", "release_command", "release_command_timeout",
    "release_command_vm", "seed_command",
}
# service.go `HTTPService`
HTTP_SERVICE_KEYS = {
    "internal_port", "force_https", "auto_stop_machines", "auto_start_machines",
    "min_machines_running", "processes", "concurrency", "tls_options", "http_options", "checks",
    "machine_checks",
}
# service.go `Service`
SERVICE_KEYS = {
    "protocol", "internal_port", "auto_stop_machines", "auto_start_machines",
    "min_machines_running", "ports", "concurrency", "tcp_checks", "http_checks",
    "machine_checks", "processes",
}
# service.go `ServiceHTTPCheck` (and `ServiceTCPCheck`, a subset)
SERVICE_HTTP_CHECK_KEYS = {
    "interval", "timeout", "grace_period", "method", "path", "protocol", "tls_skip_verify",
    "tls_server_name", "headers",
}
SERVICE_TCP_CHECK_KEYS = {"interval", "timeout", "grace_period"}
# toplevelcheck.go `ToplevelCheck`
TOP_CHECK_KEYS = SERVICE_HTTP_CHECK_KEYS | {"port", "type", "processes"}
# config.go `Compute` = size, memory, processes + fly-go machine_types.go `MachineGuest` inline
VM_KEYS = {
    "size", "memory", "processes", "cpu_kind", "cpus", "memory_mb", "max_memory_mb", "gpus",
    "gpu_kind", "host_dedication_id", "persist_rootfs", "kernel_args",
}
# config.go `Mount`
MOUNT_KEYS = {
    "source", "destination", "initial_size", "snapshot_retention", "scheduled_snapshots",
    "auto_extend_size_threshold", "auto_extend_size_increment", "auto_extend_size_limit",
    "processes",
}
# config.go `Restart`
RESTART_KEYS = {"policy", "retries", "processes"}
# fly-go machine_types.go `MachineServiceConcurrency`
CONCURRENCY_KEYS = {"type", "hard_limit", "soft_limit"}

# validation.go `MachinesDeployStrategies`
DEPLOY_STRATEGIES = {"canary", "rolling", "immediate", "bluegreen"}
# machines.go `parseRestartPolicy`
RESTART_POLICIES = {"always", "never", "on-failure"}
# fly-go machine_types.go `MachineAutostop.UnmarshalJSON`: a bool or one of these strings
AUTOSTOP_VALUES = {"off", "stop", "suspend"}
# fly-go machine_types.go `MachinePresets` (what `MachineGuest.SetSize` accepts)
VM_PRESETS = {
    **{f"shared-cpu-{n}x": ("shared", n) for n in (1, 2, 4, 6, 8)},
    **{f"performance-{n}x": ("performance", n) for n in (1, 2, 4, 6, 8, 10, 12, 14, 16)},
    "a100-40gb": ("performance", 8), "a100-80gb": ("performance", 8),
    "l40s": ("performance", 8), "a10": ("performance", 8),
}
# fly-go machine_types.go DefaultGPUVMSize
GPU_DEFAULT_SIZE = "performance-8x"
# fly-go machine_types.go MIN/MAX_MEMORY_MB_PER_(SHARED_)CPU; the Machines API refuses a guest
# outside cpus*min..cpus*max, and memory that is not a multiple of 256 MB.
MEMORY_PER_CPU = {"shared": (256, 2048), "performance": (2048, 8192)}

# fly-go duration.go `Duration.ParseDuration` hands strings to Go's time.ParseDuration.
_GO_DURATION = re.compile(r"^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+$|^0$")
_GO_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
# docker/go-units RAMInBytes / FromHumanSize, used by helpers/units.go `ParseSize`
_HUMAN_SIZE = re.compile(r"^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$")
# internal/command/scale/count.go `parseGroupCounts` reads `group=N`; a name must survive that
# and be a Machine metadata value. Assumption (docs/real-apps.md): letters, digits, `-`, `_`.
_GROUP_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


def problems(text: str) -> list[str]:
    """Every problem flyctl would report (or silently change) for this fly.toml text."""
    try:
        doc = tomllib.loads(text)  # serde.go unmarshalTOML
    except tomllib.TOMLDecodeError as exc:
        return [f"toml: does not parse: {exc}"]
    return check(doc)


def check(doc: dict) -> list[str]:
    out: list[str] = []
    doc = _patch(out, copy.deepcopy(doc))
    if doc is None:
        return out
    _unknown(out, "", doc, TOP_KEYS)
    _top_fields(out, doc)
    groups = _processes(out, doc)
    _build(out, doc.get("build"))
    _deploy(out, doc.get("deploy"))
    _services(out, doc, groups)
    _checks(out, doc, groups)
    _vms(out, doc.get("vm"), groups)
    _mounts(out, doc.get("mounts"), groups)
    _restart(out, doc.get("restart"), groups)
    return out


# -- patches.go: what flyctl rewrites before it validates -----------------------------------
# serde.go unmarshalTOML and LoadConfigAsMap (used by StrictValidate) both run patchRoot first,
# so legacy spellings are accepted; a patch error is reported as the config's unmarshal error.


def _patch(out, doc: dict) -> dict | None:
    try:
        _patch_env(doc)
        if "services" in doc:
            services = _array_of_tables(doc["services"], "services")
            doc["services"] = [_patch_service(s) for s in services]
        _patch_processes(doc)
        _patch_experimental(doc)
        _patch_top_checks(doc)
        _merge_tables(doc, ("compute", "computes", "vm"), "vm", "memory")
        _merge_tables(doc, ("mount", "mounts"), "mounts", "initial_size")
        _merge_tables(doc, ("metric", "metrics"), "metrics", None)
        if "kill_timeout" in doc:  # patchTopFields: a number is seconds
            doc["kill_timeout"] = _cast_duration(doc["kill_timeout"], 1.0)
        if "build" in doc:  # patchBuild
            if not isinstance(doc["build"], dict):
                raise _PatchError(f"Build section of unknown type: {type(doc['build']).__name__}")
            if "build_target" in doc["build"]:
                doc["build"]["build-target"] = doc["build"].pop("build_target")
    except _PatchError as exc:
        out.append(f"patch: {exc}")
        return None
    for key in ("vm", "mounts", "metrics"):
        if not doc.get(key):
            doc.pop(key, None)
    return doc


class _PatchError(Exception):
    pass


def _patch_env(doc):
    # patches.go _patchEnv: a table, or an array of tables merged; values become strings
    def flatten(raw):
        if isinstance(raw, list):
            env = {}
            for item in raw:
                env.update(flatten(item))
            return env
        if isinstance(raw, dict):
            return {k: v if isinstance(v, str) else _go_string(v) for k, v in raw.items()}
        raise _PatchError(f"Do not know how to process 'env' section of type: {type(raw).__name__}")
    if "env" in doc:
        doc["env"] = flatten(doc["env"])


def _patch_service(service: dict) -> dict:
    # patches.go _patchService
    conc = service.get("concurrency")
    if isinstance(conc, str):
        soft, sep, hard = conc.partition(",")
        numbers = [n.strip().lstrip("-") for n in (soft, hard)]
        if not sep or not all(n.isdigit() for n in numbers):
            raise _PatchError(f"Unknown value '{conc}' for concurrency limits")
        service["concurrency"] = {
            "type": "requests", "soft_limit": int(soft), "hard_limit": int(hard)}
    elif conc is not None and not isinstance(conc, dict):
        raise _PatchError(f"Unknown type for service concurrency: {type(conc).__name__}")
    if "ports" in service:
        service["ports"] = _array_of_tables(service["ports"], "ports")
        for port in service["ports"]:
            if "port" in port:
                port["port"] = _cast_int(port["port"])
    for kind in ("tcp_checks", "http_checks"):
        if kind in service:
            checks = [_patch_check(c) for c in _array_of_tables(service[kind], kind)]
            if checks:
                service[kind] = checks
            else:
                del service[kind]
    if "internal_port" in service:
        service["internal_port"] = _cast_int(service["internal_port"])
    return service


def _patch_check(check: dict) -> dict:
    # patches.go _patchCheck: numbers are milliseconds; headers become a string table
    for key in ("interval", "timeout", "grace_period"):
        if key in check:
            value = _cast_duration(check[key], 0.001)
            if value is None:
                del check[key]
            else:
                check[key] = value
    if "headers" in check:
        headers = _patch_headers(check["headers"])
        if headers:
            check["headers"] = headers
        else:
            del check["headers"]
    return check


def _patch_headers(raw) -> dict:
    # patches.go _patchCheckHeaders
    if isinstance(raw, list):
        headers = {}
        for item in raw:
            if not isinstance(item, dict) or "name" not in item:
                raise _PatchError(f"Unsupported headers format {item!r}")
            headers[_go_string(item["name"])] = _go_string(item.get("value", ""))
        return headers
    if isinstance(raw, dict):
        return {name: _go_string(value) for name, value in raw.items()}
    raise _PatchError(f"Unsupported headers format: {raw!r}")


def _patch_processes(doc):
    # patches.go patchProcesses: an array of {name, command} tables becomes a table
    raw = doc.get("processes")
    if raw is None or isinstance(raw, dict):
        return
    if not isinstance(raw, list):
        raise _PatchError(f"Unknown processes type: {type(raw).__name__}")
    procs = {_go_string(i["name"]): _go_string(i.get("command", ""))
             for i in raw if isinstance(i, dict) and "name" in i}
    if procs:
        doc["processes"] = procs
    else:
        del doc["processes"]


def _patch_experimental(doc):
    # patches.go patchExperimental
    exp = doc.get("experimental")
    if exp is None:
        return
    if not isinstance(exp, dict):
        raise _PatchError(f"Experimental section of unknown type: {type(exp).__name__}")
    metrics = {}
    for key, value in list(exp.items()):
        if key in ("cmd", "entrypoint", "exec"):
            if isinstance(value, str):
                try:
                    exp[key] = shlex.split(value)
                except ValueError as err:
                    raise _PatchError(f"{key}: {err}") from err
            elif not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                raise _PatchError(f"{key} must be a string or an array of strings")
        elif key == "kill_timeout" and "kill_timeout" not in doc:
            doc["kill_timeout"] = _cast_duration(value, 1.0)
        elif key in ("metrics_port", "metrics_path"):
            metrics[key.removeprefix("metrics_")] = value
    if metrics and "metrics" not in doc:
        doc["metrics"] = metrics


def _patch_top_checks(doc):
    # patches.go patchTopLevelChecks: a table of checks, or an array of named checks
    raw = doc.get("checks")
    if raw is None:
        return
    if isinstance(raw, list):
        table = {}
        for item in raw:
            if not isinstance(item, dict):
                raise _PatchError(f"check item of unknown type: {type(item).__name__}")
            if not isinstance(item.get("name"), str):
                raise _PatchError("check item name not a string")
            table[item["name"]] = item
        raw = table
    if not isinstance(raw, dict):
        raise _PatchError(f"'checks' section of unknown type: {type(raw).__name__}")
    for name, chk in raw.items():
        if not isinstance(chk, dict):
            raise _PatchError(f"'checks' section of unknown type: {type(chk).__name__}")
        raw[name] = _patch_check(chk)
    if raw:
        doc["checks"] = raw
    else:
        del doc["checks"]


def _merge_tables(doc, keys, target, stringify):
    # patches.go patchCompute / patchMounts / patchMetrics: singular and plural spellings,
    # one table or an array of them, merged under one key
    merged = []
    for key in keys:
        if key in doc:
            merged += _array_of_tables(doc.pop(key), key)
    if stringify:
        for table in merged:
            if stringify in table:
                table[stringify] = _go_string(table[stringify])
    doc[target] = merged


def _array_of_tables(raw, what) -> list:
    # patches.go ensureArrayOfMap
    if isinstance(raw, dict):
        return [raw]
    if isinstance(raw, list) and all(isinstance(i, dict) for i in raw):
        return list(raw)
    raise _PatchError(f"Error processing {what}: {type(raw).__name__}")


def _cast_int(value):
    # patches.go castToInt: numbers, or strings holding one
    if isinstance(value, bool):
        raise _PatchError(f"Unknown type for cast: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise _PatchError(f"Unknown type for cast: {value!r}")


def _cast_duration(value, unit_seconds: float):
    # patches.go _castDuration: strings pass through; numbers are `unit`s
    if isinstance(value, str):
        return value or None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value * unit_seconds * 1000:g}ms"
    return None


def _go_string(value) -> str:
    # fmt.Sprintf("%v"): booleans are lower case
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _unknown(out, where, table, known):
    # strict_validate.go StrictValidate / validateNestedSection
    if not isinstance(table, dict):
        out.append(f"type: [{where}] must be a table, got {type(table).__name__}")
        return
    for key in table:
        if key not in known:
            out.append(f"strict: unrecognized key {where + '.' if where else ''}{key}")


def _top_fields(out, doc):
    for key in ("app", "primary_region", "console_command", "kill_signal"):
        if key in doc and not isinstance(doc[key], str):
            out.append(f"type: {key} must be a string")  # config.go field types
    if "kill_timeout" in doc:
        _duration(out, "kill_timeout", doc["kill_timeout"])
    if "console_command" in doc:
        _splits(out, "console_command", doc["console_command"])  # validateConsoleCommand


def _processes(out, doc) -> list[str]:
    """The process group names, as processgroups.go ProcessNames returns them."""
    procs = doc.get("processes")
    if procs is None:
        return ["app"]
    if not isinstance(procs, dict):
        out.append("type: [processes] must be a table of strings")
        return ["app"]
    for name, cmd in procs.items():
        if not isinstance(cmd, str):
            # config.go Processes is map[string]string: patches.go mapToConfig's JSON decode
            # fails, which Validate reports as v2UnmarshalError
            out.append(f"type: processes.{name} must be a string")
            continue
        if not _GROUP_NAME.match(name):
            out.append(f"processes: group name {name!r} is not usable with `fly scale count`")
        if cmd:
            _splits(out, f"processes.{name}", cmd)  # validation.go validateProcessesSection
    return sorted(procs) or ["app"]


def _build(out, build):
    if build is None:
        return
    _unknown(out, "build", build, BUILD_KEYS)
    if not isinstance(build, dict):
        return
    for key in ("builder", "image", "dockerfile", "ignorefile", "build-target", "builtin"):
        if key in build and not isinstance(build[key], str):
            out.append(f"type: build.{key} must be a string")
    args = build.get("args", {})
    if not isinstance(args, dict) or not all(isinstance(v, str) for v in args.values()):
        out.append("type: build.args must be a table of strings")  # map[string]string
    packs = build.get("buildpacks", [])
    if not isinstance(packs, list) or not all(isinstance(p, str) for p in packs):
        out.append("type: build.buildpacks must be an array of strings")
    # config.go BuildStrategies + validation.go validateBuildStrategies (a WARN)
    strategies = [name for name, keys in (
        ("image", ("image",)), ("buildpack", ("builder", "buildpacks")),
        ("dockerfile", ("dockerfile", "build-target")), ("builtin", ("builtin",)),
    ) if any(build.get(k) for k in keys)]
    if len(strategies) > 1:
        out.append(f"build: more than one build configuration found: {strategies}")


def _deploy(out, deploy):
    if deploy is None:
        return
    _unknown(out, "deploy", deploy, DEPLOY_KEYS)
    if not isinstance(deploy, dict):
        return
    cmd = deploy.get("release_command")
    if cmd is not None:
        if not isinstance(cmd, str):
            out.append("type: deploy.release_command must be a string")
        else:
            _splits(out, "deploy.release_command", cmd)  # validation.go validateDeploySection
    strategy = deploy.get("strategy")
    if strategy and strategy not in DEPLOY_STRATEGIES:
        out.append(f"deploy: unsupported deployment strategy {strategy!r}")
    for key in ("wait_timeout", "release_command_timeout"):
        if key in deploy:
            _duration(out, f"deploy.{key}", deploy[key])
    if "release_command_vm" in deploy:
        _vm(out, "deploy.release_command_vm", deploy["release_command_vm"], None)


def _services(out, doc, groups):
    """validation.go validateServicesSection over config.go AllServices()."""
    declared = isinstance(doc.get("processes"), dict) and len(doc["processes"]) > 0
    services = []
    http = doc.get("http_service")
    if http is not None:
        _unknown(out, "http_service", http, HTTP_SERVICE_KEYS)
        if isinstance(http, dict):
            services.append(("http_service", http, http.get("checks", []), SERVICE_HTTP_CHECK_KEYS))
            port = http.get("internal_port")
            # service.go HTTPService: validate:"required,numeric"
            if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
                out.append("http_service: internal_port must be a port number (1-65535)")
    for i, svc in enumerate(doc.get("services", []) or []):
        where = f"services[{i}]"
        _unknown(out, where, svc, SERVICE_KEYS)
        if not isinstance(svc, dict):
            continue
        services.append((where, svc, svc.get("http_checks", []), SERVICE_HTTP_CHECK_KEYS))
        services.append((where, {}, svc.get("tcp_checks", []), SERVICE_TCP_CHECK_KEYS))
        if not svc.get("ports"):
            out.append(f"{where}: service must expose at least one port")
    for where, svc, checks, keys in services:
        if svc:
            procs = svc.get("processes") or []
            if not procs and declared:
                out.append(f"{where}: no processes set but the app defines [processes]")
            for name in procs:
                if name not in groups:
                    out.append(f"{where}: processes names {name!r}, which is not in [processes]")
            for key in ("auto_stop_machines",):
                value = svc.get(key)
                if value is not None and not isinstance(value, bool) \
                        and value not in AUTOSTOP_VALUES:
                    out.append(f"{where}: {key} {value!r} is not a bool or off/stop/suspend")
            conc = svc.get("concurrency")
            if conc is not None:
                _unknown(out, f"{where}.concurrency", conc, CONCURRENCY_KEYS)
        for j, chk in enumerate(checks or []):
            cwhere = f"{where}.checks[{j}]"
            _unknown(out, cwhere, chk, keys)
            if isinstance(chk, dict):
                _service_check_durations(out, cwhere, chk)
                _headers(out, cwhere, chk)


def _service_check_durations(out, where, chk):
    # validation.go validateServiceCheckDurations / validateSingleServiceCheckDuration (WARNs)
    for key, zero_ok in (("interval", False), ("timeout", False), ("grace_period", True)):
        if key not in chk:
            continue
        seconds = _duration(out, f"{where}.{key}", chk[key])
        if seconds is None:
            continue
        if zero_ok and 0 < seconds < 1 or not zero_ok and seconds < 1:
            out.append(f"{where}: {key} under 1 second is raised to 1 second")
        elif seconds > 60:
            out.append(f"{where}: {key} over 1 minute is lowered to 1 minute")


def _headers(out, where, chk):
    headers = chk.get("headers")
    if headers is None:
        return
    # service.go / toplevelcheck.go: map[string]string. Services' and top-level checks are
    # normalised by _patch first; http_service checks are not (patches.go never visits them),
    # so a number or an array there fails mapToConfig's JSON decode.
    if not isinstance(headers, dict):
        out.append(f"type: {where}.headers must be a table")
        return
    for name, value in headers.items():
        if not isinstance(value, str):
            out.append(f"type: {where}.headers.{name} must be a string")


def _checks(out, doc, groups):
    checks = doc.get("checks")
    if checks is None:
        return
    if not isinstance(checks, dict):
        out.append("type: [checks] must be a table of checks")
        return
    for name, chk in checks.items():
        where = f"checks.{name}"
        _unknown(out, where, chk, TOP_CHECK_KEYS)
        if not isinstance(chk, dict):
            continue
        # toplevelcheck.go toMachineCheck
        if chk.get("type") not in ("http", "tcp"):
            out.append(f"{where}: missing or invalid check type, must be 'http' or 'tcp'")
        # validation.go validateChecksSection
        interval = _duration(out, f"{where}.interval", chk["interval"]) \
            if "interval" in chk else None
        if interval is not None and interval < 2:
            out.append(f"{where}: interval is too short, minimum is 2 seconds")
        timeout = _duration(out, f"{where}.timeout", chk["timeout"]) if "timeout" in chk else None
        if timeout is not None and timeout > 60:
            out.append(f"{where}: timeout is too long, maximum is 60 seconds")
        # machines.go updateMachineConfig: a check without a port takes http_service's
        if "port" not in chk and not isinstance(doc.get("http_service"), dict):
            out.append(f"{where}: no port set and no http_service to take it from")
        for proc in chk.get("processes", []) or []:
            if proc not in groups:
                out.append(f"{where}: processes names {proc!r}, which is not in [processes]")
        _headers(out, where, chk)


def _vms(out, vms, groups):
    if vms is None:
        return
    per_group: dict[str, int] = {}
    for i, vm in enumerate(vms):
        _vm(out, f"vm[{i}]", vm, groups)
        if isinstance(vm, dict):
            for g in vm.get("processes") or ["(every group)"]:
                per_group[g] = per_group.get(g, 0) + 1
    # processgroups.go ComputeForGroup: one section naming the group wins over one without
    # processes; a second section of the same kind is silently ignored
    for group, count in per_group.items():
        if count > 1:
            out.append(f"vm: {count} [[vm]] sections apply to group {group!r}; flyctl uses one")


def _vm(out, where, vm, groups):
    _unknown(out, where, vm, VM_KEYS)
    if not isinstance(vm, dict):
        return
    # machines.go computeToGuest + fly-go MachineGuest.SetSize
    # fly-go DefaultVMSize, or DefaultGPUVMSize when a gpu_kind is set
    size = vm.get("size") or (GPU_DEFAULT_SIZE if vm.get("gpu_kind") else "shared-cpu-1x")
    if size not in VM_PRESETS:
        out.append(f"{where}: {size!r} is an invalid machine size")
        return
    kind, cpus = VM_PRESETS[size]
    kind = vm.get("cpu_kind", kind)
    cpus = vm.get("cpus", cpus)
    if kind not in MEMORY_PER_CPU:
        out.append(f"{where}: cpu_kind {kind!r} is not shared or performance")
        return
    if not isinstance(cpus, int) or cpus < 1:
        out.append(f"{where}: cpus must be a positive integer")
        return
    memory = None
    if "memory" in vm:
        memory = _size_mb(out, f"{where}.memory", vm["memory"], binary=True)
        if memory == 0:
            out.append(f"{where}: memory cannot be zero")
    if "memory_mb" in vm:  # copied over memory by copier.CopyWithOption in computeToGuest
        memory = vm["memory_mb"]
    if memory:
        low, high = MEMORY_PER_CPU[kind]
        if not cpus * low <= memory <= cpus * high or memory % 256:
            out.append(
                f"{where}: {memory} MB is not a multiple of 256 within {cpus * low}-{cpus * high}"
                f" MB for {cpus} {kind} CPU(s)")
    for proc in vm.get("processes") or []:
        if groups is not None and proc not in groups:
            out.append(f"{where}: processes names {proc!r}, which is not in [processes]")


def _mounts(out, mounts, groups):
    if mounts is None:
        return
    for i, m in enumerate(mounts):
        where = f"mounts[{i}]"
        _unknown(out, where, m, MOUNT_KEYS)
        if not isinstance(m, dict):
            continue
        if "initial_size" in m:  # validation.go validateMounts
            gb = _size_mb(out, f"{where}.initial_size", m["initial_size"], binary=False, unit=1e9)
            if gb is not None and gb < 1:
                out.append(f"{where}: initial_size is smaller than 1GB")
        for proc in m.get("processes") or []:
            if proc not in groups:
                out.append(f"{where}: processes names {proc!r}, which is not in [processes]")


def _restart(out, restarts, groups):
    if restarts is None:
        return
    if isinstance(restarts, dict):
        restarts = [restarts]
    for i, r in enumerate(restarts):  # validation.go validateRestartPolicy
        where = f"restart[{i}]"
        _unknown(out, where, r, RESTART_KEYS)
        if not isinstance(r, dict):
            continue
        if r.get("policy", "") not in RESTART_POLICIES:
            out.append(f"{where}: invalid restart policy {r.get('policy')!r}")
        for proc in r.get("processes") or []:
            if proc not in groups:
                out.append(f"{where}: processes names {proc!r}, which is not in [processes]")


def _splits(out, where, cmd):
    # google/shlex Split (used by validation.go and processgroups.go InitCmd) fails only on an
    # unclosed quote or a trailing backslash; Python's posix shlex fails on the same input.
    try:
        shlex.split(cmd, posix=True)
    except ValueError as exc:
        out.append(f"{where}: cannot shell-split {cmd!r}: {exc}")


def _duration(out, where, value) -> float | None:
    """Seconds, or None after reporting a value fly-go's Duration cannot parse."""
    if isinstance(value, bool):
        out.append(f"type: {where} must be a duration")
        return None
    if isinstance(value, int):
        return value / 1e9  # fly-go duration.go: an integer is nanoseconds
    if not isinstance(value, str) or not _GO_DURATION.match(value):
        out.append(f"type: {where}: {value!r} is not a Go duration such as '10s'")
        return None
    total = 0.0
    for number, _, _, unit in re.findall(r"(\d+(\.\d*)?|\.\d+)()(ns|us|µs|ms|s|m|h)", value):
        total += float(number) * _GO_UNIT_SECONDS[unit]
    return -total if value.startswith("-") else total


def _size_mb(out, where, value, binary: bool, unit: float | None = None):
    """helpers/units.go ParseSize: a bare integer is taken as-is, else go-units parses it."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str):
        out.append(f"type: {where} must be a size such as '1gb'")
        return None
    if value.isdigit():
        return int(value)
    m = _HUMAN_SIZE.match(value)
    if not m:
        out.append(f"{where}: invalid size {value!r}")
        return None
    base = 1024 if binary else 1000
    power = " kmgtp".index((m.group(3) or " ").lower())
    size = float(m.group(1)) * base**power
    return int(size // (unit or 1024 * 1024))
