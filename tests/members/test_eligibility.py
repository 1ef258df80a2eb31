"""Field eligibility: the nearest entry among a code and its ancestors decides (domain rules)."""

import pytest

from members import selectors
from members.models import FieldEligibility, JsicCode

pytestmark = pytest.mark.django_db


def test_the_whole_jsic_classification_is_loaded_with_its_hierarchy():
    assert JsicCode.objects.count() == 2128
    detail = JsicCode.objects.get(code="2591")
    assert detail.level == "detail"
    assert detail.parent.code == "259" and detail.parent.parent.code == "25"
    assert detail.parent.parent.parent.level == "major"


def test_2591_is_excluded_although_its_middle_category_25_is_eligible():
    assert selectors.is_eligible("25")
    assert selectors.is_eligible("2592")
    assert not selectors.is_eligible("2591")
    assert selectors.eligibility_of("2591").jsic_id == "2591"


def test_code_with_no_listed_ancestor_is_not_eligible():
    assert selectors.eligibility_of("0100") is None
    assert not selectors.is_eligible("0100")
    assert not selectors.is_eligible("1453")  # 14 is not listed; only 1432 is


def test_detail_under_listed_minor_inherits_addon_and_template():
    entry = selectors.eligibility_of("4841")
    assert entry.jsic_id == "484" and entry.addon == "packing" and entry.evidence_template == "484"
    assert selectors.eligibility_of("1121").addon == "textile"
    assert selectors.eligibility_of("2462").evidence_template == "2462-2464-2469"


def test_staff_edit_of_the_list_changes_eligibility_at_once():
    FieldEligibility.objects.create(jsic_id="1453", eligible=True, evidence_template="other")
    assert selectors.is_eligible("1453")
    FieldEligibility.objects.filter(jsic_id="25").update(eligible=False)
    assert not selectors.is_eligible("2511")  # decided by 25
    assert selectors.is_eligible("2534")  # has its own entry, nearer than 25


def test_eligibility_map_agrees_with_the_single_lookup_for_every_code():
    mapping = selectors.eligibility_map()
    for code in ["2591", "2592", "25", "0100", "4841", "1432", "1453", "E", "111"]:
        single = selectors.eligibility_of(code)
        assert (mapping[code].pk if mapping[code] else None) == (single.pk if single else None)
