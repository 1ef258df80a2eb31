"""jaim.uploads beyond the corpus: images are stored re-encoded (metadata gone, orientation applied), PDFs are parsed
within memory and time limits, encrypted PDFs get their own message, and names shown or downloaded never come
from the uploader."""

import functools
import io

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, PngImagePlugin

from jaim.errors import DomainError
from jaim.uploads import display_name, download_name, inspect_upload
from tests.security.hostile_corpus import object_stream_bomb, pikepdf_pdf


@functools.cache
def _bomb() -> bytes:
    return object_stream_bomb()


def _inspect(name, content):
    return inspect_upload(SimpleUploadedFile(name, content))


def _exif_with_gps_and_orientation(orientation=6) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation 6: the camera was turned, rotate 90° clockwise to view
    exif[0x010F] = "ExampleCam"  # Make
    exif[0x8825] = {1: "N", 2: (35.0, 10.0, 12.5), 3: "E", 4: (136.0, 54.0, 3.2)}  # GPS: Nagoya
    return exif


def test_a_jpeg_is_stored_re_encoded_without_exif_or_gps_and_turned_the_way_it_is_seen():
    img = Image.new("RGB", (60, 20), (255, 0, 0))
    img.paste((0, 0, 255), (0, 0, 10, 20))  # a blue band on the left edge
    buf = io.BytesIO()
    img.save(buf, format="JPEG", exif=_exif_with_gps_and_orientation(), comment=b"taken at the factory")
    original = buf.getvalue()
    assert b"ExampleCam" in original

    inspected = _inspect("photo.jpg", original)

    assert inspected.content != original and inspected.content_type == "image/jpeg"
    assert b"ExampleCam" not in inspected.content and b"Exif" not in inspected.content
    stored = Image.open(io.BytesIO(inspected.content))
    assert stored.size == (20, 60)  # orientation applied: the pixels are turned, no tag left to do it
    assert not stored.getexif() and "comment" not in stored.info
    top = stored.getpixel((10, 2))
    assert top[2] > 200 and top[0] < 80  # the blue left band is now at the top (rotated 90° clockwise)
    assert inspected.size == len(inspected.content)


def test_a_png_is_stored_without_its_text_chunks_icc_profile_or_exif():
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "山田太郎")
    info.add_text("Comment", "社外秘のメモ", zip=True)
    img = Image.new("RGBA", (16, 16), (10, 200, 10, 128))
    buf = io.BytesIO()
    img.save(
        buf, format="PNG", pnginfo=info, icc_profile=b"\x00" * 128, exif=_exif_with_gps_and_orientation(1)
    )
    inspected = _inspect("photo.png", buf.getvalue())
    stored = Image.open(io.BytesIO(inspected.content))
    stored.load()
    assert stored.text == {} and "icc_profile" not in stored.info and not stored.getexif()
    assert stored.mode == "RGBA" and stored.getpixel((3, 3)) == (10, 200, 10, 128)  # pixels unchanged


def test_a_palette_png_with_transparency_keeps_its_look():
    img = Image.new("P", (4, 4), 1)
    img.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    buf = io.BytesIO()
    img.save(buf, format="PNG", transparency=0)
    stored = Image.open(io.BytesIO(_inspect("p.png", buf.getvalue()).content)).convert("RGBA")
    assert stored.getpixel((0, 0)) == (255, 0, 0, 255)


def test_an_image_over_the_pixel_limit_is_refused_before_it_is_decoded(settings):
    settings.JAIM_UPLOAD_MAX_PIXELS = 99
    buf = io.BytesIO()
    Image.new("L", (10, 10)).save(buf, format="PNG")
    with pytest.raises(DomainError) as exc:
        _inspect("a.png", buf.getvalue())
    assert exc.value.code == "too_many_pixels" and "画素数" in exc.value.message
    settings.JAIM_UPLOAD_MAX_PIXELS = 100
    assert _inspect("a.png", buf.getvalue()).content_type == "image/png"


