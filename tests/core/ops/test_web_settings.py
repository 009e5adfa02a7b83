"""The dashboard's settings: off unless MLQ_WEB_PORT is set; the address links point at; the key
that signs them (MLQ_WEB_SECRET, else derived from the platform tokens, else one per process)."""

from __future__ import annotations

import logging

import pytest

from bot.app import signin_links
from bot.ops.settings import SettingsError, load_settings
from bot.schedule.clock import FakeClock
from bot.seam import Destination


def accepted_by_another_process(clock: FakeClock) -> str:
    """Issue U1 a link with one process's settings and verify it with another's; return whose it is."""
    first, second = signin_links(load_settings(), clock), signin_links(load_settings(), clock)
    assert first is not None and second is not None
    link = first.issue(Destination("slack", "C1", "T1"), "U1", False)
    return second.verify(link.rsplit("/", 1)[1]).user_id


def test_the_dashboard_is_off_unless_a_port_is_set(clock: FakeClock) -> None:
    """No MLQ_WEB_PORT: no dashboard, and no sign-in links."""
    settings = load_settings()
    assert not settings.web_enabled
    assert signin_links(settings, clock) is None


def test_links_point_at_the_base_url_without_its_trailing_slash(monkeypatch: pytest.MonkeyPatch) -> None:
    """MLQ_WEB_BASE_URL=https://mlq.example/ gives links under https://mlq.example/signin/."""
    monkeypatch.setenv("MLQ_WEB_PORT", "8000")
    monkeypatch.setenv("MLQ_WEB_BASE_URL", "https://mlq.example/")
    assert load_settings().web_url == "https://mlq.example"


def test_without_a_base_url_links_point_at_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unset: http://127.0.0.1:<port>."""
    monkeypatch.setenv("MLQ_WEB_PORT", "8000")
    assert load_settings().web_url == "http://127.0.0.1:8000"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("MLQ_WEB_BASE_URL", "mlq.example", "MLQ_WEB_BASE_URL: 'mlq.example' is not an http(s) URL"),
        ("MLQ_WEB_SECRET", "tiny-secret", "MLQ_WEB_SECRET: too short"),
        ("MLQ_WEB_PORT", "70000", "MLQ_WEB_PORT"),
    ],
)
def test_a_bad_dashboard_setting_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    """A wrong value stops start-up with the variable named (never a secret's value)."""
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert message in str(raised.value)
    assert "tiny-secret" not in str(raised.value)


def test_links_are_signed_with_the_configured_secret(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    """Two processes with the same MLQ_WEB_SECRET accept each other's links."""
    monkeypatch.setenv("MLQ_WEB_PORT", "8000")
    monkeypatch.setenv("MLQ_WEB_SECRET", "a-web-secret-for-the-tests-0123456789")
    assert accepted_by_another_process(clock) == "U1"


def test_without_a_secret_the_key_comes_from_the_platform_tokens(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    """Replicas with the same Slack token agree on the key without MLQ_WEB_SECRET."""
    monkeypatch.setenv("MLQ_WEB_PORT", "8000")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-token-not-real")
    assert accepted_by_another_process(clock) == "U1"


def test_with_nothing_to_derive_from_the_key_is_this_processs_and_says_so(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """The console alone: links work in this process only, and a warning says so."""
    monkeypatch.setenv("MLQ_WEB_PORT", "8000")
    with caplog.at_level(logging.WARNING):
        links = signin_links(load_settings(), clock)
    assert links is not None
    assert "sign-in links work in this process only" in caplog.text
