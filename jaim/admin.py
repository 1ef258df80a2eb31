from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from jaim.audit_labels import audit_action_label, state_label
from jaim.errors import DomainError
from jaim.job_labels import counts_text, job_label
from jaim.models import (
    AuditEvent,
    IssuerProfile,
    JobRun,
    MailTemplate,
    OutboxAttempt,
    OutboxMessage,
    RetentionPolicy,
    Sequence,
    VirusDetection,
)
from jaim.third_party_labels import model_label, permission_label


class HistoryAdmin(SimpleHistoryAdmin):
    """Field history to read, never to write back. simple_history's version page saves the old version on a POST
    (its "revert"), whatever the role's change permission says about the fields: that would move a membership's
    status or an issued document behind the services' rules and the audit log. So the page only shows; every
    registered admin with history uses this class (tests/security/test_role_matrix.py)."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def revert_disabled(self, request, obj=None):
        return True


class ReadOnlyMixin:
    """Records that are written by the services only (issued documents, runs, logs): visible, never added,
    edited or deleted in the admin. For a ModelAdmin or an inline."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    pass


def run_service(request, fn, *args, **kwargs):
    """Call a service from an admin view; a DomainError (a rule said no) becomes the error message on the page
    and None is returned, so the view shows its form again."""
    try:
        return fn(*args, **kwargs)
    except DomainError as exc:
        messages.error(request, exc.message)
        return None


def run_each(modeladmin, request, queryset, fn, done_message: str) -> int:
    """An admin action applying `fn(obj)` to each selected row: a refused row gets its own error line
    ("<row>: <reason>"), the others go on; one success message with %(n)d. Returns the number done."""
    done = 0
    for obj in queryset:
        try:
            fn(obj)
            done += 1
        except DomainError as exc:
            modeladmin.message_user(request, f"{obj}: {exc.message}", level=messages.ERROR)
    if done:
        modeladmin.message_user(request, done_message % {"n": done}, level=messages.SUCCESS)
    return done


AUDIT_FIELDS = (
    "created_at",
    "subject_type",
    "object_id",
    "action_label",
    "from_label",
    "to_label",
    "actor",
    "note_view",
)


class AuditSubjectTypeFilter(admin.SimpleListFilter):
    """The kinds of object the log holds, by their Japanese name (not every content type, history tables included)."""

    title = _("対象の種類")
    parameter_name = "content_type"

    def lookups(self, request, model_admin):
        from django.contrib.contenttypes.models import ContentType

        ids = AuditEvent.objects.values_list("content_type", flat=True).distinct()
        types = ContentType.objects.filter(pk__in=ids)
        labels = [(ct.pk, model_label(ct.model_class()) if ct.model_class() else ct.model) for ct in types]
        return sorted(labels, key=lambda pair: pair[1])

    def queryset(self, request, queryset):
        return queryset.filter(content_type=self.value()) if self.value() else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "subject_type",
        "object_id",
        "action_label",
        "from_label",
        "to_label",
        "actor",
    ]
    list_filter = [AuditSubjectTypeFilter]
    fields = AUDIT_FIELDS
    readonly_fields = AUDIT_FIELDS
    search_fields = ["object_id", "note", "actor__email"]
    list_select_related = ["content_type", "actor"]
    date_hierarchy = "created_at"

    @admin.display(description=_("対象の種類"))
    def subject_type(self, obj):
        model = obj.content_type.model_class()
        return model_label(model) if model is not None else obj.content_type.model

    @admin.display(description=_("操作"), ordering="action")
    def action_label(self, obj):
        return audit_action_label(obj)

    @admin.display(description=_("変更前"))
    def from_label(self, obj):
        return state_label(obj, obj.from_status) if obj.from_status else ""

    @admin.display(description=_("変更後"))
    def to_label(self, obj):
        return state_label(obj, obj.to_status) if obj.to_status else ""

    @admin.display(description=_("備考"))
    def note_view(self, obj):
        """Role and permission changes name their items by code (「auth.view_group」, 「reviewer」): in Japanese."""
        if obj.action.startswith(("permissions_", "user_permissions_")) and obj.note:
            from django.contrib.auth.models import Permission

            wanted = [item.strip().partition(".") for item in obj.note.split(",")]
            perms = Permission.objects.select_related("content_type").filter(
                codename__in=[code for _app, _dot, code in wanted]
            )
            by_key = {(p.content_type.app_label, p.codename): permission_label(p) for p in perms}
            return "、".join(by_key.get((app, code), f"{app}.{code}") for app, _dot, code in wanted)
        if obj.action.startswith("groups_") and obj.note:
            from jaim.roles import GROUP_LABELS

            return "、".join(str(GROUP_LABELS.get(n.strip(), n.strip())) for n in obj.note.split(","))
        return obj.note


