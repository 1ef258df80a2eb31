"""The deployment's configuration files agree with the settings: .env.example lists (with a comment) every variable
the settings, gunicorn's configuration and boto3 read, and nothing else; docker-compose.yml and the Dockerfile set
only variables that exist, run the migrations once before web, worker and beat, give every long-running service a
health check, and never copy the .env (secrets) into the image."""

import re
from pathlib import Path

import yaml
from django.conf import settings

BASE = Path(settings.BASE_DIR)
BOTO3 = {
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
}  # read by boto3's credential chain, not by the settings


def _read_variables() -> set[str]:
    names = set()
    for path in sorted((BASE / "jaim" / "settings").glob("*.py")):
        names |= set(re.findall(r'\benv(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]+)"', path.read_text()))
    names |= set(
        re.findall(r'os\.environ\.get\(\s*"([A-Z][A-Z0-9_]+)"', (BASE / "jaim" / "gunicorn.py").read_text())
    )
    return names | BOTO3


def _example() -> dict[str, int]:
    """Variable → line number in .env.example (set or commented out)."""
    lines = (BASE / ".env.example").read_text().splitlines()
    return {
        m.group(1): i for i, line in enumerate(lines) if (m := re.match(r"^#? ?([A-Z][A-Z0-9_]+)=", line))
    }


def test_env_example_lists_every_variable_read_and_only_those_each_under_a_comment():
    read, listed = _read_variables(), _example()
    assert {
        "DJANGO_SECRET_KEY",
        "EMAIL_URL",
        "AWS_STORAGE_BUCKET_NAME",
        "GUNICORN_WORKERS",
    } <= read  # the scan works
    assert sorted(read - set(listed)) == []
    assert sorted(set(listed) - read) == []
    lines = (BASE / ".env.example").read_text().splitlines()
    for name, i in listed.items():
        # A comment explains each variable: on the line above, or above the block of variables it belongs to.
        j = i - 1
        while j >= 0 and re.match(r"^#? ?[A-Z][A-Z0-9_]+=", lines[j]):
            j -= 1
        assert j >= 0 and lines[j].startswith("# ") and len(lines[j]) > 10, name


def _compose() -> dict:
    return yaml.safe_load((BASE / "docker-compose.yml").read_text())


def test_compose_sets_only_real_variables_migrates_once_first_and_checks_every_service():
    read = _read_variables()
    services = _compose()["services"]
    app_services = {"migrate", "web", "worker", "beat"}
    assert app_services <= set(services)
    for name in app_services:
        service = services[name]
        assert service["env_file"] == ".env"
        assert sorted(set(service["environment"]) - read) == [], name
        assert service["environment"]["DATABASE_URL"].startswith("postgres://")
        assert service["environment"]["CELERY_BROKER_URL"].startswith("redis://")
        assert service["environment"]["CACHE_URL"].startswith("redis://")
    assert services["migrate"]["command"] == "python manage.py migrate --noinput"
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert services["web"]["command"] == "gunicorn -c python:jaim.gunicorn jaim.wsgi"
    assert services["worker"]["command"].startswith("celery -A jaim worker")
    assert services["beat"]["command"].startswith("celery -A jaim beat")
    for name, service in services.items():
        if name != "migrate":
            assert service["healthcheck"]["test"], name
    # Django refuses a Host header outside DJANGO_ALLOWED_HOSTS: the health check sends an allowed one.
    assert "Host: $${DJANGO_ALLOWED_HOSTS%%,*}" in services["web"]["healthcheck"]["test"][1]
    assert "/healthz" in services["web"]["healthcheck"]["test"][1]


def test_the_image_collects_static_files_at_build_runs_gunicorn_unprivileged_and_leaves_secrets_out():
    dockerfile = (BASE / "Dockerfile").read_text()
    read = _read_variables()
    for name in re.findall(r"\b([A-Z][A-Z0-9_]+)=", dockerfile):
        assert name in read, name
    assert "manage.py collectstatic --noinput" in dockerfile
    assert 'CMD ["gunicorn", "-c", "python:jaim.gunicorn", "jaim.wsgi"]' in dockerfile
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.M)
    ignored = (BASE / ".dockerignore").read_text().split()
    assert {".env", ".venv", ".git", "private", "db.sqlite3*"} <= set(ignored)
