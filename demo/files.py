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
