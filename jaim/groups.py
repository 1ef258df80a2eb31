"""Staff groups and what each may do. The groups are created by a migration; their permissions are kept in
step with this table after every migrate (new models get their permissions without a new migration)."""

from django.utils.translation import gettext_lazy as _

# group -> list of (app_label, actions) ; actions among view/add/change/delete, "*" = all
STAFF_GROUPS: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "reviewer": [
        ("applications", ("view", "add", "change")),
        ("members", ("view",)),
        ("roster", ("view",)),
        ("fees", ("view",)),
        ("jaim", ("view",)),
    ],
    "finance": [
        ("fees", ("view", "add", "change")),
        ("members", ("view", "change")),
        ("applications", ("view",)),
        ("roster", ("view",)),
        ("jaim", ("view",)),
    ],
    "administrator": [
        ("applications", ("view", "add", "change", "delete")),
        ("members", ("view", "add", "change", "delete")),
        ("fees", ("view", "add", "change")),
        ("roster", ("view", "add", "change", "delete")),
        ("jaim", ("view", "add", "change")),
        ("auth", ("view", "add", "change")),
        ("axes", ("view", "delete")),
        ("otp_totp", ("view", "add", "change", "delete")),
    ],
}
GROUP_LABELS = {"reviewer": _("審査担当"), "finance": _("経理担当"), "administrator": _("管理者")}


def sync_staff_groups(sender=None, **kwargs):
    from django.contrib.auth.models import Group, Permission

    for name, rules in STAFF_GROUPS.items():
        group, _created = Group.objects.get_or_create(name=name)
        wanted = set()
        for app_label, actions in rules:
            for perm in Permission.objects.filter(content_type__app_label=app_label):
                if perm.codename.split("_", 1)[0] in actions:
                    wanted.add(perm.pk)
        current = set(group.permissions.values_list("pk", flat=True))
        if wanted != current:
            group.permissions.set(wanted)
