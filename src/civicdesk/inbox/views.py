from __future__ import annotations

from collections.abc import Sequence

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from civicdesk.archive.models import Item
from civicdesk.core import access
from civicdesk.core.http import AuthenticatedHttpRequest
from civicdesk.core.models import AuditEvent, Unit
from civicdesk.escalation.for_inbox import incidents_by_item
from civicdesk.routing.queues import queues_for
from civicdesk.triage.models import Assessment

from .forms import InboxFilterForm
from .listing import COUNT_CAP, View
from .models import Entry, flagged_badge
from .pages import BadPlace, Page, Place, count, page_of
from .status import change_status

PAGE_SIZE = 50
# What each listed row shows besides the entry itself.
LISTED_WITH = ("item", "item__latest_version", "account", "unit", "assignee", "queue")
# What the inbox shows when nobody has chosen otherwise; a choice in the query wins, even "any".
DEFAULT_FILTERS = {"status": "open", "sort": "urgent"}
CORRECTABLE = ["threat", "self_harm", "harassment", "hate", "question", "complaint", "pii", "spam"]


def _entries_for(request: AuthenticatedHttpRequest) -> QuerySet[Entry]:
    # An item is seen by its account's unit and by the queue a rule or a person routed it to.
    units = access.visible_unit_ids(request.user)
    return Entry.objects.filter(Q(unit_id__in=units) | Q(queue_id__in=units)).select_related(
        *LISTED_WITH
    )


@login_required
@vary_on_headers("HX-Request")
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    chosen = request.GET.copy()
    for name, value in DEFAULT_FILTERS.items():
        chosen.setdefault(name, value)
    units = access.visible_unit_ids(request.user)
    form = InboxFilterForm(
        chosen,
        units=Unit.objects.filter(pk__in=units).select_related("organization"),
        accounts=access.visible_accounts(request.user).select_related("unit"),
    )
    page, total, notice = Page([], newer=None, older=None), 0, ""
    if form.is_valid():
        organization_of = dict(Unit.objects.values_list("pk", "organization_id"))
        view = form.view(units=units, organization_of=organization_of)
        try:
            page = page_of(
                view,
                older_than=_place(request, "older", view),
                newer_than=_place(request, "newer", view),
                oldest="oldest" in request.GET,
                size=PAGE_SIZE,
                related=LISTED_WITH,
            )
        except BadPlace:
            notice = "That page link no longer fits this view, so the list starts from the top."
            page = page_of(view, size=PAGE_SIZE, related=LISTED_WITH)
        total = count(view)
    _with_incidents(page.entries)
    # Page links carry the filters in force, defaults included, so the next page lists the same view.
    query = chosen.copy()
    for name in ("older", "newer", "oldest", "page"):
        query.pop(name, None)
    context = {
        "form": form,
        "page": page,
        "total": total,
        "count_cap": COUNT_CAP,
        "count_cap_shown": f"{COUNT_CAP:,}",
        "notice": notice,
        "query": query.urlencode(),
    }
    template = (
        "inbox/index.html#entry_list"
        if request.htmx and request.htmx.target == "entry-list"
        else "inbox/index.html"
    )
    return render(request, template, context)


def _with_incidents(entries: Sequence[Entry]) -> None:
    """Each entry's incident, if its item was escalated, for the row to show its state."""
    found = incidents_by_item(e.item_id for e in entries)
    for entry in entries:
        entry.incident = found.get(entry.item_id)


def _place(request: AuthenticatedHttpRequest, name: str, view: View) -> Place | None:
    text = request.GET.get(name)
    return Place.parse(text, view) if text is not None else None


@login_required
def item_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = access.item_for(request.user, pk)
    entry = Entry.objects.filter(item=item).select_related("assignee", "unit", "queue").first()
    thread_items = _thread_of(item)
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
        "flagged": [
            (n, s, *flagged_badge(n, s))
            for n, s in signals
            if s.get("positive") and not s.get("label")
        ],
        "tones": [(n, s) for n, s in signals if s.get("label")],
        "missable": [name for name in CORRECTABLE if name not in positive],
        "queues": queues_for(item, current=entry.queue_id if entry else None),
    }
    return render(request, "inbox/item.html", context)


def _thread_of(item: Item) -> list[Item]:
    """The post at the top of the item's conversation and its first 200 replies, oldest first."""
    top = item.thread_platform_id or item.platform_id
    on_account = Item.objects.filter(account_id=item.account_id).select_related("latest_version")
    replies = list(on_account.filter(thread_platform_id=top).order_by("created_at")[:200])
    # Two index lookups, (account, thread, time) and (account, platform id), rather than one
    # OR that reads every item of the account.
    found = {reply.pk: reply for reply in replies}
    found.update((post.pk, post) for post in on_account.filter(platform_id=top))
    return sorted(found.values(), key=lambda i: (i.created_at, i.pk))


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
        _with_incidents([entry])
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
