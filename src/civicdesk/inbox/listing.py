"""Which entries a view of the inbox lists, as ranges of the indexes on Entry.

A person sees the entries of their units' accounts and those routed to their units' queues.
``unit IN (…) OR queue IN (…)``, ordered by urgency, is no range of any index: the database would
gather every open entry and sort them. So a view is split into branches that do not overlap, each
one equality prefix of an index on Entry (one unit; one queue with one unit routing to it; one
account; the failed entries; or the whole inbox for someone who sees every unit), with one
status and, when a date range asks for it, one urgency. Each branch is read in order from its
index; a page takes the first rows of each and keeps the best (civicdesk.inbox.pages).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from civicdesk.accounts.models import Account
from civicdesk.triage import priority

from .models import Entry

# Counting stops here: past it the inbox says "10,000+", and no request reads the whole backlog.
COUNT_CAP = 10_000


@dataclass(frozen=True)
class View:
    """What one look at the inbox asks for: whose entries, which filters, in which order."""

    units: frozenset[int]  # the units whose accounts' entries and queues are listed
    every_unit: bool  # the units are all there are: nothing to leave out
    # The other units of the same organizations, the only ones that route entries to the
    # units' queues: routing rules and "Send to" stay within an organization (see
    # civicdesk.routing.queues).
    neighbours: frozenset[int] = frozenset()
    account: Account | None = None
    platform: str = ""
    status: str = "open"  # "open", "" for any, or one Entry.Status
    urgency: str = ""  # "", a priority rank, or "failed"
    received_from: datetime | None = None
    received_before: datetime | None = None
    newest_first: bool = False

    @property
    def by_urgency(self) -> bool:
        # Within one priority, "most urgent first" is already newest first.
        return not self.newest_first or self.urgency.isdigit()

    @property
    def order(self) -> tuple[str, ...]:
        """The columns a page is ordered by, all descending; the last is unique."""
        return ("urgency", "received_at", "id") if self.by_urgency else ("received_at", "id")


# Stand in a branch's condition for the values of each of its branches, so that branches
# differing only in their unit, queue or account are compiled to SQL once: compiling costs more
# than running them.
EACH = (-918_273_645, -918_273_646)


@dataclass(frozen=True)
class Branch:
    """The entries matching ``condition``; with ``each``, one branch per tuple of values, put in
    place of EACH."""

    condition: Q
    each: tuple[tuple[int, ...], ...] | None = None


def branches(view: View) -> list[Branch]:
    """Branches that together select the view's entries, each selecting different entries and
    each an equality prefix of one index whose next columns are ``view.order``."""
    rest = _filters(view)
    return [
        Branch(audience.condition & stage & urgency & rest, audience.each)
        for audience in _audiences(view)
        for stage in _stages(view)
        for urgency in _urgencies(view)
    ]


def _audiences(view: View) -> list[Branch]:
    units = sorted(view.units)
    if view.urgency == "failed":
        # Few entries fail triage, so their index is read whatever else the view asks.
        visible = Q() if view.every_unit else Q(unit_id__in=units) | Q(queue_id__in=units)
        return [Branch(Q(triage_status=Entry.TriageStatus.FAILED) & visible & _chosen(view))]
    if view.every_unit and view.platform and view.account is None:
        accounts = Account.objects.filter(platform=view.platform).order_by("pk")
        return [Branch(Q(account_id=EACH[0]), _each(accounts.values_list("pk", flat=True)))]
    if view.every_unit:
        return [Branch(_chosen(view))]
    if view.account is not None:
        if view.account.unit_id in view.units:
            return [Branch(_chosen(view))]
        # An account outside the view shows only what it routed to the view's queues.
        routed = Q(queue_id=EACH[0], unit_id=view.account.unit_id) & _chosen(view)
        return [Branch(routed, _each(units))]
    routed_in = _routed_in(view)
    if view.platform:
        accounts = Account.objects.filter(platform=view.platform, unit_id__in=units)
        return [
            Branch(
                Q(account_id=EACH[0]), _each(accounts.order_by("pk").values_list("pk", flat=True))
            ),
            Branch(routed_in.condition & _chosen(view), routed_in.each),
        ]
    return [Branch(Q(unit_id=EACH[0]), _each(units)), routed_in]


def _routed_in(view: View) -> Branch:
    """The entries routed to the view's queues from units outside the view; the others are
    listed with their own unit, so that no entry is in two branches."""
    pairs = tuple((queue, unit) for queue in sorted(view.units) for unit in sorted(view.neighbours))
    return Branch(Q(queue_id=EACH[0], unit_id=EACH[1]), pairs)


def _each(values: Iterable[int]) -> tuple[tuple[int, ...], ...]:
    return tuple((value,) for value in values)


def _chosen(view: View) -> Q:
    chosen = Q()
    if view.account is not None:
        chosen &= Q(account=view.account)
    if view.platform:
        chosen &= Q(platform=view.platform)
    return chosen


def _stages(view: View) -> list[Q]:
    """One branch per status: a status is an equality prefix of every index, so a view of "in
    progress" reads only entries in progress, and its count stops after them."""
    if view.status == "open":
        statuses = [Entry.Status.NEW, Entry.Status.IN_PROGRESS]
    elif view.status in Entry.Status.values:
        statuses = [Entry.Status(view.status)]
    else:
        statuses = list(Entry.Status)
    return [Q(status__in=[status]) for status in statuses]


def _urgencies(view: View) -> list[Q]:
    if view.urgency.isdigit():
        return [Q(urgency=-int(view.urgency))]
    if view.by_urgency and (view.received_from or view.received_before):
        # A date range inside each priority is one range of the index; across priorities it
        # would be a scan. Every entry's priority is one of these ranks (triage sets no other).
        return [Q(urgency=-level.rank) for level in priority.ALL]
    return [Q()]


def _filters(view: View) -> Q:
    rest = Q()
    if view.received_from:
        rest &= Q(received_at__gte=view.received_from)
    if view.received_before:
        rest &= Q(received_at__lt=view.received_before)
    return rest
