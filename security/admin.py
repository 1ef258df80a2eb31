"""django-axes' lockout list, re-registered so that its one action declares the permission it needs (every admin
action does: tests/security/test_role_matrix.py); and the staff groups' admin, re-registered so that permissions
read in Japanese (django.contrib.auth stores their names in English: 「Can add application」)."""

from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.conf import settings as axes_settings
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from jaim.roles import GROUP_LABELS
from jaim.third_party_labels import model_label, permission_label


class PermissionChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        model = obj.content_type.model_class()
        if model is None:
            return obj.name
        return f"{model._meta.app_config.verbose_name} | {model_label(model)} | {permission_label(obj)}"


class GroupAdmin(BaseGroupAdmin):
    list_display = ["label"]

    @admin.display(description=_("役割"))
    def label(self, obj):
        return GROUP_LABELS.get(obj.name, obj.name)

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        if db_field.name == "permissions":
            kwargs["form_class"] = PermissionChoiceField
        return super().formfield_for_manytomany(db_field, request=request, **kwargs)


class AccessAttemptAdmin(AxesAccessAttemptAdmin):
    @admin.action(description=_("期限切れの記録を削除"), permissions=["delete"])
    def cleanup_expired_attempts(self, request, queryset):
        count = self.handler.clean_expired_user_attempts(request=request)
        self.message_user(request, _("期限切れの記録を%(n)d件削除しました。") % {"n": count})

    @admin.display(description=_("状態"))
    def status(self, obj):
        """django-axes writes 「2 Attempt Remaining」 / 「Locked Out」."""
        limit = axes_settings.AXES_FAILURE_LIMIT
        if obj.failures_since_start < limit:
            return _("あと%(n)d回") % {"n": limit - obj.failures_since_start}
        return _("ロック中")


if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)
admin.site.register(AccessAttempt, AccessAttemptAdmin)


admin.site.unregister(Group)
admin.site.register(Group, GroupAdmin)
