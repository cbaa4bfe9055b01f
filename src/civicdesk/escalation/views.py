from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST

from civicdesk.core import access, audit
from civicdesk.core.http import AuthenticatedHttpRequest
from civicdesk.core.models import AuditEvent

from . import incidents as incident_actions
from .evidence_pdf import PdfUnavailable
from .evidence_pdf import evidence_pdf as make_evidence_pdf
from .models import Acknowledgement, Incident, Notification, Signal
from .recipients import who_would_be_told as plan_for

# The board shows every open incident and this many of the most recently closed ones.
BOARD_LIMIT = 200
TOLD = {Notification.Status.SENT, Notification.Status.DELIVERED}
WAITING = {Notification.Status.PENDING, Notification.Status.FAILED}


@login_required
def who_would_be_told(request: AuthenticatedHttpRequest) -> HttpResponse:
    units = access.escalation_units(request.user)
    if not units.exists():
        raise PermissionDenied("Only admins of a unit can see who would be told about it.")
    unit_id = request.GET.get("unit", "")
    if unit_id and not unit_id.isdigit():
        raise Http404("No such unit.")
    unit = units.filter(pk=int(unit_id)).first() if unit_id else units.order_by("pk").first()
    if unit is None:
        raise Http404("No such unit.")
    signal = request.GET.get("signal") or Signal.THREAT
    if signal not in Signal.values:
        return HttpResponse("Choose threat, self-harm or a routing rule.", status=400)
    context = {
        "units": units.order_by("organization__name", "name"),
        "unit": unit,
        "signal": signal,
        "signals": Signal.choices,
        "plan": plan_for(unit, signal, timezone.now()),
    }
    template = "escalation/policies.html#plan" if request.htmx else "escalation/policies.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@dataclass
class BoardRow:
    incident: Incident
    told: list[str]
    waiting: list[str]
    not_reached: list[str]
    acknowledged_by: list[str]


@login_required
def incidents(request: AuthenticatedHttpRequest) -> HttpResponse:
    open_first = Case(
        When(status=Incident.Status.OPEN, then=Value(0)),
        When(status=Incident.Status.ACKNOWLEDGED, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    found = (
        access.visible_incidents(request.user)
        .select_related("unit", "acknowledged_by")
        .defer("evidence")
        .prefetch_related("notifications__recipient", "acknowledgements__user")
        .annotate(rank=open_first)
        .order_by("rank", "-opened_at", "-pk")[:BOARD_LIMIT]
    )
    rows = [_board_row(incident) for incident in found]
    return render(request, "escalation/incidents.html", {"rows": rows, "now": timezone.now()})


def _board_row(incident: Incident) -> BoardRow:
    def names(statuses: set[Notification.Status]) -> list[str]:
        return sorted(
            {_name(n.recipient) for n in incident.notifications.all() if n.status in statuses}
        )

    told = names(TOLD)
    waiting = [name for name in names(WAITING) if name not in told]
    reached = set(told) | set(waiting)
    return BoardRow(
        incident=incident,
        told=told,
        waiting=waiting,
        not_reached=[n for n in names({Notification.Status.GAVE_UP}) if n not in reached],
        acknowledged_by=sorted(
            {_name(a.user) if a.user else "someone" for a in incident.acknowledgements.all()}
        ),
    )


@dataclass
class TimelineEntry:
    at: datetime
    what: str
    detail: str = ""


@login_required
def incident(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = access.incident_for(request.user, pk)
    # The evidence's chain of custody: every look at it is on the record, with who and where.
    audit.record("escalation.incident_viewed", target=found, by=request.user, request=request)
    custody = AuditEvent.objects.filter(
        target_type="escalation.incident", target_id=str(found.pk)
    ).order_by("occurred_at", "pk")
    context: dict[str, Any] = {
        "incident": found,
        "timeline": _timeline(found),
        "joined": found.joined_items.select_related("item"),
        "may_act": access.can_act_on_incident(request.user, found),
        "custody": custody[:500],
    }
    return render(request, "escalation/incident.html", context)


@login_required
def evidence_pdf(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = access.incident_for(request.user, pk)
    try:
        pdf = make_evidence_pdf(found, by=request.user, request=request)
    except PdfUnavailable as problem:
        return HttpResponse(str(problem), status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(pdf.content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf.filename}"'
    response["X-Content-SHA256"] = pdf.sha256
    return response


def _timeline(incident: Incident) -> list[TimelineEntry]:
    entries = [TimelineEntry(incident.opened_at, "Incident opened", incident.reason)]
    for n in incident.notifications.select_related("recipient", "contact_method"):
        how = n.contact_method.address if n.contact_method else "no working contact method"
        detail = f"{n.get_status_display()}" + (f": {n.error}" if n.error else "")
        entries.append(
            TimelineEntry(
                n.created_at,
                f"Level {n.level}: alert to {_name(n.recipient)} ({how})",
                detail,
            )
        )
    for a in incident.acknowledgements.select_related("user"):
        who = _name(a.user) if a.user else "Someone"
        entries.append(
            TimelineEntry(a.at, f"{who} acknowledged", f"By {a.get_channel_display().lower()}")
        )
    for note in incident.notes.select_related("author"):
        who = _name(note.author) if note.author else "Civic Desk"
        entries.append(TimelineEntry(note.at, f"Note by {who}", note.text))
    if incident.resolved_at:
        entries.append(TimelineEntry(incident.resolved_at, incident.get_status_display()))
    return sorted(entries, key=lambda e: e.at)


def _acting_on(request: AuthenticatedHttpRequest, pk: int) -> Incident:
    found = access.incident_for(request.user, pk)
    if not access.can_act_on_incident(request.user, found):
        raise PermissionDenied("Only staff of this unit and the people alerted can act on it.")
    return found


@login_required
@require_POST
def acknowledge(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = _acting_on(request, pk)
    incident_actions.acknowledge(
        incident=found, user=request.user, channel=Acknowledgement.Channel.WEB, request=request
    )
    messages.success(request, "Acknowledged. Nobody further will be alerted.")
    return redirect(found)


@login_required
@require_POST
def close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = _acting_on(request, pk)
    try:
        incident_actions.resolve(
            incident=found,
            user=request.user,
            status=request.POST.get("status", ""),
            note=request.POST.get("note", ""),
            request=request,
        )
    except ValueError as exc:
        return HttpResponse(str(exc), status=400)
    messages.success(request, f"Marked {found.get_status_display().lower()}.")
    return redirect(found)


@login_required
@require_POST
def add_note(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = _acting_on(request, pk)
    try:
        incident_actions.add_note(
            incident=found, author=request.user, text=request.POST.get("text", ""), request=request
        )
    except ValueError as exc:
        return HttpResponse(str(exc), status=400)
    messages.success(request, "Note added.")
    return redirect(found)


def _name(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())
