"""Imports with a preview: the upload is checked and dry-run (every write done, then rolled back) and the result
shown row by row; only then does staff import it, in one transaction for the whole file. A file with any rejected
row is never imported. Importing the same file again changes nothing."""

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice import imports as parsing
from backoffice.imports import CREATED, REJECTED, SKIPPED, UNCHANGED, UPDATED, Row
from backoffice.models import CouncilRecord, ImportRun
from jaim.errors import DomainError
from jaim.states import audit, move
from jaim.tabular import TableError, read_table
from jaim.text import search_key
from members.models import Association, Establishment, JsicCode, Organisation

if TYPE_CHECKING:
    from members.models import User


@dataclass
class Evaluation:
    """What an import did (or would do): file-level errors, the header, every row with its outcome."""

    encoding: str = ""
    columns: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    result_ref: str = ""

    @property
    def counts(self) -> dict:
        return parsing.count(self.rows)

    @property
    def refused(self) -> bool:
        return bool(self.errors) or any(r.rejected for r in self.rows)


class _DryRun(Exception):  # noqa: N818 - a control-flow signal, not an error
    def __init__(self, evaluation: Evaluation):
        super().__init__("dry run")
        self.evaluation = evaluation


# --- council records (R17) ------------------------------------------------------------------------------------

COUNCIL_FIELDS = [
    "council_number",
    "company_name",
    "establishment_name",
    "corporate_number",
    "jsic_codes",
    "postal_code",
    "prefecture",
    "address",
    "council_joined_on",
    "council_left_on",
    "information_migration_only",
]
FIELD_LABELS = {
    "council_number": gettext_lazy("協議会会員番号"),
    "company_name": gettext_lazy("法人名"),
    "establishment_name": gettext_lazy("事業所名"),
    "corporate_number": gettext_lazy("法人番号"),
    "jsic_codes": gettext_lazy("産業分類"),
    "postal_code": gettext_lazy("郵便番号"),
    "prefecture": gettext_lazy("都道府県"),
    "address": gettext_lazy("所在地"),
    "council_joined_on": gettext_lazy("協議会加入日"),
    "council_left_on": gettext_lazy("協議会退会日"),
    "information_migration_only": gettext_lazy("情報移行のみ"),
}


def match_council_link(data: dict, organisations: dict, establishments: dict) -> tuple:
    """(organisation, establishment, method) for a council record: the organisation by 法人番号; its establishment
    by name, else by prefecture and address — only when exactly one matches. Never guessed otherwise."""
    org = organisations.get(data.get("corporate_number") or "")
    if org is None:
        return None, None, CouncilRecord.LinkMethod.NONE
    candidates = establishments.get(org.pk, [])
    by_name = [e for e in candidates if search_key(e.name) == search_key(data["establishment_name"])]
    if len(by_name) == 1:
        return org, by_name[0], CouncilRecord.LinkMethod.NAME
    address = search_key(data["address"])
    by_address = [
        e
        for e in candidates
        if e.prefecture == data["prefecture"] and search_key(f"{e.city}{e.address_line}") == address
    ]
    if len(by_address) == 1:
        return org, by_address[0], CouncilRecord.LinkMethod.ADDRESS
    return org, None, CouncilRecord.LinkMethod.NONE


def _link_indexes(numbers) -> tuple[dict, dict]:
    organisations = {o.corporate_number: o for o in Organisation.objects.filter(corporate_number__in=numbers)}
    establishments = defaultdict(list)
    for e in Establishment.objects.filter(organisation__in=organisations.values()).order_by("pk"):
        establishments[e.organisation_id].append(e)
    return organisations, establishments


def _link_message(org, est) -> str:
    if est is not None:
        return _("事業所「%(org)s %(est)s」に紐付けます。") % {"org": org.name, "est": est.name}
    if org is not None:
        return _("法人「%(org)s」に紐付けます（事業所は未照合）。") % {"org": org.name}
    return _("該当する法人が未登録のため、紐付けはありません（会員資格は作りません）。")


