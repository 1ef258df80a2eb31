"""Every file a user uploads goes through `inspect_upload` (application documents, wage-report evidence, resources
for members): what it really is — PDF, JPEG or PNG recognised by its content, never by its name or the browser's
Content-Type — checked by parsing it, scanned for viruses when a scanner is configured, and disarmed:

- a PDF is opened with qpdf (pikepdf) and every object is walked, object streams included, with names compared
  after qpdf has decoded their `#xx` escapes; scripts, launch/submit/import actions, additional actions, embedded
  files, rich media, XFA, URI or script open actions, data after the final `%%EOF` and encryption that needs a
  password are refused, and so is a PDF qpdf cannot open. The PDF is stored as uploaded (re-writing it would break
  the signatures of electronic certificates);
- a JPEG or PNG is decoded and re-encoded by Pillow within pixel limits, its orientation applied: metadata (EXIF
  with GPS, XMP, comments, text chunks, ICC profiles) and anything after the image are gone. What is stored is the
  re-encoded file.

Refusals are `DomainError`s with a Japanese message; nothing is stored here. Call it before opening a transaction:
an infected file is recorded (`jaim.VirusDetection`) for the administrators and that row must outlive the refusal."""

import hashlib
import io
import logging
import os
import re
import resource
import select
import shutil
import signal
import subprocess  # noqa: S404 - pdftoppm, a fixed program with fixed arguments, no shell
import tempfile
import threading
import unicodedata
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from django.conf import settings
from django.utils.translation import gettext as _

from jaim.errors import DomainError

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

logger = logging.getLogger("jaim.uploads")

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png"}

# Markup a browser would run if the file were ever rendered as HTML/SVG, or that a polyglot file hides; searched in
# the raw bytes (long enough never to match compressed data by chance) and in every parsed image metadata field.
_MARKUP = re.compile(
    rb"<\s*(script|html|body|head|iframe|frame|svg|object|embed|meta|link|style|img|image|base|form|input"
    rb"|math|video|audio|!doctype|\?php)[\s>/]"
    rb"|javascript\s*:|vbscript\s*:|\bon[a-z]{3,20}\s*=\s*['\"]?[\w(]",
    re.IGNORECASE,
)

# PDF names that run code, send data out, start programs or carry other files — keys or values alike (`/S /Launch`,
# `/JS (…)`, `/Names << /JavaScript … /EmbeddedFiles … >>`, `/Subtype /RichMedia`, `/AcroForm << /XFA … >>`).
_PDF_FORBIDDEN = frozenset(
    {
        "/JavaScript",
        "/JS",
        "/Launch",
        "/SubmitForm",
        "/ImportData",
        "/GoToR",
        "/GoToE",
        "/AA",
        "/EmbeddedFile",
        "/EmbeddedFiles",
        "/EF",
        "/FileAttachment",
        "/RichMedia",
        "/RichMediaExecute",
        "/RichMediaContent",
        "/XFA",
    }
)
# An open action may only move to a page (a destination array, /GoTo or a /Named page action).
_SAFE_OPEN_ACTIONS = frozenset({"/GoTo", "/Named"})
_PDF_WS = b"\x00\t\n\x0c\r "
_PDF_STREAM_BODY = re.compile(rb"\bstream\r?\n.*?\bendstream\b", re.DOTALL)
_PDF_REVISION_START = re.compile(rb"(\d+\s+\d+\s+obj\b|xref\b)")

_PNG_END = b"IEND\xaeB`\x82"


@dataclass(frozen=True)
class Inspected:
    """A checked file: `content` is what is to be stored (an image re-encoded, a PDF as uploaded)."""

    content: bytes
    content_type: str
    size: int
    sha256: str
    original_name: (
        str  # the uploader's file name, cleaned: display text only, never a path or a download name
    )

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


def _refuse(message, code) -> NoReturn:
    raise DomainError(message, code=code)


def display_name(name: str | None, *, default: str = "file") -> str:
    """The uploader's file name as text to show: its last path part, NFC, without control characters, ≤ 200."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return (name or default)[-200:]


_NAME_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


def download_name(*parts, extension: str) -> str:
    """A download file name built from our own data (document type, establishment, date…), never the uploader's:
    parts joined with "_", characters Windows or a header would choke on replaced, the checked content's extension."""
    cleaned = []
    for part in parts:
        text = unicodedata.normalize("NFC", str(part or ""))
        text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
        text = _NAME_UNSAFE.sub(" ", text).strip(" .")
        if text:
            cleaned.append(text.replace(" ", "_"))
    stem = "_".join(cleaned)[:120] or "file"
    return f"{stem}.{extension}"


