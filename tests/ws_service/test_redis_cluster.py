"""REDIS_CLUSTER=1 on a real three-node Redis Cluster: a room's events go over sharded pub/sub on
the shard that owns the room, its presence lives on that shard, and a restart of that node loses no
stored message. (Every cross-process test of test_fan_out.py runs on a cluster as well.)"""

import time

import pytest

from tests.conftest import Person, RedisClusterServers
from tests.ws_service.test_fan_out_faults import nothing_lost_across, two_ws_processes


@pytest.fixture
def cluster(tmp_path):
    servers = RedisClusterServers(tmp_path / "cluster")
    yield servers
    servers.stop()


@pytest.fixture
def two_processes(database_url, cluster, tmp_path):
    yield from two_ws_processes(database_url, cluster.env, tmp_path)


def test_a_rooms_events_use_its_shard_and_its_presence_lives_there(base_url, two_processes, cluster):
    first, second = two_processes
    watcher = Person(base_url, ws_base_url=first.url).register().login()
    sender = Person(base_url, ws_base_url=second.url).register().login()
    room = watcher.create_room()
    socket = watcher.connect(room)
    channel = f"parley:room:{{{room}}}"
    owner = cluster.node_of(channel)
    # Both processes follow the room: the sender's process, once it has a socket there too.
    sender.connect(room)
    assert cluster._cli(owner, "pubsub", "shardnumsub", channel).split()[-1] == "2"
    for node in cluster.nodes:
        assert cluster._cli(node, "pubsub", "channels") == ""  # nothing on classic pub/sub
        if node is not owner:
            assert cluster._cli(node, "pubsub", "shardchannels") == ""
    assert cluster._cli(owner, "exists", f"parley:presence:{{{room}}}") == "1"  # the room's shard
    assert sender.post(f"/ws/rooms/{room}/messages", json={"content": "over the shard"}).status_code == 201
    assert socket.stored_events(1)[0]["content"] == "over the shard"
    clients = sender.get(f"/ws/getClients/{room}").json()["clients"]
    assert {client["id"] for client in clients} == {watcher.id, sender.id}


def test_the_rooms_node_restarted_during_traffic_loses_nothing_and_clients_catch_up(base_url, two_processes, cluster):
    def restart_the_rooms_node(room):
        owner = cluster.node_of(f"parley:room:{{{room}}}")
        owner.stop()
        time.sleep(1)
        owner.start()
        cluster.wait_until_whole()

    nothing_lost_across(base_url, two_processes, restart_the_rooms_node, "the node's restart")
