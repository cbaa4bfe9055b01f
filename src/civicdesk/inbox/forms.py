from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from civicdesk.accounts.models import Account
from civicdesk.connectors.base import Platform
from civicdesk.core.access import units_below
from civicdesk.core.models import Unit
from civicdesk.triage import priority

from .listing import View
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

    def view(self, *, units: set[int], organization_of: dict[int, int]) -> View:
        """The view the valid filters ask for, of the entries of ``units`` (those the person may
        see); ``organization_of`` maps every unit there is to its organization."""
        data = self.cleaned_data
        if data.get("unit"):
            units = units_below({data["unit"].pk})
        organizations = {organization_of[unit] for unit in units}
        received_from, received_to = data.get("received_from"), data.get("received_to")
        return View(
            units=frozenset(units),
            every_unit=len(units) == len(organization_of),
            neighbours=frozenset(
                unit
                for unit, organization in organization_of.items()
                if organization in organizations and unit not in units
            ),
            account=data.get("account"),
            platform=data.get("platform") or "",
            status=data.get("status") or "",
            urgency=data.get("urgency") or "",
            received_from=_start_of(received_from) if received_from else None,
            received_before=_start_of(received_to + timedelta(days=1)) if received_to else None,
            newest_first=data.get("sort") == "newest",
        )


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))
