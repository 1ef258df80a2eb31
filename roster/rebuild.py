"""Rebuilding the roster tables from members data: for seeding (memberships bulk-loaded without the services'
signals, e.g. the benchmark) and for repair.

- A membership ever activated without a roster entry gets one, with periods and names derived from members
  data. `full=True` re-derives periods and names of existing entries too (tokens are kept: printed URLs stay).
- Every entry's lines are re-derived from its periods and names.

What members data can tell: activation, withdrawal and lapse days are stored on the membership; a
reinstatement's day is not, so the day its history row was written stands in (exact when recorded on the
day). Names come from the identity changes (R13/R14: old names until accepted, side by side until effective,
new names after) and the current data; a relocation's old prefecture/city come from the establishment's
history just before the change took effect. Plain edits are not dated: the current values apply."""

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from members.models import Establishment, IdentityChange, Membership
from roster import cards, history
from roster.lines import _line, _pending_fields, line_signature, roster_changed, snapshot
from roster.models import ListingPeriod, NameVersion, RosterEntry, RosterLine


def _local(value) -> dt.date:
    return timezone.localdate(value)


def _old_location(change: IdentityChange) -> tuple[str, str] | None:
    """Prefecture and city of the establishment just before a relocation took effect (simple_history)."""
    done = (
        change.history.filter(effective_on__isnull=False)
        .order_by("history_date")
        .values_list("history_date", flat=True)
    ).first()
    if done is None:
        return None
    before = (
        Establishment.history.filter(id=change.establishment_id, history_date__lt=done)
        .order_by("-history_date")
        .values_list("prefecture", "city")
        .first()
    )
    return tuple(before) if before else None


def derive_versions(membership: Membership, first_day: dt.date) -> list[history.VersionDraft]:
    current = snapshot(membership)
    changes = sorted(membership.establishment.identity_changes.all(), key=lambda c: (c.accepted_on, c.pk))
    if not changes:
        return [history.VersionDraft(first_day, current, "rebuilt")]
    drafts = []
    base = {**current, **{f: "" for f in ("change_kind", "new_organisation_name", "new_establishment_name")}}
    base.update(new_prefecture="", new_city="")
    for i, change in enumerate(changes):
        before = {**base, "organisation_name": change.old_organisation_name}
        before["establishment_name"] = change.old_establishment_name
        if change.kind == IdentityChange.Kind.RELOCATION and change.effective_on:
            location = _old_location(change)
            if location:
                before["prefecture"], before["city"] = location
        if i == 0:
            drafts.append(history.VersionDraft(dt.date.min, before, "rebuilt"))
        drafts.append(
            history.VersionDraft(change.accepted_on, {**before, **_pending_fields(change)}, "rebuilt")
        )
        if change.effective_on:
            after = {**base, "organisation_name": change.new_organisation_name}
            after["establishment_name"] = change.new_establishment_name
            drafts.append(history.VersionDraft(change.effective_on, after, "rebuilt"))
    last_day = max(d.valid_from for d in drafts)
    drafts.append(history.VersionDraft(last_day, current, "rebuilt"))  # the present wins on the last day
    return drafts


def derive_periods(membership: Membership, history_rows=None) -> list[history.PeriodDraft]:
    if history_rows:
        return history.periods_from_history(history_rows, local_date=_local)
    return history.periods_from_membership(membership)