class JobNameFilter(admin.SimpleListFilter):
    """The jobs by their names (the codes stay in the query string only)."""

    title = _("ジョブ")
    parameter_name = "job"

    def lookups(self, request, model_admin):
        jobs = JobRun.objects.order_by("job").values_list("job", flat=True).distinct()
        return [(job, job_label(job)) for job in jobs]

    def queryset(self, request, queryset):
        return queryset.filter(job=self.value()) if self.value() else queryset


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = [
        "job_name",
        "reference_date",
        "started_at",
        "finished_at",
        "counts_view",
        "succeeded_flag",
    ]
    list_filter = [JobNameFilter]
    search_fields = ["job", "error"]
    readonly_fields = ("job_name", "reference_date", "started_at", "finished_at", "counts_view", "error")
    fields = readonly_fields

    @admin.display(description=_("ジョブ"), ordering="job")
    def job_name(self, obj):
        return job_label(obj.job)

    @admin.display(description=_("件数"))
    def counts_view(self, obj):
        return counts_text(obj.counts)

    @admin.display(boolean=True, description="成功")
    def succeeded_flag(self, obj):
        return obj.succeeded


class OutboxAttemptInline(admin.TabularInline):
    """Every conversation with the mail server about this message: when, and the server's error if any."""

    model = OutboxAttempt
    readonly_fields = ("number", "started_at", "finished_at", "succeeded", "error")
    fields = readonly_fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class OutboxKindFilter(admin.SimpleListFilter):
    """The kinds of mail by their names (the codes stay in the query string only)."""

    title = "種類"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        from jaim.mail import kind_label

        kinds = OutboxMessage.objects.order_by().values_list("kind", flat=True).distinct()
        return sorted(((k, kind_label(k)) for k in kinds), key=lambda pair: pair[1])

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    # Failed mails: filter on 状態 = 送信失敗; each row shows the last error and the attempts below.
    list_display = [
        "created_at",
        "kind_label",
        "to",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
    ]
    inlines = [OutboxAttemptInline]
    list_filter = ["status", OutboxKindFilter]
    search_fields = ["to", "subject", "dedupe_key"]
    # the kind by its name; the dedupe key (an internal code) stays searchable but is not shown
    exclude = ["kind", "dedupe_key"]
    date_hierarchy = "created_at"
    actions = ["resend"]

    @admin.display(description="種類", ordering="kind")
    def kind_label(self, obj):
        from jaim.mail import kind_label

        return kind_label(obj.kind)

    def get_fields(self, request, obj=None):
        # Staff read what was sent, but never a live sign-up or password-reset link: that would let anyone with
        # access to the admin open someone else's account.
        return [("body_without_secrets" if f == "body" else f) for f in super().get_fields(request, obj)]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "kind_label", "body_without_secrets"]

    @admin.display(description="本文")
    def body_without_secrets(self, obj):
        from jaim.security import redact_secret_links

        return redact_secret_links(obj.body)

    def has_resend_permission(self, request):
        return request.user.has_perm("jaim.change_outboxmessage")

    @admin.action(description="選択したメールを再送する", permissions=["resend"])
    def resend(self, request, queryset):
        from jaim.queue import enqueue
        from jaim.tasks import send_outbox_message

        # Only the statuses that may move back to PENDING (OutboxMessage.TRANSITIONS): a sent message is final.
        again = [s for s, to in OutboxMessage.TRANSITIONS.items() if OutboxMessage.Status.PENDING in to]
        ids = list(queryset.filter(status__in=again).values_list("pk", flat=True))
        OutboxMessage.objects.filter(pk__in=ids).update(
            status=OutboxMessage.Status.PENDING, attempts=0, next_attempt_at=None, claimed_until=None
        )
        for pk in ids:
            enqueue(send_outbox_message, pk)
        self.message_user(request, f"{len(ids)}件を再送します。")