def _apply_council(rows: list[Row], *, run, by: "User | None") -> None:
    """Create or update the council records of the valid rows (batched: a few queries for the whole file)."""
    from simple_history.utils import bulk_create_with_history, bulk_update_with_history

    valid = [r for r in rows if not r.rejected]
    existing = {
        c.source_key: c
        for c in CouncilRecord.objects.select_for_update().filter(source_key__in=[r.key for r in valid])
    }
    organisations, establishments = _link_indexes({r.data["corporate_number"] for r in valid} - {""})
    new, changed, changed_fields = [], [], set()
    for row in valid:
        data = row.data
        org, est, method = match_council_link(data, organisations, establishments)
        record = existing.get(row.key)
        if record is None:
            record = CouncilRecord(source_key=row.key, import_run=run, **{f: data[f] for f in COUNCIL_FIELDS})
            if org is not None:
                record.organisation, record.establishment, record.link_method = org, est, method
            record.clean_fields()
            new.append(record)
            row.outcome = CREATED
            row.messages.append(_link_message(org, est))
            continue
        diff = [f for f in COUNCIL_FIELDS if getattr(record, f) != data[f]]
        for f in diff:
            setattr(record, f, data[f])
        # A link is only ever added (a record linked by staff, or linked earlier, is never re-pointed).
        if record.organisation_id is None and org is not None:
            record.organisation, record.link_method = org, method
            diff.append("organisation")
        if (
            record.establishment_id is None
            and est is not None
            and record.organisation_id == est.organisation_id
        ):
            record.establishment, record.link_method = est, method
            diff.append("establishment")
        if diff:
            record.import_run = run
            record.clean_fields()
            changed.append(record)
            changed_fields.update(diff)
            row.outcome = UPDATED
            labels = [
                str(FIELD_LABELS.get(f, {"organisation": _("法人"), "establishment": _("事業所")}.get(f, f)))
                for f in diff
            ]
            row.messages.append(_("変更：%(fields)s") % {"fields": "、".join(labels)})
            if {"organisation", "establishment"} & set(diff):
                row.messages.append(_link_message(record.organisation, record.establishment))
        else:
            row.outcome = UNCHANGED
    if new:
        bulk_create_with_history(
            new, CouncilRecord, batch_size=500, default_user=by if getattr(by, "pk", None) else None
        )
    if changed:
        fields = sorted(changed_fields | {"import_run", "link_method", "updated_at"})
        now = timezone.now()
        for record in changed:
            record.updated_at = now
        bulk_update_with_history(
            changed,
            CouncilRecord,
            fields,
            batch_size=500,
            default_user=by if getattr(by, "pk", None) else None,
        )


def _council(data: bytes, file_name: str, options: dict, *, run, by: "User | None") -> Evaluation:
    table = read_table(data, file_name)
    known = set(JsicCode.objects.values_list("code", flat=True))
    _pos, rows = parsing.check_rows(
        table,
        parsing.COUNCIL_COLUMNS,
        lambda row, cells, pos: parsing.parse_council_row(row, cells, pos, known),
    )
    ev = Evaluation(encoding=table.encoding, columns=table.header, rows=rows)
    # Valid rows are applied even when others are rejected, so the report says what each would do; a refused file
    # is then rolled back as a whole (preview: always; commit: when refused).
    _apply_council(rows, run=run, by=by)
    return ev


@transaction.atomic
def relink_council_records(records, *, by: "User | None" = None) -> int:
    """Link unlinked council records whose organisation or establishment has been registered since."""
    records = list(CouncilRecord.objects.select_for_update().filter(pk__in=[r.pk for r in records]))
    organisations, establishments = _link_indexes({r.corporate_number for r in records} - {""})
    linked = 0
    for record in records:
        org, est, method = match_council_link(
            {f: getattr(record, f) for f in COUNCIL_FIELDS}, organisations, establishments
        )
        fields = []
        if record.organisation_id is None and org is not None:
            record.organisation, record.link_method = org, method
            fields += ["organisation", "link_method"]
        if (
            record.establishment_id is None
            and est is not None
            and record.organisation_id == est.organisation_id
        ):
            record.establishment, record.link_method = est, method
            fields += ["establishment", "link_method"]
        if fields:
            record.save(update_fields=sorted(set(fields)) + ["updated_at"])
            audit(record, "linked", actor=by, note=_link_message(record.organisation, record.establishment))
            linked += 1
    return linked


