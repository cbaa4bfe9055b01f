from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from civicdesk.core import access, audit
from civicdesk.core.http import AuthenticatedHttpRequest
from civicdesk.core.models import Membership, Organization, Unit
from civicdesk.inbox.models import Entry

from . import feedback
from .charts import threshold_chart
from .forms import RoutingRuleForm, ThresholdForm
from .labels import signal_label
from .models import RoutingRule, SignalThreshold
from .scoring import load_triage


def _admin_organization(request: AuthenticatedHttpRequest) -> Organization:
    """The organization whose triage settings this person may change (admins only)."""
    units = Unit.objects.filter(
        pk__in=access.visible_unit_ids(request.user),
    ).select_related("organization")
    admin_units = Membership.objects.filter(
        user=request.user, role=Membership.Role.ADMIN
    ).values_list("unit_id", flat=True)
    wanted = request.GET.get("organization") or request.POST.get("organization")
    for unit in units:
        if (request.user.is_superuser or unit.pk in admin_units) and (
            not wanted or str(unit.organization_id) == wanted
        ):
            return unit.organization
    raise PermissionDenied("Only an organization's admins can change its triage settings.")


@login_required
@require_POST
def correct_signal(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = access.item_for(request.user, pk)
    try:
        feedback.correct_signal(
            item=item,
            signal=request.POST.get("signal", ""),
            label=request.POST.get("label", ""),
            by=request.user,
            request=request,
        )
    except ValueError as exc:
        return HttpResponse(str(exc), status=400)
    messages.success(request, "Thanks: the correction is saved and will teach the next model.")
    return redirect(item.get_absolute_url())


@login_required
@require_POST
def reroute(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = access.item_for(request.user, pk)
    entry = get_object_or_404(Entry, item=item)
    unit_id = request.POST.get("queue")
    to = None
    if unit_id:
        # Any department of the organization that takes routed items, seen by this person or not.
        to = get_object_or_404(
            Unit, pk=unit_id, organization_id=item.account.organization_id, takes_routed_items=True
        )
    feedback.reroute(entry=entry, to=to, by=request.user, request=request)
    messages.success(request, f"Sent to {to.name if to else entry.unit.name}.")
    return redirect(item.get_absolute_url())


@login_required
def rules(request: AuthenticatedHttpRequest) -> HttpResponse:
    organization = _admin_organization(request)
    units = Unit.objects.filter(organization=organization)
    accounts = access.visible_accounts(request.user).filter(organization=organization)
    rule = None
    if rule_id := request.GET.get("edit") or request.POST.get("rule"):
        rule = get_object_or_404(RoutingRule, pk=rule_id, organization=organization)
    form = RoutingRuleForm(request.POST or None, instance=rule, units=units, accounts=accounts)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        saved.organization = organization
        saved.save()
        audit.record(
            "triage.rule_saved",
            target=saved,
            by=request.user,
            request=request,
            fields=form.changed_data,
        )
        messages.success(
            request, f"Rule “{saved.name}” saved. It applies to items triaged from now on."
        )
        return redirect(f"{request.path}?organization={organization.pk}")
    context = {
        "organization": organization,
        "rules": RoutingRule.objects.filter(organization=organization).select_related(
            "route_to", "assign_to", "unit", "account"
        ),
        "form": form,
        "editing": rule,
    }
    return render(request, "triage/rules.html", context, status=400 if form.errors else 200)


@login_required
def thresholds(request: AuthenticatedHttpRequest) -> HttpResponse:
    organization = _admin_organization(request)
    triage = load_triage()
    if request.method == "POST":
        form = ThresholdForm(request.POST)
        if form.is_valid():
            signal, value = form.cleaned_data["signal"], form.cleaned_data["threshold"]
            SignalThreshold.objects.update_or_create(
                organization=organization,
                signal=signal,
                defaults={"threshold": value, "changed_by": request.user},
            )
            audit.record(
                "triage.threshold_changed",
                target=organization,
                by=request.user,
                request=request,
                signal=signal,
                threshold=value,
            )
            messages.success(
                request, f"{signal_label(signal)} now flags items scoring {value:.2f} or more."
            )
            return redirect(f"{request.path}?organization={organization.pk}")
    own = dict(
        SignalThreshold.objects.filter(organization=organization).values_list("signal", "threshold")
    )
    rows = []
    for signal in [*triage.binary_heads, "pii"]:
        curve = triage.threshold_curve(signal) if signal in triage.binary_heads else []
        current = own.get(signal, triage.default_threshold(signal))
        nearest = min(curve, key=lambda p: abs(p["threshold"] - current)) if curve else None
        rows.append(
            {
                "signal": signal,
                "label": signal_label(signal),
                "current": current,
                "default": triage.default_threshold(signal),
                "is_custom": signal in own,
                "at": nearest,
                "chart": threshold_chart(curve, current) if curve else "",
            }
        )
    return render(
        request,
        "triage/thresholds.html",
        {"organization": organization, "rows": rows, "model_version": triage.model_version},
    )
