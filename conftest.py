pytest_plugins = ["civicdesk.testing.fixtures", "civicdesk.escalation.tests.fixtures"]
