"""django-axes' lockout list, re-registered so that its one action declares the permission it needs (every admin
action does: tests/security/test_role_matrix.py)."""

from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin


class AccessAttemptAdmin(AxesAccessAttemptAdmin):
    @admin.action(
        description=AxesAccessAttemptAdmin.cleanup_expired_attempts.short_description, permissions=["delete"]
    )
    def cleanup_expired_attempts(self, request, queryset):
        return super().cleanup_expired_attempts(request, queryset)


if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)
admin.site.register(AccessAttempt, AccessAttemptAdmin)
