from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from civicdesk.accounts.models import Account
from civicdesk.archive.ingest import store_records
from civicdesk.core.models import Unit
from civicdesk.demo.agency import create_demo_agency
from civicdesk.inbox import intake
from civicdesk.inbox.models import Entry
from civicdesk.routing.models import RoutingRule
from civicdesk.testing.factories import (
    OrganizationFactory,
    UnitFactory,
    UserFactory,
    record,
)

pytestmark = pytest.mark.django_db


class TestRuleEditor:
    def test_an_admin_adds_a_rule(self, client, agency, transportation):
        unit, _ = transportation
        client.force_login(agency.district_admin)
        response = client.post(
            reverse("routing:rules"),
            {
                "name": "Bus questions",
                "position": 10,
                "is_enabled": "on",
                "signals": ["question"],
                "signal_match": "any",
                "keywords": "bus, route",
                "language": "",
                "route_to": unit.pk,
                "tag": "buses",
            },
        )
        assert response.status_code == 302
        rule = RoutingRule.objects.get()
        assert (rule.keywords, rule.signals, rule.organization) == (
            ["bus", "route"],
            ["question"],
            agency.district,
        )
        assert "Bus questions" in client.get(reverse("routing:rules")).content.decode()

    def test_a_rule_that_does_nothing_is_explained(self, client, agency):
        client.force_login(agency.district_admin)
        response = client.post(
            reverse("routing:rules"), {"name": "Nothing", "position": 1, "signal_match": "any"}
        )
        assert response.status_code == 400
        assert (
            "Say what the rule does: a queue, a person, a tag, or escalation."
            in response.content.decode()
        )

    def test_saving_a_rule_unchanged_keeps_its_queue(self, client, agency):
        """A unit that no longer takes routed items stays the queue of a rule that names it."""
        buses = UnitFactory.create(
            organization=agency.district, name="Buses", parent=agency.district_office
        )
        rule = RoutingRule.objects.create(
            organization=agency.district, name="Bus questions", keywords=["bus"], route_to=buses
        )
        client.force_login(agency.district_admin)
        page = client.get(reverse("routing:rules"), {"edit": rule.pk}).content.decode()
        assert f'<option value="{buses.pk}" selected>Buses</option>' in page
        response = client.post(
            reverse("routing:rules"),
            {
                "organization": agency.district.pk,
                "rule": rule.pk,
                "name": "Bus questions",
                "position": rule.position,
                "is_enabled": "on",
                "signal_match": "any",
                "keywords": "bus",
                "route_to": buses.pk,
            },
        )
        assert response.status_code == 302
        rule.refresh_from_db()
        assert rule.route_to == buses

    def test_a_queue_that_takes_no_routed_items_is_not_offered_for_a_new_rule(
        self, client, agency, transportation
    ):
        unit, _ = transportation
        client.force_login(agency.district_admin)
        form = client.get(reverse("routing:rules")).context["form"]
        assert list(form.fields["route_to"].queryset) == [unit]

    def test_the_page_opens_on_an_organization_with_rules_and_offers_the_others(
        self, client, agency
    ):
        OrganizationFactory.create(name="Aardvark County", slug="aardvark")
        RoutingRule.objects.create(
            organization=agency.district, name="Spanish", language="es", tag="es"
        )
        boss = UserFactory.create(username="boss", is_superuser=True)
        client.force_login(boss)
        page = client.get(reverse("routing:rules")).content.decode()
        assert "<h1>Routing rules · Riverbend USD</h1>" in page
        assert '<label for="id_organization">Organization</label>' in page
        for name in ("Aardvark County", "Hillside USD", "Riverbend USD"):
            assert f">{name}</option>" in page
        other = client.get(reverse("routing:rules"), {"organization": agency.other_district.pk})
        assert "<h1>Routing rules · Hillside USD</h1>" in other.content.decode()

    def test_someone_who_manages_one_organization_sees_no_switcher(self, client, agency):
        client.force_login(agency.district_admin)
        page = client.get(reverse("routing:rules")).content.decode()
        assert "<h1>Routing rules · Riverbend USD</h1>" in page
        assert 'id="id_organization"' not in page

    @pytest.mark.parametrize("edit", ["abc", "999999", "1.5"])
    def test_editing_no_such_rule_is_not_found(self, client, agency, edit):
        client.force_login(agency.district_admin)
        assert client.get(reverse("routing:rules"), {"edit": edit}).status_code == 404

    def test_saving_no_such_rule_is_not_found_and_saves_nothing(self, client, agency):
        client.force_login(agency.district_admin)
        response = client.post(
            reverse("routing:rules"),
            {"rule": "abc", "name": "Tagged", "position": 1, "signal_match": "any", "tag": "x"},
        )
        assert response.status_code == 404
        assert RoutingRule.objects.count() == 0

    def test_an_organization_that_is_no_number_is_not_found(self, client, agency):
        client.force_login(agency.district_admin)
        assert client.get(reverse("routing:rules"), {"organization": "abc"}).status_code == 404


