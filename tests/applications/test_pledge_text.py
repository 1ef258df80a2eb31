"""What an applicant pledges is only the pledge: the seeded text no longer carries the secretariat's note."""

import pytest

from applications.models import PledgeText

pytestmark = pytest.mark.django_db


def test_no_pledge_an_applicant_is_asked_to_accept_carries_a_note_for_the_secretariat():
    active = PledgeText.objects.filter(is_active=True)
    assert active.filter(code="code_of_conduct").exists()
    assert [p.code for p in active if "初期値" in p.body or "事務局が管理画面" in p.body] == []
    assert "行動規範の内容を確認し、これを遵守することを誓約します" in active.get(code="code_of_conduct").body
