from frontline.incidents.tests.conftest import okafor  # noqa: F401 (the relay and the clients behind it)