def test_a_pdf_is_stored_exactly_as_uploaded():
    original = pikepdf_pdf()
    inspected = _inspect("doc.pdf", original)
    assert inspected.content == original and inspected.content_type == "application/pdf"


def test_a_pdf_that_needs_a_password_is_refused_with_the_password_message():
    content = pikepdf_pdf(encryption=pikepdf.Encryption(user="1234", owner="5678"))
    with pytest.raises(DomainError) as exc:
        _inspect("doc.pdf", content)
    assert exc.value.code == "pdf_encrypted"
    assert exc.value.message.startswith("パスワード付きのPDFは受け付けられません")


def test_a_permissions_only_encrypted_pdf_is_still_checked_object_by_object():
    """Opening needs no password, so it is accepted — but qpdf decrypts and the checks see the script."""

    def script(pdf):
        pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))

    content = pikepdf_pdf(script, encryption=pikepdf.Encryption(user="", owner="owner"))
    assert b"app.alert" not in content  # encrypted: invisible to any byte search
    with pytest.raises(DomainError) as exc:
        _inspect("doc.pdf", content)
    assert exc.value.code == "pdf_active_content"


def test_an_object_stream_that_inflates_past_the_memory_limit_is_refused(settings):
    """A 200 KB file whose object stream inflates to 200 MB: the child parsing it hits its memory limit, qpdf
    cannot read the object, and what cannot be read is refused (the web worker itself never inflates it)."""
    settings.JAIM_PDF_CHECK_MAX_MEMORY = 64 * 1024 * 1024
    bomb = _bomb()
    assert len(bomb) < 300_000
    with pytest.raises(DomainError) as exc:
        _inspect("doc.pdf", bomb)
    assert exc.value.code == "pdf_too_complex" and "複雑" in exc.value.message


def test_a_pdf_check_over_its_time_limit_is_refused(settings):
    """Memory enough to inflate the 200 MB object stream (seconds of work), but 0.2 s: the child is killed."""
    settings.JAIM_PDF_CHECK_MAX_MEMORY = 1024 * 1024 * 1024
    settings.JAIM_PDF_CHECK_SECONDS = 0.2
    with pytest.raises(DomainError) as exc:
        _inspect("doc.pdf", _bomb())
    assert exc.value.code == "pdf_too_complex"
    settings.JAIM_PDF_CHECK_SECONDS = 20
    assert _inspect("doc.pdf", pikepdf_pdf()).content_type == "application/pdf"


@pytest.mark.parametrize(
    "given,shown",
    [
        ("../../etc/社外秘.png", "社外秘.png"),
        ("C:\\Users\\yamada\\見積書.pdf", "見積書.pdf"),
        ("a\x00b\r\nX-Injected: yes.pdf", "abX-Injected: yes.pdf"),
        ("\u30ab\u3099タログ.pdf", "ガタログ.pdf"),  # NFC: a decomposed kana is composed
        ("", "file"),
    ],
)
def test_the_uploaders_name_is_cleaned_into_display_text(given, shown):
    assert display_name(given) == shown


def test_a_download_name_is_built_from_our_data_with_the_real_extension():
    assert download_name("製品画像", "株式会社甲 第一工場", "20270120", extension="png") == (
        "製品画像_株式会社甲_第一工場_20270120.png"
    )
    assert download_name('a/b\\c:"d"<e>|f?*', "\r\n", extension="pdf") == "a_b_c_d_e_f.pdf"
    assert download_name("", extension="jpg") == "file.jpg"


def test_a_cut_off_image_is_refused_even_after_weasyprint_let_pillow_load_truncated_images():
    """WeasyPrint sets PIL.ImageFile.LOAD_TRUNCATED_IMAGES = True on import (process-wide); the check must not
    inherit it, and must leave the flag as it found it."""
    import weasyprint.images  # noqa: F401 - the import is the point
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is True
    buf = io.BytesIO()
    Image.effect_noise((64, 64), 50).save(buf, format="PNG")
    with pytest.raises(DomainError) as exc:
        _inspect("cut.png", buf.getvalue()[: len(buf.getvalue()) // 2])
    assert exc.value.code == "bad_image"
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True