@admin.register(VirusDetection)
class VirusDetectionAdmin(ReadOnlyAdmin):
    """Infected uploads the scanner refused (administrators only: jaim.roles)."""

    list_display = ["detected_at", "signature", "where", "file_name", "size_bytes", "uploaded_by"]
    list_filter = ["where", "signature"]
    search_fields = ["signature", "file_name", "sha256", "uploaded_by__email"]
    list_select_related = ["uploaded_by"]
    date_hierarchy = "detected_at"


@admin.register(Sequence)
class SequenceAdmin(ReadOnlyAdmin):
    list_display = ["prefix_label", "last_value"]

    # what each counter numbers (the prefix is the counter's internal key: 「member」, 「invoice-2026」)
    PREFIX_LABELS = {
        "member": _("会員番号"),
        "invoice": _("請求書番号"),
        "credit": _("赤伝番号"),
        "receipt": _("領収書番号"),
        "application": _("申請の受付番号"),
    }

    @admin.display(description=_("採番の区分"), ordering="prefix")
    def prefix_label(self, obj):
        kind, _sep, year = obj.prefix.partition("-")
        label = self.PREFIX_LABELS.get(kind)
        if label is None:
            return obj.prefix
        return _("%(label)s（%(year)s年度）") % {"label": label, "year": year} if year.isdigit() else label


