from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import get_template
from django.test import Client
from django.urls import reverse

HOME_LINK = '<a href="/inbox/">Go to the inbox</a>'


def error_log() -> Path:
    handlers = [
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging.handlers.RotatingFileHandler)
    ]
    assert len(handlers) == 1
    return Path(handlers[0].baseFilename)


@pytest.mark.urls("civicdesk.core.tests.failing_urls")
class TestServerError:
    def test_a_failing_view_shows_the_styled_page_and_logs_its_traceback(self, db, caplog):
        response = Client(raise_request_exception=False).get("/broken/")
        assert response.status_code == 500
        page = response.content.decode()
        assert "<h1>Something went wrong</h1>" in page
        assert 'href="/static/civicdesk/civicdesk.css"' in page
        assert HOME_LINK in page
        assert "weekly report" not in page, "the error's details stay in the log"

        [logged] = [r for r in caplog.records if r.name == "django.request"]
        assert logged.levelno == logging.ERROR
        assert "Traceback (most recent call last)" in caplog.text
        assert "ReportNotReady: the weekly report has no rows for unit 7" in caplog.text

    def test_the_traceback_is_written_to_the_error_log_under_var(self, db):
        log = error_log()
        assert log.parent == Path(settings.VAR_DIR)
        before = log.stat().st_size if log.exists() else 0
        Client(raise_request_exception=False).get("/broken/")
        with log.open(encoding="utf-8") as f:
            f.seek(before)
            written = f.read()
        assert "ERROR django.request: Internal Server Error: /broken/" in written
        assert "Traceback (most recent call last)" in written
        assert "ReportNotReady: the weekly report has no rows for unit 7" in written

    def test_the_page_renders_with_no_context_and_no_database(self):
        page = get_template("500.html").render()
        assert "<h1>Something went wrong</h1>" in page
        assert HOME_LINK in page


class TestNotFoundAndNotAllowed:
    def test_an_unknown_address_shows_the_styled_not_found_page(self, client, agency):
        client.force_login(agency.school_editor)
        response = client.get("/no-such-page/")
        assert response.status_code == 404
        page = response.content.decode()
        assert "<h1>Page not found</h1>" in page
        assert HOME_LINK in page
        assert "school_editor" in page, "signed-in people keep the site's header"

    def test_an_item_of_another_district_is_the_same_not_found_page(self, client, agency):
        client.force_login(agency.other_editor)
        response = client.get(reverse("inbox:item", args=[999999]))
        assert response.status_code == 404
        assert "<h1>Page not found</h1>" in response.content.decode()

    def test_an_editor_connecting_an_account_gets_the_styled_not_allowed_page(self, client, agency):
        client.force_login(agency.school_editor)
        response = client.get(reverse("accounts:connect", args=[agency.high_school_account.pk]))
        assert response.status_code == 403
        page = response.content.decode()
        assert "<h1>You can't do that here</h1>" in page
        assert HOME_LINK in page

    @pytest.mark.urls("civicdesk.core.tests.failing_urls")
    def test_permission_denied_from_any_view_shows_the_styled_page(self, client, agency):
        client.force_login(agency.school_editor)
        response = client.get("/forbidden/")
        assert response.status_code == 403
        assert "<h1>You can't do that here</h1>" in response.content.decode()
