"""Staff notes on an establishment's timeline: written by staff, corrected by their author for a short time
(JAIM_NOTE_EDIT_MINUTES), never deleted — struck through with who, when and why, the text kept."""

import datetime as dt

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.models import StaffNote
from jaim.errors import DomainError
from jaim.states import audit
from jaim.uploads import Inspected, inspect_upload

WHERE = "職員メモの添付ファイル"


def edit_window() -> dt.timedelta:
    return dt.timedelta(minutes=settings.JAIM_NOTE_EDIT_MINUTES)


def can_edit(note: StaffNote, user) -> bool:
    """Only its author, only within the window after writing it, and not once struck through."""
    return (
        note.author_id == getattr(user, "pk", None)
        and note.struck_at is None
        and timezone.now() < note.created_at + edit_window()
    )


def _text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise DomainError(_("内容を入力してください。"), code="text_required")
    if len(text) > 4000:
        raise DomainError(_("内容は4,000文字以内で入力してください。"), code="text_too_long")
    return text


def add_note(establishment, *, kind: str, text: str, by, upload=None) -> StaffNote:
    """Write a note. An attachment is checked (jaim.uploads) before the transaction: a refused file leaves
    nothing written, and its message goes back next to the field."""
    if kind not in StaffNote.Kind.values:
        raise DomainError(_("種類を選んでください。"), code="kind")
    text = _text(text)
    inspected = None
    if upload is not None:
        inspected = upload if isinstance(upload, Inspected) else inspect_upload(upload, where=WHERE, by=by)
    return _add(establishment, kind=kind, text=text, by=by, inspected=inspected)


@transaction.atomic
def _add(establishment, *, kind, text, by, inspected) -> StaffNote:
    note = StaffNote(establishment=establishment, kind=kind, text=text, author=by)
    if inspected is not None:
        note.attachment_type = inspected.content_type
        note.attachment_size = inspected.size
        note.attachment_name = inspected.original_name
        note.attachment.save(f"note.{inspected.extension}", ContentFile(inspected.content), save=False)
    note.save()
    audit(note, "created", actor=by)
    return note


@transaction.atomic
def edit_note(note: StaffNote, *, kind: str, text: str, by) -> StaffNote:
    """The author corrects the kind and the text within the window (the earlier wording stays in the history)."""
    note = StaffNote.objects.select_for_update().get(pk=note.pk)
    if note.author_id != by.pk:
        raise DomainError(_("職員メモを編集できるのは記入した本人だけです。"), code="not_author")
    if note.struck_at is not None:
        raise DomainError(_("取消線を引いたメモは編集できません。"), code="struck")
    if not can_edit(note, by):
        raise DomainError(
            _("記入から%(minutes)d分を過ぎたメモは編集できません。取消線を引いて新しく書いてください。")
            % {"minutes": settings.JAIM_NOTE_EDIT_MINUTES},
            code="window_closed",
        )
    if kind not in StaffNote.Kind.values:
        raise DomainError(_("種類を選んでください。"), code="kind")
    note.kind, note.text, note.edited_at = kind, _text(text), timezone.now()
    note.save(update_fields=["kind", "text", "edited_at"])
    audit(note, "edited", actor=by)
    return note


@transaction.atomic
def strike_note(note: StaffNote, *, reason: str, by) -> StaffNote:
    """Strike a note through: the text stays, with who did it, when and why. Once only."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("取消線を引く理由を入力してください。"), code="reason_required")
    if len(reason) > 300:
        raise DomainError(_("理由は300文字以内で入力してください。"), code="reason_too_long")
    note = StaffNote.objects.select_for_update().get(pk=note.pk)
    if note.struck_at is not None:
        raise DomainError(_("このメモにはすでに取消線が引かれています。"), code="already_struck")
    note.struck_at, note.struck_by, note.strike_reason = timezone.now(), by, reason
    note.save(update_fields=["struck_at", "struck_by", "strike_reason"])
    audit(note, "struck", actor=by, note=reason)
    return note


ANONYMISED_NOTE = "（保存期間の経過により匿名化済み）"


def anonymise_notes(sender=None, *, establishment, **kwargs) -> int:
    """Past the retention period (members.services.anonymise_establishment sends establishment_anonymised): staff
    notes may name the site's people, so their text, strike reason and field history are replaced and their
    attachments removed from storage. The notes themselves stay (never deleted), so the timeline still shows that a
    call or visit took place. Returns the number of notes scrubbed; safe to run twice."""
    notes = StaffNote.objects.filter(establishment=establishment)
    names = [n for n in notes.exclude(attachment="").values_list("attachment", flat=True) if n]
    count = notes.exclude(text=ANONYMISED_NOTE).count()
    notes.update(
        text=ANONYMISED_NOTE,
        strike_reason="",
        attachment="",
        attachment_name="",
        attachment_type="",
        attachment_size=None,
    )
    StaffNote.history.filter(establishment_id=establishment.pk).update(
        text=ANONYMISED_NOTE, strike_reason="", attachment="", attachment_name=""
    )
    from functools import partial

    from django.core.files.storage import default_storage

    for name in names:
        transaction.on_commit(partial(default_storage.delete, name))
    return count
