"""A select's blank choice reads 「選択してください」 (Django writes "---------"), in the portal and the admin alike:
the widget template is overridden once (templates/django/forms/widgets/select_option.html)."""

import pytest
from django import forms
from django.urls import reverse
from django.utils import translation

from members.models import Establishment
from tests.security.helpers import staff_user, verified_login

pytestmark = pytest.mark.django_db


class _Form(forms.ModelForm):
    class Meta:
        model = Establishment
        fields = ["organisation", "prefecture"]


def test_a_blank_choice_is_worded_for_the_reader():
    with translation.override("ja"):
        html = str(_Form())
    assert "---------" not in html
    assert html.count(">選択してください</option>") >= 1


def test_the_admins_selects_have_no_dashes_either(client):
    verified_login(client, staff_user(group="administrator"))
    html = client.get(reverse("admin:members_organisation_add")).content.decode()
    assert "---------" not in html and ">選択してください</option>" in html  # four selects with a blank
