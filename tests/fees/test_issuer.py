"""The issuer's block on invoices, credit notes, receipts and notices: set by the administrators in the admin
(never in code), versioned so that an issued document is reproduced as it was, the 角印 (seal) image checked as any
upload, and every such document an archival, tagged PDF/A-3b with title, author and subject (電子帳簿保存法)."""

import datetime as dt
import io
import re
import subprocess

import pikepdf
import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from PIL import Image

from demo.files import sample_pdf
from fees import services
from jaim.issuer import issuer_at
from jaim.models import IssuerProfile
from tests.factories import EstablishmentFactory, OrganisationFactory, membership_for
from tests.fees.factories import FeeScheduleFactory
from tests.security.helpers import staff_user, verified_login

pytestmark = pytest.mark.django_db

ADD_URL = "admin:jaim_issuerprofile_add"


def _seal_png() -> bytes:
    img = Image.new("RGB", (240, 240), "white")
    for x in range(20, 220):
        for y in (20, 21, 218, 219):
            img.putpixel((x, y), (200, 30, 30))
            img.putpixel((y, x), (200, 30, 30))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _form(**over):
    data = {
        "name": "一般社団法人工業製品製造技能人材機構（JAIM）",
        "department": "事務局 会費担当",
        "postal_code": "100-0013",
        "address": "東京都千代田区霞が関一丁目3番1号",
        "phone": "03-1234-5678",
        "email": "kaihi@jaim.example",
        "tax_note": "年会費は不課税のため、登録番号は記載していません。",
    }
    data.update(over)
    return data


def _invoice(name=None):
    FeeScheduleFactory(fiscal_year=2026)
    org = OrganisationFactory(**({"name": name} if name else {}))
    m = membership_for(EstablishmentFactory(organisation=org), fee_notice_date=dt.date(2026, 6, 10))
    return services.bill_new_membership(
        m, notice_date=dt.date(2026, 6, 10), application_date=dt.date(2026, 5, 1)
    )


