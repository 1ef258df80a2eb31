"""Pure functions over the roster's effective-dated rows: which names held on which days, and which lines the
public roster shows. No database writes here; services.py persists what these return.

All intervals are half-open [from, until): `until` is the first day that no longer applies; None = open."""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from jaim.text import reading_key, search_key


@dataclass(frozen=True)
class Span:
    start: dt.date
    end: dt.date | None  # exclusive; None = open


def _min_end(a: dt.date | None, b: dt.date | None) -> dt.date | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def covers(start: dt.date, end: dt.date | None, day: dt.date) -> bool:
    """Is `day` inside [start, end)?"""
    return start <= day and (end is None or day < end)


def line_spans(periods: Sequence, versions: Sequence) -> list[tuple[object, object, Span]]:
    """(period, version, span) for every stretch of days on which the membership was listed under one version.
    periods: objects with listed_from / delisted_on; versions: with valid_from / valid_until, sorted, contiguous.
    The first version also answers for days before it (earlier names are unknown to the roster)."""
    result = []
    for period in periods:
        p_start, p_end = period.listed_from, period.delisted_on
        if p_end is not None and p_end <= p_start:
            continue  # listed and delisted on the same day: never on the roster
        for i, version in enumerate(versions):
            v_start = version.valid_from if i else dt.date.min
            v_end = version.valid_until if i < len(versions) - 1 else None
            start = max(p_start, v_start)
            end = _min_end(p_end, v_end)
            if end is None or start < end:
                result.append((period, version, Span(start, end)))
    return result


def line_search_key(data: dict) -> str:
    """Normalised company and establishment names (and the new ones during a change), then their registered
    readings normalised as bank kana (jaim.text.reading_key), space separated; a part already there is not
    repeated. Without readings the key is the names' alone."""
    parts = []
    for f in ("organisation_name", "establishment_name", "new_organisation_name", "new_establishment_name"):
        key = search_key(data.get(f, ""))
        if key and key not in parts:
            parts.append(key)
    for f in ("organisation_name_kana", "establishment_name_kana"):
        key = reading_key(data.get(f, ""))
        if key and key not in parts:
            parts.append(key)
    return " ".join(parts)


def jsic_filter_text(jsic: Iterable) -> str:
    """'|2592|2599|' from [[code, name], …]."""
    codes = sorted(code for code, _name in jsic)
    return "|" + "|".join(codes) + "|" if codes else ""


@dataclass
class VersionDraft:
    valid_from: dt.date
    data: dict
    reason: str = ""


def merge_versions(
    drafts: list[VersionDraft], first_day: dt.date
) -> list[tuple[dt.date, dt.date | None, dict, str]]:
    """Order drafts, let the latest draft at or before first_day start the timeline at first_day, keep the last
    draft per day, merge neighbours with identical data. Returns (valid_from, valid_until, data, reason)."""
    drafts = sorted(drafts, key=lambda d: d.valid_from)
    by_day: dict[dt.date, VersionDraft] = {}
    for d in drafts:
        by_day[max(d.valid_from, first_day)] = d
    ordered = sorted(by_day.items())
    merged: list[list] = []
    for day, d in ordered:
        if merged and merged[-1][2] == d.data:
            continue
        merged.append([day, None, d.data, d.reason])
    for i in range(len(merged) - 1):
        merged[i][1] = merged[i + 1][0]
    return [tuple(m) for m in merged]


@dataclass
class PeriodDraft:
    listed_from: dt.date
    delisted_on: dt.date | None = None
    listed_reason: str = "REBUILT"
    delisted_reason: str = ""


def periods_from_history(rows: Sequence, *, local_date) -> list[PeriodDraft]:
    """Listing periods from a membership's history rows (simple_history, oldest first: status, activated_on,
    withdrawn_on, lapsed_on, history_date). A reinstatement has no stored date: the day the row was written
    (local_date(history_date)) stands in for it."""
    periods: list[PeriodDraft] = []
    previous = None
    for row in rows:
        status = row.status
        if status == previous:
            continue
        if status == "ACTIVE" and (previous in (None, "AWAITING_PAYMENT")) and row.activated_on:
            if not periods or periods[-1].delisted_on is not None:
                periods.append(PeriodDraft(row.activated_on, listed_reason="ACTIVATED"))
        elif status == "ACTIVE" and previous == "LAPSED":
            start = local_date(row.history_date)
            if periods and periods[-1].delisted_on is not None:
                start = max(start, periods[-1].delisted_on)
            periods.append(PeriodDraft(start, listed_reason="REINSTATED"))
        elif status in ("WITHDRAWN", "LAPSED") and periods and periods[-1].delisted_on is None:
            on = row.withdrawn_on if status == "WITHDRAWN" else row.lapsed_on
            on = on or local_date(row.history_date)
            periods[-1].delisted_on = max(on, periods[-1].listed_from)
            periods[-1].delisted_reason = status
        previous = status
    return periods


def periods_from_membership(m) -> list[PeriodDraft]:
    """Listing periods from a membership's current fields alone (no lapse/reinstatement in its past)."""
    if m.activated_on is None:
        return []
    period = PeriodDraft(m.activated_on, listed_reason="ACTIVATED")
    if m.status == "WITHDRAWN" and m.withdrawn_on:
        period.delisted_on, period.delisted_reason = max(m.withdrawn_on, m.activated_on), "WITHDRAWN"
    elif m.status == "LAPSED" and m.lapsed_on:
        period.delisted_on, period.delisted_reason = max(m.lapsed_on, m.activated_on), "LAPSED"
    return [period]
