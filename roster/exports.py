"""Exports of the whole roster as of a day: CSV (UTF-8 with BOM, so Excel reads the Japanese correctly),
Excel (.xlsx) and PDF. Written by the scheduled job into default_storage and served from there — never
rendered per request.

Each format is due on its own: when today's file is missing, or when the roster changed since the file was
made and the file is older than the format's minimum age (settings.JAIM_ROSTER_EXPORT_MIN_AGE, seconds).
CSV and Excel follow every change (a build is queued a few minutes after a change, `schedule_rebuild`, and the
job also runs every 30 minutes); the PDF (drawn with ReportLab, roster.listpdf: about a minute and a half at
100,000 establishments) at most every few hours. A format that fails keeps its previous file."""

import datetime as dt
import functools
import logging
import tempfile

from django.conf import settings
from django.core.cache import cache
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from jaim import tabular
from jaim.dates import japanese_date, today
from jaim.jobs import job_run
from jaim.links import absolute_url
from jaim.queue import enqueue_in
from jaim.validators import PREFECTURE_NAMES
from roster import selectors
from roster.models import RosterEntry, RosterExport, RosterLine

log = logging.getLogger(__name__)

JOB_NAME = "roster.build_exports"
KEEP_PER_FORMAT = 5
STORAGE_DIR = "roster/exports"
FORMATS = (RosterExport.Format.CSV, RosterExport.Format.XLSX, RosterExport.Format.PDF)
DEFAULT_MIN_AGE = {"csv": 0, "xlsx": 0, "pdf": 6 * 3600}
PDF_CHUNK = 2000  # lines read from the database at a time for the PDF (bounded memory)


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


def _url_maker():
    """entry_url without a reverse() per row (100,000 rows)."""
    marker = "TOKEN-MARKER"
    template = absolute_url("roster:entry", marker)
    return lambda token: template.replace(marker, token)


# What the exports read of a line: its number, the identity the roster shows (RosterLine.IDENTITY_FIELDS), since
# when it is listed; the CSV and xlsx add the entry's token (its confirmation URL).
PDF_FIELDS = ("member_number", *RosterLine.IDENTITY_FIELDS, "listed_since")
ROW_FIELDS = (*PDF_FIELDS, "token")


def _lines(as_of: dt.date):
    """The day's lines as dicts of ROW_FIELDS, in member order, read 2,000 at a time: no model instance per line
    (the export writes 100,000 of them)."""
    return selectors.lines_on(as_of).order_by("member_number").values(*ROW_FIELDS).iterator(chunk_size=2000)


def _rows(as_of: dt.date):
    """Each line as the CSV and xlsx show it (the labels looked up once, not per row)."""
    url = _url_maker()
    changes = {"NAME_CHANGE": _("合併・会社分割"), "RELOCATION": _("移転")}
    for line in _lines(as_of):
        change = changes.get(line["change_kind"], "")
        new_pref = line["new_prefecture"]
        yield [
            as_of,
            line["member_number"],
            line["corporate_number"],
            line["organisation_name"],
            line["establishment_name"],
            PREFECTURE_NAMES.get(line["prefecture"], line["prefecture"]),
            line["city"],
            change,
            line["new_organisation_name"] if change else "",
            line["new_establishment_name"] if change else "",
            f"{PREFECTURE_NAMES.get(new_pref, new_pref)}{line['new_city']}" if new_pref else "",
            " / ".join(f"{code} {name}" for code, name in line["jsic"]),
            line["listed_since"],
            url(line["token"]),
        ]


def write_csv(as_of: dt.date, out, *, made_at=None) -> int:
    """UTF-8 with a BOM: Excel on Windows otherwise reads it as Shift_JIS and garbles it. Dates ISO; a name
    that a spreadsheet would run as a formula starts with an apostrophe (jaim.tabular)."""
    return tabular.write_csv(out, _columns(), _rows(as_of))


def write_xlsx(as_of: dt.date, out, *, made_at) -> int:
    """A write-only workbook: a title and the moment the data was taken above the table, dates as dates, names
    that would be formulas as text (jaim.tabular)."""
    made = timezone.localtime(made_at).strftime("%Y-%m-%d %H:%M")
    return tabular.write_xlsx(
        out,
        _columns(),
        _rows(as_of),
        sheet_title=_("会員名簿"),
        preamble=[
            _("JAIM 賛助会員名簿"),
            _("%(date)s時点（作成日時 %(made)s）") % {"date": japanese_date(as_of), "made": made},
        ],
        widths=[12, 11, 15, 30, 24, 10, 16, 12, 30, 24, 20, 40, 12, 50],
        freeze_header=True,
        title=_("JAIM 賛助会員名簿"),
        created=made_at,
    )


