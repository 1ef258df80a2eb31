"""Fees: the issue that builds this app fills it in. The interface applications call is fixed here."""


def bill_new_membership(membership, *, notice_date, application_date, payer=None, by=None):
    """Called when a NEW application is approved: quote the first-year fee (F6, by the month of notice_date;
    F4 judged on application_date) and issue the first-year invoice (bank transfer, F7).
    payer: a support organisation paying for the member (F12), or None. Returns the invoice (None until
    the fees issue lands)."""
    return None
