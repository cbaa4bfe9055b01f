from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from civicdesk.core import audit
from civicdesk.core.admin_audit import AuditedAdmin

from .connect import own_account_id
from .models import Account


class AccountForm(forms.ModelForm):
    url = forms.URLField(required=False, assume_scheme="https", label="Profile URL")
    new_credentials = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        label="Replace credentials",
        help_text='JSON, e.g. {"access_token": "…"}. Stored encrypted; never shown again. Leave empty to keep.',
    )

    class Meta:
        model = Account
        fields = [
            "organization",
            "unit",
            "platform",
            "handle",
            "display_name",
            "url",
            "custodian",
            "status",
            "poll_interval",
            "options",
        ]

    def clean_new_credentials(self) -> dict[str, Any] | None:
        value = self.cleaned_data["new_credentials"].strip()
        if not value:
            return None
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"Credentials must be a JSON object: {exc.msg}.") from exc
        if not isinstance(parsed, dict):
            raise forms.ValidationError("Credentials must be a JSON object.")
        return parsed


@admin.register(Account)
class AccountAdmin(AuditedAdmin[Account]):
    form = AccountForm
    list_display = ["display_name", "platform", "handle", "unit", "status", "last_polled_at"]
    list_filter = ["platform", "status", "organization"]
    search_fields = ["display_name", "handle"]
    readonly_fields = [
        "platform_account_id",
        "credentials_hint",
        "cursor",
        "last_error",
        "last_polled_at",
        "next_poll_at",
    ]

    def audited_fields(self, form: forms.ModelForm) -> set[str]:
        return set(form.changed_data) - {"new_credentials"}

    def save_model(
        self, request: HttpRequest, obj: Account, form: forms.ModelForm, change: bool
    ) -> None:
        new = form.cleaned_data.get("new_credentials")
        if new is not None:
            obj.set_credentials(new)
        obj.platform_account_id = own_account_id(obj, new or {}) or obj.platform_account_id
        super().save_model(request, obj, form, change)
        if new is not None:
            audit.record(
                "account.credentials_replaced", target=obj, by=request.user, request=request
            )
