"""Signals other apps listen to (members imports no other app; roster keeps its listing history from these).
Sent inside the service's transaction, so listeners' writes commit or roll back with the change."""

from django.dispatch import Signal

# membership=Membership, old_status=str, new_status=str, effective_on=date
membership_status_changed = Signal()
# change=IdentityChange (accepted, or made effective)
identity_changed = Signal()
# establishment=Establishment (names or address edited on My Page / admin)
establishment_updated = Signal()
# establishment=Establishment, users=[User] (personal data anonymised after the retention period; other apps
# scrub what they hold about the establishment's people, keeping invoices and roster history)
establishment_anonymised = Signal()
