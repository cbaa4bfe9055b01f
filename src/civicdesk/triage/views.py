from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from civicdesk.core import access
from civicdesk.core.http import AuthenticatedHttpRequest

from . import feedback
from .charts import threshold_chart
from .forms import ThresholdForm
from .labels import signal_label
from .models import SignalThreshold
from .scoring import load_triage
from .thresholds import set_threshold


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
def thresholds(request: AuthenticatedHttpRequest) -> HttpResponse:
    organization = access.organization_to_manage(
        request.user, request.GET.get("organization") or request.POST.get("organization")
    )
    triage = load_triage()
    form = None
    if request.method == "POST":
        form = ThresholdForm(request.POST)
        if form.is_valid():
            signal, value = form.cleaned_data["signal"], form.cleaned_data["threshold"]
            set_threshold(
                organization=organization,
                signal=signal,
                threshold=value,
                by=request.user,
                request=request,
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
                "errors": (
                    form.errors.get("threshold", [])
                    if form is not None and form.data.get("signal") == signal
                    else []
                ),
            }
        )
    context = {
        "organization": organization,
        "organizations": access.manageable_organizations(request.user),
        "rows": rows,
        "model_version": triage.model_version,
        "form_errors": [error for errors in form.errors.values() for error in errors]
        if form is not None
        else [],
    }
    return render(
        request, "triage/thresholds.html", context, status=400 if form is not None else 200
    )