@transaction.atomic
def link_council_record(
    record: CouncilRecord, *, establishment: Establishment, by: "User | None"
) -> CouncilRecord:
    """Staff link a council record to an establishment by hand (R17: the record stays as it is, no membership)."""
    rec = CouncilRecord.objects.select_for_update().get(pk=record.pk)
    rec.organisation, rec.establishment = establishment.organisation, establishment
    rec.link_method = CouncilRecord.LinkMethod.MANUAL
    rec.full_clean()
    rec.save(update_fields=["organisation", "establishment", "link_method", "updated_at"])
    audit(rec, "linked", actor=by, note=_link_message(rec.organisation, rec.establishment))
    return rec


# --- association member lists (F4) ----------------------------------------------------------------------------


def _association(data: bytes, file_name: str, options: dict, *, run, by: "User | None") -> Evaluation:
    from members import services as member_services

    table = read_table(data, file_name)
    associations = {search_key(a.name): a for a in Association.objects.filter(is_active=True)}
    default = None
    if options.get("association_id"):
        default = Association.objects.filter(pk=options["association_id"]).first()
    _pos, rows = parsing.check_rows(
        table,
        parsing.ASSOCIATION_COLUMNS,
        lambda row, cells, pos: parsing.parse_association_row(row, cells, pos, associations, default),
    )
    ev = Evaluation(encoding=table.encoding, columns=table.header, rows=rows)
    rows = [r for r in rows if not r.rejected]
    organisations = {
        o.corporate_number: o
        for o in Organisation.objects.filter(corporate_number__in={r.data["corporate_number"] for r in rows})
    }
    entries = []
    for row in rows:
        org = organisations.get(row.data["corporate_number"])
        if org is None:
            # Associations list all their members; most are not JAIM's. Such a row is reported, not an error:
            # importing the list again after the company registers records its membership then.
            row.outcome = SKIPPED
            row.messages.append(_("この法人番号の法人はJAIMに登録されていません。"))
            continue
        row.data["organisation"] = org
        entries.append((org.pk, row.data["association"].pk, row.data["complete_on"], row.data["ended_on"]))
    note = _("団体名簿の取込 %(file)s") % {"file": file_name}
    result = member_services.sync_association_memberships(entries, by=by, note=note)
    for row in rows:
        if row.outcome == SKIPPED:
            continue
        org, association = row.data["organisation"], row.data["association"]
        outcome, previous = result[(org.pk, association.pk)]
        row.outcome = outcome
        if outcome == CREATED:
            row.messages.append(
                _("%(org)s を %(assoc)s の会員（%(date)s 加入）として登録します。")
                % {"org": org.name, "assoc": association.name, "date": row.data["complete_on"]}
            )
        elif outcome == UPDATED:
            row.messages.append(
                _("%(org)s の加入日・退会日を団体の名簿に合わせます（%(old_c)s／%(old_e)s → %(c)s／%(e)s）。")
                % {
                    "org": org.name,
                    "old_c": previous["complete_on"] or "—",
                    "old_e": previous["ended_on"] or "—",
                    "c": row.data["complete_on"],
                    "e": row.data["ended_on"] or "—",
                }
            )
        if not association.is_regular_member:
            row.messages.append(_("この団体は正会員団体ではないため、団体割引の対象にはなりません。"))
    return ev


# --- bank statements (reusing fees) ----------------------------------------------------------------------------


