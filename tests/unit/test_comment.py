"""The progress comment: content, round trip through the hidden record, size, no secrets."""

from __future__ import annotations

import pytest

from herokufly.base import masking
from herokufly.pr import comment
from herokufly.pr.events import Command

PLAN = {
    "heroku_app": "shop", "fly_app": "shop-fly", "region": "iad", "org": "acme",
    "processes": {"app": "bin/server", "worker": "bin/worker"},
    "secrets": ["SECRET_KEY_BASE", "STRIPE_KEY"],
    "postgres": {"target": "managed"}, "domains": ["shop.example.com"],
    "manual_steps": [{"item": "Scheduler", "why": "x", "how": "y"}],
    "estimate": {"heroku_monthly_usd": 75.0, "fly_monthly_usd": 43.5, "prices_date": "2026-10-01", "items": []},
}


def progress_for(command=Command("migrate")):
    p = comment.new_progress(app="shop-fly", heroku_app="shop", command=command, actor="alice", head_sha="a" * 40)
    p["plan"] = PLAN
    return p


def test_new_progress_lists_every_stage_pending():
    p = progress_for()
    assert list(p["stages"]) == ["provision", "secrets", "database", "deploy", "domains"]
    assert {s["status"] for s in p["stages"].values()} == {"pending"}
    body = comment.render(p)
    assert body.count("⏳ pending") == 5
    assert "`/herokufly migrate`" in body and "@alice" in body
    assert "**Queued.**" in body


def test_stage_table_shows_status_duration_and_job_link():
    p = progress_for()
    p = comment.start_stage(p, "provision", run_url="https://github.com/acme/shop/actions/runs/1", at="2026-11-20T10:00:00Z")
    assert "🔄 running" in comment.render(p)
    p = comment.finish_stage(p, "provision", "done", summary="created app shop-fly", at="2026-11-20T10:01:05Z")
    p = comment.start_stage(p, "secrets", at="2026-11-20T10:01:10Z")
    p = comment.finish_stage(p, "secrets", "failed", summary="flyctl exited 1", at="2026-11-20T10:01:12Z")
    body = comment.render(p)
    assert "| `provision` | ✅ done: created app shop-fly | 1m 05s | [run](https://github.com/acme/shop/actions/runs/1) |" in body
    assert "| `secrets` | ❌ failed: flyctl exited 1 | 2s |" in body
    assert "**Stopped: a stage failed.**" in body
    assert "`/herokufly migrate secrets`" in body  # the exact next command


def test_round_trip_through_the_comment_body():
    p = comment.finish_stage(progress_for(), "provision", "done", at="2026-11-20T10:00:00Z")
    body = comment.render(p)
    assert comment.decode(body) == p
    assert comment.decode("no data here") is None
    assert comment.decode("<!-- herokufly:data !!! -->") is None


def test_plan_cost_dns_and_database_sections():
    p = progress_for()
    for stage in p["stages"]:
        p = comment.finish_stage(p, stage, "done")
    p["dns_records"] = [{"hostname": "shop.example.com", "type": "CNAME", "value": "shop-fly.fly.dev", "status": "Awaiting configuration"}]
    p["database"] = {"tables": 12, "rows_source": 120034, "rows_target": 120034, "match": True}
    body = comment.render(p, plan_markdown="## herokufly plan\nfull details")
    assert "### Plan" in body and "`shop-fly`" in body and "Secrets to copy: 2" in body
    assert "STRIPE_KEY" not in body.split("<details>")[0]  # names only inside the full plan
    assert "Heroku now: **$75.00**" in body and "**$43.50**" in body
    assert "| `shop.example.com` | CNAME | `shop-fly.fly.dev` | Awaiting configuration |" in body
    assert "| rows source | 120,034 |" in body and "| match | yes |" in body
    assert "<details><summary>Full plan</summary>" in body
    assert "`/herokufly migrate cutover`" in body
    assert "**Finished.**" in body


def test_plan_only_suggests_migrate():
    p = progress_for(Command("plan"))
    assert p["stages"] == {}
    body = comment.render(p)
    assert "**Plan ready.**" in body and "comment `/herokufly migrate` to run every stage" in body


def test_single_stage_suggests_the_next_one():
    p = comment.finish_stage(progress_for(Command("migrate", "secrets")), "secrets", "done")
    assert "`/herokufly migrate database`" in comment.next_step(p)


def test_cutover_and_rollback_next_steps():
    p = comment.finish_stage(progress_for(Command("migrate", "cutover")), "cutover", "done")
    assert "`/herokufly rollback`" in comment.next_step(p)
    r = progress_for(Command("rollback"))
    assert "`/herokufly migrate`" in comment.next_step(r)


def test_stays_under_the_github_limit_and_points_to_the_summary():
    p = progress_for()
    huge_plan = "## plan\n" + ("| row | " + "x" * 200 + " |\n") * 600
    body = comment.render(p, plan_markdown=huge_plan)
    assert len(body) < comment.LIMIT
    assert "The full plan is in the job summary" in body
    summary = comment.render_summary(p, plan_markdown=huge_plan)
    assert huge_plan.strip() in summary and "herokufly:data" not in summary


