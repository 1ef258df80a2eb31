"""What an uploaded file really is: PDF, JPEG or PNG recognised by its content, never by its name or the
browser's Content-Type. Anything else — or a file of the right kind carrying markup or script — is refused."""

import hashlib
import io
import re
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from jaim.errors import DomainError

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png"}

# Markup a browser would run if the file were ever rendered as HTML/SVG, or that a polyglot file hides.
_ACTIVE_CONTENT = re.compile(
    rb"<\s*(script|html|body|iframe|svg|object|embed|meta|!doctype)[\s>/]|<\?php|javascript\s*:|on(load|error)\s*=",
    re.IGNORECASE,
)
# PDF features that run code or carry other files.
_PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFile|RichMedia|XFA)\b")
_PNG_END = b"IEND\xaeB`\x82"


@dataclass(frozen=True)
class Inspected:
    content: bytes
    content_type: str
    size: int
    sha256: str

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]


def sniff(head: bytes) -> str | None:
    """The type named by the file's first bytes (its magic number), or None."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    return None


def _refuse(message, code):
    raise DomainError(message, code=code)


def _check_image(content: bytes, content_type: str) -> None:
    from PIL import Image

    expected = {JPEG: "JPEG", PNG: "PNG"}[content_type]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as img:
                if img.format != expected:
                    raise ValueError("format mismatch")
                img.verify()
            with Image.open(io.BytesIO(content)) as img:
                img.load()  # decodes the pixels: a truncated or corrupt image fails here
    except Exception as exc:  # noqa: BLE001 - Pillow raises many types for broken files
        raise DomainError(
            _("画像ファイルが壊れているか、正しい形式ではありません。"), code="bad_image"
        ) from exc
    # Nothing may follow the image's end marker (a polyglot hides HTML or a script there).
    if content_type == PNG and not content.endswith(_PNG_END):
        _refuse(_("画像ファイルの末尾に不明なデータがあります。"), "trailing_data")
    if content_type == JPEG and not content.rstrip(b"\x00").endswith(b"\xff\xd9"):
        _refuse(_("画像ファイルの末尾に不明なデータがあります。"), "trailing_data")


def _check_pdf(content: bytes) -> None:
    if b"%%EOF" not in content[-2048:]:
        _refuse(_("PDFファイルが壊れているか、途中で切れています。"), "bad_pdf")
    if _PDF_ACTIVE.search(content):
        _refuse(
            _(
                "スクリプトや添付ファイルを含むPDFは受け付けられません。印刷用のPDFとして保存し直してください。"
            ),
            "pdf_active_content",
        )


def inspect_upload(uploaded) -> Inspected:
    """Read and check one uploaded file; DomainError (Japanese) when it is refused. Nothing is stored here."""
    limit = settings.JAIM_UPLOAD_MAX_BYTES
    size = getattr(uploaded, "size", None)
    if size is not None and size > limit:
        _refuse(
            _("ファイルが大きすぎます（上限 %(mb)s MB）。") % {"mb": f"{limit / 1024 / 1024:g}"}, "too_large"
        )
    uploaded.seek(0)
    content = uploaded.read(limit + 1)
    if len(content) > limit:
        _refuse(
            _("ファイルが大きすぎます（上限 %(mb)s MB）。") % {"mb": f"{limit / 1024 / 1024:g}"}, "too_large"
        )
    if not content:
        _refuse(_("空のファイルはアップロードできません。"), "empty")
    content_type = sniff(content[:16])
    if content_type is None:
        _refuse(
            _("PDF・JPEG・PNG以外のファイルはアップロードできません（ファイルの中身で判定しています）。"),
            "unsupported_type",
        )
    if _ACTIVE_CONTENT.search(content):
        _refuse(
            _("ファイルにスクリプトなど不正な内容が含まれているため、受け付けられません。"), "active_content"
        )
    if content_type == PDF:
        _check_pdf(content)
    else:
        _check_image(content, content_type)
    return Inspected(
        content=content,
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