def _bank(data: bytes, file_name: str, options: dict, *, run, by: "User | None") -> Evaluation:
    """fees.services.import_bank_statement does the work (parsing, duplicates, automatic matching); this reports
    what it did per line. A file whose every line was imported before changes nothing."""
    from fees import services as fee_services
    from fees import statements
    from fees.models import BankStatementLine
    from jaim.tabular import decode

    ev = Evaluation()
    try:
        _text, ev.encoding = decode(data)
        parsed = statements.parse_statement(data, options.get("bank_format", ""))
    except TableError as exc:
        ev.errors.append(exc.message)
        return ev
    except statements.StatementFormatError as exc:
        ev.errors.append(_("%(line)d行目：%(msg)s") % {"line": exc.line, "msg": exc.message})
        return ev
    ev.columns = [_("取引日"), _("入出金"), _("金額（円）"), _("振込依頼人"), _("摘要")]
    try:
        stmt = fee_services.import_bank_statement(
            data, file_name=file_name, bank_format=options["bank_format"], by=by
        )
    except DomainError as exc:
        ev.errors.append(exc.message)
        return ev
    lines = {
        ln.line_number: ln
        for ln in BankStatementLine.objects.filter(statement=stmt).prefetch_related(
            "payment__allocations__invoice"
        )
    }
    for p in parsed:
        row = Row(
            line=p.line_number,
            values=[
                str(p.booked_on),
                _("入金") if p.direction == "in" else _("出金"),
                str(p.amount_yen),
                p.payer_name_raw,
                p.description_raw,
            ],
        )
        ln = lines.get(p.line_number)
        if ln is None:
            row.outcome = UNCHANGED
            row.messages.append(_("取込済みの明細と同じため、取り込みません（重複）。"))
        elif ln.direction == "out":
            row.outcome = CREATED
            row.messages.append(_("出金の明細（照合の対象外）。"))
        elif ln.status == BankStatementLine.Status.MATCHED:
            row.outcome = CREATED
            numbers = [a.invoice.number for a in ln.payment.allocations.all()] if ln.payment else []
            row.messages.append(_("自動で消し込みます：請求書 %(n)s") % {"n": "、".join(numbers)})
        else:
            row.outcome = CREATED
            row.messages.append(
                _("照合待ち（入出金明細の確認画面で消し込んでください）：%(note)s") % {"note": ln.note}
            )
        ev.rows.append(row)
    ev.result_ref = f"fees.bankstatementimport:{stmt.pk}"
    return ev


IMPORTERS: dict[str, Callable[..., Evaluation]] = {
    ImportRun.Kind.COUNCIL: _council,
    ImportRun.Kind.ASSOCIATION: _association,
    ImportRun.Kind.BANK_STATEMENT: _bank,
}


def _evaluate(kind: str, data: bytes, file_name: str, options: dict, *, run, by: "User | None") -> Evaluation:
    try:
        return IMPORTERS[kind](data, file_name, options, run=run, by=by)
    except TableError as exc:
        prefix = _("%(line)d行目：") % {"line": exc.line} if exc.line else ""
        return Evaluation(errors=[prefix + exc.message])


def _store(run: ImportRun, ev: Evaluation) -> None:
    run.encoding = ev.encoding[:40]
    run.columns = ev.columns
    run.errors = ev.errors
    run.report = [r.as_report() for r in ev.rows]
    run.counts = ev.counts


def preview_import(
    kind: str, data: bytes, *, file_name: str, options: dict | None = None, by: "User | None" = None
) -> ImportRun:
    """Check the file and dry-run it: every write is done and rolled back, so the preview shows exactly what the
    import would do (new, updated, unchanged, rejected — per row). Nothing but the ImportRun is kept."""
    if kind not in IMPORTERS:
        raise DomainError(_("未対応の取込です。"), code="unknown_kind")
    options = dict(options or {})
    try:
        with transaction.atomic():
            raise _DryRun(_evaluate(kind, data, file_name, options, run=None, by=by))
    except _DryRun as dry:
        ev = dry.evaluation
    name = f"backoffice/imports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.bin"
    with transaction.atomic():
        run = ImportRun(
            kind=kind,
            file_name=file_name[:200],
            sha256=hashlib.sha256(data).hexdigest(),
            options=options,
            created_by=by if getattr(by, "pk", None) else None,
        )
        _store(run, ev)
        if ev.refused:
            run.status = ImportRun.Status.REFUSED
        else:
            run.stored_file = default_storage.save(name, ContentFile(data))
        run.save()
        audit(run, "previewed", actor=by, note=str(run.counts))
    return run


