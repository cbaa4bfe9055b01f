"""Acknowledging from the alert itself: no sign-in, one use, and never by merely opening it.

Opening the link shows what the alert is about and one button; only pressing it (a POST)
acknowledges. Mail scanners and link previews open links, and must not acknowledge for anyone.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from civicdesk.core import access

from . import incidents
from .links import LinkProblem
from .models import Acknowledgement


@csrf_protect
@require_http_methods(["GET", "POST"])
def acknowledge_link(request: HttpRequest, token: str) -> HttpResponse:
    try:
        alert = access.alert_for_link(token)
    except LinkProblem as problem:
        status = 410 if "expired" in str(problem) else 400
        return render(request, "escalation/link.html", {"problem": str(problem)}, status=status)
    incident = alert.incident
    used = Acknowledgement.objects.filter(via=alert).select_related("user").first()
    if used is not None:
        return render(
            request,
            "escalation/link.html",
            {"incident": incident, "alert": alert, "used": used, "just_now": False},
            status=410 if request.method == "POST" else 200,
        )
    if request.method == "POST":
        used = incidents.acknowledge(
            incident=incident,
            user=alert.recipient,
            channel=Acknowledgement.Channel.LINK,
            via=alert,
            request=request,
        )
        incident.refresh_from_db()
        return render(
            request,
            "escalation/link.html",
            {"incident": incident, "alert": alert, "used": used, "just_now": True},
        )
    return render(request, "escalation/link.html", {"incident": incident, "alert": alert})
