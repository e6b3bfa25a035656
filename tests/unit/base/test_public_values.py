"""The masking rules: which config values are shown, and that a secret never is."""

from __future__ import annotations

import pytest

from herokufly.base.public_values import is_public

KNOWN = ("www.acme.test", "acme.test", "acme-phoenix", "iad")


@pytest.mark.parametrize("name, value", [
    ("MIX_ENV", "prod"), ("RAILS_ENV", "production"), ("APP_ENV", "Staging"), ("NODE_ENV", "development"),
    ("POOL_SIZE", "10"), ("PORT_RANGE", "65535"), ("WEB_CONCURRENCY", "2"),
    ("FEATURE_X", "true"), ("RAILS_SERVE_STATIC_FILES", "enabled"), ("FORCE_SSL", "FALSE"),
    ("LANG", "en_US.UTF-8"), ("LC_ALL", "C.UTF-8"), ("LANGUAGE", "de_DE.ISO-8859-1"),
    ("LOG_LEVEL", "warning"), ("ELIXIR_VERSION", "1.15.7"), ("NODE_VERSION", "v18.17.1"),
    ("AWS_REGION", "us-east-1"), ("S3_REGION", "eu-central-1"),
    ("PHX_HOST", "www.acme.test"), ("PHX_HOST", "  www.acme.test  "), ("CANONICAL", "ACME.TEST"),
    ("APP_NAME", "acme-phoenix"), ("FLY_REGION", "iad"),
    ("LEGACY_HOST", "acme-phoenix-8c1e2f3a4b5d.herokuapp.com"), ("NEW_HOST", "acme-fly.fly.dev"),
    ("APP_URL", "https://www.acme.test"), ("ORIGIN", "https://acme-fly.fly.dev:443/"),
    ("QUEUE", "web"), ("EMPTY", ""),
])
def test_public_values_are_shown(name, value):
    assert is_public(name, value, KNOWN)


@pytest.mark.parametrize("name, value", [
    # a name that says secret, however plain the value
    ("ADMIN_PIN", "4821"), ("ADMIN_PIN", "12"), ("SECRET_KEY_BASE", "true"), ("DB_PASSWORD", "production"),
    ("APIKEY", "10"), ("SENTRY_DSN", "www.acme.test"), ("STRIPE_SECRET", "en_US.UTF-8"), ("AUTHTOKEN", "prod"),
    ("SMTP_PASS", "summer"), ("ENCRYPTION_SALT", "v1.2.3"), ("GOOGLE_CREDENTIALS", "x"), ("PRIVATE_HOST", "acme.test"),
    ("SIGNING_KEYS", "staging"), ("DEPLOY_PWD", "acme-fly.fly.dev"),
    # a neutral name with a value that is a secret whatever its name
    ("BACKUP_URL", "postgres://user:pw@db.acme.test:5432/app"), ("UPSTREAM", "https://u:p@www.acme.test/"),
    ("CERT", "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI\n-----END EC PRIVATE KEY-----"),
    # long, random, or not a known public thing
    ("MAILER_ID", "kq7Zp2VtX9mL4wR8sJ3nB6cH1dF5gY0a"), ("SUMMER", "summer24"), ("INTERNAL_HOST", "db.internal.acme"),
    ("HOOK", "https://hooks.acme.test/T000/B000/XXXX"), ("APP_URL", "https://www.acme.test/?sig=abc123"),
    ("OTHER_APP", "evil-app.herokuapp.com.attacker.test"), ("BIG_NUMBER", "4821937"),
    ("LOCALE_LIKE", "abc.Zx9Qk2Lm7Wp"), ("VERSIONISH", "1.2.3-rc1+build.secret"),
    ("REGION_LIKE", "us-east-1x"), ("QUEUE", "default"),
])
def test_secret_values_stay_masked(name, value):
    assert not is_public(name, value, KNOWN)


def test_name_words_do_not_catch_innocent_names():
    for name in ("PASSENGER_MAX_POOL_SIZE", "PINGDOM_CHECK", "KEYSPACE_NOTIFY", "SPINACH_COUNT"):
        assert is_public(name, "staging", KNOWN), name


def test_mask_all_config_shows_nothing():
    assert not is_public("PHX_HOST", "www.acme.test", KNOWN, mask_all=True)
    assert not is_public("FEATURE_X", "true", KNOWN, mask_all=True)


def test_a_domain_is_public_only_when_known():
    assert not is_public("PHX_HOST", "www.other.test", KNOWN)
    assert is_public("PHX_HOST", "www.other.test", KNOWN + ("www.other.test",))
