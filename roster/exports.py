"""Exports of the whole roster as of a day: CSV (UTF-8 with BOM, so Excel reads the Japanese correctly),
Excel (.xlsx) and PDF. Written by the scheduled job into default_storage and served from there — never
rendered per request."""

import csv
import datetime as dt
import io
import logging
import tempfile

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from jaim.dates import japanese_date, today
from jaim.models import JobRun
from roster import selectors
from roster.models import RosterEntry, RosterExport, RosterLine

log = logging.getLogger(__name__)

JOB_NAME = "roster.build_exports"
KEEP_PER_FORMAT = 5
STORAGE_DIR = "roster/exports"


def _columns() -> list[str]:
    return [
        _("基準日"),
        _("会員番号"),
        _("法人番号"),
        _("法人名"),
        _("事業所名"),
        _("都道府県"),
        _("市区町村"),
        _("変更手続中"),
        _("新法人名"),
        _("新事業所名"),
        _("新所在地"),
        _("産業分類"),
        _("掲載開始日"),
        _("確認用URL"),
    ]


def _row(line: RosterLine, as_of: dt.date) -> list[str]:
    change = {"NAME_CHANGE": _("合併・会社分割"), "RELOCATION": _("移転")}.get(line.change_kind, "")
    return [
        as_of.isoformat(),
        line.member_number,
        line.corporate_number,
        line.organisation_name,
        line.establishment_name,
        line.get_prefecture_display(),
        line.city,
        change,
        line.new_organisation_name if change else "",
        line.new_establishment_name if change else "",
        line.new_location,
        " / ".join(f"{code} {name}" for code, name in line.jsic),
        line.listed_since.isoformat(),
        selectors.entry_url(line.token),
    ]


def _lines(as_of: dt.date):
    return selectors.lines_on(as_of).order_by("member_number").iterator(chunk_size=2000)


def write_csv(as_of: dt.date, out) -> int:
    """UTF-8 with a BOM (utf-8-sig): Excel on Windows otherwise reads it as Shift_JIS and garbles it."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(_columns())
    count = 0
    for line in _lines(as_of):
        writer.writerow(_row(line, as_of))
        count += 1
    text.flush()
    text.detach()
    return count


def write_xlsx(as_of: dt.date, out, *, made_at) -> int:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("会員名簿"))
    widths = [12, 11, 15, 30, 24, 10, 16, 12, 30, 24, 20, 40, 12, 50]
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = "A4"
    title_font = Font(bold=True, size=14)
    from openpyxl.cell import WriteOnlyCell

    title = WriteOnlyCell(ws, value=_("JAIM 賛助会員名簿"))
    title.font = title_font
    ws.append([title])
    ws.append(
        [
            _("%(date)s時点（作成日時 %(made)s）")
            % {"date": japanese_date(as_of), "made": timezone.localtime(made_at).strftime("%Y-%m-%d %H:%M")}
        ]
    )
    ws.append([])
    header = []
    for name in _columns():
        cell = WriteOnlyCell(ws, value=name)
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    count = 0
    for line in _lines(as_of):
        ws.append(_row(line, as_of))
        count += 1
    wb.properties.title = _("JAIM 賛助会員名簿")
    wb.properties.created = made_at.replace(tzinfo=None)
    wb.save(out)
    return count


def write_pdf(as_of: dt.date, out, *, made_at) -> int:
    from roster import pdf

    lines = list(_lines(as_of))
    content = pdf.render_html(
        "roster/pdf/roster.html",
        {
            "lines": lines,
            "count": len(lines),
            "as_of": japanese_date(as_of),
            "made_at": timezone.localtime(made_at),
        },
    )
    out.write(content)
    return len(lines)


FORMATS = (RosterExport.Format.CSV, RosterExport.Format.XLSX, RosterExport.Format.PDF)


def _write(fmt: str, as_of: dt.date, out, made_at) -> int:
    if fmt == RosterExport.Format.CSV:
        return write_csv(as_of, out)
    if fmt == RosterExport.Format.XLSX:
        return write_xlsx(as_of, out, made_at=made_at)
    return write_pdf(as_of, out, made_at=made_at)


def _is_due(on: dt.date) -> bool:
    """Due when today's files are missing, or the roster changed after the newest file was made."""
    todays = RosterExport.objects.filter(as_of=on)
    latest = todays.order_by("-created_at").first()
    if latest is None or todays.values("format").distinct().count() < len(FORMATS):
        return True
    return RosterEntry.objects.filter(updated_at__gt=latest.created_at).exists()


def build_exports(*, on: dt.date | None = None, force: bool = False) -> list[RosterExport]:
    """Write CSV, Excel and PDF of the roster as of `on` (default today) to storage, when due (or forced).
    Safe to run twice; a failure leaves the previous files in place. Recorded as a JobRun."""
    on = on or today()
    if not force and not _is_due(on):
        return []
    run = JobRun.objects.create(job=JOB_NAME, reference_date=on)
    made = []
    try:
        made_at = timezone.now()
        stamp = timezone.localtime(made_at).strftime("%Y%m%d-%H%M%S")
        with translation.override("ja"):
            for fmt in FORMATS:
                with tempfile.TemporaryFile() as tmp:
                    count = _write(fmt, on, tmp, made_at)
                    size = tmp.tell()
                    tmp.seek(0)
                    name = default_storage.save(
                        f"{STORAGE_DIR}/{on:%Y}/jaim-roster-{on:%Y%m%d}-{stamp}.{fmt}", File(tmp)
                    )
                made.append(
                    RosterExport.objects.create(
                        as_of=on, format=fmt, file_name=name, size_bytes=size, entry_count=count
                    )
                )
        _prune()
    except Exception as exc:
        run.error = repr(exc)
        run.finished_at = timezone.now()
        run.save(update_fields=["error", "finished_at"])
        for export in made:  # all three or none
            default_storage.delete(export.file_name)
            export.delete()
        raise
    run.finished_at = timezone.now()
    run.counts = {export.format: export.entry_count for export in made}
    run.save(update_fields=["finished_at", "counts"])
    return made


def _prune() -> None:
    for fmt in FORMATS:
        old = list(RosterExport.objects.filter(format=fmt).order_by("-created_at", "-id")[KEEP_PER_FORMAT:])
        for export in old:
            with transaction.atomic():
                export.delete()
                transaction.on_commit(lambda name=export.file_name: default_storage.delete(name))


def open_export(export: RosterExport):
    return default_storage.open(export.file_name, "rb")


def download_name(export: RosterExport) -> str:
    return f"jaim-roster-{export.as_of:%Y%m%d}.{export.format}"
