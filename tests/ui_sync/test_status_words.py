"""The Qt-free rules behind the status bar: words, the not-draining warning, syncing unasked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sp_desktop.domain.errors import ValidationError
from sp_desktop.services.sync_status import (
    AutoSync,
    SyncOverview,
    age_words,
    describe,
    not_draining,
    server_address,
    when_words,
)
from sp_desktop.sync.client import SyncStatus

NOW = datetime(2026, 3, 4, 15, 30, tzinfo=UTC)


def overview(
    *, registered: bool = True, waiting: int = 0, oldest: timedelta | None = None,
    last_success: timedelta | None = None, last_attempt: timedelta | None = None,
    conflicts: int = 0, rejected: int = 0, now: datetime = NOW,
) -> SyncOverview:
    """Times are given as 'this long ago'."""
    def ago(delta: timedelta | None) -> datetime | None:
        return None if delta is None else now - delta

    return SyncOverview(
        SyncStatus(registered, "https://office.example" if registered else None, waiting,
                   ago(oldest), ago(last_success), conflicts, rejected),
        ago(last_attempt),
    )


@pytest.mark.parametrize(("seconds", "words"), [
    (0, "under a minute"), (59, "under a minute"), (60, "1 min"), (3599, "59 min"),
    (3600, "1 h"), (47 * 3600, "47 h"), (48 * 3600, "2 days"), (10 * 86400, "10 days"),
])
def test_age_words(seconds: float, words: str) -> None:
    assert age_words(seconds) == words


def test_when_words_say_today_yesterday_or_the_date_in_local_time() -> None:
    local_now = NOW.astimezone()
    assert when_words(NOW - timedelta(minutes=1), NOW).startswith(
        "today at" if (local_now - timedelta(minutes=1)).date() == local_now.date()
        else "yesterday at")
    yesterday = (local_now - timedelta(days=1)).replace(hour=9, minute=5)
    assert when_words(yesterday, NOW) == "yesterday at 09:05"
    older = (local_now - timedelta(days=5)).replace(hour=16, minute=0)
    assert when_words(older, NOW) == f"{older:%a} {older.day} {older:%b} at 16:00"


@pytest.mark.parametrize(("facts", "reachable", "expected"), [
    ({"registered": False}, None,
     ["Not registered with the office", "not synced yet", "nothing waiting to send",
      "no conflicts"]),
    ({"waiting": 1, "oldest": timedelta(hours=3)}, False,
     ["Offline", "1 change waiting (oldest 3 h)"]),
    ({"waiting": 12, "oldest": timedelta(minutes=5), "last_success": timedelta(seconds=1),
      "conflicts": 2}, True,
     ["Office server reachable", "last sync today at", "12 changes waiting (oldest 5 min)",
      "2 conflicts to resolve"]),
    ({"conflicts": 1, "rejected": 1}, None,
     ["Office server: checking", "1 conflict to resolve", "1 change refused by the office"]),
])
def test_describe_says_everything_in_words(
    facts: dict[str, Any], reachable: bool | None, expected: list[str]
) -> None:
    now = datetime.now(UTC)
    words = describe(overview(now=now, **facts), reachable=reachable, now=now)
    for part in expected:
        assert part in words.summary
    assert words.warning is None


def test_the_warning_names_the_age_and_says_the_changes_are_safe() -> None:
    words = describe(overview(waiting=3, oldest=timedelta(hours=2)), reachable=True, now=NOW,
                     stuck=True)
    assert words.warning is not None
    assert words.warning.startswith("Warning:")
    assert "2 h" in words.warning and "safe on this laptop" in words.warning


@pytest.mark.parametrize(("facts", "reachable", "failures", "stuck"), [
    (overview(waiting=0), True, 5, False),  # nothing waiting: nothing to drain
    (overview(waiting=2, oldest=timedelta(hours=1)), False, 5, False),  # offline is not stuck
    (overview(waiting=2, oldest=timedelta(hours=1)), None, 5, False),  # not known yet
    (overview(registered=False, waiting=2), True, 5, False),
    (overview(waiting=2, oldest=timedelta(minutes=1)), True, 1, False),  # one hiccup
    (overview(waiting=2, oldest=timedelta(minutes=1)), True, 2, True),  # keeps failing
    # A whole sync ran after the change was made, yet it is still waiting.
    (overview(waiting=1, oldest=timedelta(minutes=30), last_attempt=timedelta(minutes=10),
              last_success=timedelta(minutes=9)), True, 0, True),
    # The change was made after the last sync started: the next one takes it.
    (overview(waiting=1, oldest=timedelta(minutes=5), last_attempt=timedelta(minutes=10),
              last_success=timedelta(minutes=9)), True, 0, False),
    # The last attempt has not succeeded (yet): that is the failure count's business.
    (overview(waiting=1, oldest=timedelta(minutes=30), last_attempt=timedelta(minutes=1),
              last_success=timedelta(minutes=9)), True, 0, False),
])
def test_not_draining(
    facts: SyncOverview, reachable: bool | None, failures: int, stuck: bool
) -> None:
    assert not_draining(facts, reachable=reachable, failures_while_reachable=failures) is stuck


def test_auto_sync_goes_when_the_office_becomes_reachable_then_keeps_draining() -> None:
    auto = AutoSync(push_every=timedelta(minutes=5), pull_every=timedelta(minutes=30))
    recent = overview(waiting=1, oldest=timedelta(minutes=1), last_attempt=timedelta(minutes=1),
                      last_success=timedelta(minutes=1))
    assert not auto.should_sync(recent, reachable=False, now=NOW)  # out on visits
    assert auto.should_sync(recent, reachable=True, now=NOW)  # back at the office
    assert not auto.should_sync(recent, reachable=True, now=NOW)  # just synced
    stale = overview(waiting=1, last_attempt=timedelta(minutes=6))
    assert auto.should_sync(stale, reachable=True, now=NOW)  # still waiting: drain
    quiet = overview(waiting=0, last_attempt=timedelta(minutes=6))
    assert not auto.should_sync(quiet, reachable=True, now=NOW)
    assert auto.should_sync(overview(last_attempt=timedelta(minutes=31)), reachable=True,
                            now=NOW)  # pull the team's changes now and then
    assert not auto.should_sync(overview(registered=False), reachable=True, now=NOW)


@pytest.mark.parametrize(("typed", "address"), [
    ("office.example.org", "https://office.example.org"),
    ("  https://office.example.org:8443/ ", "https://office.example.org:8443"),
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
])
def test_server_address_is_tidied(typed: str, address: str) -> None:
    assert server_address(typed) == address


@pytest.mark.parametrize("typed", ["", "   ", "office example org", "https://", "http://:80"])
def test_a_mistyped_server_address_gets_a_calm_message(typed: str) -> None:
    with pytest.raises(ValidationError) as problem:
        server_address(typed)
    assert problem.value.field == "server"
