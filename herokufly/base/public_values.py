"""Which config values may be shown in clear: the one place for the rules.

A config value is secret unless a rule below says it is public; `masking.register_config`
asks `is_public` and registers every value that is not. The rules, in order:

1. `--mask-all-config` (or the action input `mask_all_config`) makes every value secret.
2. A value is secret, however plain it looks, when its NAME says so (`secret_name`) or when the
   value itself carries a password or a private key (`secret_looking`).
3. Otherwise a value is public when it is one herokufly itself knows to be public (the app's
   domains from Heroku's domain list, the app names, the region), or when it is too plain to
   be a secret (`too_plain`).
4. Everything else stays secret.

The rules only ever decide what to *show*; no value, public or not, is printed on purpose.
docs/security.md ("Masking rules") explains each rule for users.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

# Words that make a name secret. A name is split into words at anything that is not a letter
# (SECRET_KEY_BASE -> SECRET, KEY, BASE); a word matches when it equals one of these, is its
# plural, or ends with it (APIKEY, DBPASSWORD, AUTHTOKEN, CLIENTSECRET). Erring this way only
# masks more (MONKEY, BYPASS), never less.
SECRET_NAME_WORDS = (
    "KEY", "SECRET", "TOKEN", "PASSWORD", "PASSWD", "PASSPHRASE", "PASS", "PWD", "PIN", "PRIVATE",
    "CREDENTIAL", "CREDS", "DSN", "SALT",
)

# Values shorter than this, under a name that says nothing, are shown. Five characters are at
# most ~30 bits even when random, which no key, token or password generator hands out; masking
# them would blank common words and numbers ("web", "10", "json") in every log line, flyctl's
# and the pg tools' included, since the runner masks substrings.
MIN_SECRET_LENGTH = 6

# Hostnames on these domains are public by construction: Heroku and Fly publish them in DNS.
PUBLIC_HOST_SUFFIXES = (".herokuapp.com", ".fly.dev")

# Too plain to be a secret: each is a closed vocabulary or a fixed shape.
BOOLEANS = frozenset({"true", "false", "yes", "no", "on", "off", "enabled", "disabled", "enable", "disable"})
ENVIRONMENT_NAMES = frozenset({
    "prod", "production", "staging", "stage", "dev", "development", "test", "testing", "qa", "uat",
    "preview", "review", "sandbox", "demo", "local", "ci",
})
LOG_LEVELS = frozenset({"trace", "debug", "info", "notice", "warn", "warning", "error", "critical", "fatal"})
# Ports, pool sizes, timeouts, counts: an integer up to 65535 (a port's range).
SMALL_INTEGER_MAX = 65535
_INTEGER = re.compile(r"[+-]?\d{1,5}")
# A version or a decimal: 1.15.7, v18.17.1, 0.5.
_VERSION = re.compile(r"v?\d{1,4}(?:\.\d{1,4}){1,3}")
# A locale: C, POSIX, en_US, en_US.UTF-8, de_DE.ISO-8859-1, sr_RS@latin; the codeset from a
# closed list so that no random string passes as one.
_LOCALE = re.compile(
    r"(?:C|POSIX|[a-z]{2,3}(?:_[A-Z]{2})?)"
    r"(?:\.(?:[Uu][Tt][Ff]-?8|ISO-?8859-\d{1,2}|EUC-[A-Z]{2}|GB18030|GBK|Big5|KOI8-[RU]|CP\d{3,4}))?"
    r"(?:@[a-z]{1,10})?")
# A cloud region code from a closed vocabulary: us-east-1, eu-central-2, ap-southeast-1.
_REGION = re.compile(
    r"(?:us|eu|ap|sa|ca|me|af|il|mx)(?:-gov)?-(?:east|west|north|south|central|northeast|southeast|"
    r"northwest|southwest)-\d")
_HOSTNAME = re.compile(r"(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}")
# A URL's password (scheme://user:password@): the same shape masking.redact hides in any text.
_URL_WITH_PASSWORD = re.compile(r"(?<![a-zA-Z0-9+.-])[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:[^@\s]+@")
_PEM = re.compile(r"-----BEGIN [A-Z0-9 ]+-----")


def is_public(name: str, value: str, known_public: Iterable[str] = (), *, mask_all: bool = False) -> bool:
    """True when the config var `name`'s `value` may be shown in clear (see the module doc)."""
    if mask_all or secret_name(name) or secret_looking(value):
        return False
    plain = value.strip()
    if not plain:
        return True  # nothing to hide
    known = {item.strip().lower() for item in known_public if item and item.strip()}
    return plain.lower() in known or public_host(plain, known) or public_url(plain, known) or too_plain(plain)


def secret_name(name: str) -> bool:
    """The name says the value is secret: ADMIN_PIN, SECRET_KEY_BASE, SENTRY_DSN, DB_PASSWORD."""
    for word in re.split(r"[^A-Z]+", name.upper()):
        if word and any(word in (w, w + "S") or word.endswith(w) for w in SECRET_NAME_WORDS):
            return True
    return False


def secret_looking(value: str) -> bool:
    """The value carries a secret whatever its name: a URL with a password, PEM key material."""
    return bool(_URL_WITH_PASSWORD.search(value) or _PEM.search(value))


def public_host(value: str, known: set[str]) -> bool:
    """A hostname from Heroku's domain list (in `known`) or on herokuapp.com / fly.dev."""
    host = value.lower().rstrip(".")
    if not _HOSTNAME.fullmatch(host):
        return False
    return host in known or host.endswith(PUBLIC_HOST_SUFFIXES)


def public_url(value: str, known: set[str]) -> bool:
    """The bare address of a public host (https://www.acme.test/): no user, path, query or fragment,
    since those can carry a token (a webhook's path, a signed query)."""
    try:
        parts = urlsplit(value)
        if parts.port == 0:  # reading .port raises ValueError on a malformed port
            return False
    except ValueError:
        return False
    return (parts.scheme in ("http", "https", "ws", "wss") and parts.hostname is not None
            and "@" not in parts.netloc and parts.path in ("", "/") and not parts.query
            and not parts.fragment and public_host(parts.hostname, known))


def too_plain(value: str) -> bool:
    """A value no one would use as a secret: short, a boolean, a small integer, an environment
    name, a log level, a locale, a version or a region code."""
    lowered = value.lower()
    if len(value) < MIN_SECRET_LENGTH:
        return True
    if lowered in BOOLEANS or lowered in ENVIRONMENT_NAMES or lowered in LOG_LEVELS:
        return True
    if _INTEGER.fullmatch(value) and abs(int(value)) <= SMALL_INTEGER_MAX:
        return True
    return bool(_VERSION.fullmatch(lowered) or _LOCALE.fullmatch(value) or _REGION.fullmatch(lowered))