# --- virus scan ----------------------------------------------------------------------------------------------------


def _scan_for_viruses(content: bytes, *, name: str, where: str, by: "AbstractBaseUser | None") -> None:
    from jaim import virus

    if not virus.is_configured():
        return
    try:
        signature = virus.scan(content)
    except virus.ScannerUnavailable:
        _refuse(
            _(
                "ウイルス検査を実施できないため、ただいまファイルを受け付けられません。"
                "しばらくしてからもう一度アップロードしてください。"
            ),
            "scanner_unavailable",
        )
    if signature is None:
        return
    from jaim.models import VirusDetection

    logger.warning("virus found in an upload (%s): %s", where, signature)
    VirusDetection.objects.create(
        signature=signature[:200],
        file_name=name,
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        where=str(where)[:100],
        uploaded_by_id=getattr(by, "pk", None),
    )
    _refuse(
        _("ファイルからウイルスが検出されたため、受け付けられません。事務局に記録しました。"),
        "infected",
    )


# --- PDF -----------------------------------------------------------------------------------------------------------


def _pdf_messages() -> dict:
    return {
        "pdf_active_content": _(
            "スクリプト・外部への送信・添付ファイルなどを含むPDFは受け付けられません。"
            "印刷用のPDFとして保存し直してください。"
        ),
        "pdf_encrypted": _(
            "パスワード付きのPDFは受け付けられません。パスワードを解除してから保存し直してください。"
        ),
        "trailing_data": _("PDFファイルの末尾に不明なデータがあります。"),
        "bad_pdf": _("PDFファイルが壊れているか、正しい形式ではありません。"),
        "pdf_too_complex": _(
            "PDFの中身が大きすぎるか複雑すぎるため確認できませんでした。印刷用のPDFとして保存し直してください。"
        ),
    }


def _pdf_layout_refusal(content: bytes) -> str | None:
    """Nothing after the final %%EOF, and every revision after the first (an incremental update, the rest of a
    linearized file) starts with an object or an xref table: an archive or a page hidden between revisions is
    refused. Stream bodies are blanked first so that bytes inside them are never taken for structure."""
    if not content.rstrip(_PDF_WS).endswith(b"%%EOF"):
        return "trailing_data" if b"%%EOF" in content else "bad_pdf"
    skeleton = _PDF_STREAM_BODY.sub(b"stream endstream", content)
    for revision in skeleton.split(b"%%EOF")[1:-1]:
        rest = revision.lstrip(_PDF_WS)
        while rest.startswith(b"%"):  # comment lines
            rest = rest.partition(b"\n")[2].lstrip(_PDF_WS)
        if rest and not _PDF_REVISION_START.match(rest):
            return "trailing_data"
    return None


def _pdf_object_refusal(pdf) -> str | None:
    """Every indirect object qpdf lists (those in object streams included), and every direct object inside them;
    names are compared as qpdf decoded them (`/J#61vaScript` is `/JavaScript`). An object qpdf could not read
    (it gives null and a warning, e.g. an object stream that inflates past the memory limit) is refused too: what
    cannot be read cannot be vouched for, and a reader with more memory would read it."""
    import pikepdf

    def forbidden(obj) -> bool:
        return isinstance(obj, pikepdf.Name) and str(obj) in _PDF_FORBIDDEN

    containers = (pikepdf.Dictionary, pikepdf.Array)
    warnings_before = len(pdf.get_warnings())
    unreadable = False
    for top in pdf.objects:
        if top is None:
            unreadable = True
            continue
        stack = [top]
        while stack:  # a stack, not recursion: nesting depth is the attacker's choice
            obj = stack.pop()
            if forbidden(obj):
                return "pdf_active_content"
            if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
                children = []
                for key, value in obj.items():
                    if key in _PDF_FORBIDDEN:
                        return "pdf_active_content"
                    children.append(value)
            elif isinstance(obj, pikepdf.Array):
                children = list(obj)
            else:
                continue
            for value in children:
                if forbidden(value):
                    return "pdf_active_content"
                if isinstance(value, containers) and not value.is_indirect:
                    stack.append(value)
    if unreadable and len(pdf.get_warnings()) > warnings_before:
        return "pdf_too_complex"
    action = pdf.Root.get("/OpenAction")
    # an open action that is not a move to a page (/URI, scripts, …)
    if isinstance(action, pikepdf.Dictionary) and str(action.get("/S", "")) not in _SAFE_OPEN_ACTIONS:
        return "pdf_active_content"
    return None


