"""Organisation A with one of everything (built through the apps' services), and the people who must NOT see it.

Used by the access matrix (security). Dates: A's membership is active since 2026-06-20 and the world is
built on 2027-01-20 (the FY2026 wage-report period is open), so every portal page of A has something to show."""

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.models import Group

from tests.applications.factories import PDF, add_doc, draft, upload
from tests.factories import (
    EstablishmentFactory,
    OrganisationFactory,
    UserFactory,
    head_office,
    membership_for,
)
from tests.lifecycle.factories import fee_schedules, site_user, wage_period

WORLD_DAY = dt.date(2027, 1, 20)


@dataclass
class World:
    owner: object
    org: object
    est: object  # the member establishment: every object below hangs on it
    other_est: object  # A's other establishment (its site user must not reach `est`)
    membership: object
    application: object
    document: object
    invoice: object
    receipt: object
    credit_note: object
    wage_report: object
    wage_evidence: object
    org_access: object
    support_grant: object
    roster_entry: object
    people: dict = field(default_factory=dict)
    # People who act for A's establishment without its manage right (decisions.md, "Who may withdraw…")
    helpers: dict = field(default_factory=dict)

    def markers(self) -> list[str]:
        """Strings that only A's data contains: none may appear in a refused response."""
        return [
            self.org.name,
            self.est.name,
            self.membership.member_number,
            self.invoice.number,
            self.document.original_name,
        ]


def build_world(*, org_name="株式会社アクセス検査甲", est_name="甲第一工場") -> World:
    from fees import selectors as fee_selectors
    from fees import services as fees
    from lifecycle import services as lifecycle
    from members import services as members
    from roster.models import RosterEntry

    fee_schedules()
    period = wage_period()
    owner, org = head_office(name=org_name)
    est = EstablishmentFactory(organisation=org, name=est_name)
    other_est = EstablishmentFactory(organisation=org, name="甲第二工場")

    application = draft(est, owner)
    document = add_doc(application, owner, "product_image", name="甲秘密の製品写真.png")
    membership = membership_for(est, fee_notice_date=dt.date(2026, 6, 10))
    invoice = fees.bill_new_membership(
        membership, notice_date=dt.date(2026, 6, 10), application_date=dt.date(2026, 5, 1)
    )
    credit_note = fees.issue_credit_note(invoice, amount_yen=1_000, reason="検査用", by=None)
    fees.record_payment(
        [invoice], amount_yen=fee_selectors.outstanding_yen(invoice), received_on=dt.date(2026, 6, 20)
    )
    receipt = fees.request_receipt(invoice, by=owner)
    invoice.refresh_from_db()
    membership.refresh_from_db()
    wage_report = lifecycle.submit_wage_report(
        membership,
        period=period,
        by=owner,
        workers=25,
        wage_before_yen=300_000,
        wage_after_yen=301_000,  # below target: the additional report is due
        files=[upload("賃上げ証跡.pdf", PDF)],
    )
    support_org = OrganisationFactory(is_support_organisation=True, name="登録支援機関乙")
    support_user = UserFactory()
    from members.models import Access

    Access.objects.create(user=support_user, organisation=support_org, can_manage=True)
    support_grant = members.grant_support_access(est, support_organisation=support_org, by=owner)
    org_access = Access.objects.create(user=UserFactory(), organisation=org, can_manage=False)

    # the people who must not reach A's objects
    b_user, _ = head_office(name="株式会社他社乙")
    other_site_user = site_user(other_est)
    ungranted_support_org = OrganisationFactory(is_support_organisation=True, name="登録支援機関丙")
    ungranted_support_user = UserFactory()
    Access.objects.create(user=ungranted_support_user, organisation=ungranted_support_org, can_manage=True)
    staff = {}
    for group in ("reviewer", "finance", "administrator"):
        u = UserFactory(is_staff=True)
        u.groups.add(Group.objects.get(name=group))
        staff[group] = u

    return World(
        owner=owner,
        org=org,
        est=est,
        other_est=other_est,
        membership=membership,
        application=application,
        document=document,
        invoice=invoice,
        receipt=receipt,
        credit_note=credit_note,
        wage_report=wage_report,
        wage_evidence=wage_report.evidence.first(),
        org_access=org_access,
        support_grant=support_grant,
        roster_entry=RosterEntry.objects.filter(membership=membership).first(),
        helpers={
            "head-office user without the manage right": org_access.user,
            "site user of the establishment without the manage right": site_user(est),
            "support organisation with a grant": support_user,
        },
        people={
            "organisation B": b_user,
            "site user of A's other establishment": other_site_user,
            "support organisation without a grant": ungranted_support_user,
            **{f"staff ({g})": u for g, u in staff.items()},
        },
    )
