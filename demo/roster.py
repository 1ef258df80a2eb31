"""Demo roster: a handful of listed establishments next to the demo company, so /roster/ shows every case —
a pending relocation (its operation reported by the member, waiting for staff) and a pending merger (old and new
names side by side), a merger finished today (new name only from today, follow-up documents due), a sole
proprietor without a 法人番号, a lapse with a reinstatement (a gap in the listing history), one withdrawn in the
past (for as-of checks) — then the exports. Everything through the services (the roster follows by its signals).
Dates are relative to today. Safe to run twice."""

import datetime as dt

from demo.files import sample_pdf
from jaim.dates import today
from jaim.validators import corporate_number_check_digit
from members import selectors as member_selectors
from members import services as members
from members.models import Membership, Organisation
from roster import services


def _corporate_number(base12: str) -> str:
    return f"{corporate_number_check_digit(base12)}{base12}"


# (key, organisation, establishment, prefecture, city, JSIC codes, what happens to it)
SITES = [
    ("tokai", "株式会社東海プレス工業", "豊田工場", "23", "豊田市", ["2452", "2691"], "listed"),
    ("midori", "有限会社みどり精密", "本社工場", "21", "関市", ["2592"], "relocating"),
    ("hokuriku", "北陸ケミカル樹脂株式会社", "富山工場", "16", "富山市", ["1831"], "merging"),
    ("kansai", "関西スプリング製作所", "東大阪工場", "27", "東大阪市", ["2599"], "sole"),
    ("fuji", "株式会社富士鍛造", "静岡工場", "22", "静岡市清水区", ["2194", "2651"], "reinstated"),
    ("sakura", "株式会社さくら鋳造", "川口工場", "11", "川口市", ["2194"], "withdrawn"),
    ("seto", "株式会社瀬戸ファインセラミック", "瀬戸工場", "23", "瀬戸市", ["2592"], "merged"),
]
# The registered readings (フリガナ) of each company and site: an officer may search by them.
READINGS = {
    "tokai": ("トウカイプレスコウギョウ", "トヨタコウジョウ"),
    "midori": ("ミドリセイミツ", "ホンシャコウジョウ"),
    "hokuriku": ("ホクリクケミカルジュシ", "トヤマコウジョウ"),
    "kansai": ("カンサイスプリングセイサクショ", "ヒガシオオサカコウジョウ"),
    "fuji": ("フジタンゾウ", "シズオカコウジョウ"),
    "sakura": ("サクラチュウゾウ", "カワグチコウジョウ"),
    "seto": ("セトファインセラミック", "セトコウジョウ"),
}


def _approved_merger(est, *, by, reviewer):
    """A merger applied for on My Page and approved (R13), then finished by the reviewer today: the roster shows
    the new company name from today (the old one for earlier days) and the shipment evidence under the new name
    is due (My Page of roster-demo@demo.jaim.example, the identity change admin)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from applications import services as applications
    from applications.models import DocumentType

    app = applications.create_application(est, kind="NAME_CHANGE", by=by)
    applications.save_answers(
        app,
        step="change",
        data={
            "new_organisation_name": "株式会社瀬戸セラミックス・ホールディングス",
            "new_establishment_name": "",
            "change_expected_on": today(),
            "change_description": "デモ：親会社との合併により新会社として事業を継続します。",
        },
        by=by,
    )
    applications.upload_document(
        app,
        by=by,
        document_type=DocumentType.objects.get(code="merger_evidence"),
        uploaded=SimpleUploadedFile("合併契約書.pdf", sample_pdf(), content_type="application/pdf"),
    )
    app = applications.submit_application(app, by=by)
    app = applications.start_review(app, reviewer=reviewer)
    app = applications.approve_application(app, reviewer=reviewer)
    applications.confirm_change_effective(app, reviewer=reviewer, effective_on=today())


NUMBERS = {key: _corporate_number(f"9{i:03d}01000777") for i, (key, *_rest) in enumerate(SITES)}


def _form_of(name: str) -> tuple[str, str]:
    """The kind of company its name says, with its representative's title (R8)."""
    return ("yugen", "取締役") if "有限会社" in name else ("kabushiki", "代表取締役")