@transaction.atomic
def commit_import(run: ImportRun, *, by: "User | None") -> ImportRun:
    """Import a previewed file as a whole: checked again against the data as it is now; if any row fails now,
    nothing is written and the run is refused with the new report."""
    run = ImportRun.objects.select_for_update().get(pk=run.pk)
    if run.status != ImportRun.Status.PREVIEWED:
        raise DomainError(
            _("この取込は既に処理済みです（%(s)s）。") % {"s": run.get_status_display()}, code="done"
        )
    if not run.stored_file or not default_storage.exists(run.stored_file):
        raise DomainError(
            _("この確認画面は期限切れです。ファイルをもう一度アップロードしてください。"), code="expired"
        )
    with default_storage.open(run.stored_file, "rb") as fh:
        data = fh.read()
    point = transaction.savepoint()
    ev = _evaluate(run.kind, data, run.file_name, run.options, run=run, by=by)
    wrote = ev.counts[CREATED] + ev.counts[UPDATED]
    if ev.refused or not wrote:
        # Refused: nothing of the file is kept. Nothing new (the same file again): nothing is written either,
        # not even fees' statement header, so a re-import really changes nothing.
        transaction.savepoint_rollback(point)
    else:
        transaction.savepoint_commit(point)
    _store(run, ev)
    if ev.refused:
        move(run, ImportRun.Status.REFUSED, transitions=ImportRun.TRANSITIONS, actor=by, note=str(run.counts))
    else:
        move(
            run, ImportRun.Status.IMPORTED, transitions=ImportRun.TRANSITIONS, actor=by, note=str(run.counts)
        )
        run.imported_at, run.imported_by = timezone.now(), by
        run.result_ref = ev.result_ref if wrote else ""
    run.save()
    return run


@transaction.atomic
def discard_import(run: ImportRun, *, by: "User | None") -> ImportRun:
    """Staff decide not to import a previewed file."""
    run = ImportRun.objects.select_for_update().get(pk=run.pk)
    move(run, ImportRun.Status.DISCARDED, transitions=ImportRun.TRANSITIONS, actor=by)
    run.save(update_fields=["status"])
    return run


def purge_import_files(*, older_than_days: int = 7, now=None) -> int:
    """Delete uploaded files older than the given days (the report stays); a preview nobody imported by then
    expires (DISCARDED)."""
    import datetime as dt

    cutoff = (now or timezone.now()) - dt.timedelta(days=older_than_days)
    removed = 0
    for run in ImportRun.objects.filter(created_at__lt=cutoff).exclude(stored_file=""):
        with transaction.atomic():
            locked = ImportRun.objects.select_for_update().get(pk=run.pk)
            if locked.status == ImportRun.Status.PREVIEWED:
                move(locked, ImportRun.Status.DISCARDED, transitions=ImportRun.TRANSITIONS, note="expired")
            default_storage.delete(locked.stored_file)
            locked.stored_file = ""
            locked.save(update_fields=["status", "stored_file"])
        removed += 1
    return removed


REPORT_HEADER = [gettext_lazy("行"), gettext_lazy("結果"), gettext_lazy("メッセージ")]


def report_rows(run: ImportRun):
    """The rows of the downloadable report: line, outcome, messages, then the file's own columns."""
    for message in run.errors:
        yield ["", str(parsing.OUTCOME_LABELS[REJECTED]), message, *[""] * len(run.columns)]
    for r in run.report:
        yield [
            r["line"],
            str(parsing.OUTCOME_LABELS.get(r["outcome"], r["outcome"])),
            " ".join(r["messages"]),
            *r["values"],
        ]


def same_file_imports(run: ImportRun):
    """Earlier imports of the very same file (shown on the preview)."""
    return ImportRun.objects.filter(
        sha256=run.sha256, kind=run.kind, status=ImportRun.Status.IMPORTED
    ).exclude(pk=run.pk)
