"""Last demo step: what summarises the others (the roster exports of today, as a newcomer would download them)."""


def seed(ctx):
    from roster import services

    services.build_exports()
    return {}
