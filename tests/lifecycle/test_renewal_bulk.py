"""The renewal job set-based (R16, F7, F8, F10): a chunk's invoices, lines, terms, e-mails and RenewalNotice rows
written with a constant number of statements, the same result as the per-row path it replaced
(tests/lifecycle/per_row_renewal.py) field by field, nothing more on a second run, and a run cut off between a
chunk's two transactions completed by the next one."""

from unittest import mock

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from fees.models import DebitMandate, Invoice, InvoiceLine
from jaim.models import AuditEvent, OutboxMessage, Sequence
from lifecycle import selectors, services
from lifecycle.models import RenewalNotice
from lifecycle.services import renewal
from members.models import Membership, MembershipTerm
from tests.factories import AssociationMembershipFactory, OrganisationFactory
from tests.fees.factories import BillingContactFactory
from tests.lifecycle.conftest import at
from tests.lifecycle.factories import NOTICE_ON, fee_schedules, member, season, site_user
from tests.lifecycle.per_row_renewal import run_per_row

pytestmark = pytest.mark.django_db


def _world(n: int = 12) -> list[Membership]:
    """Members of every kind the renewal treats differently: SME or not (F3), group discount (F4), a site's own
    billing contact or its organisation's or none (F10), a support organisation paying by debit (F12), site staff
    beside the head-office manager, two sites of one company, one leaving at the end of the year (F8), one
    already withdrawn."""
    fee_schedules()
    season()
    out = []
    for i in range(n):
        sme = i % 3 == 0
        _user, m = member(
            capital_yen=10_000_000 if sme else 900_000_000, regular_employees=20 if sme else 900
        )
        org = m.establishment.organisation
        if i % 4 == 1:
            BillingContactFactory(establishment=m.establishment)
        if i % 4 == 2 or i == 5:  # the 6th: both, the site's own applies
            BillingContactFactory(organisation=org)
        if i % 5 == 0:
            site_user(m.establishment)
        if i % 6 == 4:
            AssociationMembershipFactory(organisation=org)
        if i == 3:
            support = OrganisationFactory(is_support_organisation=True)
            DebitMandate.objects.create(
                establishment=m.establishment,
                bank_code="0001",
                branch_code="210",
                account_type="1",
                account_number="1234567",
                holder_kana="ｶ)ﾃｽﾄ",
                payer=support,
            )
        if i == 5:
            out.append(member(org)[1])  # a second site of the same company: its manager hears of both
        out.append(m)
    leaving, withdrawn = out[-1], out[-2]
    MembershipTerm.objects.create(
        membership=leaving, fiscal_year=2026, renewal_answer=MembershipTerm.Answer.WITHDRAW
    )
    Membership.objects.filter(pk=withdrawn.pk).update(status=Membership.Status.WITHDRAWN)
    return out


def _snapshot() -> dict:
    """Everything the renewal writes, keyed by what identifies it (not by primary keys or timestamps)."""
    skip = {"id", "created_at", "updated_at", "issued_at"}

    def row(values: dict) -> dict:
        return {k: v for k, v in values.items() if k not in skip}

    number_of = dict(Invoice.objects.values_list("pk", "number"))
    invoice_type = ContentType.objects.get_for_model(Invoice)
    return {
        "invoices": {v["number"]: row(v) for v in Invoice.objects.filter(fiscal_year=2027).values()},
        "lines": sorted(
            (number_of[v.pop("invoice_id")], sorted(row(v).items()))
            for v in InvoiceLine.objects.filter(invoice__fiscal_year=2027).values()
        ),
        "audit": sorted(
            (number_of[int(v["object_id"])], v["action"], v["to_status"], v["note"], v["actor_id"])
            for v in AuditEvent.objects.filter(action="issued", content_type=invoice_type).values()
        ),
        "notices": sorted(
            (v["membership_id"], v["fiscal_year"], number_of[v["invoice_id"]], v["sent_on"])
            for v in RenewalNotice.objects.values()
        ),
        "terms": sorted(MembershipTerm.objects.values_list("membership_id", "fiscal_year", "renewal_answer")),
        "mails": {v["dedupe_key"]: row(v) for v in OutboxMessage.objects.values()},
        "unkeyed_mails": OutboxMessage.objects.filter(dedupe_key__isnull=True).count(),
        "counters": dict(Sequence.objects.values_list("prefix", "last_value")),
    }


