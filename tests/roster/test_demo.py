import pytest
from django.core.management import call_command

from jaim.dates import today
from roster import selectors
from roster.models import ListingPeriod, RosterExport

pytestmark = pytest.mark.django_db


def test_demo_data_fills_the_roster_with_every_case_and_is_idempotent():
    call_command("seed_demo")
    lines = list(selectors.lines_on(today()))
    exports = RosterExport.objects.count()
    assert len(lines) >= 5
    assert {"RELOCATION", "NAME_CHANGE"} <= {line.change_kind for line in lines}
    assert any(line.corporate_number == "" for line in lines)  # a sole proprietor
    assert ListingPeriod.objects.filter(delisted_reason="WITHDRAWN").exists()
    assert ListingPeriod.objects.filter(listed_reason="REINSTATED").exists()
    assert exports == 3
    call_command("seed_demo")
    assert len(list(selectors.lines_on(today()))) == len(lines)
    assert RosterExport.objects.count() == exports  # nothing changed: no new exports