def pdf_refusal(content: bytes) -> str | None:
    """Why this PDF is refused (a code of _pdf_messages), or None. Pure: no database, no translation."""
    import pikepdf

    code = _pdf_layout_refusal(content)
    if code:
        return code
    try:
        with pikepdf.open(io.BytesIO(content)) as pdf:
            # Encryption that needs no password to open (permissions only) is accepted: qpdf decrypts, so every
            # object is checked as a reader will see it.
            return _pdf_object_refusal(pdf)
    except pikepdf.PasswordError:
        return "pdf_encrypted"
    except pikepdf.PdfError as exc:
        logger.info("unreadable PDF refused: %s", exc)
        return "bad_pdf"


def _vm_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _pdf_refusal_isolated(content: bytes) -> str | None:
    """`pdf_refusal` in a forked child with a memory and time limit: a small PDF can inflate to gigabytes (a
    compressed object stream holding a 300 MB string took 1.3 GB and 14 s in-process), and a parser bug must not take
    the web worker down. Over a limit, or a crash → refused."""
    memory = settings.JAIM_PDF_CHECK_MAX_MEMORY
    seconds = settings.JAIM_PDF_CHECK_SECONDS
    read_end, write_end = os.pipe()
    pid = os.fork()
    if (
        pid == 0
    ):  # the child: check, write the verdict, leave without running any of the parent's exit handlers
        code = "bad_pdf"
        try:
            os.close(read_end)
            limit = _vm_bytes() + memory
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            code = pdf_refusal(content) or "ok"
        except MemoryError:
            code = "pdf_too_complex"
        except BaseException:  # noqa: BLE001, S110 - whatever went wrong, the verdict is "refuse"
            pass
        finally:
            try:
                os.write(write_end, code.encode())
            finally:
                os._exit(0)
    os.close(write_end)
    try:
        ready, _w, _x = select.select([read_end], [], [], seconds)
        verdict = os.read(read_end, 64).decode() if ready else "pdf_too_complex"
    finally:
        os.close(read_end)
        if not ready:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    if verdict == "ok":
        return None
    return verdict if verdict in _pdf_messages() else "bad_pdf"


def _check_pdf(content: bytes) -> None:
    code = _pdf_refusal_isolated(content)
    if code:
        if code == "pdf_too_complex":
            logger.warning("PDF check over its limits (%s bytes uploaded)", len(content))
        _refuse(_pdf_messages()[code], code)


def pdf_preview_png(content: bytes, *, page: int = 1, width: int = 900) -> bytes | None:
    """One page of an accepted PDF as a PNG, for the reviewer's inline preview: the staff browser never opens the
    member's PDF itself. Rendered by poppler's pdftoppm in its own process, with a time limit, a memory limit and no
    network; None when the page does not exist or the renderer gives up (the reviewer then downloads the file)."""
    memory = settings.JAIM_PDF_CHECK_MAX_MEMORY

    def limits():  # in the child, before pdftoppm starts
        resource.setrlimit(resource.RLIMIT_AS, (memory * 2, memory * 2))

    with tempfile.TemporaryDirectory(prefix="jaim-preview-") as tmp:
        source = os.path.join(tmp, "in.pdf")
        with open(source, "wb") as fh:
            fh.write(content)
        try:
            subprocess.run(  # noqa: S603 - fixed arguments, no shell
                [
                    shutil.which("pdftoppm") or "/usr/bin/pdftoppm",
                    "-png",
                    "-f",
                    str(page),
                    "-l",
                    str(page),
                    "-singlefile",
                    "-scale-to-x",
                    str(width),
                    "-scale-to-y",
                    "-1",
                    source,
                    os.path.join(tmp, "out"),
                ],
                check=True,
                capture_output=True,
                timeout=settings.JAIM_PDF_CHECK_SECONDS,
                preexec_fn=limits,  # noqa: PLW1509 - only setrlimit, no locks taken
            )
        except (subprocess.SubprocessError, OSError) as exc:
            logger.info("PDF preview not rendered: %s", type(exc).__name__)
            return None
        out = os.path.join(tmp, "out.png")
        if not os.path.exists(out):
            return None
        with open(out, "rb") as png:
            return png.read()


# --- images --------------------------------------------------------------------------------------------------------


def _bad_image():
    _refuse(_("画像ファイルが壊れているか、正しい形式ではありません。"), "bad_image")


def _too_many_pixels():
    _refuse(
        _("画像の画素数が多すぎます（上限 %(mp)s 万画素）。縮小してからアップロードしてください。")
        % {"mp": f"{settings.JAIM_UPLOAD_MAX_PIXELS // 10_000:,}"},
        "too_many_pixels",
    )


