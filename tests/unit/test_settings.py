"""Configuration: safe defaults, and no production start with the development secret."""
import pytest

from bot.settings import DEVELOPMENT_TOKEN_SECRET, ConfigurationError, load_settings, require_safe_secret


def test_defaults_are_local_and_demo_is_off():
    settings = load_settings({})
    assert settings.rasa_url == "http://127.0.0.1:5005"
    assert settings.council == "north_yorkshire"
    assert settings.demo_mode is False
    assert settings.token_secret == DEVELOPMENT_TOKEN_SECRET


def test_development_secret_refused_outside_demo_mode():
    with pytest.raises(ConfigurationError, match="CARECHAT_TOKEN_SECRET"):
        require_safe_secret(load_settings({}))


def test_development_secret_allowed_in_demo_mode():
    require_safe_secret(load_settings({"CARECHAT_DEMO_MODE": "true"}))


def test_real_secret_allowed_in_production():
    require_safe_secret(load_settings({"CARECHAT_TOKEN_SECRET": "a-long-random-value-" * 3}))
