"""Test helpers for applications: real files made here, applications built through the real services."""

import io

import pikepdf
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from applications import services
from applications.models import Application, DocumentType
from applications.selectors import current_pledges, evidence_templates
from tests.factories import EstablishmentFactory, UserFactory, head_office, membership_for


def pdf_bytes(**save_kwargs) -> bytes:
    """A well-formed one-page PDF written by qpdf (pikepdf)."""
    buf = io.BytesIO()
    with pikepdf.new() as pdf:
        pdf.add_blank_page(page_size=(595, 842))
        pdf.save(buf, **save_kwargs)
    return buf.getvalue()


PDF = pdf_bytes()


def image_bytes(fmt="PNG", size=(4, 4), **save_kwargs) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, format=fmt, **save_kwargs)
    return buf.getvalue()


def upload(name="file.pdf", content=PDF, content_type="application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def dtype(code) -> DocumentType:
    return DocumentType.objects.get(code=code)


def applicant():
    """A head-office user with one establishment (not yet a member)."""
    user, org = head_office()
    est = EstablishmentFactory(organisation=org)
    return user, est


def draft(est, user, *, kind=Application.Kind.NEW, codes=("2592",)):
    app = services.create_application(est, kind=kind, by=user)
    for c in codes if kind in (Application.Kind.NEW, Application.Kind.ADD_CLASSIFICATION) else ():
        services.add_requested_code(app, c, by=user)
    return Application.objects.get(pk=app.pk)


def add_doc(app, user, code, *, content=None, name=None, **kwargs):
    if content is None:
        content = PDF if not code.endswith("image") else image_bytes()
    name = name or ("doc.pdf" if content.startswith(b"%PDF") else "photo.png")
    return services.upload_document(
        app, by=user, document_type=dtype(code), uploaded=upload(name, content), **kwargs
    )


def complete(app, user):
    """Fill every answer and document a plain (no add-on) NEW/ADD_CLASSIFICATION application needs."""
    kind = app.kind
    if kind in (Application.Kind.NEW, Application.Kind.ADD_CLASSIFICATION):
        services.save_answers(app, step="shipment", data={"had_shipments": True}, by=user)
        for t in evidence_templates(app):
            add_doc(app, user, "shipment_evidence", evidence_template=t)
        add_doc(app, user, "product_image")
        add_doc(app, user, "factory_image")
        services.accept_pledges(app, pledge_ids=[p.pk for p in current_pledges(kind)], by=user)
    return Application.objects.get(pk=app.pk)


def submitted(est=None, user=None, *, codes=("2592",)):
    if est is None:
        user, est = applicant()
    app = complete(draft(est, user, codes=codes), user)
    return services.submit_application(app, by=user)


def reviewer():
    from django.contrib.auth.models import Group

    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name="reviewer"))
    return user


def member_establishment(codes=("2592",)):
    user, est = applicant()
    m = membership_for(est, codes=codes)
    return user, est, m


CHANGE_ANSWERS = {
    "NAME_CHANGE": {"new_organisation_name": "株式会社新名ホールディングス", "new_establishment_name": ""},
    "RELOCATION": {
        "new_establishment_name": "各務原新工場",
        "new_postal_code": "5040000",
        "new_prefecture": "21",
        "new_city": "各務原市",
        "new_address_line": "テクノプラザ1-1",
    },
}
CHANGE_EVIDENCE = {"NAME_CHANGE": "merger_evidence", "RELOCATION": "relocation_address_evidence"}


def approved_change(kind, *, est=None, user=None, staff=None, accepted_days_ago=10, **answers):
    """A merger (R13) or relocation (R14) applied for, reviewed and approved through the services (approved
    `accepted_days_ago` days ago): the change is accepted and pending, old and new names side by side.
    Returns (user, application, change)."""
    import datetime as dt

    import time_machine

    from jaim.dates import today

    day = today() - dt.timedelta(days=accepted_days_ago)
    with time_machine.travel(dt.datetime(day.year, day.month, day.day, 1, tzinfo=dt.UTC), tick=True):
        return _approved_change(kind, est=est, user=user, staff=staff, **answers)


def _approved_change(kind, *, est, user, staff, **answers):
    import datetime as dt

    from jaim.dates import today

    if est is None:
        user, est = applicant()
        membership_for(est)
    app = draft(est, user, kind=kind)
    data = {**CHANGE_ANSWERS[kind], "change_expected_on": today() + dt.timedelta(days=30), **answers}
    services.save_answers(app, step="change", data=data, by=user)
    add_doc(app, user, CHANGE_EVIDENCE[kind])
    app = services.submit_application(app, by=user)
    staff = staff or reviewer()
    services.start_review(app, reviewer=staff)
    app = services.approve_application(app, reviewer=staff)
    app = Application.objects.select_related("identity_change").get(pk=app.pk)
    return user, app, app.identity_change
