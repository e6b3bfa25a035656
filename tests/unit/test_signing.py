"""The progress record's signature: bound to its repository, PR and comment; a short key is refused."""

from __future__ import annotations

import pytest

from herokufly.base.errors import ConfigError
from herokufly.pr import signing

KEY = "s" * 64
WHERE = dict(repository="acme/shop", number=7, comment_id=1001)


def test_a_signed_record_verifies_only_where_it_was_signed():
    record = signing.sign_record({"version": 1, "stages": {"deploy": {"status": "done"}}}, KEY, **WHERE)
    assert signing.record_is_signed(record, KEY, **WHERE)
    for other in (dict(WHERE, comment_id=1002), dict(WHERE, number=8), dict(WHERE, repository="evil/shop")):
        assert not signing.record_is_signed(record, KEY, **other)
    assert not signing.record_is_signed(record, "t" * 64, **WHERE)
    edited = dict(record, stages={"cutover": {"status": "done"}})
    assert not signing.record_is_signed(edited, KEY, **WHERE)
    assert not signing.record_is_signed({k: v for k, v in record.items() if k != signing.FIELD}, KEY, **WHERE)


def test_the_key_must_be_long_enough():
    assert signing.check_key("") is None and signing.check_key(None) is None
    assert signing.check_key(KEY) == KEY
    with pytest.raises(ConfigError, match="at least 32"):
        signing.check_key("short-key")
