from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from jaim.models import (
    AuditEvent,
    JobRun,
    OutboxAttempt,
    OutboxMessage,
    RetentionPolicy,
    Sequence,
    VirusDetection,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "content_type", "object_id", "action", "from_status", "to_status", "actor"]
    list_filter = ["content_type", "action"]
    search_fields = ["object_id", "note", "actor__email"]
    list_select_related = ["content_type", "actor"]
    date_hierarchy = "created_at"


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = ["job", "reference_date", "started_at", "finished_at", "counts", "succeeded_flag"]
    list_filter = ["job"]
    search_fields = ["job", "error"]

    @admin.display(boolean=True, description="成功")
    def succeeded_flag(self, obj):
        return obj.succeeded


class OutboxAttemptInline(admin.TabularInline):
    """Every conversation with the mail server about this message: when, and the server's error if any."""

    model = OutboxAttempt
    fields = ["number", "started_at", "finished_at", "succeeded", "error"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    # Failed mails: filter on 状態 = 送信失敗; each row shows the last error and the attempts below.
    list_display = ["created_at", "kind", "to", "subject", "status", "attempts", "next_attempt_at", "sent_at"]
    inlines = [OutboxAttemptInline]
    list_filter = ["status", "kind"]
    search_fields = ["to", "subject", "dedupe_key"]
    date_hierarchy = "created_at"
    actions = ["resend"]

    def get_fields(self, request, obj=None):
        # Staff read what was sent, but never a live sign-up or password-reset link: that would let anyone with
        # access to the admin open someone else's account.
        return [("body_without_secrets" if f == "body" else f) for f in super().get_fields(request, obj)]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "body_without_secrets"]

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

        ids = list(queryset.exclude(status=OutboxMessage.Status.SENT).values_list("pk", flat=True))
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
    list_display = ["prefix", "last_value"]


# --- retention (issue 8 §10) -----------------------------------------------------------------------------------


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(SimpleHistoryAdmin):
    """One row: the retention period. Changes are kept in its history (who, when, from what)."""

    list_display = ["__str__", "withdrawn_years", "updated_at"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not RetentionPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        RetentionPolicy.current()  # the row exists from the first look
        return super().changelist_view(request, extra_context)
