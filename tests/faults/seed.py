"""Data for the fault run, written into its private database through the real services (run as
`python -m tests.faults.seed OUT.json APPLICANTS INVOICES` with the run's environment): applicants whose NEW
application lacks only the factory photo (the scripted user uploads it and submits), a finance officer with a
TOTP device, and unpaid first-year invoices for finance to record payments against. Mail written while seeding
is marked sent: the run counts only its own."""

import datetime as dt
import json
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jaim.settings")


def main(out: str, applicants: int, invoices: int) -> None:
    import django

    django.setup()
    from applications import services as app_services
    from applications.selectors import current_pledges, evidence_templates
    from demo.fees import ensure_schedules
    from fees import selectors as fee_selectors
    from fees import services as fee_services
    from jaim.models import OutboxMessage
    from tests.applications.factories import add_doc, applicant, draft, dtype
    from tests.factories import EstablishmentFactory, head_office, membership_for
    from tests.security.helpers import PASSWORD, staff_user, totp_device

    ensure_schedules()
    people = []
    for _n in range(applicants):
        user, est = applicant()
        app = draft(est, user)
        app_services.save_answers(app, step="shipment", data={"had_shipments": True}, by=user)
        for t in evidence_templates(app):
            add_doc(app, user, "shipment_evidence", evidence_template=t)
        add_doc(app, user, "product_image")
        app_services.accept_pledges(app, pledge_ids=[p.pk for p in current_pledges(app.kind)], by=user)
        people.append({"email": user.email, "password": PASSWORD, "application": app.pk})
    finance = staff_user(group="finance")
    device = totp_device(finance)
    bills = []
    for n in range(invoices):
        owner, org = head_office()
        est = EstablishmentFactory(organisation=org)
        fee_services.save_billing_contact(
            est,
            data=dict(addressee=org.name, department="経理部", person_name="経理 一郎", email=f"billing{n}@example.jp",
                      postal_code=org.postal_code, prefecture=org.prefecture, city=org.city,
                      address_line=org.address_line, phone=org.phone),
            for_organisation=True, by=owner,
        )  # fmt: skip
        m = membership_for(est, fee_notice_date=dt.date(2026, 6, 10))
        inv = fee_services.bill_new_membership(
            m, notice_date=m.fee_notice_date, application_date=m.fee_notice_date
        )
        bills.append({"invoice": inv.pk, "amount": fee_selectors.outstanding_yen(inv)})
    OutboxMessage.objects.update(status=OutboxMessage.Status.SENT)
    data = {
        "applicants": people,
        "finance": {"email": finance.email, "password": PASSWORD, "key": device.key},
        "invoices": bills,
        "factory_image_type": dtype("factory_image").pk,
        "last_seed_mail": OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
    }
    with open(out, "w") as f:
        json.dump(data, f)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
