from herokufly import masking


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


def test_short_values_are_not_masked_everywhere():
    masking.register("ab")
    assert masking.redact("abc") == "abc"


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
