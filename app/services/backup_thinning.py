"""Which backups to keep: a pure function of their times and the current time.

The scheme (architecture.md §4): every one of the newest `recent` backups; then, for each
of the last `daily_days` days, the newest backup of that day; then, for each of the last
`monthly_months` months, the newest backup of that month. Days and months are counted in
the school's time zone.

Properties the tests check: the newest backup is always kept; applying the thinning again
to what it kept keeps everything (thinning after each backup equals thinning once at the
end); a day or month in range that had a backup still has one. Backups with a time after
`now` (a clock set wrong) are always kept: never delete what we do not understand.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo

# Vietnam has one time zone and no daylight saving time.
SCHOOL_TZ = timezone(timedelta(hours=7), "ICT")


@dataclass(frozen=True)
class ThinningPolicy:
    recent: int = 24
    daily_days: int = 31
    monthly_months: int = 36

    def __post_init__(self) -> None:
        if self.recent < 1 or self.daily_days < 0 or self.monthly_months < 0:
            raise ValueError("a thinning policy keeps at least the newest backup")


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def backups_to_keep(
    times: Iterable[datetime],
    now: datetime,
    policy: ThinningPolicy = ThinningPolicy(),
    tz: tzinfo = SCHOOL_TZ,
) -> frozenset[datetime]:
    """The subset of `times` (timezone-aware) to keep at `now`."""
    all_times = sorted(set(times), reverse=True)
    keep: set[datetime] = {t for t in all_times if t > now}
    keep.update(all_times[: policy.recent])

    today = now.astimezone(tz).date()
    first_day = today - timedelta(days=policy.daily_days - 1)
    this_month = _month_index(today)
    first_month = this_month - (policy.monthly_months - 1)

    newest_of_day: dict[date, datetime] = {}
    newest_of_month: dict[int, datetime] = {}
    for t in all_times:  # newest first, so the first seen per period is the newest
        day = t.astimezone(tz).date()
        newest_of_day.setdefault(day, t)
        newest_of_month.setdefault(_month_index(day), t)

    if policy.daily_days:
        keep.update(t for day, t in newest_of_day.items() if first_day <= day <= today)
    if policy.monthly_months:
        keep.update(t for month, t in newest_of_month.items() if first_month <= month <= this_month)
    return frozenset(keep)


def backups_to_remove(
    times: Iterable[datetime],
    now: datetime,
    policy: ThinningPolicy = ThinningPolicy(),
    tz: tzinfo = SCHOOL_TZ,
) -> frozenset[datetime]:
    all_times = frozenset(times)
    return all_times - backups_to_keep(all_times, now, policy, tz)
