"""FlyClient against the fake flyctl: token handling, errors, version, secrets on stdin."""

from __future__ import annotations

import pytest

from herokufly import masking
from herokufly.errors import FlyError
from herokufly.fly import FlyClient, encode_import_line, parse_import
from tests.fakes.flyctl.harness import TOKEN, FakeFly

AWKWARD = {
    "QUOTES": 'he said "hi" and \'bye\'',
    "WRAPPED_DOUBLE": '"already quoted"',
    "WRAPPED_SINGLE": "'single'",
    "EQUALS": "a=b==c=",
    "SPACES": "  leading and trailing  ",
    "DOLLAR": "$HOME ${PATH} $(whoami)",
    "BACKTICKS": "`rm -rf /` and `id`",
    "HASH": "abc#def # not a comment",
    "UNICODE": "päßwörd ✓ 日本語 🚀",
    "PEM": "-----BEGIN PRIVATE KEY-----\nMIGTAgEAMBMGByqGSM49AgEGCCqGSM49\nAwEHBHkwdwIBAQQg\n-----END PRIVATE KEY-----\n",
    "TRIPLE": '"""starts with triple quotes',
    "ENDS_TRIPLE": 'line one\nends with """',
    "CRLF": "windows\r\nline endings\r\n",
    "BACKSLASH": "C:\\path\\to\\n",
    "EMPTY_LINES": "\n\nmiddle\n\n",
}


@pytest.fixture
def fake(tmp_path, monkeypatch) -> FakeFly:
    fly = FakeFly(tmp_path)
    fly.install(monkeypatch)
    return fly


def test_version_is_checked(fake, monkeypatch):
    assert fake.client().check_version() == "0.4.87"
    monkeypatch.setenv("FAKE_FLYCTL_VERSION", "0.2.9")
    with pytest.raises(FlyError, match="too old") as info:
        fake.client().check_version()
    assert "fly version upgrade" in info.value.one_line()


def test_missing_flyctl_says_how_to_install(tmp_path):
    client = FlyClient(flyctl=str(tmp_path / "nope"), token=TOKEN)
    with pytest.raises(FlyError, match="flyctl was not found") as info:
        client.apps()
    assert "FLYCTL" in info.value.one_line()


def test_token_goes_through_env_never_argv(fake):
    client = fake.client()
    client.create_app("tok-app", "personal")
    for argv in fake.calls():
        assert not any(TOKEN in a for a in argv)
    assert "-t" not in fake.calls()[0] and "--access-token" not in fake.calls()[0]


def test_wrong_or_missing_token_is_one_clear_line(fake):
    bad = "fo1_wrong-token-bad"
    with pytest.raises(FlyError) as info:
        fake.client(token=bad).apps()
    line = info.value.one_line()
    assert "Fly refused the token" in line and "FLY_API_TOKEN" in line
    assert bad not in masking.redact(line) and "\n" not in line
    with pytest.raises(FlyError, match="No Fly token"):
        fake.client(token=None).apps()


def test_nonzero_exit_becomes_flyerror_with_trimmed_stderr(fake):
    client = fake.client()
    client.create_app("dup-app", "personal")
    with pytest.raises(FlyError) as info:
        client.create_app("dup-app", "personal")
    assert "already taken" in info.value.one_line()
    with pytest.raises(FlyError, match="Could not find App"):
        client.secrets("no-such-app")


def test_name_taken_by_another_org(fake, monkeypatch):
    monkeypatch.setenv("FAKE_FLYCTL_TAKEN_NAMES", "someone-elses")
    with pytest.raises(FlyError, match="taken by another organization"):
        fake.client().create_app("someone-elses", "personal")


def test_empty_mpg_list_text_is_an_empty_list(fake):
    assert fake.client().mpg_clusters("personal") == []


@pytest.mark.parametrize("name", sorted(AWKWARD))
def test_encoder_is_exact_or_refuses(name):
    value = AWKWARD[name]
    line = encode_import_line(name, value)
    if line is not None:
        assert parse_import(line) == {name: value}


def test_awkward_secrets_round_trip_byte_for_byte(fake):
    client = fake.client()
    client.create_app("sec-app", "personal")
    client.import_secrets("sec-app", AWKWARD, stage=True)
    stored = fake.vault()["sec-app"]
    for name, value in AWKWARD.items():
        assert stored[name] == value, name
        assert stored[name].encode() == value.encode()
    listed = client.secrets("sec-app")
    assert set(AWKWARD) <= set(listed)
    assert {row["status"] for row in listed.values()} == {"Staged"}
    # values only ever travelled on stdin
    for argv in fake.calls():
        joined = "\0".join(argv)
        for value in AWKWARD.values():
            assert value.strip() == "" or value not in joined
    assert fake.calls("secrets import"), "the bulk path is used"
    assert any(a.endswith("=-") for argv in fake.calls("secrets set") for a in argv)


def test_unknown_flag_is_refused_like_flyctl(fake):
    with pytest.raises(FlyError) as info:
        fake.client().run(["apps", "list", "--no-such-flag"])
    assert "unknown flag: --no-such-flag" in info.value.one_line()
