"""The container tests are steps of one scenario: after a step fails, the later ones skip, naming it."""

from __future__ import annotations

from collections.abc import Generator

import pytest

FAILED_STEP = pytest.StashKey[str]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if item.get_closest_marker("container") and report.failed and FAILED_STEP not in item.session.stash:
        item.session.stash[FAILED_STEP] = item.name
    return report


def pytest_runtest_setup(item: pytest.Item) -> None:
    failed = item.session.stash.get(FAILED_STEP, None)
    if item.get_closest_marker("container") and failed is not None:
        pytest.skip(f"an earlier step failed: {failed}")
