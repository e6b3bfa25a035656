"""Render a plan for people: a terminal table and Markdown (job summary, PR comment).

The wording lives in herokufly/templates/plan*.{txt,md}; this module only
fills the slots. Both renderers take the plan's dict (Plan.to_dict()), so a
plan read back from JSON renders the same way.
"""

from __future__ import annotations

from importlib import resources
from string import Template

from herokufly.base import masking


def render_plan_markdown(plan: dict) -> str:
    values = _common(plan, _md)
    values["offline_banner"] = (
        _template("plan_offline.md").substitute(unknowns=_md("; ".join(plan["offline_unknowns"])))
        if plan.get("offline") else ""
    )
    values["process_rows"] = "\n".join(
        f"| `{_md(group)}` | `{_md(plan['process_sources'].get(group, group))}` | `{_md(cmd)}` "
        f"| {_md(_vm_text(plan['vm'].get(group)))} | {plan['vm'].get(group, {}).get('count', 0)} "
        f"| {_md(_runs_text(plan, group))} |"
        for group, cmd in plan["processes"].items()
    ) or "| (none) | | | | | |"
    review = plan.get("config_kinds") or []
    values["config_review"] = ("\nTo review:\n\n| Name | Kind | Why |\n|---|---|---|\n" + "\n".join(
        f"| `{_md(k['name'])}` | {_md(k['kind'])} | {_md(_kind_text(k))} |" for k in review)
        if review else "")
    values["secrets"] = ", ".join(f"`{_md(n)}`" for n in plan["secrets"]) or "(none)"
    values["excluded_rows"] = "\n".join(
        f"| `{_md(e['name'])}` | {_md(e['reason'])} |" for e in plan["excluded_config"]
    ) or "| (none) | |"
    values["estimate_rows"] = "\n".join(
        f"| {i['side'].capitalize()} | {_md(i['item'])} | {i['quantity']} | {_money(i['monthly_usd'])} |"
        for i in plan["estimate"]["items"]
    )
    values["estimate_notes"] = "\n".join(f"- {_md(n)}" for n in plan["estimate"].get("notes", []))
    values["manual_rows"] = "\n".join(
        f"| {_md(s['item'])} | {_md(s['why'])} | {_md(s['how'])} |" for s in plan["manual_steps"]
    ) or "| (nothing) | | |"
    values["notes"] = (
        "\n### Notes\n" + "\n".join(f"- {_md(n)}" for n in plan["notes"]) if plan.get("notes") else ""
    )
    return masking.redact(_template("plan.md").substitute(values))


def render_plan_text(plan: dict) -> str:
    values = _common(plan, str)
    values["offline_banner"] = (
        _template("plan_offline.txt").substitute(unknowns="; ".join(plan["offline_unknowns"]))
        if plan.get("offline") else ""
    )
    values["process_rows"] = _table(
        ["group", "heroku", "command", "vm", "machines", "runs what heroku ran"],
        [
            [group, plan["process_sources"].get(group, group), cmd or "(image CMD)",
             _vm_text(plan["vm"].get(group)), str(plan["vm"].get(group, {}).get("count", 0)),
             _runs_text(plan, group)]
            for group, cmd in plan["processes"].items()
        ],
    )
    review = plan.get("config_kinds") or []
    values["config_review"] = ("\nTo review\n" + _table(
        ["name", "kind", "why"], [[k["name"], k["kind"], _kind_text(k)] for k in review])
        if review else "")
    values["secrets"] = ", ".join(plan["secrets"]) or "(none)"
    values["excluded_rows"] = _table(
        ["name", "why"], [[e["name"], e["reason"]] for e in plan["excluded_config"]]
    )
    values["estimate_rows"] = _table(
        ["", "item", "qty", "monthly"],
        [[i["side"], i["item"], str(i["quantity"]), _money(i["monthly_usd"])]
         for i in plan["estimate"]["items"]],
    )
    values["estimate_notes"] = "\n".join(f"  * {n}" for n in plan["estimate"].get("notes", []))
    values["manual_rows"] = "\n".join(
        f"  - {s['item']}: {s['why']}.\n      How: {s['how']}" for s in plan["manual_steps"]
    ) or "  (nothing)"
    values["notes"] = (
        "\nNotes\n" + "\n".join(f"  * {n}" for n in plan["notes"]) if plan.get("notes") else ""
    )
    return masking.redact(_template("plan.txt").substitute(values))


