from __future__ import annotations

import pytest
from django.urls import reverse

from civicdesk.core import audit
from civicdesk.core.models import AuditEvent
from civicdesk.triage.models import SignalThreshold
from civicdesk.triage.thresholds import set_threshold

pytestmark = pytest.mark.django_db


class TestSetThreshold:
    def test_a_threshold_is_saved_with_its_audit_event(self, agency):
        set_threshold(
            organization=agency.district, signal="threat", threshold=0.3, by=agency.district_admin
        )
        assert SignalThreshold.objects.get().threshold == 0.3
        assert AuditEvent.objects.get(action="triage.threshold_changed").data == {
            "signal": "threat",
            "threshold": 0.3,
        }

    def test_a_failing_audit_write_leaves_the_threshold_as_it_was(self, agency, monkeypatch):
        SignalThreshold.objects.create(organization=agency.district, signal="threat", threshold=0.5)

        def broken(*args, **kwargs):
            raise RuntimeError("audit log unavailable")

        monkeypatch.setattr(audit, "record", broken)
        with pytest.raises(RuntimeError):
            set_threshold(
                organization=agency.district,
                signal="threat",
                threshold=0.2,
                by=agency.district_admin,
            )
        assert SignalThreshold.objects.get().threshold == 0.5

    @pytest.mark.parametrize("value", [1.5, -0.1, float("nan"), float("inf")])
    def test_a_threshold_outside_0_and_1_is_refused(self, agency, value):
        with pytest.raises(ValueError, match="Enter a threshold between 0 and 1, such as 0.75."):
            set_threshold(
                organization=agency.district,
                signal="threat",
                threshold=value,
                by=agency.district_admin,
            )
        assert SignalThreshold.objects.count() == 0


class TestThresholdsPage:
    def test_an_admin_sets_a_threshold(self, client, agency):
        client.force_login(agency.district_admin)
        response = client.post(
            reverse("triage:thresholds"), {"signal": "threat", "threshold": "0.35"}
        )
        assert response.status_code == 302
        assert SignalThreshold.objects.get(organization=agency.district).threshold == 0.35

    @pytest.mark.parametrize("value", ["1.5", "-1", "nan", "inf", "abc", ""])
    def test_a_value_outside_0_and_1_is_refused_with_a_message(self, client, agency, value):
        client.force_login(agency.district_admin)
        response = client.post(
            reverse("triage:thresholds"), {"signal": "threat", "threshold": value}
        )
        assert response.status_code == 400
        page = response.content.decode()
        assert (
            '<p class="error" role="alert">Enter a threshold between 0 and 1, such as 0.75.</p>'
            in page
        )
        assert '<p class="error" id="t-threat-error">' in page
        assert 'aria-describedby="t-threat-error"' in page
        assert SignalThreshold.objects.count() == 0
        assert not AuditEvent.objects.filter(action="triage.threshold_changed").exists()