def test_enormous_sections_are_cut_to_fit():
    p = progress_for()
    p["dns_records"] = [{"hostname": f"h{i}.example.com", "type": "A", "value": "1.2.3.4" * 20} for i in range(2000)]
    body = comment.render(p)
    assert len(body) <= comment.LIMIT and "cut to fit" in body


def test_no_secret_value_in_comment_or_summary():
    canary = "canary-s3cret-value-9f8e7d"
    masking.register(canary)
    try:
        p = progress_for()
        p["error"] = f"flyctl said: bad token {canary}"
        p = comment.finish_stage(p, "provision", "failed", summary=f"oops {canary}")
        assert canary not in comment.render(p)
        assert canary not in comment.render_summary(p)
    finally:
        masking.clear()


def test_untrusted_text_cannot_break_the_table_or_mention():
    p = progress_for()
    p = comment.finish_stage(p, "provision", "failed", summary="a | b\n<script>x</script> @everyone")
    row = [line for line in comment.render(p).splitlines() if line.startswith("| `provision`")][0]
    assert row.count(" | ") == 3 + 1 - 1 or "\\|" in row
    assert "<script>" not in row and "@everyone" not in row


def test_workflow_ready_to_commit_content():
    p = progress_for(Command("plan"))
    p["workflow"] = {"committed": False, "reason": "the default GITHUB_TOKEN cannot write .github/workflows/",
                     "files": {".github/workflows/fly-deploy.yml": "name: Fly deploy\non: push\n"}, "notes": []}
    body = comment.render(p)
    assert "Not committed" in body and "```yaml\nname: Fly deploy\non: push\n```" in body
    p["workflow"] = {"committed": True, "branch": "herokufly", "files": {".github/workflows/fly-deploy.yml": "x"}}
    assert "Committed to `herokufly`" in comment.render(p)


def test_refusal_and_help():
    text = comment.render_refusal("@rita needs write permission", required="write")
    assert "did not run" in text and "Nothing was changed" in text
    assert "/herokufly migrate STAGE" in comment.render_help()


def test_unknown_status_is_rejected():
    with pytest.raises(ValueError):
        comment.finish_stage(progress_for(), "provision", "great")


def test_plan_row_done_suggests_migrate():
    p = progress_for(Command("plan"))
    p["stages"] = {"plan": {"status": "done"}}
    body = comment.render(p)
    assert "**Plan ready.**" in body and "comment `/herokufly migrate` to run every stage" in body


def test_restart_keeps_other_rows_and_resets_the_requested_ones():
    old = progress_for()
    old = comment.finish_stage(old, "provision", "done", summary="created")
    old = comment.finish_stage(old, "secrets", "failed", summary="boom")
    old["error"] = "boom"
    fresh = comment.new_progress(app="shop-fly", heroku_app="shop", command=Command("migrate", "secrets"),
                                 actor="bob", head_sha="b" * 40)
    merged = comment.restart(old, fresh)
    assert merged["stages"]["provision"]["status"] == "done"
    assert merged["stages"]["secrets"] == {"status": "pending"}
    assert merged["command"] == "/herokufly migrate secrets" and merged["actor"] == "bob" and merged["error"] is None
    assert list(merged["stages"])[:2] == ["provision", "secrets"]
    assert comment.restart(None, fresh) is fresh


# ------------------------------------------------------------------ issue 10, attack 4: what comes from the PR


def test_only_the_last_data_block_counts():
    ours = comment.new_progress(app="shop-fly", heroku_app="shop", command=Command("plan"), actor="alice", head_sha=None)
    forged = dict(ours, stages={"cutover": {"status": "done"}})
    body = f"text from elsewhere {comment.encode(forged)}\nmore\n{comment.encode(ours)}\n"
    assert comment.decode(body)["stages"] == {}


def test_plan_text_from_the_pr_cannot_open_html_a_comment_or_a_mention():
    progress = comment.new_progress(app="shop-fly", heroku_app="shop", command=Command("plan"), actor="alice", head_sha=None)
    progress["plan"] = {"fly_app": "shop-fly", "region": "iad", "processes": {}}
    evil = "| `x` | <!-- herokufly:data e30= --> <img src=https://t.example/p> @everyone <details open> |"
    body = comment.render(progress, plan_markdown=evil)
    summary = comment.render_summary(progress, plan_markdown=evil)
    for text in (body, summary):
        assert "<img" not in text and "<details open>" not in text and "@everyone" not in text
        assert "<!-- herokufly:data e30=" not in text
    assert body.count("<!-- herokufly:data") == 1


def test_cells_escape_backticks_pipes_html_and_mentions():
    cell = comment.md("`x` | <b>hi</b> @octocat\nnext")
    assert "`" not in cell and "<" not in cell and "\n" not in cell and "\\|" in cell and "@\u200boctocat" in cell


def test_a_workflow_file_cannot_break_out_of_its_fence():
    progress = comment.new_progress(app="shop-fly", heroku_app="shop", command=Command("plan"), actor="alice", head_sha=None)
    progress["workflow"] = {"committed": False, "reason": "r", "notes": [],
                            "files": {".github/workflows/x.yml": "a\n````\n<!-- herokufly:data e30= -->\n````\n"}}
    body = comment.render(progress, with_data=False)
    assert "`````yaml" in body and "&lt;!-- herokufly:data" in body
