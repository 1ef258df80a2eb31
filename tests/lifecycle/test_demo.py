import pytest
from django.core.management import call_command

from jaim.dates import today
from jaim.models import JobRun
from lifecycle.models import Lapse, WageReport, WithdrawalRequest
from lifecycle.services import JOBS
from members.models import Membership, MembershipTerm

pytestmark = pytest.mark.django_db


def snapshot():
    return (
        sorted(Membership.objects.values_list("member_number", "status")),
        sorted(MembershipTerm.objects.values_list("membership_id", "fiscal_year", "renewal_answer")),
        WithdrawalRequest.objects.count(),
        Lapse.objects.count(),
        sorted(WageReport.objects.values_list("membership_id", "below_target")),
        JobRun.objects.filter(job__in=JOBS).count(),
    )


def test_demo_shows_every_lifecycle_case_and_is_idempotent(settings, tmp_path):
    call_command("seed_demo")
    assert MembershipTerm.objects.filter(renewal_answer="PENDING").exists()  # a renewal awaiting its answer
    assert WithdrawalRequest.objects.filter(status="PENDING").count() == 1  # waiting for the secretariat
    assert Membership.objects.filter(status="LAPSED").count() == 1
    assert set(WageReport.objects.values_list("below_target", flat=True)) == {True, False}
    runs = JobRun.objects.filter(job__in=JOBS, reference_date=today())
    assert sorted(runs.values_list("job", flat=True)) == sorted(JOBS) and all(r.succeeded for r in runs)
    before = snapshot()
    call_command("seed_demo")
    assert snapshot() == before
