"""Configuration: safe defaults, loopback binds, and no production start with the development or a short secret."""
import pytest

from bot.settings import (
    DEVELOPMENT_TOKEN_SECRET,
    ConfigurationError,
    connect_host,
    load_settings,
    require_safe_secret,
    secret_problem,
)


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


def test_short_secret_refused_outside_demo_mode():
    for secret in ("x", "y" * 31):
        with pytest.raises(ConfigurationError, match="at least 32 bytes"):
            require_safe_secret(load_settings({"CARECHAT_TOKEN_SECRET": secret}))


def test_32_byte_secret_is_the_shortest_accepted():
    require_safe_secret(load_settings({"CARECHAT_TOKEN_SECRET": "z" * 32}))


def test_short_secret_allowed_in_demo_mode():
    require_safe_secret(load_settings({"CARECHAT_TOKEN_SECRET": "x", "CARECHAT_DEMO_MODE": "true"}))


def test_production_path_refuses_the_development_secret_even_in_demo_mode():
    settings = load_settings({"CARECHAT_DEMO_MODE": "true"})
    assert secret_problem(settings) is None
    assert "at least 32 bytes" in secret_problem(settings, production=True)


def test_rasa_and_action_server_default_to_loopback():
    settings = load_settings({})
    assert settings.bind_host == "127.0.0.1"
    assert settings.action_url == "http://127.0.0.1:5055"


def test_bind_host_moves_the_default_urls_with_it():
    settings = load_settings({"CARECHAT_BIND_HOST": "::1", "RASA_PORT": "19005"})
    assert settings.rasa_url == "http://[::1]:19005"
    assert settings.action_url == "http://[::1]:5055"
    assert connect_host("0.0.0.0") == "127.0.0.1"
    assert connect_host("10.0.0.7") == "10.0.0.7"
