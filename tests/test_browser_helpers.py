"""The browser tests' own helpers, without a browser."""

from __future__ import annotations

import pytest
from selenium.common.exceptions import StaleElementReferenceException

from tests.browser import wait_for


def test_wait_for_retries_an_element_rebuilt_while_read():
    calls = []

    def predicate():
        calls.append(1)
        if len(calls) < 3:
            raise StaleElementReferenceException("rebuilt between find and read")
        return "found"

    assert wait_for(predicate, timeout=2, interval=0) == "found" and len(calls) == 3


def test_wait_for_still_times_out_on_a_stale_element_forever():
    def predicate():
        raise StaleElementReferenceException("always rebuilt")

    with pytest.raises(AssertionError, match="timed out"):
        wait_for(predicate, timeout=0.05, interval=0.01)
