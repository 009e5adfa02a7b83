"""Time-zone names from users and settings: any letter case, and a clear error with the closest
valid names for folders, misspellings and odd names — never a traceback."""

from __future__ import annotations

import pytest

from bot.cli import main
from bot.commands import CommandError, Subscribe, parse_command
from bot.messages import Notice, NoticeKind
from bot.ops.settings import SettingsError, load_settings
from bot.schedule.rules import ScheduleError, parse_zone
from bot.seam import Destination
from bot.service import Invocation, PracticeService


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("Europe/London", "Europe/London"),
        ("europe/london", "Europe/London"),
        ("AMERICA/NEW_YORK", "America/New_York"),
        ("America/New York", "America/New_York"),
        ("utc", "UTC"),
        (" Asia/Tokyo ", "Asia/Tokyo"),
    ],
)
def test_zone_names_are_accepted_in_any_letter_case(typed: str, key: str) -> None:
    assert parse_zone(typed).key == key


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("America/Argentina", "region of"),
        ("America/Indiana", "America/Indiana/Indianapolis"),
        ("Europe", "region of"),
        ("Europe/Lodnon", "did you mean Europe/London"),
        ("London", "did you mean Europe/London"),
        ("Mars/Olympus", "use IANA names such as Europe/Berlin"),
        ("../etc/passwd", "unknown time zone"),
        ("/usr/share/zoneinfo/UTC", "unknown time zone"),
        ("Europe//London", "unknown time zone"),
        ("Europe/London\x00", "unknown time zone"),
        ("zone.tab", "unknown time zone"),
        ("localtime", "unknown time zone"),
        ("x" * 5000, "x" * 100 + "…"),
        ("", "unknown time zone"),
    ],
)
def test_a_folder_or_odd_name_is_refused_with_the_closest_valid_names(typed: str, says: str) -> None:
    """Folders raised IsADirectoryError and odd names TypeError/OSError; now one ScheduleError."""
    with pytest.raises(ScheduleError) as raised:
        parse_zone(typed)
    message = str(raised.value)
    assert message.startswith("unknown time zone") and says in message
    assert len(message) < 400


def test_a_region_lists_some_of_its_zones() -> None:
    with pytest.raises(ScheduleError, match=r"America/Argentina/Buenos_Aires"):
        parse_zone("america/argentina")


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("subscribe 09:00 europe/london", "Europe/London"),
        ("subscribe 09:00 GMT keras", "GMT"),
        ("subscribe japan 07:30", "Japan"),
    ],
)
def test_subscribe_takes_a_zone_in_any_case_and_without_a_region(text: str, key: str) -> None:
    command = parse_command(text)
    assert isinstance(command, Subscribe) and command.zone is not None and command.zone.key == key


def test_subscribe_with_a_folder_zone_names_it_and_suggests() -> None:
    with pytest.raises(CommandError, match=r"unknown time zone 'America/Argentina': it is a region"):
        parse_command("subscribe 09:00 America/Argentina")


async def test_anyone_sending_a_folder_zone_gets_a_clear_error_not_a_failure(
    service: PracticeService, destination: Destination
) -> None:
    """Checked while parsing, before the admin check: a member gets the zone error, nothing is saved."""
    [response] = await service.handle_command(Invocation(destination, "U1"), "subscribe 9:00 America/Indiana")
    assert isinstance(response.message, Notice) and response.message.kind is NoticeKind.ERROR
    assert "America/Indiana" in response.message.text and "region" in response.message.text
    assert await service.store.get_subscription(destination) is None


@pytest.mark.parametrize("zone", ["America/Argentina", "Nowhere/Land", "Europe/London/"])
def test_a_bad_default_timezone_setting_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, zone: str
) -> None:
    monkeypatch.setenv("MLQ_DEFAULT_TIMEZONE", zone)
    with pytest.raises(SettingsError, match=r"MLQ_DEFAULT_TIMEZONE: unknown time zone"):
        load_settings()


def test_the_default_timezone_setting_is_read_in_any_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLQ_DEFAULT_TIMEZONE", "europe/london")
    assert load_settings().default_timezone == "Europe/London"


def test_mlq_with_a_folder_default_timezone_exits_2_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before, `MLQ_DEFAULT_TIMEZONE=America/Argentina` ended in an IsADirectoryError traceback."""
    monkeypatch.setenv("MLQ_DEFAULT_TIMEZONE", "America/Argentina")
    assert main(["ask"]) == 2
    err = capsys.readouterr().err
    assert "MLQ_DEFAULT_TIMEZONE" in err and "America/Argentina" in err and "Traceback" not in err


@pytest.mark.parametrize("zone", ["America/Argentina", "America/Indiana", "Europe/London/", "a\x00b"])
def test_schedule_show_with_an_odd_zone_exits_2(zone: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Before, a folder was a traceback and exit 1."""
    assert main(["schedule", "show", "--time", "09:00", "--tz", zone]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mlq schedule show") and "unknown time zone" in err
    assert err.count("\n") == 1 and "Traceback" not in err
