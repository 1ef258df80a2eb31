"""rebuild_roster: the roster tables from members data (bench seeding, repair). Tokens survive."""

import datetime as dt

import pytest
from django.core.management import call_command

from members import services as members
from members.models import JsicCode, Membership
from roster.models import ListingPeriod, NameVersion, RosterEntry, RosterLine
from tests.factories import EstablishmentFactory, lapse, reinstate, withdraw
from tests.roster.factories import listed

pytestmark = pytest.mark.django_db

D = dt.date
FIELDS = (
    "valid_from",
    "valid_until",
    "listed_since",
    "member_number",
    "organisation_name",
    "establishment_name",
    "prefecture",
    "city",
    "change_kind",
    "new_establishment_name",
    "new_city",
    "jsic_codes",
    "search_key",
)


def snapshot_lines():
    return list(RosterLine.objects.order_by("member_number", "valid_from").values_list(*FIELDS))


@pytest.fixture
def history(time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 2, 3, tzinfo=dt.UTC))
    plain = listed(org_name="株式会社ふつう", on=D(2026, 4, 1))
    gone = listed(org_name="株式会社退会済み", on=D(2026, 4, 1))
    withdraw(gone, on=D(2026, 10, 1))
    moved = listed(
        org_name="株式会社移転", est_name="岐阜工場", prefecture="21", city="岐阜市", on=D(2026, 4, 1)
    )
    change = members.record_identity_change(
        moved.establishment,
        kind="RELOCATION",
        new_organisation_name="",
        new_establishment_name="各務原新工場",
        accepted_on=D(2026, 6, 1),
        new_postal_code="5040000",
        new_prefecture="21",
        new_city="各務原市",
        new_address_line="1-1",
    )
    members.complete_identity_change(change, effective_on=D(2026, 9, 1))
    pending = listed(org_name="株式会社合併中", on=D(2026, 5, 1))
    members.record_identity_change(
        pending.establishment,
        kind="NAME_CHANGE",
        new_organisation_name="株式会社新会社",
        new_establishment_name="",
        accepted_on=D(2026, 10, 20),
    )
    return plain, gone, moved, pending


def test_rebuild_from_scratch_reproduces_what_the_signals_built(history):
    before = snapshot_lines()
    tokens = dict(RosterEntry.objects.values_list("membership_id", "token"))
    call_command("rebuild_roster", "--full")
    assert snapshot_lines() == before
    assert (
        dict(RosterEntry.objects.values_list("membership_id", "token")) == tokens
    )  # printed URLs stay valid


def test_rebuild_recreates_deleted_roster_rows(history):
    before = snapshot_lines()
    RosterLine.objects.all().delete()
    ListingPeriod.objects.all().delete()
    NameVersion.objects.all().delete()
    RosterEntry.objects.all().delete()
    call_command("rebuild_roster")
    assert snapshot_lines() == before


def test_rebuild_keeps_a_lapse_gap_using_the_reinstatement_record_day(time_machine):
    time_machine.move_to(dt.datetime(2027, 7, 15, 3, tzinfo=dt.UTC))
    m = listed(on=D(2026, 4, 1))
    lapse(m, on=D(2027, 6, 1))
    reinstate(m, on=D(2027, 7, 15))  # recorded on the day: exact
    before = list(ListingPeriod.objects.values_list("listed_from", "delisted_on"))
    call_command("rebuild_roster", "--full")
    assert (
        list(ListingPeriod.objects.order_by("listed_from").values_list("listed_from", "delisted_on"))
        == before
    )


def test_bulk_loaded_memberships_without_signals_get_listed():
    est = EstablishmentFactory(name="一括工場")
    m = Membership.objects.create(
        establishment=est,
        member_number="J9000001",
        status="ACTIVE",
        fee_notice_date=D(2026, 3, 1),
        activated_on=D(2026, 4, 1),
    )
    m.jsic_codes.set([JsicCode.objects.get(code="2592")])
    assert not RosterEntry.objects.exists()
    call_command("rebuild_roster")
    line = RosterLine.objects.get(member_number="J9000001")
    assert (line.valid_from, line.valid_until, line.establishment_name, line.jsic_codes) == (
        D(2026, 4, 1),
        None,
        "一括工場",
        "|2592|",
    )


def test_rebuild_of_a_healthy_roster_changes_nothing(history):
    from roster import services

    stamps = dict(RosterEntry.objects.values_list("pk", "updated_at"))
    counts = services.rebuild_roster()
    assert counts["changed"] == 0 and counts["lines"] == 0
    assert dict(RosterEntry.objects.values_list("pk", "updated_at")) == stamps
