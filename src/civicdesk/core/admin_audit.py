"""Setup changes made in the admin go into the audit log like every other change by a person."""

from __future__ import annotations

from typing import Generic, TypeVar

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from . import audit

ModelT = TypeVar("ModelT", bound=models.Model)


class AuditedAdmin(admin.ModelAdmin, Generic[ModelT]):
    def save_model(
        self, request: HttpRequest, obj: ModelT, form: forms.ModelForm, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        label = obj._meta.model_name
        audit.record(
            f"{label}.changed" if change else f"{label}.added",
            target=obj,
            by=request.user,
            request=request,
            fields=sorted(self.audited_fields(form)),
        )

    def audited_fields(self, form: forms.ModelForm) -> set[str]:
        return set(form.changed_data)

    def delete_model(self, request: HttpRequest, obj: ModelT) -> None:
        audit.record(
            f"{obj._meta.model_name}.deleted", target=obj, by=request.user, request=request
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ModelT]) -> None:
        for obj in queryset:
            audit.record(
                f"{obj._meta.model_name}.deleted", target=obj, by=request.user, request=request
            )
        super().delete_queryset(request, queryset)
