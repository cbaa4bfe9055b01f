from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from civicdesk.archive.models import Item
from civicdesk.core import access
from civicdesk.core.http import AuthenticatedHttpRequest
from civicdesk.core.models import AuditEvent
from civicdesk.routing.queues import queues_for
from civicdesk.triage.models import Assessment

from .forms import InboxFilterForm
from .models import Entry
from .status import change_status

PAGE_SIZE = 50
# What the inbox shows when nobody has chosen otherwise; a choice in the query wins, even "any".
DEFAULT_FILTERS = {"status": "open", "sort": "urgent"}
CORRECTABLE = ["threat", "self_harm", "harassment", "hate", "question", "complaint", "pii", "spam"]


def _entries_for(request: AuthenticatedHttpRequest) -> QuerySet[Entry]:
    # An item is seen by its account's unit and by the queue a rule or a person routed it to.
    units = access.visible_unit_ids(request.user)
    return Entry.objects.filter(Q(unit_id__in=units) | Q(queue_id__in=units)).select_related(
        "item", "item__latest_version", "account", "unit", "assignee", "queue"
    )


@login_required
@vary_on_headers("HX-Request")
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    chosen = request.GET.copy()
    for name, value in DEFAULT_FILTERS.items():
        chosen.setdefault(name, value)
    form = InboxFilterForm(
        chosen,
        units=access.visible_units(request.user),
        accounts=access.visible_accounts(request.user).select_related("unit"),
    )
    entries = _entries_for(request)
    entries = form.filter(entries) if form.is_valid() else entries.none()
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    # Pager links carry the filters in force, defaults included, so page 2 lists the same view.
    query = chosen.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    template = (
        "inbox/index.html#entry_list"
        if request.htmx and request.htmx.target == "entry-list"
        else "inbox/index.html"
    )
    return render(request, template, context)


@login_required
def item_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = access.item_for(request.user, pk)
    entry = Entry.objects.filter(item=item).select_related("assignee", "unit", "queue").first()
    thread_id = item.thread_platform_id or item.platform_id
    thread_items = list(
        Item.objects.filter(account=item.account)
        .filter(Q(thread_platform_id=thread_id) | Q(platform_id=thread_id))
        .select_related("latest_version")
        .order_by("created_at")[:200]
    )
    versions = list(item.versions.order_by("seq"))
    history = AuditEvent.objects.filter(target_type="archive.item", target_id=str(item.pk))[:50]
    assessment = (
        Assessment.objects.filter(item=item).order_by("-version__seq", "-assessed_at").first()
    )
    signals = list(assessment.signals.items()) if assessment else []
    positive = {n for n, s in signals if s.get("positive") and not s.get("label")}
    context = {
        "item": item,
        "entry": entry,
        "thread": thread_items,
        "versions": versions,
        "history": history,
        "assessment": assessment,
        "flagged": [(n, s) for n, s in signals if s.get("positive") and not s.get("label")],
        "tones": [(n, s) for n, s in signals if s.get("label")],
        "missable": [name for name in CORRECTABLE if name not in positive],
        "queues": queues_for(item, current=entry.queue_id if entry else None),
    }
    return render(request, "inbox/item.html", context)


@login_required
@require_POST
def set_status(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = access.item_for(request.user, pk)
    entry = get_object_or_404(Entry, item=item)
    status = request.POST.get("status", "")
    if status not in Entry.Status.values:
        return HttpResponse("Choose new, in progress or done.", status=400)
    change_status(entry=entry, status=status, by=request.user, request=request)
    if request.htmx:
        entry = _entries_for(request).get(pk=entry.pk)
        template = (
            "inbox/item.html#status_control"
            if request.POST.get("from") == "detail"
            else "inbox/index.html#entry_row"
        )
        return render(request, template, {"entry": entry, "item": item})
    messages.success(request, f"Marked {entry.get_status_display().lower()}.")
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return redirect(next_url)
    return redirect("inbox:index")
