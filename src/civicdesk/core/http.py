"""The request a signed-in staff member's view receives: who asks, and whether htmx asked."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class AuthenticatedHttpRequest(HttpRequest):
    """A request that passed ``login_required``, for annotating views; never instantiated."""

    user: User
    htmx: HtmxDetails
