"""Hybrid logical clock: monotonic per device, ordered after what it has seen, text-sortable."""

from hypothesis import given
from hypothesis import strategies as st

from sp_desktop.domain.hlc import HlcStamp, HybridClock


def test_stamps_increase_even_when_the_wall_clock_goes_back() -> None:
    times = iter([1000, 1000, 999, 500, 1001])
    clock = HybridClock("deviceA", now_ms=lambda: next(times))
    stamps = [clock.now() for _ in range(5)]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == 5


def test_receiving_a_future_stamp_orders_our_next_edit_after_it() -> None:
    laptop = HybridClock("laptop", now_ms=lambda: 1_000)
    remote = HlcStamp(5_000, 3, "other")  # a laptop whose clock runs fast
    laptop.receive(remote)
    assert laptop.now() > remote


def test_text_form_round_trips() -> None:
    stamp = HlcStamp(1_795_500_000_000, 42, "abc123")
    assert HlcStamp.parse(str(stamp)) == stamp


@given(
    st.lists(
        st.tuples(
            st.integers(0, 10**14), st.integers(0, 0xFFFF), st.sampled_from(["a1", "b2", "c3"])
        ),
        min_size=2,
        max_size=20,
    )
)
def test_text_order_equals_stamp_order(raw: list[tuple[int, int, str]]) -> None:
    stamps = [HlcStamp(*r) for r in raw]
    assert sorted(stamps) == sorted(stamps, key=str)


def test_a_stamp_far_ahead_of_our_clock_is_not_adopted() -> None:
    from sp_desktop.domain.hlc import MAX_CLOCK_AHEAD_MS

    now = 1_795_500_000_000
    laptop = HybridClock("laptop", now_ms=lambda: now)
    year_2100 = HlcStamp(4_102_444_800_000, 0, "fastlaptop")
    assert laptop.receive(year_2100) is False
    assert laptop.now().wall_ms == now  # our clock stayed in our own year
    within = HlcStamp(now + MAX_CLOCK_AHEAD_MS, 0, "skewed")
    assert laptop.receive(within) is True
    assert laptop.now() > within


def test_stamps_that_are_not_stamps_are_refused_with_value_error() -> None:
    import pytest

    for text in ("yesterday", "99999999999999x-0000-dev", "000000000000001-00zz-dev",
                 "000000000000001-0000-"):
        with pytest.raises(ValueError):
            HlcStamp.parse(text)
