"""The progress comment: one Markdown document per PR and app, re-rendered by every job.

What it shows is kept as a small JSON `progress` record (no secret values)
inside the comment itself, base64 in an HTML comment, so the next job can read
it back, change its own stage and render again. The same Markdown goes to
$GITHUB_STEP_SUMMARY. The wording is in herokufly/templates/comment*.md.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
import re
from importlib import resources
from string import Template
from typing import Any, Callable

from herokufly import __version__
from herokufly.base import masking
from herokufly.pr import events

LIMIT = 65000  # GitHub refuses comments over 65,536 characters; keep a margin
PROGRESS_VERSION = 1
STATUSES = ("pending", "running", "done", "unchanged", "failed", "skipped", "interrupted")
_ICONS = {
    "pending": "⏳ pending",
    "running": "🔄 running",
    "done": "✅ done",
    "unchanged": "✅ done (no changes)",
    "failed": "❌ failed",
    "skipped": "⏭️ skipped",
    "interrupted": "⏸️ interrupted",
}
_DATA = re.compile(r"<!-- herokufly:data (?P<data>[A-Za-z0-9+/=]+) -->")


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ------------------------------------------------------------------ the record


def new_progress(
    *,
    app: str,
    heroku_app: str,
    command: events.Command,
    actor: str,
    head_sha: str | None,
    stages: tuple[str, ...] | list[str] | None = None,
) -> dict:
    """A fresh record for one command; every stage it will run starts pending."""
    names = list(stages if stages is not None else command.stages)
    return {
        "version": PROGRESS_VERSION,
        "app": app,
        "heroku_app": heroku_app,
        "command": command.as_comment(),
        "actor": actor,
        "head_sha": head_sha or "",
        "stages": {name: {"status": "pending"} for name in names},
        "plan": None,
        "dns_records": [],
        "database": {},
        "workflow": None,
        "error": None,
        "updated_at": now(),
    }


ROW_ORDER = ("plan", *events.MIGRATE_STAGES, "rollback")


def restart(progress: dict | None, fresh: dict) -> dict:
    """A new command on a PR that already has a progress comment: keep the rows of
    stages it does not run (their last result still holds), reset the ones it runs."""
    if not progress:
        return fresh
    merged = copy.deepcopy(progress)
    for key in ("command", "actor", "head_sha", "app", "heroku_app"):
        merged[key] = fresh[key]
    merged["error"] = None
    stages = dict(merged.get("stages", {}))
    stages.update(copy.deepcopy(fresh["stages"]))
    merged["stages"] = {name: stages[name] for name in sorted(stages, key=_row_rank)}
    merged["updated_at"] = now()
    return merged


def _row_rank(name: str) -> int:
    return ROW_ORDER.index(name) if name in ROW_ORDER else len(ROW_ORDER)


def start_stage(progress: dict, stage: str, *, run_url: str | None = None, at: str | None = None) -> dict:
    return _set_stage(progress, stage, "running", run_url=run_url, started_at=at or now(), finished_at=None)


def finish_stage(
    progress: dict,
    stage: str,
    status: str,
    *,
    summary: str | None = None,
    run_url: str | None = None,
    at: str | None = None,
) -> dict:
    if status not in STATUSES:
        raise ValueError(f"unknown stage status {status!r}")
    return _set_stage(progress, stage, status, run_url=run_url, summary=summary, finished_at=at or now())


def _set_stage(progress: dict, stage: str, status: str, **fields) -> dict:
    progress = copy.deepcopy(progress)
    entry = progress["stages"].setdefault(stage, {})
    entry["status"] = status
    for key, value in fields.items():
        if value is None and key != "finished_at":
            continue
        if value is None:
            entry.pop(key, None)
        else:
            entry[key] = value
    progress["updated_at"] = now()
    return progress


Signer = Callable[[dict], dict]


def encode(progress: dict, sign: Signer | None = None) -> str:
    # Redact each string before encoding: base64 hides values from a later redact.
    # The signature covers exactly what is encoded, so it is made after redaction.
    record = _redact_strings(progress)
    if sign is not None:
        record = sign(record)
    raw = json.dumps(record, separators=(",", ":"), sort_keys=True).encode()
    return f"<!-- herokufly:data {base64.b64encode(raw).decode()} -->"


def decode(body: str | None) -> dict | None:
    """The record inside a comment body; None when absent, damaged or of another version.

    The last data block counts, never an earlier one: ours is always written last, so
    anything above it is text that came from elsewhere."""
    blocks = _DATA.findall(body or "")
    if not blocks:
        return None
    try:
        progress = json.loads(base64.b64decode(blocks[-1], validate=True))
    except ValueError:
        return None
    if not isinstance(progress, dict) or progress.get("version") != PROGRESS_VERSION:
        return None
    return progress


# ------------------------------------------------------------------ rendering


def next_step(progress: dict) -> str:
    """The exact comment to write next, and why."""
    stages = progress.get("stages", {})
    failed = [n for n, s in stages.items() if s.get("status") in ("failed", "interrupted") and n != "plan"]
    if stages.get("plan", {}).get("status") in ("failed", "interrupted"):
        return "Fix what the plan job reports, then comment `/herokufly plan` again."
    if failed:
        stage = failed[0]
        return (
            f"Fix what the `{stage}` job reports, then comment "
            f"`{events.Command('migrate', stage).as_comment()}` to resume from there."
        )
    if any(s.get("status") in ("running", "pending") for s in stages.values()):
        return "Wait: the jobs are running and this comment fills in as each one finishes."
    names = set(stages) - {"plan"}
    if progress.get("command") == "/herokufly rollback":
        return "Heroku serves the app again. Comment `/herokufly migrate` to try the move again."
    if "cutover" in names:
        return (
            "Heroku is scaled to zero and in maintenance; Fly serves the app. Merge this pull request. "
            "Comment `/herokufly rollback` to put Heroku back."
        )
    if "domains" in names or "deploy" in names:
        return (
            "Check the app on Fly and set the DNS records above. When traffic should move, comment "
            "`/herokufly migrate cutover` (it stops the Heroku dynos; `/herokufly rollback` undoes it)."
        )
    if names:
        following = [s for s in events.DEFAULT_MIGRATE_STAGES if s not in names]
        done_up_to = max((events.MIGRATE_STAGES.index(n) for n in names if n in events.MIGRATE_STAGES), default=-1)
        later = [s for s in following if events.MIGRATE_STAGES.index(s) > done_up_to]
        if later:
            return f"Comment `{events.Command('migrate', later[0]).as_comment()}` to run the next stage."
    return "Review the plan, then comment `/herokufly migrate` to run every stage."


def render(progress: dict, *, plan_markdown: str | None = None, limit: int = LIMIT, with_data: bool = True,
           sign: Signer | None = None) -> str:
    """The comment body (without the sticky marker, which the GitHub client adds).

    `plan_markdown` (the report module's full plan) goes in a folded section
    when it fits; otherwise only the short plan summary stays and the full
    plan is left to the job summary.
    """
    data = encode(progress, sign) if with_data else ""
    if len(data) > limit // 2:
        data = encode(_compact(progress), sign)
    plan_markdown = neutralize(plan_markdown) if plan_markdown else None
    body = _render(progress, plan_markdown)
    if len(body) + len(data) + 1 > limit:
        body = _render(progress, None, note_full_plan=bool(plan_markdown))
    if len(body) + len(data) + 1 > limit:
        # Still too long (enormous DNS/workflow sections): keep the head, point to the summary.
        cut = limit - len(data) - 200
        body = body[:cut].rsplit("\n", 1)[0] + "\n\n… (cut to fit a GitHub comment; the job summary has everything)\n"
    # `data` was redacted value by value in encode(); redacting the base64 again would be slow.
    # No HTML comment may open in the body: a data block or marker there would be someone else's.
    body = masking.redact(body).replace("<!--", "&lt;!--")
    return f"{body}\n{data}\n" if data else body


def render_summary(progress: dict, *, plan_markdown: str | None = None) -> str:
    """The same content for $GITHUB_STEP_SUMMARY: the full plan, no hidden data."""
    return masking.redact(_render(progress, neutralize(plan_markdown) if plan_markdown else None, folded=False))


def _render(progress: dict, plan_markdown: str | None, *, note_full_plan: bool = False, folded: bool = True) -> str:
    values = {
        "heroku_app": _code(progress.get("heroku_app") or "?"),
        "fly_app": _code(progress.get("app") or "?"),
        "headline": _headline(progress),
        "stage_rows": _stage_rows(progress),
        "plan_section": _plan_section(progress.get("plan"), plan_markdown, note_full_plan, folded),
        "cost_section": _cost_section(progress.get("plan")),
        "dns_section": _dns_section(progress.get("dns_records") or []),
        "database_section": _database_section(progress.get("database") or {}),
        "workflow_section": _workflow_section(progress.get("workflow")),
        "error_section": _error_section(progress.get("error")),
        "next_step": next_step(progress),
        "updated_at": _md(progress.get("updated_at", "")),
        "command": _code(progress.get("command", "")),
        "actor": _md(progress.get("actor", "")),
        "head_sha": _code((progress.get("head_sha") or "")[:12] or "?"),
        "version": _md(__version__),
    }
    return _template("comment.md").substitute(values)


def _headline(progress: dict) -> str:
    stages = progress.get("stages", {})
    statuses = [s.get("status") for s in stages.values()]
    if any(s in ("failed", "interrupted") for s in statuses):
        return "**Stopped: a stage failed.** What ran is kept; fix the cause and resume."
    if any(s == "running" for s in statuses):
        return "**In progress.**"
    if any(s == "pending" for s in statuses):
        return "**Queued.**"
    if not statuses or set(stages) == {"plan"}:
        return "**Plan ready.** Nothing has been changed on Heroku or Fly."
    return "**Finished.**"


def _stage_rows(progress: dict) -> str:
    rows = []
    for name, entry in progress.get("stages", {}).items():
        status = _ICONS.get(entry.get("status"), _md(entry.get("status", "?")))
        summary = entry.get("summary")
        if summary:
            status = f"{status}: {_md(summary)[:300]}"
        link = f"[run]({_url(entry['run_url'])})" if entry.get("run_url") else ""
        rows.append(f"| `{_md(name)}` | {status} | {duration(entry.get('started_at'), entry.get('finished_at'))} | {link} |")
    return "\n".join(rows) or "| `plan` | ✅ done | | |"


def duration(started: str | None, finished: str | None) -> str:
    if not started or not finished:
        return ""
    try:
        a = dt.datetime.fromisoformat(started.replace("Z", "+00:00"))
        b = dt.datetime.fromisoformat(finished.replace("Z", "+00:00"))
    except ValueError:
        return ""
    seconds = max(0, int((b - a).total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"


def _plan_section(plan: dict | None, plan_markdown: str | None, note_full_plan: bool, folded: bool) -> str:
    if not plan:
        return ""
    pg = plan.get("postgres") or {}
    lines = [
        "",
        "### Plan",
        f"- Fly app `{_md(plan.get('fly_app'))}` in region `{_md(plan.get('region'))}`"
        + (f", org `{_md(plan.get('org'))}`" if plan.get("org") else ""),
        f"- Processes: {', '.join('`' + _md(g) + '`' for g in (plan.get('processes') or {})) or '(none)'}",
        f"- Secrets to copy: {len(plan.get('secrets') or [])} (names only in the full plan)",
        f"- Postgres: {_md(pg.get('target', 'none')) if pg else 'none'}",
        f"- Custom domains: {', '.join('`' + _md(d) + '`' for d in plan.get('domains') or []) or '(none)'}",
    ]
    manual = plan.get("manual_steps") or []
    if manual:
        lines.append(f"- Left for you: {len(manual)} item(s) herokufly cannot move (see the full plan)")
    if plan_markdown:
        if folded:
            lines += ["", "<details><summary>Full plan</summary>", "", plan_markdown.strip(), "", "</details>"]
        else:
            lines += ["", plan_markdown.strip()]
    elif note_full_plan:
        lines.append("- The full plan is in the job summary (too long for this comment).")
    return "\n".join(lines) + "\n"


def _cost_section(plan: dict | None) -> str:
    estimate = (plan or {}).get("estimate")
    if not estimate:
        return ""
    return "\n".join(
        [
            "",
            "### Cost estimate (monthly)",
            f"Heroku now: **{_money(estimate.get('heroku_monthly_usd'))}** · "
            f"Fly after the move: **{_money(estimate.get('fly_monthly_usd'))}** "
            f"(prices of {_md(estimate.get('prices_date', '?'))})",
            "",
        ]
    )


def _dns_section(records: list[dict]) -> str:
    if not records:
        return ""
    rows = [
        f"| `{_md(r.get('hostname') or r.get('name') or '')}` | {_md(r.get('type', ''))} | `{_md(r.get('value', ''))}` "
        f"| {_md(r.get('status', ''))} |"
        for r in records
    ]
    return "\n".join(
        ["", "### DNS records to set", "herokufly never changes DNS. Set these at your DNS provider:", "",
         "| Host | Type | Value | Certificate |", "|---|---|---|---|", *rows, ""]
    )


def _database_section(figures: dict) -> str:
    if not figures:
        return ""
    rows = [f"| {_md(k.replace('_', ' '))} | {_md(_scalar(v))} |" for k, v in figures.items() if _is_scalar(v)]
    if not rows:
        return ""
    return "\n".join(["", "### Database copy verification", "", "| Check | Result |", "|---|---|", *rows, ""])


def _workflow_section(workflow: dict | None) -> str:
    """What `herokufly workflow` did: committed, or ready-to-commit content."""
    if not workflow:
        return ""
    lines = ["", "### Deploy workflow"]
    if workflow.get("committed"):
        lines.append(
            f"Committed to `{_md(workflow.get('branch', ''))}`: "
            + ", ".join(f"`{_md(p)}`" for p in workflow.get("files", {}))
            + "."
        )
    else:
        reason = workflow.get("reason") or "the token given cannot write workflow files"
        lines.append(f"Not committed ({_md(reason)}). Add these files to the branch yourself:")
        for path, text in (workflow.get("files") or {}).items():
            fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", text)), default=0))
            lines += ["", f"<details><summary><code>{_html(path)}</code></summary>", "", f"{fence}yaml", text.rstrip(), fence, "", "</details>"]
    for note in workflow.get("notes") or []:
        lines.append(f"- {_md(note)}")
    return "\n".join(lines) + "\n"


def _error_section(error: str | None) -> str:
    if not error:
        return ""
    return f"\n### What went wrong\n{_md(error)[:2000]}\n"


def render_refusal(reason: str, *, required: str) -> str:
    return masking.redact(_template("comment_refusal.md").substitute(reason=_md(reason), required=_md(required)))


def render_help() -> str:
    return _template("comment_help.md").substitute(help=events.help_text())


# ------------------------------------------------------------------ helpers


def _compact(progress: dict) -> dict:
    """A smaller record to carry when the full one would crowd out the comment."""
    small = copy.deepcopy(progress)
    plan = small.get("plan") or {}
    if plan:
        keep = ("heroku_app", "fly_app", "region", "org", "processes", "postgres", "domains", "estimate")
        small["plan"] = {k: plan[k] for k in keep if k in plan}
        small["plan"]["secrets"] = [None] * len(plan.get("secrets") or [])  # the count, not the names
        if isinstance(small["plan"].get("estimate"), dict):
            small["plan"]["estimate"] = {k: v for k, v in small["plan"]["estimate"].items() if k != "items"}
    small["dns_records"] = (small.get("dns_records") or [])[:50]
    if small.get("workflow"):
        small["workflow"] = {k: v for k, v in small["workflow"].items() if k != "files"}
    return small


def _redact_strings(value: Any) -> Any:
    if isinstance(value, str):
        return masking.redact(value)
    if isinstance(value, dict):
        return {k: _redact_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_strings(v) for v in value]
    return value


def _template(name: str) -> Template:
    return Template(resources.files("herokufly").joinpath("templates", name).read_text(encoding="utf-8"))


def neutralize(markdown: str) -> str:
    """Markdown rendered from what the PR or Heroku said (the plan: Procfile commands, config
    var names, add-on names): no HTML, no HTML comments, no @-mentions. The plan's own
    templates use no HTML, so every `<` in it came from data; `>` opens nothing without it
    (and is the templates' blockquote)."""
    text = markdown.replace("<", "&lt;")
    return re.sub(r"@(?=[A-Za-z0-9])", "@\u200b", text)


def md(value: Any) -> str:
    """Text from the PR, Heroku or GitHub made safe for one line of Markdown (see _md)."""
    return _md(value)


def _md(value: Any) -> str:
    """Text safe inside a Markdown table cell: no pipes, no newlines, no HTML, no code spans, no @-mentions."""
    text = str(value if value is not None else "")
    text = text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("`", "'")  # a backslash does not escape inside a code span; a quote is safe in both
    text = text.replace("\r", " ").replace("\n", " ").replace("@", "@\u200b")
    return text


def _code(value: Any) -> str:
    return _md(value).replace("`", "'")


def _html(value: Any) -> str:
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _url(value: str) -> str:
    return value if re.match(r"^https?://[^\s()<>]+$", value or "") else ""


def _money(value) -> str:
    return "n/a" if value is None else f"${value:,.2f}"


def _is_scalar(v: Any) -> bool:
    return isinstance(v, (str, int, float, bool)) or v is None


def _scalar(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)
