"""Effective-dated names (R13 merger/split, R14 relocation): old and new side by side from acceptance until the
new company exists / the new site operates; "as of" answers show the names of that day."""

import datetime as dt

import pytest

from jaim.text import search_key
from members import services as members
from roster import selectors
from roster.models import NameVersion
from roster.selectors import RosterQuery
from tests.roster.factories import listed

pytestmark = pytest.mark.django_db

D = dt.date


def line_on(membership, day):
    return selectors.lines_on(day).get(entry__membership=membership)


def found(name, day):
    return [line.member_number for line in selectors.search(RosterQuery(as_of=day, name=search_key(name)))]


@pytest.fixture
def relocating():
    membership = listed(
        org_name="株式会社サンプル精工", est_name="岐阜工場", prefecture="21", city="岐阜市", on=D(2026, 4, 1)
    )
    change = members.record_identity_change(
        membership.establishment,
        kind="RELOCATION",
        new_organisation_name="",
        new_establishment_name="各務原新工場",
        accepted_on=D(2026, 6, 1),
        new_postal_code="5040000",
        new_prefecture="21",
        new_city="各務原市",
        new_address_line="テクノプラザ1-1",
    )
    return membership, change


def test_relocation_shows_old_and_new_names_side_by_side_while_pending_R14(relocating):
    membership, _change = relocating
    line = line_on(membership, D(2026, 6, 1))
    assert line.change_kind == "RELOCATION"
    assert (line.establishment_name, line.new_establishment_name) == ("岐阜工場", "各務原新工場")
    assert (line.city, line.new_city) == ("岐阜市", "各務原市")
    # The day before acceptance: old names only.
    before = line_on(membership, D(2026, 5, 31))
    assert before.change_kind == "" and before.new_establishment_name == ""


def test_both_old_and_new_names_are_searchable_while_pending_R14(relocating):
    membership, _change = relocating
    assert found("岐阜工場", D(2026, 6, 15)) == [membership.member_number]
    assert found("各務原新工場", D(2026, 6, 15)) == [membership.member_number]
    assert found("各務原新工場", D(2026, 5, 31)) == []


def test_after_the_new_site_operates_only_the_new_name_is_shown_and_history_keeps_the_old_R14(relocating):
    membership, change = relocating
    members.complete_identity_change(change, effective_on=D(2026, 9, 1))
    during = line_on(membership, D(2026, 8, 31))
    after = line_on(membership, D(2026, 9, 1))
    assert (during.establishment_name, during.new_establishment_name) == ("岐阜工場", "各務原新工場")
    assert (after.establishment_name, after.new_establishment_name, after.change_kind) == (
        "各務原新工場",
        "",
        "",
    )
    assert (after.city, during.city) == ("各務原市", "岐阜市")
    assert found("岐阜工場", D(2026, 9, 1)) == []
    assert found("岐阜工場", D(2026, 5, 1)) == [membership.member_number]  # an officer checking an old filing
    # Listed without interruption through the change, since the first payment.
    assert {line_on(membership, d).listed_since for d in (D(2026, 5, 1), D(2026, 7, 1), D(2026, 9, 2))} == {
        D(2026, 4, 1)
    }


def test_merger_renames_the_company_on_every_site_from_the_effective_day_R13():
    a = listed(org_name="株式会社旧名工業", est_name="本社工場", on=D(2026, 4, 1))
    b = listed(organisation=a.establishment.organisation, est_name="第二工場", on=D(2026, 4, 1))
    change = members.record_identity_change(
        a.establishment,
        kind="NAME_CHANGE",
        new_organisation_name="株式会社新名ホールディングス工業",
        new_establishment_name="",
        accepted_on=D(2026, 7, 1),
    )
    pending = line_on(a, D(2026, 7, 1))
    assert (pending.organisation_name, pending.new_organisation_name) == (
        "株式会社旧名工業",
        "株式会社新名ホールディングス工業",
    )
    members.complete_identity_change(change, effective_on=D(2026, 10, 1))
    assert line_on(a, D(2026, 10, 1)).organisation_name == "株式会社新名ホールディングス工業"
    assert line_on(b, D(2026, 10, 1)).organisation_name == "株式会社新名ホールディングス工業"
    assert line_on(b, D(2026, 9, 30)).organisation_name == "株式会社旧名工業"


def test_editing_the_establishment_dates_the_new_name_from_today(time_machine):
    time_machine.move_to(dt.datetime(2026, 8, 20, 3, tzinfo=dt.UTC))
    membership = listed(est_name="旧称工場", on=D(2026, 4, 1))
    members.update_establishment(membership.establishment, by=None, data={"name": "新称工場"})
    assert line_on(membership, D(2026, 8, 19)).establishment_name == "旧称工場"
    assert line_on(membership, D(2026, 8, 20)).establishment_name == "新称工場"
    # A second edit on the same day replaces the day's version instead of stacking versions.
    members.update_establishment(membership.establishment, by=None, data={"name": "新称第一工場"})
    assert NameVersion.objects.filter(entry__membership=membership).count() == 2


def test_editing_the_phone_number_changes_nothing_on_the_roster(time_machine):
    time_machine.move_to(dt.datetime(2026, 8, 20, 3, tzinfo=dt.UTC))
    membership = listed(on=D(2026, 4, 1))
    members.update_establishment(membership.establishment, by=None, data={"phone": "0587770000"})
    assert NameVersion.objects.filter(entry__membership=membership).count() == 1


def test_added_classification_is_shown_from_the_day_it_was_added_R4(time_machine):
    time_machine.move_to(dt.datetime(2026, 8, 20, 3, tzinfo=dt.UTC))
    membership = listed(on=D(2026, 4, 1), codes=("2592",))
    members.add_jsic_codes(membership, ["2464"])
    assert line_on(membership, D(2026, 8, 19)).jsic_code_list == ["2592"]
    assert line_on(membership, D(2026, 8, 20)).jsic_code_list == ["2464", "2592"]
