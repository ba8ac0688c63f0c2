"""Files in the browser: attached with the button, dropped on the conversation or pasted into the
composer, going up with their progress shown, then sent; images show as thumbnails that open full
size, other files as links that download them."""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.web.test_chat import messages, pages_in_room, two_in_a_room

pytestmark = pytest.mark.browser


def png(size=(300, 200)):
    out = io.BytesIO()
    Image.new("RGB", size, (20, 120, 200)).save(out, "PNG")
    return out.getvalue()


def uploads(page):
    return page.get_by_role("list", name="Files to send").get_by_role("listitem")


# A file made in the page and handed over as a drop on the conversation or a paste into the composer.
GIVE_FILE = """([how, name, text]) => {
  const transfer = new DataTransfer();
  transfer.items.add(new File([text], name, { type: "text/plain" }));
  if (how === "drop") {
    const room = document.querySelector("#room");
    room.dispatchEvent(new DragEvent("dragover", { dataTransfer: transfer, bubbles: true, cancelable: true }));
    room.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
  } else {
    const composer = document.querySelector("#composer textarea");
    composer.dispatchEvent(new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true, cancelable: true }));
  }
}"""


def test_files_attached_dropped_and_pasted_are_sent_and_shown(page_at, base_url):
    ada, bob, room_id = two_in_a_room(base_url, "Files")
    ada_page, bob_page = pages_in_room(page_at, room_id, ada, bob)

    # With the button: an image and a document, each going up with its progress.
    with ada_page.expect_file_chooser() as chosen:
        ada_page.get_by_role("button", name="Attach files").click()
    chosen.value.set_files(
        [
            {"name": "harbour.png", "mimeType": "image/png", "buffer": png()},
            {"name": "agenda.txt", "mimeType": "text/plain", "buffer": b"1. ships\n2. boats\n"},
        ]
    )
    expect(uploads(ada_page)).to_have_count(2)
    for name in ("harbour.png", "agenda.txt"):
        item = uploads(ada_page).filter(has_text=name)
        expect(item).to_contain_text("ready")
        progress = item.get_by_role("progressbar", name=f"Uploading {name}")
        assert progress.evaluate("bar => bar.value === bar.max")
    ada_page.get_by_role("button", name="Send", exact=True).click()  # no text needed
    expect(uploads(ada_page)).to_have_count(0)

    thumbnail = bob_page.get_by_role("img", name="harbour.png")
    expect(thumbnail).to_be_visible()
    expect(thumbnail).to_have_js_property("naturalWidth", 300)  # the thumbnail loaded: the image is small
    document = bob_page.get_by_role("link", name="agenda.txt")
    expect(document).to_have_attribute("download", "agenda.txt")
    with bob_page.context.expect_page() as opened:
        thumbnail.click()
    full = opened.value
    full.wait_for_load_state()
    assert full.url.endswith(thumbnail.evaluate("image => new URL(image.closest('a').href).pathname"))
    assert full.evaluate("document.images[0].naturalWidth") == 300

    # Dropped on the conversation and pasted into the composer, then sent with words.
    ada_page.evaluate(GIVE_FILE, ["drop", "dropped.txt", "from the desktop"])
    ada_page.evaluate(GIVE_FILE, ["paste", "pasted.txt", "from the clipboard"])
    expect(uploads(ada_page).filter(has_text="ready")).to_have_count(2)
    ada_page.get_by_label("Message").fill("two more")
    ada_page.get_by_role("button", name="Send", exact=True).click()
    newest = messages(bob_page).last
    expect(newest).to_contain_text("two more")
    expect(newest.get_by_role("link", name="dropped.txt")).to_be_visible()
    expect(newest.get_by_role("link", name="pasted.txt")).to_be_visible()
    stored = [e for e in ada.get(f"/ws/rooms/{room_id}/messages").json()["events"] if e["type"] == "message"]
    assert [[f["name"] for f in e["attachments"]] for e in stored] == [
        ["harbour.png", "agenda.txt"],
        ["dropped.txt", "pasted.txt"],
    ]
    downloaded = bob.get(stored[1]["attachments"][1]["url"])
    assert downloaded.content == b"from the clipboard"