def _organisation(key, name, prefecture, city, *, by, sole=False):
    if sole:
        org = Organisation.objects.filter(kind=Organisation.Kind.SOLE_PROPRIETOR, name=name).first()
    else:
        org = Organisation.objects.filter(corporate_number=NUMBERS[key]).first()
    if org:
        return org, False
    org = members.create_organisation(
        by=by,
        data=dict(
            kind="SOLE_PROPRIETOR" if sole else "CORPORATION",
            corporate_number=None if sole else NUMBERS[key],
            name=name,
            name_kana=READINGS[key][0],
            **member_selectors.representative_fields(*(("sole", "事業主") if sole else _form_of(name))),
            representative_name="名簿 デモ",
            postal_code="4500002",
            prefecture=prefecture,
            city=city,
            address_line="1-1-1",
            phone="0521110000",
            capital_yen=None if sole else 30_000_000,
            regular_employees=40,
        ),
    )
    return org, True


def _site(key, org_name, est_name, prefecture, city, codes, fate, *, by, day0, reviewer=None):
    org, created = _organisation(key, org_name, prefecture, city, by=by, sole=fate == "sole")
    if not created:
        return
    est = members.create_establishment(
        org,
        by=by,
        data=dict(
            name=est_name,
            name_kana=READINGS[key][1],
            postal_code="4500002",
            prefecture=prefecture,
            city=city,
            address_line="2-2-2",
            phone="0521110001",
            operating_since=dt.date(2001, 4, 1),
        ),
    )
    m = members.create_membership(est, jsic_codes=codes, fee_notice_date=day0 - dt.timedelta(days=30), by=by)
    m = members.activate_membership(m, on=day0)
    t = today()
    if fate == "relocating":
        members.record_identity_change(
            est,
            kind="RELOCATION",
            new_organisation_name="",
            new_establishment_name="美濃加茂新工場",
            accepted_on=t - dt.timedelta(days=20),
            new_postal_code="5050000",
            new_prefecture="21",
            new_city="美濃加茂市",
            new_address_line="テクノパーク3-3",
        )
        # The member reported the new site operating: it waits in the staff queue (R14), still side by side.
        members.report_identity_change_effective(
            est.identity_changes.get(), effective_on=t - dt.timedelta(days=2), by=by
        )
    elif fate == "merging":
        members.record_identity_change(
            est,
            kind="NAME_CHANGE",
            new_organisation_name="株式会社ホクリクケミカルホールディングス",
            new_establishment_name="",
            accepted_on=t - dt.timedelta(days=10),
        )
    elif fate == "merged" and reviewer is not None:
        _approved_merger(est, by=by, reviewer=reviewer)
    elif fate == "reinstated":
        # Past history: lifecycle moves a membership from today on, so the demo writes past moves with its primitives.
        members._lapse_membership(m, on=t - dt.timedelta(days=120), note="デモ：会費未納")
        members._reinstate_membership(m, on=t - dt.timedelta(days=90), note="デモ：入金確認")
    elif fate == "withdrawn":
        members._withdraw_membership(m, on=t - dt.timedelta(days=30), note="デモ：退会")


def seed(ctx):
    from demo.members import user

    by = user(
        "roster-demo@demo.jaim.example", "名簿デモ 担当"
    )  # owns the extra companies; not a printed login
    day0 = today() - dt.timedelta(days=240)
    for key, org_name, est_name, prefecture, city, codes, fate in SITES:
        _site(
            key,
            org_name,
            est_name,
            prefecture,
            city,
            codes,
            fate,
            by=by,
            day0=day0,
            reviewer=ctx.get("reviewer"),
        )
    services.rebuild_roster()  # repairs nothing in a healthy database; lists anything loaded without signals
    # The exports are built by demo.finish, after every later step has changed the roster.
    listed = Membership.objects.filter(roster_entry__isnull=False).count()
    return {"roster_entries": listed}