def test_the_set_based_renewal_writes_exactly_what_the_per_row_path_wrote_field_by_field():
    _world()
    s = renewal.RenewalSeason.objects.get(fiscal_year=2027)
    with at(NOTICE_ON), transaction.atomic():
        per_row_counts = run_per_row(s, on=NOTICE_ON, chunk_size=4)
        per_row = _snapshot()
        transaction.set_rollback(True)  # back to the seeded data, counters included
    assert RenewalNotice.objects.count() == 0 and not Invoice.objects.filter(fiscal_year=2027).exists()
    with at(NOTICE_ON):
        counts = services.run_renewal(on=NOTICE_ON, chunk_size=4)
    bulk = _snapshot()

    assert per_row["invoices"] and per_row["mails"]  # the comparison compares something
    assert len(per_row["invoices"]) == 11  # 13 memberships: one leaves at the year end, one has withdrawn
    assert len({inv["total_yen"] for inv in per_row["invoices"].values()}) > 1  # SME and group discounts
    kinds = {m["kind"] for m in per_row["mails"].values()}
    assert kinds == {"fees_invoice_issued", "lifecycle_renewal_notice"}
    for key in ("invoices", "lines", "audit", "notices", "terms", "counters", "unkeyed_mails"):
        assert bulk[key] == per_row[key], key
    assert bulk["mails"].keys() == per_row["mails"].keys()
    for key, mail in per_row["mails"].items():
        assert bulk["mails"][key] == mail, key
    assert (counts["invoices_issued"], counts["renewed"], counts["mails"]) == (
        per_row_counts["issued"],
        per_row_counts["renewed"],
        per_row_counts["mails"],
    )


def test_a_second_run_creates_nothing_and_a_run_cut_off_between_a_chunks_transactions_is_completed():
    members = _world()
    real = renewal.queue_mails
    calls = []

    def dies_on_the_second_chunk(mails):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("worker killed")  # after the chunk's invoices committed, before its mails
        return real(mails)

    with at(NOTICE_ON), mock.patch.object(renewal, "queue_mails", dies_on_the_second_chunk):
        with pytest.raises(RuntimeError):
            services.run_renewal(on=NOTICE_ON, chunk_size=4)
    assert RenewalNotice.objects.count() == 4  # the first chunk is complete
    assert Invoice.objects.filter(fiscal_year=2027).count() == 8  # the second chunk's invoices only
    with at(NOTICE_ON):
        resumed = services.run_renewal(on=NOTICE_ON, chunk_size=4)
        before = _snapshot()
        again = services.run_renewal(on=NOTICE_ON, chunk_size=4)
    assert resumed["renewed"] == 7 and resumed["invoices_issued"] == 3
    assert (again["due"], again["renewed"], again["invoices_issued"], again["mails"]) == (0, 0, 0, 0)
    assert _snapshot() == before
    renewed = {m.pk for m in members} - {members[-1].pk, members[-2].pk}
    assert set(RenewalNotice.objects.values_list("membership_id", flat=True)) == renewed
    for kind in ("fees_invoice_issued", "lifecycle_renewal_notice"):
        per_member = OutboxMessage.objects.filter(kind=kind).values_list("dedupe_key", flat=True)
        assert len(per_member) == len(set(per_member))
    numbers = sorted(int(n.split("-")[1]) for n in Invoice.objects.values_list("number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))  # gap-free across the cut-off run


def _chunk_queries(ids) -> int:
    s = renewal.RenewalSeason.objects.get(fiscal_year=2027)
    with CaptureQueriesContext(connection) as queries:
        done = services.renew_chunk(s, ids, on=NOTICE_ON)
    assert done["renewed"] == len(ids) and done["issued"] == len(ids)
    return len(queries)


@pytest.mark.postgres  # the production database's statements (SQLite splits bulk inserts by its variable limit)
def test_a_chunk_takes_the_same_number_of_queries_for_10_memberships_as_for_100(
    django_assert_max_num_queries,
):
    _world(112)
    due = selectors.renewal_due(renewal.RenewalSeason.objects.get(fiscal_year=2027))
    members = list(due.order_by("pk").values_list("pk", flat=True))
    assert len(members) == 111
    with at(NOTICE_ON):
        _chunk_queries(members[:1])  # the year's counter row exists from here on, as after the first chunk
        ten = _chunk_queries(members[1:11])
        # 33: one of them reads the administrators' wording of the chunk's mail kinds (jaim.mailtemplates), once per
        # batch whatever its size; the invoices' and the outbox rows' ids are reserved before their COPY (jaim.bulk)
        with django_assert_max_num_queries(33):
            hundred = _chunk_queries(members[11:111])
    assert ten == hundred
    assert OutboxMessage.objects.filter(kind="lifecycle_renewal_notice").count() >= 111


@pytest.mark.postgres  # a PostgreSQL plan
def test_the_due_memberships_are_an_anti_join_not_a_subplan_per_membership():
    """NOT IN (subquery) cannot be planned as an anti-join; once a year's notices outgrow a hashed subplan it is
    rescanned for every membership (found at 65,000 notices: one query of the resumed run took minutes)."""
    _world(3)
    plan = selectors.renewal_due(renewal.RenewalSeason.objects.get(fiscal_year=2027)).explain()
    assert "Anti Join" in plan and "SubPlan" not in plan, plan
