"""Staff groups and what each may do. The groups are created by a migration; their permissions are kept in
step with this table after every migrate (new models get their permissions without a new migration)."""

from django.utils.translation import gettext_lazy as _

# group -> list of (app_label, grants). A grant is an action (the part of the codename before "_": view, add,
# change, delete, …), one exact codename (it has a "_": "import_association"), or "*" for every permission of the
# app; "-codename" takes one permission out of what the others grant. The group gets exactly these: anything else it
# holds is taken away at the next migrate.
STAFF_GROUPS: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "reviewer": [
        ("applications", ("view", "add", "change")),
        ("members", ("view", "complete_identitychange")),
        ("roster", ("view",)),
        ("fees", ("view",)),
        ("jaim", ("view", "-view_virusdetection")),  # infected uploads: administrators only
        ("backoffice", ("view_importrun", "view_councilrecord", "view_exportjob", "view_reports")),
    ],
    "finance": [
        ("fees", ("view", "add", "change")),
        ("members", ("view", "change")),
        ("applications", ("view",)),
        ("roster", ("view",)),
        ("jaim", ("view", "-view_virusdetection")),
        (
            "backoffice",
            ("view_importrun", "import_association", "view_councilrecord", "view_exportjob", "view_reports"),
        ),
    ],
    "administrator": [
        ("applications", ("view", "add", "change", "delete")),
        ("members", ("view", "add", "change", "delete", "complete_identitychange")),
        ("fees", ("view", "add", "change")),
        ("roster", ("view", "add", "change", "delete")),
        ("jaim", ("view", "add", "change")),
        ("auth", ("view", "add", "change")),
        ("axes", ("view", "delete")),
        ("otp_totp", ("view", "add", "change", "delete")),
        ("backoffice", ("*",)),
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
                if f"-{perm.codename}" in actions:
                    continue
                if "*" in actions or perm.codename in actions or perm.codename.split("_", 1)[0] in actions:
                    wanted.add(perm.pk)
        current = set(group.permissions.values_list("pk", flat=True))
        if wanted != current:
            group.permissions.set(wanted)
