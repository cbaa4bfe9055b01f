from __future__ import annotations

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from .admin_audit import AuditedAdmin
from .models import AuditEvent, Membership, Organization, Unit


class UnitInline(admin.TabularInline):
    model = Unit
    fields = ["name", "kind", "parent", "takes_routed_items"]
    extra = 0


@admin.register(Organization)
class OrganizationAdmin(AuditedAdmin[Organization]):
    list_display = ["name", "kind", "time_zone"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [UnitInline]


class MembershipInline(admin.TabularInline):
    model = Membership
    autocomplete_fields = ["user"]
    extra = 0


@admin.register(Unit)
class UnitAdmin(AuditedAdmin[Unit]):
    list_display = ["name", "kind", "parent", "organization", "takes_routed_items"]
    list_filter = ["organization", "kind"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(AuditedAdmin[Membership]):
    list_display = ["user", "role", "unit"]
    list_filter = ["role", "unit__organization"]
    autocomplete_fields = ["user", "unit"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "actor_name", "action", "target_repr", "ip_address"]
    list_filter = ["action"]
    search_fields = ["actor_name", "target_repr", "action"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