# --- retention (security) -----------------------------------------------------------------------------------


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(HistoryAdmin):
    """One row: the retention period. Changes are kept in its history (who, when, from what)."""

    list_display = ["__str__", "withdrawn_years", "updated_at"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not RetentionPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        RetentionPolicy.current()  # the row exists from the first look
        return super().changelist_view(request, extra_context)


# --- the issuer of invoices, credit notes, receipts and notices ---------------------------------------------------


class IssuerProfileForm(forms.ModelForm):
    """A new version of the issuer: postal code and phone accepted with or without hyphens; the seal image goes
    through the same checks as every upload (re-encoded by Pillow; PDFs refused: a seal is a picture)."""

    postal_code = forms.CharField(label=_("郵便番号"), max_length=10, help_text=_("例：100-0013"))
    phone = forms.CharField(label=_("電話番号"), max_length=20, help_text=_("例：03-1234-5678"))
    remove_seal = forms.BooleanField(
        label=_("角印を印字しない"),
        required=False,
        help_text=_("チェックすると、この版から角印を印字しません。"),
    )

    class Meta:
        model = IssuerProfile
        fields = ["name", "department", "postal_code", "address", "phone", "email", "seal", "tax_note"]

    def clean_postal_code(self):
        from jaim.validators import validate_postal_code

        value = (self.cleaned_data.get("postal_code") or "").replace("-", "").replace("－", "").strip()
        validate_postal_code(value)
        return value

    def clean_phone(self):
        from jaim.validators import validate_phone

        value = "".join(ch for ch in (self.cleaned_data.get("phone") or "") if ch.isdigit())
        validate_phone(value)
        return value

    def clean_seal(self):
        from jaim.uploads import PDF, inspect_upload

        seal = self.cleaned_data.get("seal")
        if not seal or not hasattr(seal, "content_type"):  # unchanged (a copied version) or none
            return seal
        try:
            checked = inspect_upload(seal, where="issuer_seal", by=getattr(self, "user", None))
        except DomainError as exc:
            raise forms.ValidationError(str(exc), code=exc.code) from exc
        if checked.content_type == PDF:
            raise forms.ValidationError(
                _("角印はPNGまたはJPEGの画像でアップロードしてください。"), code="not_image"
            )
        return ContentFile(checked.content, name=f"seal.{checked.extension}")


@admin.register(IssuerProfile)
class IssuerProfileAdmin(admin.ModelAdmin):
    """What every invoice, credit note, receipt and notice prints as its issuer. Versions are never edited: a
    change is a new version (the form starts from the current one), and each document keeps the version in force
    when it was made."""

    form = IssuerProfileForm
    actions = None  # versions are never deleted
    list_display = ["created_at", "name", "department", "address", "has_seal", "created_by"]
    list_select_related = ["created_by"]
    readonly_fields = ["created_at", "created_by"]

    @admin.display(boolean=True, description=_("角印"))
    def has_seal(self, obj):
        return bool(obj.seal)

    def has_change_permission(self, request, obj=None):
        return False  # a new version instead (the add form starts from the current one)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.user = request.user
        return form

    def get_changeform_initial_data(self, request):
        from jaim.issuer import FIELDS, current_profile, default_profile

        start = current_profile() or default_profile()  # the form starts from the version in force
        return {f: getattr(start, f) for f in FIELDS}

    def save_model(self, request, obj, form, change):
        from jaim.issuer import register_version

        saved = register_version(
            form.cleaned_data,
            seal=form.cleaned_data.get("seal") or None,
            remove_seal=form.cleaned_data.get("remove_seal", False),
            by=request.user,
        )
        obj.pk, obj.created_at = (
            saved.pk,
            saved.created_at,
        )  # the admin's message names the version registered


# --- mail wording as data ------------------------------------------------------------------------------------------


class MailTemplateForm(forms.ModelForm):
    """A new version of a mail's wording: checked in the sandbox before it is saved (jaim.mailtemplates.check)."""

    subject_ja = forms.CharField(label=_("件名"), max_length=255)
    body_ja = forms.CharField(label=_("本文"), widget=forms.Textarea(attrs={"rows": 24, "cols": 100}))
    subject_en = forms.CharField(label=_("件名（英語）"), max_length=255, required=False)
    body_en = forms.CharField(
        label=_("本文（英語）"), widget=forms.Textarea(attrs={"rows": 6}), required=False
    )
    note = forms.CharField(label=_("変更の理由"), max_length=200, required=False)

    class Meta:
        model = MailTemplate
        fields: list[str] = []

    def clean(self):
        from jaim.mailtemplates import check

        data = super().clean()
        if "subject_ja" in data and "body_ja" in data:
            english = (data.get("subject_en") or "", data.get("body_en") or "")
            for name, error in check(
                self.instance.kind, data["subject_ja"], data["body_ja"], *english
            ).items():
                self.add_error(name, error)
        return data


@admin.register(MailTemplate)
class MailTemplateAdmin(admin.ModelAdmin):
    """Every kind of mail by its name; a kind's page: its wording (a save is a new version), the variables it may
    use, the versions with what changed, a preview on a real member and a test send to oneself."""

    form = MailTemplateForm
    actions = None
    list_display = ["label", "editable_flag", "current_version"]
    fieldsets = [
        (None, {"fields": ["label", "variables"]}),
        (_("新しい版"), {"fields": ["subject_ja", "body_ja", "note"]}),
        (
            _("英語の文面（任意）"),
            {
                "fields": ["subject_en", "body_en"],
                "description": _(
                    "英語の件名と本文は、受信者の言語が英語のときに使います。いまは受信者の言語を記録していないため、"
                    "メールはすべて日本語で送ります。英語の文面も保存の前に日本語と同じように検査し、プレビューで"
                    "確認できます。"
                ),
            },
        ),
        (_("版の履歴"), {"fields": ["history"]}),
    ]
    readonly_fields = ["label", "variables", "history"]
    change_form_template = "admin/jaim/mailtemplate/change_form.html"

    @admin.display(description=_("メールの種類"))
    def label(self, obj):
        from jaim.mail import kind_label

        return kind_label(obj.kind)

    @admin.display(boolean=True, description=_("文面の編集"))
    def editable_flag(self, obj):
        from jaim.mailtemplates import editable

        return editable(obj.kind)

    @admin.display(description=_("使っている版"))
    def current_version(self, obj):
        number = max((v.number for v in obj.versions.all()), default=0)
        return _("第%(n)d版") % {"n": number} if number else _("組み込みの文面")

    @admin.display(description=_("使える変数"))
    def variables(self, obj):
        from django.utils.html import format_html, format_html_join

        from jaim.mailtemplates import KINDS, ListVar, example_text

        rows = []
        for v in KINDS.get(obj.kind, ()):
            if isinstance(v, ListVar):
                rows.append((f"{{% for item in {v.name} %}}…{{% endfor %}}", v.description, ""))
                rows += [
                    (f"{{{{ item.{f.name} }}}}", f.description, example_text(f.example)) for f in v.fields
                ]
            else:
                mark = _("（必須）") if v.required else ""
                rows.append((f"{{{{ {v.name} }}}}", f"{v.description}{mark}", example_text(v.example)))
        return format_html(
            '<table><tr><th>{}</th><th>{}</th><th>{}</th></tr>{}</table><p class="help">{}</p>',
            _("書き方"),
            _("内容"),
            _("例"),
            format_html_join("", "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>", rows),
            _(
                "使える命令は {% if 条件 %}…{% elif %}…{% else %}…{% endif %} と、一覧に対する {% for %} だけです。"
                "フィルタ：yen（¥120,000）、comma（120,000）、date（2027年4月27日）、datetime、default など。"
                "（必須）の変数を本文から除くと保存できません。"
            ),
        )

    @admin.display(description=_("版の履歴"))
    def history(self, obj):
        from django.urls import reverse
        from django.utils.html import format_html_join

        rows = obj.versions.select_related("created_by").order_by("-number")
        return format_html_join(
            "",
            '<p>{}　{}　{}　{}　<a href="{}">{}</a></p>',
            (
                (
                    _("第%(n)d版") % {"n": v.number},
                    timezone.localtime(v.created_at).strftime("%Y年%-m月%-d日 %H:%M"),
                    v.created_by.email if v.created_by else "",
                    v.note,
                    reverse("admin:jaim_mailtemplate_diff", args=[obj.pk, v.number]),
                    _("変更点"),
                )
                for v in rows
            ),
        )

    def get_queryset(self, request):
        from jaim.mailtemplates import KINDS

        # the kinds with a text of their own (not the outbox's names of other rows: announcement, test sends)
        return super().get_queryset(request).filter(kind__in=KINDS).prefetch_related("versions")

    def has_add_permission(self, request):
        return False  # every kind is listed (changelist_view)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        from jaim.mailtemplates import editable

        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or editable(obj.kind))

    def changelist_view(self, request, extra_context=None):
        from jaim.mailtemplates import KINDS

        if MailTemplate.objects.filter(kind__in=KINDS).count() < len(KINDS):
            MailTemplate.objects.bulk_create(
                [MailTemplate(kind=k) for k in KINDS], ignore_conflicts=True
            )  # every kind is listed from the first look
        return super().changelist_view(request, extra_context)

    def get_changeform_initial_data(self, request):
        return {}

    def get_form(self, request, obj=None, change=False, **kwargs):
        from jaim.mailtemplates import starter_text

        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            last = obj.versions.order_by("-number").first()
            subject, body = (last.subject_ja, last.body_ja) if last else starter_text(obj.kind)
            form.base_fields["subject_ja"].initial = subject
            form.base_fields["body_ja"].initial = body
            form.base_fields["subject_en"].initial = last.subject_en if last else ""
            form.base_fields["body_en"].initial = last.body_en if last else ""
        return form

    def save_model(self, request, obj, form, change):
        from jaim.mailtemplates import register_version

        data = form.cleaned_data
        register_version(
            obj.kind, subject=data["subject_ja"], body=data["body_ja"], subject_en=data["subject_en"],
            body_en=data["body_en"], note=data["note"], by=request.user,
        )  # fmt: skip

    def get_urls(self):
        from django.urls import path

        view = self.admin_site.admin_view
        return [
            path("<int:pk>/diff/<int:number>/", view(self.diff_view), name="jaim_mailtemplate_diff"),
            path("<int:pk>/preview/", view(self.preview_view), name="jaim_mailtemplate_preview"),
            path("<int:pk>/test-send/", view(self.test_send_view), name="jaim_mailtemplate_test_send"),
            *super().get_urls(),
        ]

    def _template(self, request, pk):
        if not self.has_change_permission(request):
            raise PermissionDenied
        from django.shortcuts import get_object_or_404

        return get_object_or_404(MailTemplate, pk=pk)

    def _page(self, request, obj, title, **context):
        from django.template.response import TemplateResponse

        return TemplateResponse(
            request,
            "admin/jaim/mailtemplate/page.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "obj": obj,
                "opts": self.opts,
                **context,
            },
        )

    def diff_view(self, request, pk, number):
        from django.shortcuts import get_object_or_404
        from django.utils.safestring import mark_safe

        from jaim.mailtemplates import diff_html

        obj = self._template(request, pk)
        newer = get_object_or_404(obj.versions, number=number)
        older = obj.versions.filter(number__lt=number).order_by("-number").first()
        diff = mark_safe(diff_html(older, newer))  # noqa: S308  # nosec B703 B308 - difflib escapes the texts
        return self._page(request, obj, _("変更点（第%(n)d版）") % {"n": number}, version=newer, diff=diff)

    def _rendered(self, request, obj, *, english: bool = False):
        """(subject, body, message) of the kind's current wording for the chosen member, or for the examples.
        `english`: the current version's English texts (None, None, message when it has none)."""
        from jaim.mail import _render
        from jaim.mailtemplates import active_versions, examples, load_previews

        version = active_versions([obj.kind]).get(obj.kind)
        number = (request.POST.get("member_number") or request.GET.get("member_number") or "").strip()
        context = None
        note: object = _("例の値で表示しています。")
        if number:
            builder = load_previews().get(obj.kind)
            context = builder(number) if builder else None
            if context is None:
                note = _("この会員番号では実際の内容を組み立てられないため、例の値で表示しています。")
            else:
                note = _("会員番号 %(number)s の実際の内容で表示しています。") % {"number": number}
        if english:
            from jaim.links import absolute_url
            from jaim.mailtemplates import has_english, render_version

            if version is None or not has_english(version):
                return None, None, note
            ctx = {"site_url": absolute_url(), **context} if context is not None else None
            if ctx is None:
                from jaim.mailtemplates import _finish

                subject, body = _finish(version.subject_en, version.body_en, examples(obj.kind))
            else:
                subject, body = render_version(obj.kind, version, ctx, english=True)
            return subject, body, note
        if context is not None:
            subject, body = _render(obj.kind, context, version)
        elif version is not None:
            from jaim.mailtemplates import render_source

            subject = render_source(version.subject_ja, examples(obj.kind))
            body = render_source(version.body_ja, examples(obj.kind))
        else:
            subject, body = _starter_render(obj.kind)
        return subject, body, note

    def preview_view(self, request, pk):
        obj = self._template(request, pk)
        try:
            subject, body, note = self._rendered(request, obj)
            subject_en, body_en, _note = self._rendered(request, obj, english=True)
        except DomainError as exc:
            messages.error(request, exc.message)
            subject, body, note, subject_en, body_en = "", "", "", None, None
        return self._page(
            request, obj, _("プレビュー"), subject=subject, body=body, note=note, preview=True,
            subject_en=subject_en, body_en=body_en,
        )  # fmt: skip

    def test_send_view(self, request, pk):
        from django.shortcuts import redirect

        from jaim.mail import queue_text

        obj = self._template(request, pk)
        if request.method != "POST":
            return redirect("admin:jaim_mailtemplate_change", obj.pk)
        try:
            subject, body, _note = self._rendered(request, obj)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("admin:jaim_mailtemplate_change", obj.pk)
        queue_text(to=request.user.email, subject=subject, body=body, kind="mail_template_test")
        messages.success(request, _("%(to)s にテスト送信しました。") % {"to": request.user.email})
        return redirect("admin:jaim_mailtemplate_change", obj.pk)


def _starter(kind):
    from jaim.mailtemplates import starter_text

    subject, body = starter_text(kind)
    return {"subject_ja": subject, "body_ja": body}


def _starter_render(kind):
    from jaim.mailtemplates import examples, render_source

    texts = _starter(kind)
    return render_source(texts["subject_ja"], examples(kind)), render_source(texts["body_ja"], examples(kind))
