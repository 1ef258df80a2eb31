"""Signal receivers wired in SecurityConfig.ready(): the second-factor flag at login, the audit of group and
permission changes, and the My Page panel."""

from django.contrib.auth.models import Group, Permission
from simple_history.models import HistoricalRecords

from jaim.security import SECOND_FACTOR_SESSION_KEY
from jaim.states import audit


def current_actor():
    """The signed-in user of the request being handled (set by simple_history's HistoryRequestMiddleware)."""
    request = getattr(HistoricalRecords.context, "request", None)
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def remember_second_factor(sender, request, user, **kwargs):
    """At login, note in the session whether this user must pass a second factor (one query, once)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if request is not None and hasattr(request, "session"):
        request.session[SECOND_FACTOR_SESSION_KEY] = TOTPDevice.objects.filter(
            user=user, confirmed=True
        ).exists()


def _names(model, pks) -> str:
    if model is Group:
        return ", ".join(sorted(Group.objects.filter(pk__in=pks).values_list("name", flat=True)))
    if model is Permission:
        rows = Permission.objects.filter(pk__in=pks).values_list("content_type__app_label", "codename")
        return ", ".join(sorted(f"{app}.{code}" for app, code in rows))
    return ", ".join(str(obj) for obj in model.objects.filter(pk__in=pks))


def _audit_m2m(*, owner_model, instance, action, reverse, model, pk_set, what: str):
    """One audit row per owner whose set changed: `<what>_added` / `<what>_removed`, naming the items."""
    if action == "pre_clear":
        # The pks are gone after the clear: read them now.
        if reverse:
            owners = list(getattr(instance, _reverse_accessor(owner_model, what)).all())
            items = {instance.pk}
            for owner in owners:
                audit(owner, f"{what}_removed", actor=current_actor(), note=_names(type(instance), items))
        else:
            pks = set(getattr(instance, what).values_list("pk", flat=True))
            if pks:
                audit(instance, f"{what}_removed", actor=current_actor(), note=_names(model, pks))
        return
    if action not in ("post_add", "post_remove") or not pk_set:
        return
    verb = "added" if action == "post_add" else "removed"
    if reverse:
        for owner in owner_model.objects.filter(pk__in=pk_set):
            audit(owner, f"{what}_{verb}", actor=current_actor(), note=_names(type(instance), {instance.pk}))
    else:
        audit(instance, f"{what}_{verb}", actor=current_actor(), note=_names(model, pk_set))


def _reverse_accessor(owner_model, what):
    return {"groups": "user_set", "user_permissions": "user_set", "permissions": "group_set"}[what]


def audit_user_groups(sender, instance, action, reverse, model, pk_set, **kwargs):
    from django.contrib.auth import get_user_model

    _audit_m2m(
        owner_model=get_user_model(),
        instance=instance,
        action=action,
        reverse=reverse,
        model=model,
        pk_set=pk_set,
        what="groups",
    )


def audit_user_permissions(sender, instance, action, reverse, model, pk_set, **kwargs):
    from django.contrib.auth import get_user_model

    _audit_m2m(
        owner_model=get_user_model(),
        instance=instance,
        action=action,
        reverse=reverse,
        model=model,
        pk_set=pk_set,
        what="user_permissions",
    )


def audit_group_permissions(sender, instance, action, reverse, model, pk_set, **kwargs):
    _audit_m2m(
        owner_model=Group,
        instance=instance,
        action=action,
        reverse=reverse,
        model=model,
        pk_set=pk_set,
        what="permissions",
    )


def mypage_panel(request):
    """The two-step verification section of My Page (no query: the flag was stored at login)."""
    return (
        "security/mypage_panel.html",
        {"enabled": bool(request.session.get(SECOND_FACTOR_SESSION_KEY))},
    )
