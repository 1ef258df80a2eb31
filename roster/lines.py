"""What the roster shows about a membership: its public snapshot, the lines derived from periods × name
versions, and the signal that cached answers are stale. Shared by the writes (roster.services) and the rebuild
(roster.rebuild), which both import it."""

from django.db import transaction

from members.models import IdentityChange, Membership
from roster import cards, exports, history
from roster.models import IdentityFields, RosterEntry, RosterLine
from roster.selectors import bump_roster_version


def snapshot(membership: Membership) -> dict:
    """The roster's view of a membership now: public identity only (never people, phones, e-mails or street
    addresses), with the new names of a pending merger/split or relocation beside the old ones, and the
    registered readings of the names (for the search key only)."""
    est = membership.establishment
    org = est.organisation
    # .all() so that a prefetch (rebuild) is used; one small query otherwise.
    open_changes = [c for c in est.identity_changes.all() if c.effective_on is None]
    pending = max(open_changes, key=lambda c: (c.accepted_on, c.pk)) if open_changes else None
    data = {
        "corporate_number": org.corporate_number or "",
        "organisation_name": org.name,
        "establishment_name": est.name,
        "prefecture": est.prefecture,
        "city": est.city,
        "change_kind": "",
        "new_organisation_name": "",
        "new_establishment_name": "",
        "new_prefecture": "",
        "new_city": "",
        "jsic": [[c.code, c.name_ja] for c in sorted(membership.jsic_codes.all(), key=lambda c: c.code)],
        # Readings go into the search key only (NameVersion.READING_FIELDS); the line never holds them.
        "organisation_name_kana": org.name_kana or "",
        "establishment_name_kana": est.name_kana or "",
    }
    if pending is not None:
        data.update(_pending_fields(pending))
    return data


def _pending_fields(change: IdentityChange) -> dict:
    relocating = change.kind == IdentityChange.Kind.RELOCATION and bool(change.new_prefecture)
    return {
        "change_kind": change.kind,
        "new_organisation_name": change.new_organisation_name,
        "new_establishment_name": change.new_establishment_name,
        "new_prefecture": change.new_prefecture if relocating else "",
        "new_city": change.new_city if relocating else "",
    }


def _line(entry: RosterEntry, period, version, span: history.Span) -> RosterLine:
    data = version.identity() if isinstance(version, IdentityFields) else version.data
    shown = {f: data[f] for f in IdentityFields.IDENTITY_FIELDS}  # not the readings: searched, never shown
    return RosterLine(
        entry_id=entry.pk,
        valid_from=span.start,
        valid_until=span.end,
        listed_since=period.listed_from,
        token=entry.token,
        member_number=entry.member_number,
        jsic_codes=history.jsic_filter_text(data["jsic"]),
        search_key=history.line_search_key(data),
        card_format=cards.card_format(),  # the cards themselves: cards.write_cards, once written
        **shown,
    )


LINE_SIGNATURE = (
    "valid_from",
    "valid_until",
    "listed_since",
    "token",
    "member_number",
    "jsic_codes",
    "search_key",
    "card_format",  # cards rendered otherwise (markup, translations) are rewritten by the next rebuild
    *IdentityFields.IDENTITY_FIELDS,
)


def line_signature(line: RosterLine) -> tuple:
    return tuple(str(getattr(line, f)) for f in LINE_SIGNATURE)


def roster_changed() -> None:
    """Cached public answers are stale: bump the roster version now and again after commit (a request that
    read the data before the commit may have cached it under the version bumped first)."""
    bump_roster_version()
    transaction.on_commit(bump_roster_version)
    transaction.on_commit(exports.schedule_rebuild)  # today's files follow within minutes
