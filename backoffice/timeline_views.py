"""Staff pages of the timeline (under the admin site: staff with a verified second factor, see urls.py): an
establishment's timeline with its staff notes, an organisation's (its sites merged), correcting and striking a
note, a note's attachment. Who may open what is in the role matrix (jaim.roles.STAFF_PAGES)."""

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from backoffice import services, timeline
from backoffice.forms import StaffNoteForm, StrikeNoteForm, TimelineFilterForm
from backoffice.models import StaffNote
from jaim.errors import DomainError
from members.models import Establishment, Organisation


def _require(request, perm: str):
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _page(request, template: str, title: str, **context):
    return render(request, template, {**admin.site.each_context(request), "title": title, **context})


def _listing(request, scope):
    filters = TimelineFilterForm(request.GET or None)
    kind = q = ""
    if filters.is_valid():
        kind, q = filters.cleaned_data["kind"], filters.cleaned_data["q"].strip()
    page = Paginator(timeline.events(scope, kind=kind, q=q), timeline.PER_PAGE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    for event in page.object_list:
        if event.note is not None:
            event.note.editable = services.can_edit(event.note, request.user)
    return {"filters": filters, "page": page, "query": query.urlencode(), "merged": scope.merged}


def establishment_timeline(request, pk):
    _require(request, "members.view_establishment")
    est = get_object_or_404(Establishment.objects.select_related("organisation"), pk=pk)
    may_write = request.user.has_perm("backoffice.add_staffnote")
    form = StaffNoteForm(with_upload=True)
    if request.method == "POST":
        if not may_write:
            raise PermissionDenied
        form = StaffNoteForm(request.POST, request.FILES)
        form.uploaded_by = request.user
        if form.is_valid():
            try:
                services.add_note(
                    est,
                    kind=form.cleaned_data["kind"],
                    text=form.cleaned_data["text"],
                    upload=form.cleaned_data.get("upload"),
                    by=request.user,
                )
            except DomainError as exc:
                form.add_error("text" if exc.code and exc.code.startswith("text") else None, exc.message)
            else:
                messages.success(request, _("職員メモを記録しました。"))
                return redirect("backoffice:timeline_establishment", pk=est.pk)
    return _page(
        request,
        "backoffice/admin/timeline.html",
        _("対応履歴：%(name)s") % {"name": str(est)},
        subject=est,
        organisation=est.organisation,
        form=form if may_write else None,
        change_url=reverse("admin:members_establishment_change", args=[est.pk]),
        **_listing(request, timeline.for_establishment(est)),
    )


def organisation_timeline(request, pk):
    _require(request, "members.view_organisation")
    org = get_object_or_404(Organisation, pk=pk)
    scope = timeline.for_organisation(org)
    return _page(
        request,
        "backoffice/admin/timeline.html",
        _("対応履歴：%(name)s（全事業所）") % {"name": org.name},
        subject=org,
        organisation=org,
        sites=scope.establishments,
        form=None,
        change_url=reverse("admin:members_organisation_change", args=[org.pk]),
        **_listing(request, scope),
    )


def _note(request, pk, perm):
    _require(request, perm)
    _require(request, "members.view_establishment")
    return get_object_or_404(StaffNote.objects.select_related("establishment", "author"), pk=pk)


def note_edit(request, pk):
    note = _note(request, pk, "backoffice.change_staffnote")
    back = reverse("backoffice:timeline_establishment", args=[note.establishment_id])
    if not services.can_edit(note, request.user):
        messages.error(
            request,
            _("このメモは編集できません（編集できるのは記入した本人が、記入から%(minutes)d分以内だけです）。")
            % {"minutes": settings.JAIM_NOTE_EDIT_MINUTES},
        )
        return redirect(back)
    form = StaffNoteForm(initial={"kind": note.kind, "text": note.text}, with_upload=False)
    if request.method == "POST":
        form = StaffNoteForm(request.POST, with_upload=False)
        if form.is_valid():
            try:
                services.edit_note(
                    note, kind=form.cleaned_data["kind"], text=form.cleaned_data["text"], by=request.user
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("職員メモを修正しました。"))
                return redirect(back)
    return _page(
        request, "backoffice/admin/note_form.html", _("職員メモの修正"), note=note, form=form, back=back
    )


def note_strike(request, pk):
    note = _note(request, pk, "backoffice.change_staffnote")
    back = reverse("backoffice:timeline_establishment", args=[note.establishment_id])
    if note.struck_at is not None:
        messages.error(request, _("このメモにはすでに取消線が引かれています。"))
        return redirect(back)
    form = StrikeNoteForm()
    if request.method == "POST":
        form = StrikeNoteForm(request.POST)
        if form.is_valid():
            try:
                services.strike_note(note, reason=form.cleaned_data["reason"], by=request.user)
            except DomainError as exc:
                form.add_error("reason", exc.message)
            else:
                messages.success(request, _("職員メモに取消線を引きました。"))
                return redirect(back)
    return _page(
        request,
        "backoffice/admin/note_form.html",
        _("職員メモに取消線を引く"),
        note=note,
        form=form,
        back=back,
    )


def note_attachment(request, pk):
    """A note's file, to staff only, as an attachment (never a public URL of the private storage)."""
    note = _note(request, pk, "backoffice.view_staffnote")
    if not note.attachment or not default_storage.exists(note.attachment.name):
        raise Http404
    return FileResponse(
        default_storage.open(note.attachment.name, "rb"),
        as_attachment=True,
        filename=note.download_name,
        content_type=note.attachment_type or "application/octet-stream",
    )
