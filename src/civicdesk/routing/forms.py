from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth.models import User
from django.db.models import Q, QuerySet

from civicdesk.accounts.models import Account
from civicdesk.core.models import Unit
from civicdesk.triage.forms import SIGNAL_CHOICES

from .models import RoutingRule


class CommaList(forms.Field):
    """Words typed with commas between them, cleaned into a list."""

    def to_python(self, value: Any) -> list[str]:
        text = "" if value in self.empty_values else str(value)
        return [part.strip() for part in text.split(",") if part.strip()]

    def prepare_value(self, value: Any) -> str:
        return ", ".join(value) if isinstance(value, list) else value or ""


class RoutingRuleForm(forms.ModelForm):
    signals = forms.MultipleChoiceField(
        choices=SIGNAL_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="When triage finds",
    )
    keywords = CommaList(
        required=False, help_text="Comma-separated; any one is enough. Leave empty for any text."
    )

    class Meta:
        model = RoutingRule
        fields = [
            "name",
            "position",
            "is_enabled",
            "signals",
            "signal_match",
            "keywords",
            "language",
            "account",
            "unit",
            "route_to",
            "assign_to",
            "tag",
            "escalate",
        ]
        labels = {
            "position": "Order",
            "is_enabled": "On",
            "signal_match": "Match",
            "unit": "Only for accounts of",
        }

    def __init__(
        self, *args: Any, units: QuerySet[Unit], accounts: QuerySet[Account], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Unit]", self.fields["unit"]).queryset = units
        # The rule's own queue stays a choice even if that unit no longer takes routed items:
        # otherwise the page could not show it, and saving the rule unchanged would drop it.
        queues = Q(takes_routed_items=True)
        if self.instance.route_to_id is not None:
            queues |= Q(pk=self.instance.route_to_id)
        cast("forms.ModelChoiceField[Unit]", self.fields["route_to"]).queryset = units.filter(
            queues
        )
        cast("forms.ModelChoiceField[Account]", self.fields["account"]).queryset = accounts
        cast(
            "forms.ModelChoiceField[User]", self.fields["assign_to"]
        ).queryset = User.objects.filter(memberships__unit__in=units).distinct()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (
            data.get("route_to") or data.get("assign_to") or data.get("tag") or data.get("escalate")
        ):
            raise forms.ValidationError(
                "Say what the rule does: a queue, a person, a tag, or escalation."
            )
        return data
