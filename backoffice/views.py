"""Public and member pages: the announcements archive and the information-mail sign-up (no login), member
resources (members only: anyone else gets 404), and the panels on My Page and the establishment page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from backoffice import selectors, services
from backoffice.forms import SubscribeForm
from backoffice.models import CouncilRecord, InfoSubscriber
from jaim.errors import DomainError
from jaim.views import apply_service

# --- announcements archive (public) -----------------------------------------------------------------------------


@require_GET
def archive(request):
    page = Paginator(selectors.public_announcements(), 20).get_page(request.GET.get("page"))
    return render(request, "backoffice/public/archive.html", {"page": page})


@require_GET
def announcement_detail(request, pk):
    announcement = get_object_or_404(selectors.public_announcements(), pk=pk)
    return render(request, "backoffice/public/announcement.html", {"announcement": announcement})


# --- the free information service (FAQ 3-4-5) --------------------------------------------------------------------


def subscribe(request):
    initial = {"email": request.user.email} if request.user.is_authenticated else {}
    form = SubscribeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        sub = apply_service(
            request,
            form,
            services.request_subscription,
            email=form.cleaned_data["email"],
            name=form.cleaned_data["name"],
            organisation_name=form.cleaned_data["organisation_name"],
        )
        if sub:
            # The same answer whether the address was new, pending or already subscribed: nothing leaks.
            return redirect("backoffice:subscribe_sent")
    return render(request, "backoffice/public/subscribe.html", {"form": form})


@require_GET
def subscribe_sent(request):
    return render(request, "backoffice/public/subscribe_sent.html")


def subscribe_confirm(request, token):
    """GET shows a button; POST confirms (mail scanners that open links do not subscribe anyone)."""
    if request.method == "POST":
        try:
            services.confirm_subscription(token)
        except DomainError as exc:
            return render(
                request,
                "backoffice/public/message.html",
                {"title": _("確認できませんでした"), "message": exc.message},
                status=400,
            )
        return render(
            request,
            "backoffice/public/message.html",
            {
                "title": _("登録が完了しました"),
                "message": _(
                    "制度情報メールの配信を開始します。配信停止はメール末尾のリンクからいつでもできます。"
                ),
            },
        )
    return render(
        request,
        "backoffice/public/confirm.html",
        {"action": _("登録を完了する"), "title": _("制度情報メールの登録")},
    )


def unsubscribe(request, token):
    """GET shows a button; POST stops the e-mails."""
    try:
        sub = services.subscriber_from_unsubscribe_token(token)
    except DomainError as exc:
        return render(
            request,
            "backoffice/public/message.html",
            {"title": _("配信停止"), "message": exc.message},
            status=400,
        )
    if request.method == "POST":
        services.unsubscribe(token)
        return render(
            request,
            "backoffice/public/message.html",
            {"title": _("配信を停止しました"), "message": _("今後、制度情報メールはお送りしません。")},
        )
    if sub.status == InfoSubscriber.Status.UNSUBSCRIBED:
        return render(
            request,
            "backoffice/public/message.html",
            {"title": _("配信停止"), "message": _("配信は既に停止しています。")},
        )
    return render(
        request,
        "backoffice/public/confirm.html",
        {"action": _("配信を停止する"), "title": _("制度情報メールの配信停止"), "email": sub.email},
    )


# --- member resources ---------------------------------------------------------------------------------------------


@login_required
def resources(request):
    if not selectors.is_member_user(request.user):
        raise Http404
    return render(
        request, "backoffice/resources/list.html", {"resources": selectors.resources_for(request.user)}
    )


@login_required
def resource_detail(request, pk):
    resource = selectors.get_resource_for(request.user, pk)
    return render(request, "backoffice/resources/detail.html", {"resource": resource})


@login_required
def resource_download(request, pk):
    """Files only through here, as attachments, after the membership check (never a public URL)."""
    resource = selectors.get_resource_for(request.user, pk)
    if not resource.file or not default_storage.exists(resource.file.name):
        raise Http404
    return FileResponse(
        default_storage.open(resource.file.name, "rb"),
        as_attachment=True,
        filename=resource.download_name,
        content_type=resource.content_type or "application/octet-stream",
    )


# --- panels ---------------------------------------------------------------------------------------------------------


def resources_panel(request):
    """My Page: the resources for members (nothing for anyone else)."""
    items = list(selectors.resources_for(request.user)[:10])
    if not items:
        return None
    return "backoffice/resources/panel.html", {"resources": items}


def information_panel(request):
    """My Page: the free information e-mails, offered to people who are not (or no longer) members (FAQ 3-4-5)."""
    if selectors.is_member_user(request.user):
        return None
    sub = selectors.subscriber_for_email(request.user.email)
    if sub and sub.status == InfoSubscriber.Status.ACTIVE:
        return None
    return "backoffice/public/panel_information.html", {"subscriber": sub}


def council_panel(request, establishment):
    """Establishment page: the council (協議会) data migrated for this site, if any (R17)."""
    records = list(
        CouncilRecord.objects.filter(establishment=establishment).order_by("-council_joined_on")[:3]
    )
    if not records:
        return None
    return "backoffice/public/panel_council.html", {"records": records}


@login_required
def subscribe_me(request):
    """From My Page: sign up with the account's address (the confirmation link still goes to it)."""
    if request.method != "POST":
        return redirect("backoffice:subscribe")
    try:
        services.request_subscription(email=request.user.email, name=request.user.full_name)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("members:mypage")
    return redirect("backoffice:subscribe_sent")
