"""The site's URLs plus views that fail, to see what people get when something goes wrong."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path

from civicdesk.urls import urlpatterns as site_urlpatterns


class ReportNotReady(RuntimeError):
    pass


def broken(request: HttpRequest) -> HttpResponse:
    raise ReportNotReady("the weekly report has no rows for unit 7")


def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("Only an admin may see this.")


urlpatterns = [
    path("broken/", broken),
    path("forbidden/", forbidden),
    *site_urlpatterns,
]
