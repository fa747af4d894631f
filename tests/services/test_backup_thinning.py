"""Backup thinning is a pure function: properties over arbitrary backup histories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.services.backup_thinning import SCHOOL_TZ, ThinningPolicy, backups_to_keep, backups_to_remove

START = datetime(2024, 1, 1, tzinfo=UTC)
# Backup times: up to three years of history, to the second.
times_st = st.lists(
    st.integers(min_value=0, max_value=3 * 366 * 24 * 3600).map(lambda s: START + timedelta(seconds=s)),
    max_size=150,
    unique=True,
)
policy_st = st.builds(
    ThinningPolicy,
    recent=st.integers(1, 30),
    daily_days=st.integers(0, 40),
    monthly_months=st.integers(0, 40),
)


@given(times_st, policy_st)
def test_keeps_a_subset_including_the_newest_and_the_recent(
    times: list[datetime], policy: ThinningPolicy
) -> None:
    if not times:
        assert backups_to_keep(times, START, policy) == frozenset()
        return
    now = max(times)
    kept = backups_to_keep(times, now, policy)
    assert kept <= set(times)
    assert max(times) in kept
    assert set(sorted(times, reverse=True)[: policy.recent]) <= kept
    assert backups_to_remove(times, now, policy) == set(times) - kept


@given(times_st, policy_st)
def test_thinning_is_idempotent(times: list[datetime], policy: ThinningPolicy) -> None:
    now = max(times, default=START)
    kept = backups_to_keep(times, now, policy)
    assert backups_to_keep(kept, now, policy) == kept


@given(times_st, policy_st)
@settings(max_examples=60)
def test_thinning_after_each_backup_equals_thinning_once(
    times: list[datetime], policy: ThinningPolicy
) -> None:
    """What the app does (thin after every backup) ends where one thinning of everything would."""
    kept: set[datetime] = set()
    for t in sorted(times):
        kept = set(backups_to_keep(kept | {t}, t, policy))
    assert kept == backups_to_keep(times, max(times, default=START), policy)


@given(times_st, policy_st)
def test_every_recent_day_and_month_keeps_a_backup(times: list[datetime], policy: ThinningPolicy) -> None:
    if not times:
        return
    now = max(times)
    kept = backups_to_keep(times, now, policy)
    today = now.astimezone(SCHOOL_TZ).date()
    kept_days = {t.astimezone(SCHOOL_TZ).date() for t in kept}
    kept_months = {(d.year, d.month) for d in kept_days}
    for t in times:
        day = t.astimezone(SCHOOL_TZ).date()
        if (today - day).days < policy.daily_days:
            assert day in kept_days
        months_back = (today.year - day.year) * 12 + today.month - day.month
        if months_back < policy.monthly_months:
            assert (day.year, day.month) in kept_months


def test_a_year_of_hourly_backups_thins_to_the_documented_shape() -> None:
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    hourly = [now - timedelta(hours=h) for h in range(24 * 365)]
    kept = backups_to_keep(hourly, now, ThinningPolicy(recent=24, daily_days=31, monthly_months=36))
    # 24 newest + one per day for the 30 days before today + one per earlier month (11 or 12).
    assert 24 + 29 <= len(kept) <= 24 + 31 + 13
    assert len(kept) < len(hourly) / 100


def test_backups_from_the_future_are_never_removed() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    future = now + timedelta(days=400)
    old = [now - timedelta(days=d) for d in range(0, 2000, 3)]
    assert future in backups_to_keep(
        [*old, future], now, ThinningPolicy(recent=1, daily_days=0, monthly_months=0)
    )


def test_a_policy_must_keep_something() -> None:
    with pytest.raises(ValueError):
        ThinningPolicy(recent=0)
