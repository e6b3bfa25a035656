"""Stage selection and the runner's bookkeeping (state on success, failure, interrupt)."""

from __future__ import annotations

import pytest

from herokufly.act import migrate
from herokufly.base.errors import ConfigError, FlyError
from herokufly.stages.base import StageResult


def test_select_stages():
    assert migrate.select_stages() == ["provision", "secrets", "database", "deploy", "domains"]
    assert migrate.select_stages(start="deploy") == ["deploy", "domains"]
    assert migrate.select_stages(only=["domains", "secrets"]) == ["secrets", "domains"]
    assert migrate.select_stages(only=["cutover"]) == ["cutover"]
    assert migrate.select_stages(start="cutover") == ["cutover"]
    with pytest.raises(ConfigError):
        migrate.select_stages(only=["deploy"], start="secrets")
    with pytest.raises(ConfigError):
        migrate.select_stages(only=["launch"])


def _fake_stages(monkeypatch, behaviour):
    class Module:
        def __init__(self, name):
            self.name = name

        def run(self, ctx):
            action = behaviour.get(self.name)
            if isinstance(action, BaseException):
                raise action
            return StageResult("done", f"{self.name} ok")

    monkeypatch.setattr(migrate, "stage_module", Module)


def test_runner_records_each_stage_and_stops_at_a_failure(make_ctx, monkeypatch):
    _fake_stages(monkeypatch, {"database": FlyError("boom", hint="do this")})
    ctx = make_ctx()
    with pytest.raises(FlyError):
        migrate.run_stages(ctx, migrate.select_stages())
    summary = ctx.state.summary()
    assert summary["provision"] == summary["secrets"] == "done"
    assert summary["database"] == "failed" and summary["deploy"] == "pending"
    assert ctx.state.stage("database")["error"] == "boom. do this"
    assert ctx.state.stage("provision")["finished_at"] >= ctx.state.stage("provision")["started_at"]


def test_runner_marks_an_interrupted_stage(make_ctx, monkeypatch):
    _fake_stages(monkeypatch, {"deploy": KeyboardInterrupt()})
    ctx = make_ctx()
    with pytest.raises(KeyboardInterrupt):
        migrate.run_stages(ctx, ["deploy", "domains"])
    assert ctx.state.summary()["deploy"] == "interrupted" and ctx.state.summary()["domains"] == "pending"
