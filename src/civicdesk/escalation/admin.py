"""Setting up escalation in the admin: policies, on-call rotations and contact methods."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.forms.models import BaseInlineFormSet

from civicdesk.core.admin_audit import AuditedAdmin

from . import policies, rotations
from .models import (
    ContactMethod,
    EscalationPolicy,
    OnCallRotation,
    PolicyLevel,
    RotationMember,
    RotationOverride,
)


def _kept(formset: BaseInlineFormSet) -> list[dict[str, Any]]:
    """The cleaned rows that will be saved: not deleted, not left empty."""
    return [
        form.cleaned_data
        for form in formset.forms
        if form.cleaned_data
        and not form.cleaned_data.get("DELETE")
        and (form.has_changed() or form.instance.pk is not None)
    ]


class LevelFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        plans = [
            policies.LevelPlan(
                position=row["position"],
                people=len(row.get("people") or []),
                rotations=len(row.get("rotations") or []),
                then_policy_id=row["then_policy"].pk if row.get("then_policy") else None,
            )
            for row in _kept(self)
        ]
        found = policies.problems(name=self.instance.name, policy_id=self.instance.pk, levels=plans)
        if found:
            raise forms.ValidationError(found)


class PolicyLevelInline(admin.StackedInline):
    model = PolicyLevel
    formset = LevelFormSet
    fk_name = "policy"
    extra = 0
    filter_horizontal = ["people", "rotations"]


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(AuditedAdmin[EscalationPolicy]):
    list_display = ["name", "signal", "unit", "organization"]
    list_filter = ["organization", "signal"]
    search_fields = ["name"]
    inlines = [PolicyLevelInline]


class MemberFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        found = rotations.member_problems(self.instance.name, len(_kept(self)))
        if found:
            raise forms.ValidationError(found)


class OverrideFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        spans = [
            rotations.Span(row["user"].get_username(), row.get("starts_at"), row.get("ends_at"))
            for row in _kept(self)
        ]
        found = rotations.override_problems(spans)
        if found:
            raise forms.ValidationError(found)


class RotationMemberInline(admin.TabularInline):
    model = RotationMember
    formset = MemberFormSet
    autocomplete_fields = ["user"]
    extra = 0


class RotationOverrideInline(admin.TabularInline):
    model = RotationOverride
    formset = OverrideFormSet
    autocomplete_fields = ["user"]
    extra = 0


@admin.register(OnCallRotation)
class OnCallRotationAdmin(AuditedAdmin[OnCallRotation]):
    list_display = ["name", "organization", "hand_off", "hand_off_time", "starts_on"]
    list_filter = ["organization"]
    search_fields = ["name"]
    inlines = [RotationMemberInline, RotationOverrideInline]


@admin.register(ContactMethod)
class ContactMethodAdmin(AuditedAdmin[ContactMethod]):
    list_display = ["user", "kind", "address", "is_active", "last_failure"]
    list_filter = ["kind", "is_active"]
    search_fields = ["user__username", "address"]
    autocomplete_fields = ["user"]
    readonly_fields = ["signing_secret"]
