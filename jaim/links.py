"""Absolute links, built in one place from JAIM_SITE_URL (settings.SITE_URL): mails, PDFs and their QR codes, the
roster's entry page and CSV 確認用URL, the API. Required in production; `make run` sets it to the address it serves,
so a link never points at a port nobody listens on."""

from django.conf import settings
from django.urls import reverse


def absolute_url(target: str = "", *args, **kwargs) -> str:
    """`absolute_url("roster:entry", token)` (a URL name and its arguments) or `absolute_url("/mypage/")` (a path).
    `absolute_url()` is the site's base, without a trailing slash."""
    base = settings.SITE_URL.rstrip("/")
    if not target:
        return base
    path = target if target.startswith("/") else reverse(target, args=args or None, kwargs=kwargs or None)
    return base + path
