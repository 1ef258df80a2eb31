"""Writes for the public roster. The roster follows members through its signals (receivers.py), inside the
members service's transaction: it lists a membership from the day it becomes ACTIVE (first payment, R9),
delists it on the withdrawal or lapse day, opens a new period on reinstatement (the gap stays visible), and
keeps effective-dated names so "as of a date" answers stay right after renames and relocations (R13, R14).

Listing boundary: listed on day D  ⇔  listed_from <= D < delisted_on. delisted_on is the withdrawal day
(Membership.withdrawn_on) or the lapse day, so that day itself is no longer listed."""

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jaim.dates import today
from jaim.errors import DomainError
from jaim.states import audit
from members.models import Establishment, IdentityChange, Membership
from roster import cards, history, rebuild
from roster.lines import _line, line_signature, roster_changed, snapshot
from roster.models import ListingPeriod, NameVersion, RosterEntry, RosterLine

if TYPE_CHECKING:
    from members.models import User

log = logging.getLogger(__name__)

LISTING_STATUSES = (Membership.Status.ACTIVE, Membership.Status.WITHDRAWAL_REQUESTED)


def rederive_lines(entry: RosterEntry) -> bool:
    """Replace the entry's public lines by periods × versions (call under the entry's row lock). Touches
    the entry (so the exports job sees a change) only when what the roster shows has changed."""
    periods = list(entry.periods.order_by("listed_from"))
    versions = list(entry.versions.order_by("valid_from"))
    lines = [_line(entry, p, v, span) for p, v, span in history.line_spans(periods, versions)]
    old = list(RosterLine.objects.filter(entry_id=entry.pk).order_by("valid_from"))
    if [line_signature(x) for x in old] == [line_signature(x) for x in lines]:
        return False
    RosterLine.objects.filter(entry_id=entry.pk).delete()  # their cards with them (ON DELETE CASCADE)
    RosterLine.objects.bulk_create(lines)
    cards.write_cards(lines)
    RosterEntry.objects.filter(pk=entry.pk).update(updated_at=timezone.now())
    roster_changed()
    return True


def _record_version(entry: RosterEntry, *, on: dt.date, data: dict, reason: str) -> None:
    """From `on` onward the membership reads `data`. Versions starting on or after `on` are replaced (their
    effect is in `data`, which is read from the current members data); the one before is cut at `on`."""
    versions = list(entry.versions.order_by("valid_from"))
    if not versions:
        NameVersion.objects.create(entry=entry, valid_from=on, reason=reason, **data)
        return
    on = max(on, versions[0].valid_from)
    earlier = [v for v in versions if v.valid_from < on]
    later = [v for v in versions if v.valid_from >= on]
    if not later and earlier and earlier[-1].identity() == data:
        return  # nothing the roster shows has changed
    NameVersion.objects.filter(pk__in=[v.pk for v in later]).delete()
    previous = earlier[-1] if earlier else None
    if previous is not None and previous.identity() == data:
        previous.valid_until = None
        previous.save(update_fields=["valid_until"])
        return
    if previous is not None:
        previous.valid_until = on
        previous.save(update_fields=["valid_until"])
    version = NameVersion(entry=entry, valid_from=on, reason=reason, **data)
    version.full_clean(exclude=["entry"])
    version.save()


def _locked_entry(membership_id) -> RosterEntry | None:
    return RosterEntry.objects.select_for_update().filter(membership_id=membership_id).first()


# --- following members ----------------------------------------------------------------------------------


@transaction.atomic
def list_membership(membership: Membership, *, on: dt.date, reason: str) -> RosterEntry:
    """Open a listing period from `on`: the first payment (R9) or a reinstatement. A reinstatement never starts
    before the previous period ended, so the gap shows. Idempotent while a period is open."""
    membership = Membership.objects.select_related("establishment__organisation").get(pk=membership.pk)
    entry = _locked_entry(membership.pk)
    if entry is None:
        entry = RosterEntry.objects.create(membership=membership, member_number=membership.member_number)
        entry = RosterEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.periods.filter(delisted_on__isnull=True).exists():
        return entry
    last = entry.periods.order_by("-listed_from").first()
    if last is not None:
        assert last.delisted_on is not None  # no period is open (returned above)
        start = max(on, last.delisted_on)
    else:
        start = on
    period = ListingPeriod(entry=entry, listed_from=start, listed_reason=reason)
    period.full_clean(exclude=["entry"])
    period.save()
    _record_version(entry, on=start, data=snapshot(membership), reason=reason.lower())
    rederive_lines(entry)
    return entry


@transaction.atomic
def delist_membership(membership: Membership, *, on: dt.date, reason: str) -> RosterEntry | None:
    """Close the open period: not listed from `on` (the withdrawal or lapse day) onward."""
    entry = _locked_entry(membership.pk)
    if entry is None:
        return None  # never paid, never listed
    period = entry.periods.filter(delisted_on__isnull=True).first()
    if period is None:
        return entry
    period.delisted_on = max(on, period.listed_from)
    period.delisted_reason = reason
    period.full_clean(exclude=["entry"])
    period.save(update_fields=["delisted_on", "delisted_reason", "updated_at"])
    rederive_lines(entry)
    return entry


