from __future__ import annotations

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from .models import AnchorDelivery, ArchiveImport, ArchiveSeal, Item, ItemVersion


class ReadOnlyAdmin(admin.ModelAdmin):
    """The archive is written by ingestion only; the admin may look, never touch."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Item)
class ItemAdmin(ReadOnlyAdmin):
    list_display = [
        "platform_id",
        "kind",
        "account",
        "author_handle",
        "created_at",
        "version_count",
        "is_deleted",
    ]
    list_filter = ["kind", "platform", "is_deleted"]
    search_fields = ["platform_id", "author_handle"]


@admin.register(ItemVersion)
class ItemVersionAdmin(ReadOnlyAdmin):
    list_display = ["item", "seq", "observed_at", "source", "is_deletion", "chain_hash"]
    list_filter = ["source", "is_deletion"]


@admin.register(ArchiveSeal)
class ArchiveSealAdmin(ReadOnlyAdmin):
    list_display = ["number", "sealed_at", "version_count", "last_version_id", "digest"]


@admin.register(AnchorDelivery)
class AnchorDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["day", "first_seal", "last_seal", "sent_to", "sent_at"]


@admin.register(ArchiveImport)
class ArchiveImportAdmin(ReadOnlyAdmin):
    list_display = [
        "started_at",
        "account",
        "format",
        "file_name",
        "status",
        "new_items",
        "new_versions",
    ]
    list_filter = ["status", "format"]
