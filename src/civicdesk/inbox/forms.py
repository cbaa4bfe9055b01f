from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import Q, QuerySet

from civicdesk.accounts.models import Account
from civicdesk.connectors.base import Platform
from civicdesk.core.access import units_below
from civicdesk.core.models import Unit
from civicdesk.triage import priority

from .models import Entry


class InboxFilterForm(forms.Form):
    unit = forms.ModelChoiceField(
        queryset=Unit.objects.none(), required=False, empty_label="All units"
    )
    account = forms.ModelChoiceField(
        queryset=Account.objects.none(), required=False, empty_label="All accounts"
    )
    platform = forms.ChoiceField(choices=[("", "All platforms"), *Platform.choices], required=False)
    status = forms.ChoiceField(
        choices=[("open", "Open (new + in progress)"), ("", "Any status"), *Entry.Status.choices],
        required=False,
        initial="open",
    )
    urgency = forms.ChoiceField(
        choices=[
            ("", "Any urgency"),
            *((str(level.rank), level.label.split(":")[0]) for level in priority.ALL),
            ("failed", "Not triaged"),
        ],
        required=False,
    )
    sort = forms.ChoiceField(
        choices=[("urgent", "Most urgent first"), ("newest", "Newest first")],
        required=False,
        initial="urgent",
    )
    received_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    received_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(
        self, *args: Any, units: QuerySet[Unit], accounts: QuerySet[Account], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Unit]", self.fields["unit"]).queryset = units
        cast("forms.ModelChoiceField[Account]", self.fields["account"]).queryset = accounts

    def filter(self, entries: QuerySet[Entry]) -> QuerySet[Entry]:
        data = self.cleaned_data
        if data.get("unit"):
            below = units_below({data["unit"].pk})
            entries = entries.filter(Q(unit_id__in=below) | Q(queue_id__in=below))
        if data.get("account"):
            entries = entries.filter(account=data["account"])
        if data.get("platform"):
            entries = entries.filter(platform=data["platform"])
        status = data.get("status")
        if status == "open":
            entries = entries.exclude(status=Entry.Status.DONE)
        elif status:
            entries = entries.filter(status=status)
        urgency = data.get("urgency")
        if urgency == "failed":
            entries = entries.filter(triage_status=Entry.TriageStatus.FAILED)
        elif urgency:
            entries = entries.filter(priority=int(urgency))
        if data.get("sort") == "newest":
            entries = entries.order_by("-received_at", "-pk")
        else:
            entries = entries.order_by("priority", "-received_at", "-pk")
        if data.get("received_from"):
            entries = entries.filter(received_at__date__gte=data["received_from"])
        if data.get("received_to"):
            entries = entries.filter(received_at__date__lte=data["received_to"])
        return entries
