from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from civicdesk.core import access
from civicdesk.core.http import AuthenticatedHttpRequest
from civicdesk.core.models import Organization, Unit
from civicdesk.inbox.models import Entry
from civicdesk.triage import feedback

from .forms import RoutingRuleForm
from .models import RoutingRule
from .queues import queues_for
from .rules import save_rule


def _rule_or_404(organization: Organization, pk: str) -> RoutingRule:
    if not pk.isdigit():
        raise Http404("No such rule.")
    return get_object_or_404(RoutingRule, pk=int(pk), organization=organization)


@login_required
def rules(request: AuthenticatedHttpRequest) -> HttpResponse:
    organization = access.organization_to_manage(
        request.user,
        request.GET.get("organization") or request.POST.get("organization"),
        preferring=Q(routing_rules__isnull=False),
    )
    units = Unit.objects.filter(organization=organization)
    accounts = access.visible_accounts(request.user).filter(organization=organization)
    rule = None
    if rule_id := request.GET.get("edit") or request.POST.get("rule"):
        rule = _rule_or_404(organization, rule_id)
    form = RoutingRuleForm(request.POST or None, instance=rule, units=units, accounts=accounts)
    if request.method == "POST" and form.is_valid():
        saved = save_rule(
            rule=form.save(commit=False),
            organization=organization,
            changed=form.changed_data,
            by=request.user,
            request=request,
        )
        messages.success(
            request, f"Rule “{saved.name}” saved. It applies to items triaged from now on."
        )
        return redirect(f"{request.path}?organization={organization.pk}")
    context = {
        "organization": organization,
        "organizations": access.manageable_organizations(request.user),
        "rules": RoutingRule.objects.filter(organization=organization).select_related(
            "route_to", "assign_to", "unit", "account"
        ),
        "form": form,
        "editing": rule,
    }
    return render(request, "routing/rules.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def send_to(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = access.item_for(request.user, pk)
    entry = get_object_or_404(Entry, item=item)
    choice = request.POST.get("queue", "")
    to = None
    if choice and choice != str(item.account.unit_id):
        if not choice.isdigit():
            return HttpResponse("Choose a queue from the list.", status=400)
        to = queues_for(item, current=entry.queue_id).filter(pk=int(choice)).first()
        if to is None:
            return HttpResponse(
                "That unit does not take routed items. Choose a queue from the list.", status=400
            )
    try:
        feedback.reroute(entry=entry, to=to, by=request.user, request=request)
    except ValueError as exc:
        return HttpResponse(str(exc), status=400)
    messages.success(request, f"Sent to {to.name if to else entry.unit.name}.")
    return redirect(item.get_absolute_url())
