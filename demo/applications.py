"""Demo applications: one approved (its membership is what fees and the roster build on), one waiting in the review
queue, one returned with the reviewer's message, and a draft. Everything through the services. Safe to run twice."""

import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from applications import selectors, services
from applications.models import AddonAssociation, Application, DocumentType
from demo.files import sample_pdf
from jaim.errors import DomainError
from members import services as member_services
from members.models import Association

PDF = sample_pdf()


def _png(label: str, colour) -> bytes:
    img = Image.new("RGB", (480, 320), colour)
    ImageDraw.Draw(img).text((20, 20), label, fill=(255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _doc(app, user, code, name, content=PDF, **kwargs):
    kind = "image/png" if content[:4] == b"\x89PNG" else "application/pdf"
    services.upload_document(
        app,
        by=user,
        document_type=DocumentType.objects.get(code=code),
        uploaded=SimpleUploadedFile(name, content, content_type=kind),
        **kwargs,
    )


def _fill(app, user, *, images=True):
    services.save_answers(app, step="shipment", data={"had_shipments": True}, by=user)
    for template in selectors.evidence_templates(app):
        _doc(app, user, "shipment_evidence", f"出荷実績_{template}.pdf", evidence_template=template)
    if images:
        _doc(app, user, "product_image", "完成品.png", _png("PRODUCT", (40, 90, 160)))
        _doc(app, user, "factory_image", "工場内部.png", _png("FACTORY", (60, 120, 70)))
    services.accept_pledges(app, pledge_ids=[p.pk for p in selectors.current_pledges(app.kind)], by=user)


def _site(org, owner, name, kana, city, line):
    est = org.establishments.filter(name=name).first()
    return est or member_services.create_establishment(
        org,
        by=owner,
        data=dict(
            name=name,
            name_kana=kana,
            postal_code="4300929",
            prefecture="22",
            city=city,
            address_line=line,
            phone="0531234567",
            operating_since=dt.date(2015, 4, 1),
        ),
    )


def _exists(est, kind):
    return Application.objects.filter(establishment=est, kind=kind).first()


def _approved(est, owner, reviewer, org):
    app = _exists(est, "NEW")
    if app is not None:
        return app
    app = services.create_application(est, kind="NEW", by=owner)
    for code in ("2592", "2651"):
        services.add_requested_code(app, code, by=owner)
    _fill(app, owner)
    services.save_answers(
        app,
        step="sme",
        data={
            "sme_claimed": True,
            "capital_yen": org.capital_yen,
            "regular_employees": org.regular_employees,
            "sme_proof_type": "LABOUR_INSURANCE",
        },
        by=owner,
    )
    _doc(app, owner, "sme_proof", "労働保険_確定保険料申告書.pdf")
    assoc = Association.objects.filter(memberships__organisation=org, is_regular_member=True).first()
    if assoc is not None:
        am = assoc.memberships.get(organisation=org)
        services.save_answers(
            app,
            step="association",
            data={
                "association": assoc,
                "association_applied_on": am.applied_on,
                "association_complete_on": am.complete_on,
            },
            by=owner,
        )
    app = services.submit_application(app, by=owner)
    app = services.start_review(app, reviewer=reviewer)
    try:  # the fee schedule comes from the fees demo (sample amounts, F2)
        from demo.fees import ensure_schedules

        ensure_schedules()
    except ImportError:
        pass
    try:
        app = services.approve_application(app, reviewer=reviewer)
    except (
        DomainError
    ) as exc:  # e.g. no fee schedule for this fiscal year: stays in review, visible in the queue
        print(f"demo.applications: approval left in review: {exc.message}")  # noqa: T201
    return app


def _queued(est, owner):
    app = _exists(est, "NEW")
    if app is None:
        app = services.create_application(est, kind="NEW", by=owner)
        services.add_requested_code(app, "1821", by=owner)
        _fill(app, owner)
        app = services.submit_application(app, by=owner)
    return app


def _returned(est, owner, reviewer):
    app = _exists(est, "NEW")
    if app is not None:
        return app
    app = services.create_application(est, kind="NEW", by=owner)
    services.add_requested_code(app, "1511", by=owner)
    _fill(app, owner, images=False)
    services.save_answers(
        app,
        step="images",
        data={
            "images_restricted": True,
            "images_restriction_reason": "顧客との契約により、印刷物の画像を社外に出せないため。",
            "product_use_explanation": "食品パッケージの外装印刷。完成品の外箱として商品名・成分表示を担う。",
        },
        by=owner,
    )
    card = AddonAssociation.objects.filter(addon="printing").select_related("association").first()
    if card is not None:
        _doc(app, owner, "association_member_card", "会員証.pdf", association=card.association)
    _doc(app, owner, "cooperative_certificate", "組合加盟証明書.pdf")
    app = services.submit_application(app, by=owner)
    app = services.start_review(app, reviewer=reviewer)
    return services.return_application(
        app,
        reviewer=reviewer,
        message=(
            "出荷実績の書類に、直近1年以内の納品書の画像が含まれていません。\n"
            "様式15の「証跡画像」欄に納品書または出荷指示書の画像を貼り付けて、再提出してください。"
        ),
        deadline=dt.date.today() + dt.timedelta(days=21),
    )


def _draft_addition(est, owner):
    app = _exists(est, "ADD_CLASSIFICATION")
    if app is None and est.memberships.filter(status__in=["AWAITING_PAYMENT", "ACTIVE"]).exists():
        app = services.create_application(est, kind="ADD_CLASSIFICATION", by=owner)
        services.add_requested_code(app, "2691", by=owner)
        services.save_answers(app, step="shipment", data={"had_shipments": True}, by=owner)
    return app


def seed(ctx):
    org, owner, reviewer = ctx["organisation"], ctx["owner"], ctx["reviewer"]
    sites = list(org.establishments.order_by("id"))
    approved = _approved(sites[0], owner, reviewer, org)
    queued = _queued(
        _site(org, owner, "浜松第三工場", "ハママツダイサンコウジョウ", "浜松市中央区", "砂山町1-1"), owner
    )
    returned = _returned(
        _site(org, owner, "浜松印刷工場", "ハママツインサツコウジョウ", "浜松市中央区", "板屋町2-2"),
        owner,
        reviewer,
    )
    draft = _draft_addition(sites[0], owner)
    return {
        "approved_application": approved,
        "queued_application": queued,
        "returned_application": returned,
        "draft_application": draft,
    }
