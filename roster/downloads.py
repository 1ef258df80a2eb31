"""Roster files for a past date: the roster as it stood on that day (selectors.lines_on, through the writers of
roster.exports), built on demand and kept in storage per date and roster state, so a second download of the
same day is served from storage until the roster changes.

The file's name in storage holds the day and the moment of the roster's last change: any later change (a
withdrawal or lapse recorded after the fact changes the past too) gives a new name, so a stale file is never
served. The moment the data was taken is written in the file (Excel, PDF) and in the download's name. Files
older than KEEP_SECONDS are removed when the next one is built.

A PDF for a past day is built only up to PDF_MAX_LINES lines, in the request (drawn at ~2,000 lines/s by
roster.listpdf: 3,000 lines take about 1.5 s; the whole roster would take most of a minute); beyond that the CSV
and Excel files hold the same data."""

import datetime as dt
import logging
import re
import tempfile
from dataclasses import dataclass

from django.core.files import File
from django.core.files.storage import default_storage
from django.utils import timezone, translation

from roster import exports, selectors
from roster.models import RosterEntry

log = logging.getLogger(__name__)

DATED_DIR = "roster/exports/dated"
KEEP_SECONDS = 24 * 3600
PDF_MAX_LINES = 3000


class TooLargeForPdf(Exception):
    pass


@dataclass(frozen=True)
class DatedFile:
    as_of: dt.date
    format: str
    name: str  # in default_storage
    made_at: dt.datetime  # the moment the roster data was read

    def open(self):
        return default_storage.open(self.name, "rb")

    @property
    def download_name(self) -> str:
        made = timezone.localtime(self.made_at)
        return f"jaim-roster-{self.as_of:%Y%m%d}-{made:%Y%m%d-%H%M}.{self.format}"


def _roster_state() -> str:
    """The moment of the roster's last change (services.rederive_lines touches the entry), as a name part."""
    changed = RosterEntry.objects.order_by("-updated_at").values_list("updated_at", flat=True).first()
    return changed.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S%f") if changed else "empty"


_MADE = re.compile(r"-(\d{14})(?:_\w+)?\.\w+$")  # storage may add "_xxxxxxx" to a name already taken


def _made_at(name: str) -> dt.datetime:
    """The moment written in the name by file_for_date (the epoch for a name not made here)."""
    match = _MADE.search(name)
    if not match:
        return dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return dt.datetime.strptime(match[1], "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)


def _existing(prefix: str, fmt: str) -> str | None:
    try:
        _dirs, files = default_storage.listdir(DATED_DIR)
    except FileNotFoundError:
        return None
    base = prefix.rsplit("/", 1)[-1]
    found = sorted(f for f in files if f.startswith(base + "-") and f.endswith("." + fmt))
    return f"{DATED_DIR}/{found[-1]}" if found else None


def file_for_date(as_of: dt.date, fmt: str) -> DatedFile:
    """The roster file of `fmt` as of `as_of`, from storage when the roster has not changed since it was made,
    else built now. TooLargeForPdf for a PDF of more than PDF_MAX_LINES lines."""
    prefix = f"{DATED_DIR}/{as_of:%Y%m%d}-{_roster_state()}"
    name = _existing(prefix, fmt)
    if name is not None:
        return DatedFile(as_of, fmt, name, _made_at(name))
    if fmt == "pdf" and selectors.lines_on(as_of).count() > PDF_MAX_LINES:
        raise TooLargeForPdf
    made_at = timezone.now().replace(microsecond=0)
    writer = getattr(exports, exports.WRITERS[fmt])
    with translation.override("ja"), tempfile.TemporaryFile() as tmp:
        writer(as_of, tmp, made_at=made_at)
        tmp.seek(0)
        name = default_storage.save(f"{prefix}-{made_at.astimezone(dt.UTC):%Y%m%d%H%M%S}.{fmt}", File(tmp))
    _prune(keep=name)
    return DatedFile(as_of, fmt, name, made_at)


def _prune(*, keep: str) -> None:
    """Remove dated files older than KEEP_SECONDS (a failure only leaves them for the next time)."""
    try:
        _dirs, files = default_storage.listdir(DATED_DIR)
        limit = timezone.now() - dt.timedelta(seconds=KEEP_SECONDS)
        for file_name in files:
            name = f"{DATED_DIR}/{file_name}"
            if name != keep and _made_at(name) < limit:
                default_storage.delete(name)
    except Exception:  # noqa: BLE001 - housekeeping never fails a download
        log.warning("dated roster files not pruned", exc_info=True)