def write_pdf(as_of: dt.date, out, *, made_at) -> int:
    """A4 landscape table, drawn in one pass with ReportLab (roster.listpdf): the lines are read from the
    database PDF_CHUNK at a time and each page is written out when it is full, so memory does not grow with
    the roster beyond the finished pages' compressed drawing. Each page header names its first and last
    member number; the table's header row is on every page and no line is split across pages."""
    from roster import listpdf, pdf

    title = _("JAIM 賛助会員名簿（%(date)s時点）") % {"date": japanese_date(as_of)}
    lines = (
        selectors.lines_on(as_of).order_by("member_number").values(*PDF_FIELDS).iterator(chunk_size=PDF_CHUNK)
    )
    header = listpdf.Header(
        title=_("JAIM 賛助会員名簿"),
        as_of=japanese_date(as_of),
        made_at=timezone.localtime(made_at),
        count=selectors.lines_on(as_of).count(),
    )
    count, _pages = listpdf.write(
        out,
        lines,
        header,
        font_path=str(pdf.font_path()),
        doc_title=title,
        prefectures=PREFECTURE_NAMES,
    )
    return count


WRITERS = {"csv": "write_csv", "xlsx": "write_xlsx", "pdf": "write_pdf"}


def _min_age(fmt: str) -> int:
    return {**DEFAULT_MIN_AGE, **getattr(settings, "JAIM_ROSTER_EXPORT_MIN_AGE", {})}[fmt]


def due_formats(on: dt.date) -> list[str]:
    """Formats whose file for `on` is missing, or older than the last roster change and its minimum age."""
    changed_at = RosterEntry.objects.order_by("-updated_at").values_list("updated_at", flat=True).first()
    now = timezone.now()
    due: list[str] = []
    for fmt in FORMATS:
        latest = RosterExport.objects.filter(as_of=on, format=fmt).order_by("-created_at").first()
        if latest is None:
            due.append(fmt)
        elif changed_at and changed_at > latest.created_at:
            if (now - latest.created_at).total_seconds() >= _min_age(fmt):
                due.append(fmt)
    return due


DEBOUNCE_KEY = "roster:exports:rebuild-queued"


def schedule_rebuild() -> bool:
    """After a roster change: today's CSV and Excel are rebuilt JAIM_ROSTER_EXPORT_DEBOUNCE seconds later — one
    build for a burst of changes (the first change queues it; the others within the delay find it queued) — in
    every mode that has a worker (Redis, or `make run`'s filesystem broker). The half-hourly scheduled run stays
    as the catch-up. Returns whether this call queued the build. Off (None/0) in the test settings."""
    delay = getattr(settings, "JAIM_ROSTER_EXPORT_DEBOUNCE", None)
    if not delay:
        return False
    try:
        if not cache.add(DEBOUNCE_KEY, 1, timeout=int(delay)):
            return False
    except Exception:  # noqa: BLE001 - the cache is down: the scheduled run rebuilds within 30 minutes
        log.warning("cache unavailable; roster export rebuild left to the scheduled run")
        return False
    enqueue_in(delay, "roster.tasks.build_roster_exports")
    return True


def build_exports(*, on: dt.date | None = None, force: bool = False, formats=None) -> list[RosterExport]:
    """Write the due formats (all with force) of the roster as of `on` (default today) to storage. Safe to
    run twice; a format that fails keeps its previous file, the others are still made; the run is recorded
    (JobRun) and the first error re-raised."""
    on = on or today()
    todo = list(formats or FORMATS) if force else [f for f in due_formats(on) if not formats or f in formats]
    if not todo:
        return []
    made, errors = [], []
    with job_run(JOB_NAME, on) as counts:
        with translation.override("ja"):
            for fmt in todo:
                made_at = timezone.now()
                stamp = timezone.localtime(made_at).strftime("%Y%m%d-%H%M%S")
                try:
                    with tempfile.TemporaryFile() as tmp:
                        count = globals()[WRITERS[fmt]](on, tmp, made_at=made_at)
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
                    counts[fmt] = count
                except Exception as exc:  # noqa: BLE001 - recorded; the other formats still get made
                    log.exception("roster export %s failed", fmt)
                    errors.append((fmt, exc))
                    counts.errors.append(f"{fmt}: {exc!r}")
        _prune()
        if made:
            selectors.bump_roster_version()  # the page lists the files
        if errors:  # recorded by job_run, then the first one raised
            raise errors[0][1]
    return made


def _prune() -> None:
    for fmt in FORMATS:
        old = list(RosterExport.objects.filter(format=fmt).order_by("-created_at", "-id")[KEEP_PER_FORMAT:])
        for export in old:
            with transaction.atomic():
                export.delete()
                transaction.on_commit(functools.partial(default_storage.delete, export.file_name))


def open_export(export: RosterExport):
    return default_storage.open(export.file_name, "rb")


def download_name(export: RosterExport) -> str:
    return f"jaim-roster-{export.as_of:%Y%m%d}.{export.format}"