def apply_status_change(membership: Membership, *, old_status: str, new_status: str, on: dt.date) -> None:
    """A membership moved: ACTIVE lists it (first payment or reinstatement); WITHDRAWN and LAPSED delist it.
    WITHDRAWAL_REQUESTED stays listed until the withdrawal day (R11)."""
    S = Membership.Status
    if new_status == S.ACTIVE:
        reason = (
            ListingPeriod.ListedReason.REINSTATED
            if old_status == S.LAPSED
            else ListingPeriod.ListedReason.ACTIVATED
        )
        list_membership(membership, on=on, reason=reason)
    elif new_status in (S.WITHDRAWN, S.LAPSED):
        delist_membership(membership, on=on, reason=new_status)


def _still_relevant(entry: RosterEntry, on: dt.date) -> bool:
    """Names matter for an entry that is listed on or after `on` (or may be again: lapsed)."""
    if entry.membership.status in (*LISTING_STATUSES, Membership.Status.LAPSED):
        return True
    return entry.periods.filter(delisted_on__gt=on).exists()


@transaction.atomic
def refresh_names(establishment: Establishment, *, on: dt.date, reason: str) -> int:
    """The establishment's names, location, 法人番号 or classifications changed from `on`: record a new version
    for each of its roster entries that still matters, and re-derive their lines. Returns entries touched."""
    touched = 0
    entry_ids = RosterEntry.objects.filter(membership__establishment_id=establishment.pk).values_list(
        "pk", flat=True
    )
    for entry in (
        RosterEntry.objects.select_for_update()
        .filter(pk__in=list(entry_ids))
        .select_related("membership__establishment__organisation")
        .order_by("pk")
    ):
        if not _still_relevant(entry, on):
            continue
        _record_version(entry, on=on, data=snapshot(entry.membership), reason=reason)
        rederive_lines(entry)
        touched += 1
    return touched


@transaction.atomic
def apply_identity_change(change: IdentityChange) -> None:
    """R13/R14: accepted → old and new names side by side from accepted_on; effective → new names from
    effective_on. A company renamed by a merger renames every site of that company on the roster."""
    if change.effective_on is None:
        refresh_names(change.establishment, on=change.accepted_on, reason="change_accepted")
        return
    refresh_names(change.establishment, on=change.effective_on, reason="change_effective")
    siblings = Establishment.objects.filter(organisation_id=change.establishment.organisation_id).exclude(
        pk=change.establishment_id
    )
    for sibling in siblings:
        refresh_names(sibling, on=change.effective_on, reason="change_effective")


def refresh_establishment(establishment: Establishment) -> None:
    """Names, address, 法人番号 or JSIC edited (My Page / admin): effective today."""
    refresh_names(establishment, on=today(), reason="updated")


# --- reading one entry ----------------------------------------------------------------------------------


@dataclass
class EntryState:
    """An entry seen on a day: listed or not, the line shown that day (or the last one shown before)."""

    entry: RosterEntry
    on: dt.date
    listed: bool
    line: RosterLine | None
    periods: list


def entry_state(entry: RosterEntry, on: dt.date) -> EntryState:
    lines = list(entry.lines.order_by("valid_from"))
    current = next((ln for ln in lines if history.covers(ln.valid_from, ln.valid_until, on)), None)
    shown = current or next((ln for ln in reversed(lines) if ln.valid_from <= on), None)
    shown = shown or (lines[0] if lines else None)
    return EntryState(
        entry=entry,
        on=on,
        listed=current is not None,
        line=shown,
        periods=list(entry.periods.order_by("listed_from")),
    )


# --- confirmation PDF (requested by the member on My Page) ----------------------------------------------


@dataclass
class Confirmation:
    filename: str
    content: bytes
    line: RosterLine


def issue_confirmation(establishment: Establishment, *, by: "User | None") -> Confirmation:
    """A membership confirmation (会員確認書) for immigration filings: issue date, member number, names, JSIC and
    a QR code to the permanent entry URL. Only for an establishment listed today. The caller has checked that
    `by` may act for the establishment (members.selectors)."""
    from roster import pdf, selectors

    on = today()
    line = selectors.current_line_for_establishment(establishment, on=on)
    if line is None:
        raise DomainError(
            _("この事業所は現在、会員名簿に掲載されていないため、会員確認書を発行できません。"),
            code="not_listed",
        )
    content = pdf.render_confirmation(line, issued_on=on)
    with transaction.atomic():
        audit(line.entry, "confirmation_issued", actor=by, note=str(on))
    return Confirmation(f"jaim-confirmation-{line.member_number}-{on:%Y%m%d}.pdf", content, line)


# --- jobs -----------------------------------------------------------------------------------------------


def build_exports(*, on: dt.date | None = None, force: bool = False, formats=None):
    """CSV (UTF-8 with BOM), Excel and PDF of the whole roster as of `on` (default today) into storage, each
    when due: today's file missing, or the roster changed since it was made (see roster.exports)."""
    from roster import exports

    return exports.build_exports(on=on, force=force, formats=formats)


def rebuild_roster(
    *, full: bool = False, member_numbers: list[str] | None = None, batch_size: int = 500
) -> dict:
    """Create missing roster entries from members data and re-derive every line (see roster.rebuild)."""
    return rebuild.rebuild(full=full, member_numbers=member_numbers, batch_size=batch_size)
