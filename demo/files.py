"""Sample files the demo uploads: real, well-formed files that pass the upload checks (jaim.uploads)."""

import io


def sample_pdf() -> bytes:
    """A well-formed one-page PDF (A4, blank), written by qpdf."""
    import pikepdf

    buf = io.BytesIO()
    with pikepdf.new() as pdf:
        pdf.add_blank_page(page_size=(595, 842))
        pdf.save(buf)
    return buf.getvalue()


def sample_seal_png() -> bytes:
    """A demo 角印 (square company seal): red frame and characters on a transparent ground, drawn with the PDF font."""
    from PIL import Image, ImageDraw, ImageFont

    from fees.pdf import font_path

    size = 300
    img = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    draw = ImageDraw.Draw(img)
    red = (190, 30, 35, 255)
    draw.rectangle([8, 8, size - 9, size - 9], outline=red, width=14)
    font = ImageFont.truetype(str(font_path()), 112)
    for i, pair in enumerate(("機構", "之印")):  # read top to bottom, right column first, as a seal is
        x = size - 36 - (i + 1) * 116
        for j, ch in enumerate(pair):
            draw.text((x, 30 + j * 120), ch, font=font, fill=red)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()