def _metadata_values(img):
    for value in [*img.info.values(), *getattr(img, "text", {}).values()]:
        if isinstance(value, str):
            yield value.encode("utf-8", "replace")
        elif isinstance(value, bytes):
            yield value


_PILLOW_FLAG_LOCK = threading.Lock()


def _load_strictly(img) -> None:
    """img.load() with Pillow's LOAD_TRUNCATED_IMAGES off: WeasyPrint switches that process-wide flag on when it is
    imported (every worker that renders a PDF), and with it on Pillow silently pads a cut-off image."""
    from PIL import ImageFile

    with _PILLOW_FLAG_LOCK:
        before = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            img.load()
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = before


def _reencode_image(content: bytes, content_type: str) -> bytes:
    from PIL import Image, ImageOps

    # Pillow names a JPEG carrying a multi-picture index (many phone cameras) MPO: its first picture is the photo.
    expected = {JPEG: {"JPEG", "MPO"}, PNG: {"PNG"}}[content_type]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as img:
                if img.format not in expected:
                    _bad_image()
                width, height = img.size
                if width * height > settings.JAIM_UPLOAD_MAX_PIXELS or max(width, height) > 30_000:
                    _too_many_pixels()
                _load_strictly(img)  # decodes the pixels: a truncated or corrupt image fails here
                if any(_MARKUP.search(value) for value in _metadata_values(img)):
                    _refuse(
                        _("画像のメタデータにスクリプトやHTMLが含まれているため、受け付けられません。"),
                        "active_content",
                    )
                clean = ImageOps.exif_transpose(img)  # the photo as it is meant to be seen
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        _too_many_pixels()
    except DomainError:
        raise
    except Exception as exc:  # noqa: BLE001 - Pillow raises many types for broken files
        raise DomainError(
            _("画像ファイルが壊れているか、正しい形式ではありません。"), code="bad_image"
        ) from exc
    # Nothing may follow the image's end marker (a polyglot hides HTML, a script or an archive there).
    if content_type == PNG and not content.endswith(_PNG_END):
        _refuse(_("画像ファイルの末尾に不明なデータがあります。"), "trailing_data")
    if content_type == JPEG and not content.rstrip(b"\x00").endswith(b"\xff\xd9"):
        _refuse(_("画像ファイルの末尾に不明なデータがあります。"), "trailing_data")
    if content_type == JPEG:
        if clean.mode not in ("L", "RGB", "CMYK"):
            clean = clean.convert("RGB")
        options: dict[str, Any] = {"format": "JPEG", "quality": 90}
    else:
        if "transparency" in clean.info or clean.mode not in (
            "1",
            "L",
            "LA",
            "I",
            "I;16",
            "P",
            "RGB",
            "RGBA",
        ):
            clean = clean.convert("RGBA")
        options = {"format": "PNG"}
    clean.info = {}  # no EXIF, XMP, comments, text chunks or ICC profile is carried over
    out = io.BytesIO()
    clean.save(out, **options)
    return out.getvalue()


# --- the one entry point -------------------------------------------------------------------------------------------


def _too_large(limit: int) -> NoReturn:
    _refuse(_("ファイルが大きすぎます（上限 %(mb)s MB）。") % {"mb": f"{limit / 1024 / 1024:g}"}, "too_large")


def inspect_upload(uploaded, *, where: str = "", by: "AbstractBaseUser | None" = None) -> Inspected:
    """Read, scan, check and disarm one uploaded file; DomainError (Japanese) when it is refused. `where` and `by`
    say what the upload was for and who sent it (kept with a virus detection). Nothing is stored here."""
    limit = settings.JAIM_UPLOAD_MAX_BYTES
    size = getattr(uploaded, "size", None)
    if size is not None and size > limit:
        _too_large(limit)
    uploaded.seek(0)
    content = uploaded.read(limit + 1)
    if len(content) > limit:
        _too_large(limit)
    if not content:
        _refuse(_("空のファイルはアップロードできません。"), "empty")
    name = display_name(getattr(uploaded, "name", ""))
    _scan_for_viruses(content, name=name, where=where, by=by)  # first: every infected file is recorded
    content_type = sniff(content[:16])
    if content_type is None:
        _refuse(
            _("PDF・JPEG・PNG以外のファイルはアップロードできません（ファイルの中身で判定しています）。"),
            "unsupported_type",
        )
    if _MARKUP.search(content):
        _refuse(
            _("ファイルにスクリプトなど不正な内容が含まれているため、受け付けられません。"), "active_content"
        )
    if content_type == PDF:
        _check_pdf(content)
    else:
        content = _reencode_image(content, content_type)
        if len(content) > limit:
            _too_large(limit)
    return Inspected(
        content=content,
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        original_name=name,
    )
