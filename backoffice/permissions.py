"""Which staff group may do what in backoffice.

jaim.groups.sync_staff_groups sets each group's permissions from its table after every migrate; this handler runs
after it (connected later) and adds backoffice's. (If jaim.groups.STAFF_GROUPS ever lists "backoffice" itself,
this becomes a no-op.)"""

# group -> codenames in backoffice ("*" = every backoffice permission)
BACKOFFICE_GROUPS: dict[str, tuple[str, ...]] = {
    "administrator": ("*",),
    "finance": (
        "view_importrun",
        "import_association",
        "view_councilrecord",
        "view_exportjob",
        "view_reports",
    ),
    "reviewer": ("view_importrun", "view_councilrecord", "view_exportjob", "view_reports"),
}


def grant_backoffice_permissions(sender=None, **kwargs):
    from django.contrib.auth.models import Group, Permission

    perms = {p.codename: p for p in Permission.objects.filter(content_type__app_label="backoffice")}
    if not perms:
        return
    for name, codenames in BACKOFFICE_GROUPS.items():
        group = Group.objects.filter(name=name).first()
        if group is None:
            continue
        wanted = list(perms.values()) if "*" in codenames else [perms[c] for c in codenames if c in perms]
        group.permissions.add(*wanted)


def can_import(user, kind: str) -> bool:
    from backoffice.models import ImportRun

    if user.is_superuser:
        return True
    return user.has_perm(
        {
            ImportRun.Kind.COUNCIL: "backoffice.import_council",
            ImportRun.Kind.ASSOCIATION: "backoffice.import_association",
            ImportRun.Kind.BANK_STATEMENT: "fees.add_payment",  # the same right as fees' own upload screen
        }[kind]
    )


def importable_kinds(user) -> list[str]:
    from backoffice.models import ImportRun

    return [k for k in ImportRun.Kind.values if can_import(user, k)]
