from __future__ import annotations

import pytest

from civicdesk.core.models import AuditEvent, Unit
from civicdesk.testing.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_setup_changes_in_the_admin_are_audited(client):
    admin = UserFactory.create(username="setup_admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    district = OrganizationFactory.create(name="Riverbend USD")
    response = client.post(
        "/admin/core/unit/add/",
        {
            "organization": district.pk,
            "name": "Lincoln Middle",
            "kind": "school",
            "memberships-TOTAL_FORMS": 0,
            "memberships-INITIAL_FORMS": 0,
        },
        REMOTE_ADDR="192.0.2.10",
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    unit = Unit.objects.get(name="Lincoln Middle")
    client.post(f"/admin/core/unit/{unit.pk}/delete/", {"post": "yes"})
    added, deleted = AuditEvent.objects.order_by("pk")
    assert (added.action, added.actor_name, added.ip_address) == (
        "unit.added",
        "setup_admin",
        "192.0.2.10",
    )
    assert "name" in added.data["fields"]
    assert (deleted.action, deleted.target_repr) == ("unit.deleted", "Lincoln Middle")
