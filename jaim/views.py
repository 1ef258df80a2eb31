from django.contrib import messages
from django.shortcuts import render

from jaim.errors import DomainError


def home(request):
    return render(request, "home.html")


def apply_service(request, form, fn, *args, **kwargs):
    """Call a service for a valid form; a DomainError becomes a message (and a non-field form error), and the
    caller re-renders the form with what was typed. Returns the result or None."""
    try:
        return fn(*args, **kwargs)
    except DomainError as exc:
        if form is not None:
            form.add_error(None, exc.message)
        messages.error(request, exc.message)
        return None


def healthz(request):
    from django.http import HttpResponse

    return HttpResponse("ok", content_type="text/plain")
