"""web/room.js on its own, in Debian's Chromium: the frames of a room's socket are handled one after
another, a gap fill included, and a gap that cannot be filled loses nothing. The history route is
played by a stand-in `fetch` in the page, so the order of answers is the test's to choose."""

import pytest

pytestmark = pytest.mark.browser

# Runs in the page: a RoomConnection fed frames 4 and 5 by hand, after seq 1, with `fetch` answering
# the gap's history request as `answers` say (in order: "fail", or a list of seqs, after 100 ms).
FEED_FRAMES = """async (answers) => {
  const { RoomConnection } = await import("/room.js");
  const user = { id: 1, username: "x" };
  const event = (seq) => ({ type: "message", room_id: 7, seq, id: seq, user, content: `${seq}` });
  const requests = [];
  window.fetch = async (url) => {
    requests.push(String(url));
    const answer = answers.shift();
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (answer === "fail") throw new TypeError("network down");
    return new Response(JSON.stringify({ events: answer.map(event) }), { status: 200 });
  };
  const applied = [];
  const ignore = () => {};
  const connection = new RoomConnection(7, { onEvent: (e) => applied.push(e.seq), onPresence: ignore,
    onState: ignore, onError: ignore, onSessionEnded: ignore, onTyping: ignore });
  let closed = 0;
  const socket = { close: () => { closed += 1; } };
  connection.socket = socket;
  connection.lastSeq = 1;
  connection.onFrame(event(4), socket);
  connection.onFrame(event(5), socket);
  await connection.inOrder;
  return { applied, requests: requests.length, closed };
}"""


def test_frames_behind_a_gap_wait_for_it_to_be_filled(page_at):
    page = page_at()
    outcome = page.evaluate(FEED_FRAMES, [[2, 3]])
    # One history request, not one per frame behind the gap; every event once, in order.
    assert outcome == {"applied": [2, 3, 4, 5], "requests": 1, "closed": 0}


def test_a_gap_that_cannot_be_filled_ends_the_socket_and_applies_nothing_out_of_order(page_at):
    page = page_at()
    outcome = page.evaluate(FEED_FRAMES, ["fail", "fail"])
    # Neither 4 nor 5 is applied over the hole (the next socket asks for all after seq 1).
    assert outcome == {"applied": [], "requests": 2, "closed": 2}
