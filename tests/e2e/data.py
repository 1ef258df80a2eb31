"""Set-up for the browser journeys: the data staff would have entered (fee schedule), small but real files to
upload, and people and applications made through the real services where a journey starts mid-way."""

import io
from pathlib import Path

from PIL import Image, ImageDraw

from jaim.dates import fiscal_year_of, today  # noqa: F401 - today re-exported for the journeys

CORPORATE_NUMBER = "2120901007402"  # valid check digit (domain.md §8)
OTHER_CORPORATE_NUMBER = "8700110005901"


def fee_schedule_for_this_year():
    """The fee table of the current fiscal year (F2: data per year; the journeys run on the real date)."""
    from tests.fees.factories import FeeScheduleFactory

    return FeeScheduleFactory(fiscal_year=fiscal_year_of(today()))


def _picture(label: str, colour) -> Image.Image:
    img = Image.new("RGB", (360, 240), colour)
    draw = ImageDraw.Draw(img)
    draw.rectangle((12, 12, 348, 228), outline=(255, 255, 255), width=3)
    draw.text((28, 28), label, fill=(255, 255, 255))
    return img


def png_file(folder: Path, name: str, label: str, colour=(30, 90, 160)) -> Path:
    """A small valid PNG (decodes, nothing after IEND)."""
    path = folder / name
    _picture(label, colour).save(path, format="PNG")
    return path


def pdf_file(folder: Path, name: str, label: str) -> Path:
    """A small valid one-page PDF (a scanned-document look-alike)."""
    path = folder / name
    buf = io.BytesIO()
    _picture(label, (90, 90, 90)).save(buf, format="PDF", resolution=72)
    path.write_bytes(buf.getvalue())
    return path


# --- people ------------------------------------------------------------------------------------------------


def staff(group: str, *, email: str, name: str):
    """A JAIM staff member in one of the staff groups (reviewer, finance, administrator)."""
    from django.contrib.auth.models import Group

    from tests.factories import UserFactory

    user = UserFactory(is_staff=True, email=email, full_name=name)
    user.groups.add(Group.objects.get(name=group))
    return user


def reviewer():
    return staff("reviewer", email="shinsa@jaim.example", name="審査 次郎")


def finance():
    return staff("finance", email="keiri@jaim.example", name="経理 三子")


def sign_in_with_second_factor(person, user, device):
    """The admin's sign-in: e-mail and password, then the six-digit code of the authenticator app."""
    from tests.security.helpers import PASSWORD, code_for

    page = person.page
    person.goto("/admin/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", PASSWORD)
    person.shot("admin-login")
    with page.expect_navigation():
        page.click("input[type=submit]")
    assert "/accounts/2fa/verify/" in page.url  # no admin page before the second factor
    person.check_page("two-factor", phone=False)
    page.fill("#id_code", code_for(device))
    with page.expect_navigation():
        page.click("main button.btn[type=submit]")
    assert page.url == person.base_url + "/admin/"


# --- reading what the portal hands out -----------------------------------------------------------------------


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


def qr_urls(content: bytes, *, dpi: int = 150) -> list[str]:
    """Every QR code on the PDF's pages, decoded from the rendered image (pdftoppm → zxing-cpp), as a phone would."""
    import subprocess
    import tempfile

    import zxingcpp

    found = []
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "doc.pdf"
        source.write_bytes(content)
        subprocess.run(
            ["pdftoppm", "-png", "-r", str(dpi), str(source), str(Path(folder) / "page")], check=True
        )
        for png in sorted(Path(folder).glob("page*.png")):
            with Image.open(png) as img:
                found += [
                    r.text for r in zxingcpp.read_barcodes(img.convert("L")) if r.format.name == "QRCode"
                ]
    return found


def entry_token(establishment) -> str:
    from roster.models import RosterEntry

    return RosterEntry.objects.get(membership__establishment=establishment).token


def jadate(day) -> str:
    """How the portal writes a day: 2026年4月1日."""
    from jaim.dates import japanese_date

    return japanese_date(day)
