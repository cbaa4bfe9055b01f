pytest_plugins = ["civicdesk.testing.fixtures"]
