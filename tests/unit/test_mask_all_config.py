"""--mask-all-config, HEROKUFLY_MASK_ALL_CONFIG and the action input mask_all_config all switch
masking to "every config value", before any value is read."""

from __future__ import annotations

import os

from herokufly import action, cli
from herokufly.base import masking
from herokufly.base.settings import MASK_ALL_CONFIG_ENV, Settings


def test_settings_read_the_variable_and_switch_masking_on():
    assert Settings.from_env({}).mask_all_config is False and not masking.masking_all_config()
    assert Settings.from_env({MASK_ALL_CONFIG_ENV: "true"}).mask_all_config is True
    assert masking.masking_all_config()
    # A later Settings without it never switches it off again.
    Settings.from_env({})
    assert masking.masking_all_config()


def test_cli_option_switches_masking_on_before_anything_runs(monkeypatch):
    monkeypatch.delenv(MASK_ALL_CONFIG_ENV, raising=False)
    # No --yes and no terminal: migrate stops with a user error, after the eager option ran.
    assert cli.main(["migrate", "--heroku-app", "acme", "--mask-all-config"]) == 1
    assert masking.masking_all_config()
    masking.register_config("PHX_HOST", "www.acme.test")
    assert masking.redact("www.acme.test") == "***"


def test_cli_without_the_option_keeps_public_values_readable(monkeypatch):
    monkeypatch.delenv(MASK_ALL_CONFIG_ENV, raising=False)
    assert cli.main(["migrate", "--heroku-app", "acme"]) == 1
    assert not masking.masking_all_config()


def test_action_input_switches_it_on_for_the_engine(monkeypatch):
    monkeypatch.setenv(MASK_ALL_CONFIG_ENV, "0")  # restored after the test
    env = {"INPUT_COMMAND": "no-such-command", "INPUT_MASK_ALL_CONFIG": "true"}
    assert action.run(env) == 1
    assert masking.masking_all_config()
    assert os.environ[MASK_ALL_CONFIG_ENV] == "1" and Settings.from_env().mask_all_config


def test_action_input_off_by_default(monkeypatch):
    monkeypatch.setenv(MASK_ALL_CONFIG_ENV, "0")
    assert action.run({"INPUT_COMMAND": "no-such-command"}) == 1
    assert not masking.masking_all_config()
