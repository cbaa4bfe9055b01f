from __future__ import annotations

import pytest

from civicdesk.core import audit
from civicdesk.core.models import AuditEvent
from civicdesk.routing.models import RoutingRule
from civicdesk.routing.rules import save_rule

pytestmark = pytest.mark.django_db


def test_a_saved_rule_is_in_the_audit_log(agency):
    rule = save_rule(
        rule=RoutingRule(name="Spanish", language="es", tag="español"),
        organization=agency.district,
        changed=["name", "language", "tag"],
        by=agency.district_admin,
    )
    event = AuditEvent.objects.get(action="routing.rule_saved")
    assert (event.target_id, event.actor_name, event.data) == (
        str(rule.pk),
        "district_admin",
        {"fields": ["name", "language", "tag"]},
    )
    assert rule.organization == agency.district


def test_a_failing_audit_write_saves_no_new_rule(agency, monkeypatch):
    monkeypatch.setattr(audit, "record", _broken_audit)
    with pytest.raises(RuntimeError, match="audit log unavailable"):
        save_rule(
            rule=RoutingRule(name="Spanish", language="es", tag="español"),
            organization=agency.district,
            changed=["name"],
            by=agency.district_admin,
        )
    assert RoutingRule.objects.count() == 0


def test_a_failing_audit_write_leaves_an_edited_rule_as_it_was(agency, monkeypatch):
    rule = RoutingRule.objects.create(organization=agency.district, name="Old", tag="old")
    monkeypatch.setattr(audit, "record", _broken_audit)
    rule.name, rule.tag = "New", "new"
    with pytest.raises(RuntimeError):
        save_rule(
            rule=rule, organization=agency.district, changed=["name"], by=agency.district_admin
        )
    rule.refresh_from_db()
    assert (rule.name, rule.tag) == ("Old", "old")


def _broken_audit(*args, **kwargs):
    raise RuntimeError("audit log unavailable")
