import pytest


@pytest.fixture(autouse=True)
def billed(monkeypatch):
    """The fees service is another app's (tested there; it needs a fee schedule). Here: record the calls made to
    its fixed interface, so approvals can be checked for what they hand over."""
    calls = []

    def fake(membership, *, notice_date, application_date, payer=None, by=None):
        calls.append(
            {
                "membership": membership,
                "notice_date": notice_date,
                "application_date": application_date,
                "payer": payer,
                "by": by,
            }
        )

    monkeypatch.setattr("fees.services.bill_new_membership", fake)
    return calls
