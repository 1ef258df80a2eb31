"""Resources for members (FAQ 3-4-2): files checked by their content like applicants' uploads, and pages."""

from typing import TYPE_CHECKING

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.models import MemberResource
from jaim.errors import DomainError
from jaim.states import audit, move
from jaim.uploads import Inspected, inspect_upload

if TYPE_CHECKING:
    from members.models import User

CONTENT_FIELDS = ["title", "summary", "kind", "body", "order"]


def save_resource(resource: MemberResource, *, upload=None, by: "User | None") -> MemberResource:
    """Create or edit a resource. An upload (a file, or the `Inspected` result of the admin form's check) is checked
    (jaim.uploads) before the transaction and before the old file is touched: a refused upload never replaces a good
    file."""
    if upload is not None and not isinstance(upload, Inspected):
        upload = inspect_upload(upload, where=_("会員向け資料"), by=by)
    return _save_resource(resource, inspected=upload, by=by)


@transaction.atomic
def _save_resource(
    resource: MemberResource, *, inspected: Inspected | None, by: "User | None"
) -> MemberResource:
    old_file = ""
    if resource.pk:
        current = MemberResource.objects.select_for_update().get(pk=resource.pk)
        old_file = current.file.name
        resource.status, resource.published_at = (
            current.status,
            current.published_at,
        )  # moved only by services
    if inspected is not None:
        resource.content_type = inspected.content_type
        resource.size_bytes = inspected.size
        resource.original_name = inspected.original_name
        resource.file.save(f"resource.{inspected.extension}", ContentFile(inspected.content), save=False)
    if resource.kind == MemberResource.Kind.FILE and not resource.file:
        raise DomainError(_("ファイルを選んでください。"), code="file_required")
    if resource.kind == MemberResource.Kind.PAGE and not resource.body.strip():
        raise DomainError(_("ページの本文を入力してください。"), code="body_required")
    resource.full_clean()
    created = resource.pk is None
    resource.save()
    audit(resource, "created" if created else "edited", actor=by)
    if old_file and old_file != resource.file.name:
        transaction.on_commit(lambda: default_storage.delete(old_file))
    return resource


@transaction.atomic
def publish_resource(resource: MemberResource, *, by: "User | None") -> MemberResource:
    r = MemberResource.objects.select_for_update().get(pk=resource.pk)
    move(r, MemberResource.Status.PUBLISHED, transitions=MemberResource.TRANSITIONS, actor=by)
    r.published_at = timezone.now()
    r.save(update_fields=["status", "published_at", "updated_at"])
    return r


@transaction.atomic
def unpublish_resource(resource: MemberResource, *, by: "User | None") -> MemberResource:
    r = MemberResource.objects.select_for_update().get(pk=resource.pk)
    move(r, MemberResource.Status.DRAFT, transitions=MemberResource.TRANSITIONS, actor=by)
    r.save(update_fields=["status", "updated_at"])
    return r
