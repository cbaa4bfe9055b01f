from __future__ import annotations

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from .models import Entry


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin):
    list_display = ["item", "account", "status", "assignee", "received_at"]
    list_filter = ["status", "platform"]
    readonly_fields = [
        "item",
        "account",
        "unit",
        "platform",
        "received_at",
        "status",
        "status_changed_at",
    ]

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
