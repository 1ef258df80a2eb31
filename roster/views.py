from django.shortcuts import render


def search(request):
    """Placeholder until the roster issue lands."""
    return render(request, "roster/search.html", {})
