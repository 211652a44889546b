"""The client-side pacing that keeps apply under Azure's federated-credential write limits."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from migrator.core.ratelimit import FIC_WRITES_PER_SECOND, RateLimiter, floor_seconds


def test_writes_in_one_subscription_are_spaced_by_the_subscription_interval():
    limiter = RateLimiter(FIC_WRITES_PER_SECOND, margin=0.0)
    starts = [limiter.reserve([("subscription", "s"), ("identity", f"id{i}")], now=0.0) for i in range(4)]
    assert starts == [0.0, 0.5, 1.0, 1.5]


def test_writes_to_one_identity_wait_for_the_identity_interval():
    limiter = RateLimiter(FIC_WRITES_PER_SECOND, margin=0.0)
    first = limiter.reserve([("subscription", "s"), ("identity", "a")], now=0.0)
    second = limiter.reserve([("subscription", "s"), ("identity", "a")], now=0.0)
    other = limiter.reserve([("subscription", "s"), ("identity", "b")], now=0.0)
    assert (first, second, other) == (0.0, 4.0, 4.5)


def test_subscriptions_and_identity_ids_compare_case_insensitively():
    limiter = RateLimiter(FIC_WRITES_PER_SECOND, margin=0.0)
    limiter.reserve([("identity", "/Subscriptions/S/x")], now=0.0)
    assert limiter.reserve([("identity", "/subscriptions/s/X")], now=0.0) == 4.0


def test_time_scale_and_margin():
    limiter = RateLimiter({"subscription": 2.0}, time_scale=10.0, margin=0.05)
    assert abs(limiter.interval("subscription") - 0.0525) < 1e-12


def test_floor_is_set_by_the_tighter_limit():
    per_identity = {f"id{i}": 3 for i in range(40)}
    assert floor_seconds(per_identity, {"s": list(per_identity)}) == (120 - 1) / 2
    assert floor_seconds({"a": 3}, {"s": ["a"]}) == 8.0


@given(st.lists(st.tuples(st.sampled_from("ab"), st.sampled_from("wxyz"), st.floats(0, 100)), max_size=40))
def test_no_two_reservations_on_a_scope_are_closer_than_its_interval(requests):
    """Property: whatever the order and arrival times, each scope's starts are at least one interval apart."""
    limiter = RateLimiter(FIC_WRITES_PER_SECOND, margin=0.0)
    starts: dict[tuple[str, str], list[float]] = {}
    for subscription, identity, now in sorted(requests, key=lambda r: r[2]):
        keys = [("subscription", subscription), ("identity", identity)]
        start = limiter.reserve(keys, now)
        assert start >= now
        for key in keys:
            starts.setdefault(key, []).append(start)
    for (scope, _), times in starts.items():
        times.sort()
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        assert all(gap >= limiter.interval(scope) - 1e-9 for gap in gaps)