def _batches(ids: list[int], size: int) -> Iterable[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def rebuild(*, full: bool = False, member_numbers: list[str] | None = None, batch_size: int = 500) -> dict:
    """Create missing entries (all with full=True) from members data and re-derive every line. Each batch
    is one transaction; returns counts."""
    memberships = Membership.objects.filter(activated_on__isnull=False)
    if member_numbers:
        memberships = memberships.filter(member_number__in=member_numbers)
    ids = list(memberships.order_by("pk").values_list("pk", flat=True))
    counts = {"memberships": len(ids), "created": 0, "rederived": 0, "changed": 0, "lines": 0}
    for chunk in _batches(ids, batch_size):
        with transaction.atomic():
            _rebuild_batch(chunk, full=full, counts=counts)
    return counts


def _rebuild_batch(chunk: list[int], *, full: bool, counts: dict) -> None:
    list(Membership.objects.select_for_update().filter(pk__in=chunk).values_list("pk", flat=True))
    members = list(
        Membership.objects.filter(pk__in=chunk)
        .select_related("establishment__organisation")
        .prefetch_related("jsic_codes", "establishment__identity_changes")
        .order_by("pk")
    )
    entries = {
        e.membership_id: e for e in RosterEntry.objects.select_for_update().filter(membership_id__in=chunk)
    }
    # Only memberships that ever lapsed need their history walked (a reinstatement leaves no field behind).
    ever_lapsed = set(
        Membership.history.filter(id__in=chunk, status=Membership.Status.LAPSED).values_list("id", flat=True)
    )
    history_rows: dict[int, list] = {}
    if ever_lapsed:
        for row in Membership.history.filter(id__in=ever_lapsed).order_by("id", "history_date", "history_id"):
            history_rows.setdefault(row.id, []).append(row)

    to_derive = [m for m in members if m.pk not in entries or full]
    new_entries = [
        RosterEntry(membership=m, member_number=m.member_number) for m in to_derive if m.pk not in entries
    ]
    RosterEntry.objects.bulk_create(new_entries)
    for e in new_entries:
        entries[e.membership_id] = e
    counts["created"] += len(new_entries)
    rederived_ids = [entries[m.pk].pk for m in to_derive]
    ListingPeriod.objects.filter(entry_id__in=rederived_ids).delete()
    NameVersion.objects.filter(entry_id__in=rederived_ids).delete()

    periods, versions = [], []
    for m in to_derive:
        entry = entries[m.pk]
        drafts = derive_periods(m, history_rows.get(m.pk))
        if not drafts:
            continue
        periods += [
            ListingPeriod(
                entry=entry,
                listed_from=p.listed_from,
                delisted_on=p.delisted_on,
                listed_reason=p.listed_reason,
                delisted_reason=p.delisted_reason,
            )
            for p in drafts
        ]
        first_day = drafts[0].listed_from
        for valid_from, valid_until, data, reason in history.merge_versions(
            derive_versions(m, first_day), first_day
        ):
            versions.append(
                NameVersion(
                    entry=entry, valid_from=valid_from, valid_until=valid_until, reason=reason, **data
                )
            )
    ListingPeriod.objects.bulk_create(periods)
    NameVersion.objects.bulk_create(versions)
    counts["rederived"] += len(rederived_ids)

    # Lines of every entry in the batch, from what is now stored.
    entry_ids = [entries[m.pk].pk for m in members if m.pk in entries]
    by_entry_periods: dict[int, list] = {}
    for p in ListingPeriod.objects.filter(entry_id__in=entry_ids).order_by("listed_from"):
        by_entry_periods.setdefault(p.entry_id, []).append(p)
    by_entry_versions: dict[int, list] = {}
    for v in NameVersion.objects.filter(entry_id__in=entry_ids).order_by("valid_from"):
        by_entry_versions.setdefault(v.entry_id, []).append(v)
    existing: dict[int, list] = {}
    for line in RosterLine.objects.filter(entry_id__in=entry_ids).order_by("valid_from"):
        existing.setdefault(line.entry_id, []).append(line_signature(line))
    changed, lines = [], []
    for m in members:
        entry = entries.get(m.pk)
        if entry is None:
            continue
        spans = history.line_spans(by_entry_periods.get(entry.pk, []), by_entry_versions.get(entry.pk, []))
        new = [_line(entry, p, v, span) for p, v, span in spans]
        if [line_signature(x) for x in new] != existing.get(entry.pk, []):
            changed.append(entry.pk)
            lines += new
    # Only entries whose public lines differ are rewritten and touched (so a healthy roster stays as is and
    # the exports job sees no change).
    RosterLine.objects.filter(entry_id__in=changed).delete()  # their cards with them (ON DELETE CASCADE)
    RosterLine.objects.bulk_create(lines, batch_size=1000)
    cards.write_cards(lines)
    RosterEntry.objects.filter(pk__in=changed).update(updated_at=timezone.now())
    if changed:
        roster_changed()
    counts["lines"] += len(lines)
    counts["changed"] += len(changed)
