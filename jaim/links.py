"""Absolute links, built in one place from JAIM_SITE_URL (settings.SITE_URL): mails, PDFs and their QR codes, the
roster's entry page and CSV 確認用URL, the API. Required in production; `make run` sets it to the address it serves,
so a link never points at a port nobody listens on."""

import functools

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse


def absolute_url(target: str = "", *args, **kwargs) -> str:
    """`absolute_url("roster:entry", token)` (a URL name and its arguments) or `absolute_url("/mypage/")` (a path).
    `absolute_url()` is the site's base, without a trailing slash."""
    base = settings.SITE_URL.rstrip("/")
    if not target:
        return base
    path = target if target.startswith("/") else reverse(target, args=args or None, kwargs=kwargs or None)
    return base + path


def absolute_url_of(name: str, pk: int) -> str:
    """`absolute_url(name, pk)` for a URL whose one argument is an integer, reversed once per URL name (and URLconf
    and script prefix) and the id put in: a batch job's mails link to thousands of sites (Django's reverse is
    ≈ 15 µs a call)."""
    head, tail = _int_route(name, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
    return f"{settings.SITE_URL.rstrip('/')}{head}{int(pk)}{tail}"


_SENTINEL = 8765432109876543


@functools.lru_cache(maxsize=64)
def _int_route(name: str, urlconf: str, _prefix: str) -> tuple[str, str]:
    path = reverse(name, args=[_SENTINEL], urlconf=urlconf)
    head, found, tail = path.partition(str(_SENTINEL))
    if not found or str(_SENTINEL) in tail:
        raise ValueError(f"{name} does not take one integer argument")
    return head, tail
