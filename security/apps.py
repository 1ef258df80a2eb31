from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    """Two-factor authentication (enrolment, verification, recovery codes), the audit of staff permission changes
    and the admin of OTP devices. Imports run `members` <- `security`; nothing imports this app."""

    name = "security"
    verbose_name = _("セキュリティ")

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import m2m_changed

        from members import panels
        from security import receivers

        User = get_user_model()
        user_logged_in.connect(receivers.remember_second_factor, dispatch_uid="security.remember_2fa")
        m2m_changed.connect(
            receivers.audit_user_groups, sender=User.groups.through, dispatch_uid="security.audit_groups"
        )
        m2m_changed.connect(
            receivers.audit_user_permissions,
            sender=User.user_permissions.through,
            dispatch_uid="security.audit_user_perms",
        )
        m2m_changed.connect(
            receivers.audit_group_permissions,
            sender=Group.permissions.through,
            dispatch_uid="security.audit_group_perms",
        )
        panels.register_mypage_panel(receivers.mypage_panel, order=90)
