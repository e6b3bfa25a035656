import click
import pytest

from herokufly import cli
from herokufly.base import errors


def _run_with(monkeypatch, exc, argv=()):
    def boom(*args, **kwargs):
        raise exc

    monkeypatch.setattr(cli.cli, "main", boom)
    return cli.main(list(argv))


@pytest.mark.parametrize(
    "exc, code",
    [
        (errors.ConfigError("Procfile:3: malformed line"), 1),
        (errors.HerokuError("HEROKU_API_KEY is not valid for app 'x'"), 1),
        (errors.VerificationFailed("2 tables differ"), 3),
        (errors.InternalError("bug"), 2),
        (KeyboardInterrupt(), 130),
        (RuntimeError("unexpected"), 2),
        (click.UsageError("no such option"), 1),
    ],
)
def test_exceptions_map_to_exit_codes(monkeypatch, exc, code):
    assert _run_with(monkeypatch, exc) == code


def test_user_error_is_one_line_without_traceback(monkeypatch, capsys):
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    _run_with(monkeypatch, errors.ConfigError("app.json:2:5: invalid JSON", hint="Fix the file"))
    captured = capsys.readouterr()
    assert captured.err.strip() == "error: app.json:2:5: invalid JSON. Fix the file"
    assert "Traceback" not in captured.err + captured.out


def test_debug_shows_traceback(monkeypatch, capsys):
    _run_with(monkeypatch, errors.ConfigError("bad"), argv=["--debug"])
    assert "Traceback" in capsys.readouterr().err


def test_error_annotation_in_actions(monkeypatch, capsys):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    _run_with(monkeypatch, errors.FlyError("flyctl exited 1"))
    assert "::error title=FlyError::flyctl exited 1" in capsys.readouterr().out


def test_error_message_is_redacted(monkeypatch, capsys, canary):
    from herokufly.base import masking

    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    masking.register(canary)
    _run_with(monkeypatch, errors.DatabaseError(f"auth failed for {canary}"))
    assert canary not in capsys.readouterr().err


def test_version():
    assert cli.main(["--version"]) == 0


def test_json_stdout_stays_one_document_in_actions(monkeypatch, capsys, canary):
    import json

    from herokufly.base import console, masking

    monkeypatch.setenv("GITHUB_ACTIONS", "true")

    def register_then_print(*args, **kwargs):
        masking.register(canary)  # e.g. a database password read mid-command
        console.out(json.dumps({"ok": True}))
        return 0

    monkeypatch.setattr(cli.cli, "main", register_then_print)
    assert cli.main(["db", "verify", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {"ok": True}
    assert f"::add-mask::{canary}" in captured.err
