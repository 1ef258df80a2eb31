"""Listeners to members' signals. They run inside the members service's transaction, so the roster changes
(or not) together with the membership: no manual publishing step, nothing half-written."""

from roster import services


def on_membership_status_changed(sender, membership, old_status, new_status, effective_on, **kwargs):
    services.apply_status_change(membership, old_status=old_status, new_status=new_status, on=effective_on)


def on_identity_changed(sender, change, **kwargs):
    services.apply_identity_change(change)


def on_establishment_updated(sender, establishment, **kwargs):
    services.refresh_establishment(establishment)
