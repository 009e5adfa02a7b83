"""The suite's log scan catches a leaked secret (so its silence means something)."""

from __future__ import annotations

import logging

from tests.support.log_scan import SCAN
from tests.support.slack_support import BOT_TOKEN


def test_a_secret_logged_anywhere_is_caught() -> None:
    before = len(SCAN.leaks)
    logging.getLogger("some.library").warning("request failed with token %s", BOT_TOKEN)
    caught = SCAN.leaks[before:]
    del SCAN.leaks[before:]  # this leak was on purpose
    assert caught and "some.library" in caught[0] and BOT_TOKEN not in caught[0]