def _common(plan: dict, esc) -> dict:
    estimate = plan["estimate"]
    return {
        "heroku_app": esc(plan["heroku_app"]),
        "fly_app": esc(plan["fly_app"]),
        "org": esc(plan["org"]),
        "region": esc(plan["region"]),
        "region_reason": esc(plan["region_reason"]),
        "framework": esc(plan["framework"] + (f" ({'; '.join(plan['framework_evidence'])})"
                                               if plan.get("framework_evidence") else "")),
        "build": esc(_build_text(plan["build"])),
        "release_command": esc(_release_text(plan)),
        "health_check": esc(_health_text(plan.get("http_service"))),
        "stages": esc(" → ".join(plan["stages"]) if esc is not str else " -> ".join(plan["stages"])),
        "secret_count": str(len(plan["secrets"])),
        "postgres": esc(_postgres_text(plan["postgres"])),
        "redis": esc(_redis_text(plan["redis"])),
        "domains": esc(", ".join(plan["domains"]) or "(none)"),
        "prices_date": esc(estimate["prices_date"]),
        "heroku_total": _money(estimate["heroku_monthly_usd"]),
        "fly_total": _money(estimate["fly_monthly_usd"]),
    }


def _release_text(plan: dict) -> str:
    if not plan.get("release_command"):
        return "(none)"
    release = plan.get("release") or {}
    if release.get("proposed"):
        return f"{plan['release_command']} (proposed: {release['why']})"
    return plan["release_command"]


def _health_text(http: dict | None) -> str:
    if not http:
        return "(no web process)"
    headers = ", ".join(f"{k}: {v}" for k, v in (http.get("health_check_headers") or {}).items())
    text = f"GET {http['health_check_path']}" + (f" with {headers}" if headers else "")
    return text + (f" ({http['health_check_why']})" if http.get("health_check_why") else "")


def _runs_text(plan: dict, group: str) -> str:
    check = (plan.get("process_checks") or {}).get(group)
    if not check:
        return ""
    if check.get("replaced"):
        return "replaced: " + check["replaced"]
    if check.get("heroku") is None:
        return "the image's ENTRYPOINT/CMD"
    if check.get("runs_heroku_line"):
        return "yes: " + " ".join(check["machine_exec"][:2]) + " ..."
    return "check: " + (check.get("why") or "not proven")


def _kind_text(kind: dict) -> str:
    if kind.get("fly_value"):
        return f"{kind['reason']}; on Fly use {kind['fly_value']}"
    return kind["reason"]


def _build_text(build: dict) -> str:
    if build.get("mode") == "buildpacks":
        runtime = build.get("runtime") or {}
        pinned = (f"; {runtime['language']} {runtime['version']} from {runtime['source']}"
                  f"{'' if runtime.get('supported', True) else ' (older than the builder supports)'}"
                  if runtime.get("version") else "")
        return f"Cloud Native Buildpacks with {build['builder']} (no Dockerfile needed{pinned})"
    if "elixir_version" in build:
        made = "generated" if build.get("generated") else "your"
        mode = "Mix release" if build.get("elixir_mode", "release") == "release" else "Mix"
        return (f"{made} Dockerfile, {mode}, Elixir {build['elixir_version']} / "
                f"OTP {build['otp_version']} (from {build['versions_source']})")
    if build.get("generated") and build.get("describe"):
        return f"generated Dockerfile: {build['describe']}"
    return "your Dockerfile"


def _vm_text(vm: dict | None) -> str:
    if not vm:
        return ""
    return f"{vm['size']} {vm['memory_mb']} MB (was {vm['heroku_size']})"


def _postgres_text(pg: dict | None) -> str:
    if not pg:
        return "none"
    if pg["target"] == "managed":
        copy = f"; copy: {pg['copy']['why']}" if pg.get("copy") else ""
        return (f"{pg['source_plan']} -> Fly Managed Postgres '{pg['name']}' "
                f"(plan {pg['plan']}, region {pg['region']}){copy}")
    if pg["target"] == "unmanaged":
        return f"{pg['source_plan']} -> Fly Postgres app '{pg['name']}' (unmanaged, single node)"
    return f"{pg['source_plan']} stays on Heroku; Fly uses it through DATABASE_URL"


def _redis_text(redis: dict | None) -> str:
    if not redis:
        return "none"
    return (f"{redis['source_plan']} -> Upstash Redis '{redis['name']}' ({redis['plan']}); "
            f"sets {', '.join(redis['config_vars'])}")


def _money(value) -> str:
    return "n/a" if value is None else f"${value:,.2f}"


def _md(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(headers: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return "  (none)"
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    lines = ["  " + "  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()]
    lines += ["  " + "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)


def _template(name: str) -> Template:
    text = resources.files("herokufly").joinpath("templates", name).read_text(encoding="utf-8")
    return Template(text)
