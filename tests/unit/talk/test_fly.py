"""FlyClient against the fake flyctl: token handling, errors, version, secrets on stdin."""

from __future__ import annotations

import pytest

from herokufly.base import masking
from herokufly.base.errors import FlyError
from herokufly.talk.fly import FlyClient, encode_import_line, parse_import
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


# Inputs and results as flyctl v0.4.87's own parser tests state them
# (internal/command/secrets/parser_test.go), plus the order cases the issue names.
@pytest.mark.parametrize("text, expected", [
    ("\n# A comment\n\nFOO=BAR\n# Another\nQUX=NAH\n", {"FOO": "BAR", "QUX": "NAH"}),
    ("FOO=BAR\r\nQUX=NAH\r\n", {"FOO": "BAR", "QUX": "NAH"}),
    ('FOO=BAR\nM="""SOMETHING\nANOTHER LINE\n\nENDSHERE"""\nT=what\n', {
        "FOO": "BAR", "M": "SOMETHING\nANOTHER LINE\n\nENDSHERE", "T": "what"}),
    ("FOO = BAR", {"FOO": "BAR"}),
    ('FOO="BAR BAZ" # comment', {"FOO": "BAR BAZ"}),
    ('EMPTY=""""""\nSINGLE="""x"""', {"EMPTY": "", "SINGLE": "x"}),
    # `#` is cut before the triple quote is seen: an even count of `"` before it -> comment
    ('K="""a"b # c\nrest"""', {"K": 'a"b\nrest'}),
    # inside a multi-line value a `#` line is data, not a comment
    ('K="""one\n# two\nthree"""', {"K": "one\n# two\nthree"}),
    # a multi-line value never closed is dropped, as flyctl drops it
    ('A=1\nK="""open\nnever closed', {"A": "1"}),
    # a single-quoted value with ` #` loses its tail (zero `"` before the `#` is even)
    ("K='a #b'", {"K": "'a"}),
])
def test_parser_follows_flyctl(text, expected):
    assert parse_import(text) == expected


def test_a_line_flyctls_scanner_cannot_hold_is_sent_one_by_one():
    long_value = "x" * (64 * 1024)
    assert encode_import_line("BIG", long_value) is None
    assert parse_import(f"A=1\nBIG={long_value}\nC=3\n") == {"A": "1"}  # the scan stops there


@pytest.mark.parametrize("token, kind", [
    ("FlyV1 fm2_abc,fm2_def", "macaroon"), ("fm1r_xyz", "macaroon"), ("Bearer fm1a_q", "macaroon"),
    ("fo1_user", "user"), ("FlyV1 fo1_user", "user"), ("", "user"), (None, "user"),
])
def test_token_kind_follows_fly_go(token, kind):
    from herokufly.talk.fly import token_kind

    assert token_kind(token) == kind


def test_user_token_is_refused_by_mpg_with_the_token_to_create(fake):
    from tests.fakes.flyctl.harness import USER_TOKEN

    client = fake.client(token=USER_TOKEN)
    client.create_app("user-app", "personal")  # a user token has the user's full access...
    with pytest.raises(FlyError) as info:  # ...but `fly mpg` wants a macaroon (mpg.go)
        client.check_org_token("personal")
    line = info.value.one_line()
    assert "macaroon" in line and "fly tokens create org" in line and "fly auth token" in line


def test_deploy_token_reaches_its_app_only(fake):
    from tests.fakes.flyctl.harness import deploy_token

    fake.client().create_app("mine", "personal")
    fake.client().create_app("other", "personal")
    scoped = fake.client(token=deploy_token("mine"))
    assert scoped.status("mine")["Name"] == "mine"
    with pytest.raises(FlyError, match="Could not find App"):
        scoped.status("other")
    for call in (lambda: scoped.create_app("new-app", "personal"), lambda: scoped.apps(),
                 lambda: scoped.check_org_token("personal")):
        with pytest.raises(FlyError) as info:
            call()
        assert "not an organization token" in info.value.one_line()
        assert "fly tokens create org" in info.value.one_line()


def test_org_token_is_bound_to_its_org(fake, monkeypatch):
    from tests.fakes.flyctl.harness import org_token

    monkeypatch.setenv("FAKE_FLYCTL_ORGS", "personal,acme")
    with pytest.raises(FlyError, match='Could not find organization "acme"'):
        fake.client(token=org_token("personal")).create_app("x-app", "acme")
    assert fake.client(token=org_token("acme")).create_app("x-app", "acme")["Name"] == "x-app"


@pytest.mark.parametrize("argv", [
    ["redis", "create", "--name", "r", "--org", "personal", "--region", "iad", "--no-replicas",
     "--disable-eviction", "--plan", "Fixed 250MB", "--enable-auto-upgrade=false"],  # ProdPack asked
    ["redis", "create", "--name", "r", "--org", "personal", "--region", "iad", "--no-replicas",
     "--disable-eviction", "--plan", "Fixed 250MB", "--enable-prodpack=false"],  # auto-upgrade asked
    ["redis", "create", "--name", "r", "--org", "personal", "--region", "iad", "--no-replicas",
     "--enable-prodpack=false"],  # eviction asked
    ["postgres", "create", "--name", "p", "--org", "personal", "--region", "iad"],  # Select configuration
    ["postgres", "create", "--name", "p", "--org", "personal", "--region", "iad", "--volume-size", "10",
     "--initial-cluster-size", "1"],  # VM size asked
    ["mpg", "create", "--name", "m", "--org", "personal", "--plan", "basic"],  # region asked
])
def test_the_fake_fails_every_prompt_without_a_terminal(fake, argv):
    with pytest.raises(FlyError) as info:
        fake.client().run(argv)
    assert "prompt" in info.value.one_line() or "when not running interactively" in info.value.one_line()


def test_herokuflys_redis_and_postgres_calls_prompt_for_nothing(fake, monkeypatch):
    client = fake.client()
    client.create_app("rd-app", "personal")
    url = client.redis_create("rd-app-redis", "personal", "iad", "Fixed 1GB")
    assert url and url.startswith("redis://")
    assert client.redis_status("rd-app-redis") == url
    stored = next(iter(fake.state()["redis"].values()))
    assert stored["plan"] == "Fixed 1GB" and stored["prodpack"] is False and stored["auto_upgrade"] is False



def test_error_text_never_repeats_a_password_flyctl_printed():
    from herokufly.talk.fly import trimmed

    text = "Connection string: postgres://u:s3cr3t-unregistered@h.flympg.net:5432/db\nError: boom"
    assert "s3cr3t-unregistered" not in trimmed(text)
    assert "postgres://u:***@h.flympg.net" in trimmed(text)


def test_org_the_token_does_not_cover_says_check_org(fake, monkeypatch):
    from tests.fakes.flyctl.harness import org_token

    monkeypatch.setenv("FAKE_FLYCTL_ORGS", "personal,acme")
    with pytest.raises(FlyError) as info:
        fake.client(token=org_token("acme")).mpg_clusters("personal")
    assert "--org" in info.value.one_line()