def _text(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return out.stdout.decode()


def _images(pdf: bytes) -> int:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        return sum(
            1
            for obj in doc.objects
            if isinstance(obj, pikepdf.Stream)
            and obj.get("/Subtype") == "/Image"
            and "/SMask" not in str(obj.get("/Name", ""))
            and obj.get("/Width") == 240
        )


def _admin_client(client, group="administrator"):
    user = staff_user(group=group)
    verified_login(client, user)
    return client, user


def test_administrator_sets_the_issuer_in_the_admin_and_the_invoice_prints_it(client):
    client, admin = _admin_client(client)
    seal = ContentFile(_seal_png(), name="kakuin.png")
    resp = client.post(reverse(ADD_URL), {**_form(), "seal": seal})
    assert resp.status_code == 302, resp.context["adminform"].form.errors
    profile = IssuerProfile.objects.get()
    assert profile.postal_code == "1000013" and profile.phone == "0312345678"  # hyphens as typed are accepted
    assert profile.created_by == admin and profile.seal.name.endswith(".png")

    inv = _invoice()
    pdf = services.render_document_bytes("invoice", inv.pk)
    text = _text(pdf)
    assert "〒100-0013" in text and "東京都千代田区霞が関一丁目3番1号" in text
    assert "電話 03-1234-5678" in text
    assert "登録番号は記載していません" in text.replace(" ", "")
    assert _images(pdf) == 1  # the seal


def test_without_a_seal_nothing_is_drawn_and_the_defaults_explain_the_tax(client):
    pdf = services.render_document_bytes("invoice", _invoice().pk)
    assert _images(pdf) == 0
    flat = _text(pdf).replace(" ", "").replace("\n", "")
    assert "不課税" in flat and "登録番号は記載していません" in flat


def test_a_change_is_a_new_version_and_an_issued_invoice_keeps_the_issuer_it_was_made_with(client):
    client, _admin = _admin_client(client)
    assert client.post(reverse(ADD_URL), _form(address="東京都千代田区旧住所1-1")).status_code == 302
    inv = _invoice()
    IssuerProfile.objects.update(created_at=inv.created_at - dt.timedelta(minutes=5))
    # The add form starts from the current version, and the change form cannot save.
    page = client.get(reverse(ADD_URL)).content.decode()
    assert "東京都千代田区旧住所1-1" in page
    first = IssuerProfile.objects.get()
    assert (
        client.post(reverse("admin:jaim_issuerprofile_change", args=[first.pk]), _form()).status_code == 403
    )
    assert client.post(reverse(ADD_URL), _form(address="東京都港区新住所2-2")).status_code == 302
    assert IssuerProfile.objects.count() == 2

    old = _text(services.render_document_bytes("invoice", inv.pk))
    assert "旧住所" in old and "新住所" not in old  # re-rendered as issued
    new = _text(services.render_document_bytes("invoice", _invoice().pk))
    assert "新住所" in new
    assert issuer_at()["address"] == "東京都港区新住所2-2"


def test_the_seal_carries_over_to_the_next_version_unless_removed(client):
    client, _admin = _admin_client(client)
    client.post(reverse(ADD_URL), {**_form(), "seal": ContentFile(_seal_png(), name="s.png")})
    client.post(reverse(ADD_URL), _form(address="東京都港区新住所2-2"))
    assert IssuerProfile.objects.order_by("-id").first().seal
    client.post(reverse(ADD_URL), {**_form(), "remove_seal": "on"})
    latest = IssuerProfile.objects.order_by("-id").first()
    assert not latest.seal
    assert _images(services.render_document_bytes("invoice", _invoice().pk)) == 0


@pytest.mark.parametrize(
    "content,name,message",
    [
        (sample_pdf(), "seal.pdf", "画像"),
        (b"GIF89a\x01\x00\x01\x00", "seal.gif", "PDF・JPEG・PNG以外"),
        (_seal_png()[:200], "cut.png", "画像"),
    ],
)
def test_a_seal_that_is_not_a_sound_image_is_refused_next_to_the_field(client, content, name, message):
    client, _admin = _admin_client(client)
    resp = client.post(reverse(ADD_URL), {**_form(), "seal": ContentFile(content, name=name)})
    assert resp.status_code == 200
    errors = resp.context["adminform"].form.errors
    assert "seal" in errors and message in " ".join(errors["seal"])
    assert not IssuerProfile.objects.exists()


def test_a_bad_postal_code_or_phone_gets_a_japanese_message():
    from jaim.admin import IssuerProfileForm

    form = IssuerProfileForm(data=_form(postal_code="12-34", phone="12345"))
    assert not form.is_valid()
    assert "7桁" in form.errors["postal_code"][0] and "0から始まる" in form.errors["phone"][0]


@pytest.mark.parametrize("group", ["finance", "reviewer"])
def test_only_administrators_set_the_issuer(client, group):
    client, _user = _admin_client(client, group)
    assert client.get(reverse("admin:jaim_issuerprofile_changelist")).status_code == 200  # they may read it
    assert client.post(reverse(ADD_URL), _form()).status_code == 403
    assert not IssuerProfile.objects.exists()


def _xmp(pdf: bytes) -> dict:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        meta = doc.open_metadata()
        root = doc.Root
        return {
            "part": meta.get("pdfaid:part"),
            "conformance": meta.get("pdfaid:conformance"),
            "title": meta.get("dc:title"),
            "creator": meta.get("dc:creator"),
            "description": meta.get("dc:description"),
            "tagged": "/StructTreeRoot" in root and bool(root.get("/MarkInfo", {}).get("/Marked")),
            "lang": str(root.get("/Lang", "")),
            "output_intent": "/OutputIntents" in root,
        }


def test_invoices_credit_notes_receipts_and_notices_are_tagged_pdf_a_3b_with_metadata(
    django_capture_on_commit_callbacks,
):
    inv = _invoice()
    services.issue_credit_note(inv, amount_yen=10_000, reason="割引の適用漏れ", by=None)
    services.record_payment([inv], amount_yen=inv.total_yen - 10_000, received_on=dt.date(2026, 7, 1))
    receipt = services.request_receipt(inv, by=None)
    docs = {
        "invoice": (inv.pk, f"請求書 {inv.number}"),
        "notice": (inv.pk, f"会費請求通知書 {inv.number}"),
        "credit_note": (inv.credit_notes.get().pk, "請求取消書"),
        "receipt": (receipt.pk, f"領収書 {receipt.number}"),
    }
    for kind, (pk, title) in docs.items():
        meta = _xmp(services.render_document_bytes(kind, pk))
        assert meta["part"] == "3" and meta["conformance"] == "B", kind
        assert title in str(meta["title"]), (kind, meta["title"])
        assert "工業製品製造技能人材機構" in str(meta["creator"]), kind
        assert inv.establishment_name in str(meta["description"]), kind
        assert meta["tagged"] and meta["lang"] == "ja" and meta["output_intent"], kind


def test_the_longest_names_stay_inside_the_page(client):
    """Layout at the longest names: every word of the invoice lies within the printable width of A4."""
    client, _admin = _admin_client(client)
    long_name = "一般社団法人工業製品製造技能人材機構（JAIM）" + "特定技能外国人受入支援事業部" * 2
    client.post(reverse(ADD_URL), _form(name=long_name[:200], address="東京都千代田区霞が関一丁目3番1号" * 3))
    inv = _invoice(name="株式会社" + "超長い名前の精密機械製造" * 8)
    pdf = services.render_document_bytes("invoice", inv.pk)
    out = subprocess.run(
        ["pdftotext", "-bbox", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    width = float(re.search(r'<page width="([\d.]+)"', out).group(1))
    xmaxes = [float(x) for x in re.findall(r'xMax="([\d.]+)"', out)]
    assert xmaxes and max(xmaxes) <= width - 30  # 16 mm margin ≈ 45 pt; nothing runs off the paper
    flat = _text(pdf).replace(" ", "").replace("\n", "")
    assert "（JAIM）" in flat
