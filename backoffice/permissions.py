"""Who may import what in backoffice. Which staff group holds which backoffice permission is in
the role matrix (jaim.roles), with every other app's (kept in step after every migrate)."""


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
