"""Test helpers for applications: real files made here, applications built through the real services."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from applications import services
from applications.models import Application, DocumentType
from applications.selectors import current_pledges, evidence_templates
from tests.factories import EstablishmentFactory, UserFactory, head_office, membership_for

PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


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
