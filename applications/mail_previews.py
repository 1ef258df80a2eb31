"""Previews of the applications app's mails on a real member, for the administrators' mail wording pages
(jaim.mailtemplates.PREVIEWS): the context applications.services._mail builds, from the newest application of
the member number's establishment. Read only."""

from applications.models import Application
from jaim.links import absolute_url
from jaim.mailtemplates import preview
from members.mail_previews import membership

S = Application.Status


def application_context(member_number: str, *statuses: str) -> dict | None:
    """The newest submitted application of the member's establishment, one in `statuses` first (the approval
    mail shows an approved application when there is one)."""
    m = membership(member_number)
    if m is None:
        return None
    submitted = Application.objects.filter(establishment_id=m.establishment_id, receipt_number__isnull=False)
    app = (
        submitted.filter(status__in=statuses).order_by("-pk").first() if statuses else None
    ) or submitted.order_by("-pk").first()
    if app is None:
        return None
    url = absolute_url("applications:detail", app.pk)
    return {"application": app, "establishment": m.establishment, "url": url}


@preview("application_received")
def received(member_number: str) -> dict | None:
    ctx = application_context(member_number)
    return None if ctx is None else {**ctx, "resubmission": False}


@preview("application_approved")
def approved(member_number: str) -> dict | None:
    return application_context(member_number, S.APPROVED)


@preview("application_cancelled")
def cancelled(member_number: str) -> dict | None:
    return application_context(member_number, S.CANCELLED)


@preview("application_rejected")
def rejected(member_number: str) -> dict | None:
    ctx = application_context(member_number, S.REJECTED)
    return None if ctx is None else {**ctx, "reason": ctx["application"].rejection_reason}


@preview("application_returned")
def returned(member_number: str) -> dict | None:
    ctx = application_context(member_number, S.RETURNED)
    if ctx is None:
        return None
    app = ctx["application"]
    return {**ctx, "message": app.return_message, "deadline": app.return_deadline}
