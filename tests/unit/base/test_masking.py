import json

import pytest

from herokufly.base import masking


def test_registered_value_is_redacted(canary):
    masking.register(canary)
    assert canary not in masking.redact(f"value={canary}!")
    assert "***" in masking.redact(f"value={canary}")


def test_url_password_is_redacted_even_unregistered():
    text = "could not connect to postgres://u:s3cr3tpw@db.example:5432/x"
    shown = masking.redact(text)
    assert "s3cr3tpw" not in shown
    assert "postgres://u:***@db.example:5432/x" in shown


def test_registering_a_url_masks_its_password_alone(canary):
    masking.register(f"postgres://user:{canary}@host/db")
    assert canary not in masking.redact(f"password is {canary}")


def test_multiline_value_masks_each_line(canary):
    pem = f"-----BEGIN KEY-----\n{canary}line1\n{canary}line2\n-----END KEY-----"
    masking.register(pem)
    shown = masking.redact(f"x {canary}line2 y")
    assert canary not in shown


def test_add_mask_is_emitted_in_actions(monkeypatch, capsys, canary):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    masking.register(canary)
    assert f"::add-mask::{canary}" in capsys.readouterr().out


def _runner_unescape(data: str) -> str:
    """The runner's UnescapeData, replacement by replacement in its order
    (actions/runner src/Runner.Common/ActionCommand.cs, _escapeDataMappings)."""
    for token, replacement in (("\r", "%0D"), ("\n", "%0A"), ("%", "%25")):
        data = data.replace(replacement, token)
    return data


def _add_masks(text: str) -> list[str]:
    """What the runner registers from our output: each `::add-mask::` line's data, unescaped."""
    return [_runner_unescape(line.split("::", 2)[2]) for line in text.splitlines()
            if line.startswith("::add-mask::")]


@pytest.mark.parametrize("value", ["pa%25ss-word-1", "100%-sure-%0A-%0D-%", "%%0A%250D", "tab\there %"])
def test_add_mask_data_reaches_the_runner_as_the_value_itself(monkeypatch, capsys, value):
    # Unescaped, "%25" would reach the runner as "%" and the literal value would show.
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    masking.register(value)
    assert _add_masks(capsys.readouterr().out) == [value]


def test_escape_data_follows_the_toolkit():
    assert masking.escape_data("a%b\rc\nd") == "a%25b%0Dc%0Ad"
    assert masking.escape_data("%0A") == "%250A"


def test_multiline_value_is_announced_line_by_line_escaped(monkeypatch, capsys, canary):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    value = f'{{\r\n  "k": "{canary}%25",\r\n  "n": "line two {canary}"\r\n}}\n'
    masking.register(value)
    out = capsys.readouterr().out
    masks = _add_masks(out)
    # Each line trimmed, as the runner trims them; "{" and "}" are structure and stay readable.
    assert masks == [f'"k": "{canary}%25",', f'"n": "line two {canary}"']
    assert masks == masking.registered() and "\r" not in out
    assert masking.redact("{ } ok") == "{ } ok"
    assert canary not in masking.redact(value) and canary not in masking.redact(json.dumps(value))


def test_value_in_a_json_string_is_redacted(canary):
    value = f'say "{canary}" ü'
    masking.register(value)
    assert canary not in masking.redact(json.dumps({"v": value}))


def test_a_short_secret_is_still_masked():
    # No length floor for a registered secret: the runner masks it too, as a substring.
    masking.register("4821")
    assert masking.redact("pin 4821; 14821 rows") == "pin ***; 1*** rows"


def test_public_config_values_are_not_registered(monkeypatch, capsys):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    masking.know_public("www.acme.test")
    public = {"MIX_ENV": "prod", "PHX_HOST": "www.acme.test", "POOL_SIZE": "10", "LANG": "en_US.UTF-8",
              "FEATURE_X": "true", "APP_HOST": "acme-fly.fly.dev"}
    for name, value in public.items():
        assert masking.register_config(name, value) is False, name
    assert capsys.readouterr().out == "" and masking.registered() == []
    line = "CNAME www.acme.test -> acme-fly.fly.dev (production, en_US.UTF-8, true, 10)"
    assert masking.redact(line) == line


def test_secret_config_values_are_registered_and_announced(monkeypatch, capsys, canary):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    secret = {"ADMIN_PIN": "4821", "NEUTRAL_NAME": "k9Qz" + canary, "BACKUP_TARGET": f"s3://u:{canary}@bucket/x",
              "SENTRY_DSN": "prod"}
    for name, value in secret.items():
        assert masking.register_config(name, value) is True, name
    masks = _add_masks(capsys.readouterr().out)
    assert masks == masking.registered()
    assert set(masks) == set(secret.values()) | {canary}  # the URL's password on its own too
    shown = masking.redact(" ".join(secret.values()))
    assert canary not in shown and "4821" not in shown


def test_mask_all_config_masks_public_values_too():
    masking.know_public("www.acme.test")
    masking.mask_all_config()
    assert masking.register_config("PHX_HOST", "www.acme.test") is True
    assert masking.redact("CNAME www.acme.test") == "CNAME ***"
    masking.clear()
    assert masking.masking_all_config() is False


def test_redact_is_linear_on_long_blobs():
    # A quadratic scan took seconds here; one pass over 200 KB must be instant (counted, not timed).
    import re as _re

    calls = []
    blob = "A" * 200_000
    original = masking._URL_PASSWORD
    pattern = _re.compile(original.pattern)

    class Counting:
        def sub(self, repl, text):
            calls.append(len(text))
            return pattern.sub(repl, text)

    masking._URL_PASSWORD = Counting()
    try:
        assert masking.redact(blob) == blob
    finally:
        masking._URL_PASSWORD = original
    assert calls == [200_000]
    assert original.pattern.startswith("(?<![")
