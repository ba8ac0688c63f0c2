import pytest

from tests.conftest import RunningServer


@pytest.fixture(scope="session")
def production_cost_server(database_url, tmp_path_factory):
    """An all-in-one process hashing at the default bcrypt cost, for the tests about hashing itself
    (the suite's other servers hash at the cheapest cost)."""
    running = RunningServer(
        {"DATABASE_URL": database_url, "BCRYPT_ROUNDS": ""}, tmp_path_factory.mktemp("production_cost") / "output.log"
    )
    yield running
    running.stop()