def arrive(account, text="When does bus 14 come?"):
    with transaction.atomic():
        report = store_records(account=account, records=[record("c1", text)], source="poll")
        intake.receive(items=report.created_items)
    return Entry.objects.get(item=report.created_items[0])


class TestSendTo:
    def test_the_item_page_offers_every_queue_of_the_organization(self, client, agency):
        own_queue = UnitFactory.create(
            organization=agency.district,
            name="Facilities",
            parent=agency.district_office,
            takes_routed_items=True,
        )
        # Takes routed items, though the school editor cannot see it.
        hidden_queue = UnitFactory.create(
            organization=agency.district, name="Transportation", takes_routed_items=True
        )
        UnitFactory.create(organization=agency.district, name="Payroll")
        UnitFactory.create(
            organization=agency.other_district, name="Hillside Buses", takes_routed_items=True
        )
        entry = arrive(agency.high_school_account)
        client.force_login(agency.school_editor)
        page = client.get(reverse("inbox:item", args=[entry.item_id]))
        assert list(page.context["queues"]) == [own_queue, hidden_queue]
        body = page.content.decode()
        assert "Riverbend High (the account's unit)" in body
        assert "Payroll" not in body and "Hillside Buses" not in body
        response = client.post(
            reverse("routing:send_to", args=[entry.item_id]), {"queue": hidden_queue.pk}
        )
        assert response.status_code == 302
        entry.refresh_from_db()
        assert (entry.queue, entry.queue_is_manual) == (hidden_queue, True)

    def test_the_demo_offers_transportation_and_sending_there_works(self, client, db):
        create_demo_agency(started_at=timezone.now())
        high_school = Account.objects.get(handle="riverbendhigh")
        transportation = Unit.objects.get(
            organization=high_school.organization, name="Transportation"
        )
        entry = arrive(high_school)
        client.force_login(User.objects.get(username="admin"))
        page = client.get(reverse("inbox:item", args=[entry.item_id])).content.decode()
        assert f'<option value="{transportation.pk}" >Transportation</option>' in page
        response = client.post(
            reverse("routing:send_to", args=[entry.item_id]), {"queue": transportation.pk}
        )
        assert response.status_code == 302
        entry.refresh_from_db()
        assert entry.queue == transportation

    def test_sending_back_to_the_accounts_unit_clears_the_queue(
        self, client, agency, transportation
    ):
        unit, _ = transportation
        entry = arrive(agency.high_school_account)
        client.force_login(agency.district_admin)
        client.post(reverse("routing:send_to", args=[entry.item_id]), {"queue": unit.pk})
        client.post(reverse("routing:send_to", args=[entry.item_id]), {"queue": ""})
        entry.refresh_from_db()
        assert (entry.queue, entry.route_reason) == (
            None,
            "Sent back to Riverbend High by district_admin.",
        )

    @pytest.mark.parametrize(
        ("queue", "message"),
        [
            ("abc", "Choose a queue from the list."),
            ("1.5", "Choose a queue from the list."),
            ("999999", "That unit does not take routed items. Choose a queue from the list."),
        ],
    )
    def test_a_queue_not_on_the_list_is_refused_with_a_reason(self, client, agency, queue, message):
        entry = arrive(agency.high_school_account)
        client.force_login(agency.district_admin)
        response = client.post(reverse("routing:send_to", args=[entry.item_id]), {"queue": queue})
        assert (response.status_code, response.content.decode()) == (400, message)
        entry.refresh_from_db()
        assert entry.queue is None

    def test_a_unit_that_takes_no_routed_items_is_refused(self, client, agency):
        entry = arrive(agency.high_school_account)
        client.force_login(agency.district_admin)
        response = client.post(
            reverse("routing:send_to", args=[entry.item_id]), {"queue": agency.elementary.pk}
        )
        assert response.status_code == 400
        entry.refresh_from_db()
        assert entry.queue is None
