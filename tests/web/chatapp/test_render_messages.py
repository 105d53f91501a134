"""Every LINE message kind through the app's own Jinja environment (R-MSG-01): what a person sees
and can tap — labels, forms with the fields the chat's action handler reads, links whose scheme is
allowed, alt texts — and that bot content is escaped and never becomes a script or a style."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import pytest

from openoa.messaging import schemas
from openoa.web import deps
from openoa.web.message_display import (
    aspect_ratio_class,
    flex_classes,
    picker_value,
    safe_link,
    safe_src,
    text_runs,
)
from tests.web.chatapp.message_kinds import QUICK_REPLY, every_kind

CDN = "https://cdn.aroi.example"
ACTION_URL = "/app/chats/@123abcde/actions"
KINDS = every_kind(CDN)


# ---------------------------------------------------------------- a small DOM to ask questions of

class Node:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Node | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        found: list[Node] = []
        for child in self.children:
            if isinstance(child, Node):
                if (tag is None or child.tag == tag) and all(
                        _matches(child.attrs.get(k.rstrip("_").replace("_", "-")), v) for k, v in attrs.items()):
                    found.append(child)
                found.extend(child.all(tag, **attrs))
        return found

    def one(self, tag: str | None = None, **attrs: str) -> Node:
        found = self.all(tag, **attrs)
        assert len(found) == 1, f"expected one <{tag} {attrs}>, found {len(found)}"
        return found[0]

    def fields(self) -> dict[str, str | None]:
        """A form's hidden fields by name."""
        return {i.attrs["name"] or "": i.attrs.get("value") for i in self.all("input", type="hidden")}

    def has_class(self, name: str) -> bool:
        return name in (self.attrs.get("class") or "").split()


def _matches(value: str | None, wanted: str) -> bool:
    if wanted.startswith("~"):  # one of the class names
        return wanted[1:] in (value or "").split()
    return value == wanted


VOID = {"input", "img", "br", "hr", "meta", "link", "source"}


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {}, None)
        self.at = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs), self.at)
        self.at.children.append(node)
        if tag not in VOID:
            self.at = node

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self.at
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.at = node.parent

    def handle_data(self, data: str) -> None:
        self.at.children.append(data)


def dom(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    return builder.root


def item(message: dict[str, Any], direction: str = "out", **extra: Any) -> dict[str, Any]:
    return {"direction": direction, "message": message, "id": extra.pop("id", "101"),
            "sent_at": datetime(2026, 11, 26, 10, 5, tzinfo=UTC), "content_url": None, "preview_url": None,
            "unsent": False, "read": False, **extra}


def render(entry: dict[str, Any], *, quick: bool = False) -> str:
    macros = deps.TEMPLATES.env.get_template("chatapp/_messages.html").module
    return str(macros.message_item(entry, ACTION_URL, "csrf-123", show_quick_reply=quick))  # type: ignore[attr-defined]


def page(message: dict[str, Any], **kw: Any) -> Node:
    return dom(render(item(message), **kw))


def forms(node: Node) -> list[Node]:
    return node.all("form", method="post", action=ACTION_URL)


def button_form(node: Node, label: str) -> Node:
    """The form whose submit button reads ``label``."""
    found = [f for f in forms(node) if any(" ".join(b.text().split()) == label for b in f.all("button", type="submit"))]
    assert len(found) == 1, f"one form with a {label!r} button, found {len(found)}"
    return found[0]


# ---------------------------------------------------------------- every kind

def test_r_msg_01_the_samples_are_messages_line_accepts():
    schemas.parse_messages([{**m, "quickReply": QUICK_REPLY} for m in list(KINDS.values())[:5]])
    for message in KINDS.values():
        schemas.parse_messages([message])


@pytest.mark.parametrize("name", list(KINDS))
def test_r_msg_01_every_kind_renders_without_inline_style_or_script(name: str):
    html = render(item(KINDS[name]), quick=True)
    tree = dom(html)
    assert tree.one("div", class_="~msg").has_class("msg-out")
    assert not re.search(r"<[^>]*\sstyle\s*=", html), "the CSP forbids style attributes"
    assert not re.search(r"<style\b", html)
    assert all(not s.text().strip() for s in tree.all("script")), "only external scripts"
    assert all(f.fields()["csrf_token"] == "csrf-123" for f in forms(tree))
    # The chat needs unique ids on one page: every label points at its input.
    for label in tree.all("label"):
        assert len(tree.all(id=label.attrs["for"] or "")) == 1


def test_r_msg_01_text_with_line_emoji_and_links():
    tree = page(KINDS["text"])
    text = tree.one("p", class_="~msg-text")
    emoji = text.one("span", class_="~line-emoji")
    assert (emoji.attrs["role"], emoji.attrs["aria-label"], emoji.text()) == ("img", "LINE emoji smile", "(smile)")
    assert emoji.attrs["title"] == "5ac1bfd5040ab15980c9b435/001"
    assert text.text().startswith("Hello (smile) welcome")
    assert text.one("a").attrs["href"] == "https://aroi.example/menu"


def test_r_msg_01_text_emoji_after_an_astral_character_uses_utf16_indexes():
    # "😀" is two UTF-16 units, so the "$" after it is at index 3, not 2.
    runs = text_runs({"type": "text", "text": "😀 $!", "emojis": [{"index": 3, "productId": "p", "emojiId": "e9"}]})
    assert [(r.kind, r.text) for r in runs] == [("text", "😀 "), ("emoji", "(emoji e9)"), ("text", "!")]


def test_r_msg_01_text_v2_mentions_and_emoji():
    tree = page(KINDS["textV2"])
    assert tree.one("span", class_="~mention").text() == "@All"
    assert tree.one("span", class_="~line-emoji").attrs["aria-label"] == "LINE emoji heart"
    named = dom(render(item({"type": "textV2", "text": "Hi {u}", "substitution": {
        "u": {"type": "mention", "mentionee": {"type": "user", "userId": "U1"}}}}, mention_names={"U1": "Nok"})))
    assert named.one("span", class_="~mention").text() == "@Nok"


def test_r_msg_01_a_persons_text_from_the_webhook_shape():
    message = {"type": "text", "text": "Hi (brown) there", "emojis": [
        {"index": 3, "length": 7, "productId": "5ac1bfd5040ab15980c9b435", "emojiId": "002"}]}
    tree = dom(render(item(message, direction="in", read=True)))
    msg = tree.one("div", class_="~msg")
    assert msg.has_class("msg-in")
    assert msg.one("span", class_="~line-emoji").text() == "(happy)"
    assert msg.one("p", class_="~msg-text").text() == "Hi (happy) there"
    assert msg.one("span", class_="~msg-read").text() == "Read"


def test_r_msg_01_sticker_card_is_named():
    sticker = page(KINDS["sticker"]).one("div", class_="~sticker")
    assert (sticker.attrs["role"], sticker.attrs["aria-label"]) == ("img", "Sticker 446/1988")
    assert "Sticker 446/1988" in sticker.text()


def test_r_msg_01_image_video_audio():
    image = page(KINDS["image"])
    img = image.one("img", class_="~msg-image")
    assert img.attrs["src"] == f"{CDN}/photo-preview.png" and img.attrs["alt"]
    assert image.one("a", class_="~media-link").attrs["href"] == f"{CDN}/photo.png"
    video = page(KINDS["video"]).one("video")
    assert (video.attrs["src"], video.attrs["poster"]) == (f"{CDN}/clip.mp4", f"{CDN}/photo-preview.png")
    assert "controls" in video.attrs and video.attrs["aria-label"]
    audio = page(KINDS["audio"])
    assert "controls" in audio.one("audio").attrs
    assert "1:02" in audio.one("p", class_="~media-caption").text()


def test_r_msg_01_a_persons_photo_and_file_come_from_the_chats_content_urls():
    photo = dom(render(item({"type": "image", "contentProvider": {"type": "line"}}, direction="in",
                            content_url="/app/chats/@x/content/1", preview_url="/app/chats/@x/content/1/preview")))
    assert photo.one("img").attrs["src"] == "/app/chats/@x/content/1/preview"
    assert photo.one("img").attrs["alt"].startswith("Photo you sent")
    assert photo.one("a").attrs["href"] == "/app/chats/@x/content/1"
    file = dom(render(item({"type": "file", "fileName": "menu.pdf", "fileSize": 48213}, direction="in",
                           content_url="https://chat.example/content/2")))
    link = file.one("a", class_="~file-name")
    assert (link.attrs["href"], link.attrs["download"]) == ("https://chat.example/content/2", "menu.pdf")
    assert file.one("span", class_="~file-size").text() == "48.2 kB"
    assert file.one("span", class_="~file-icon").text() == "PDF"


def test_r_msg_01_location_links_to_openstreetmap():
    tree = page(KINDS["location"])
    assert tree.one("p", class_="~location-title").text() == "Cafe Aroi"
    assert tree.one("p", class_="~location-address").text() == "1 Sukhumvit Rd, Bangkok"
    link = tree.one("a", class_="~button")
    assert link.attrs["href"] == ("https://www.openstreetmap.org/?mlat=13.736700&mlon=100.523100"
                                  "#map=16/13.736700/100.523100")


def test_r_msg_01_imagemap_areas_are_links_and_forms_placed_by_svg_attributes():
    tree = page(KINDS["imagemap"])
    img = tree.one("img", class_="~imagemap-image")
    assert (img.attrs["src"], img.attrs["alt"]) == (f"{CDN}/1040", "Our menu: drinks and cakes")
    assert tree.one("svg").attrs["viewbox"] == "0 0 1040 1040"
    areas = tree.all("foreignobject")
    assert [(a.attrs["x"], a.attrs["y"], a.attrs["width"], a.attrs["height"]) for a in areas] == [
        ("0", "0", "520", "520"), ("520", "0", "520", "520"), ("0", "520", "1040", "520")]
    drinks = areas[0].one("a")
    assert drinks.attrs["href"] == "https://aroi.example/drinks" and "Drinks" in drinks.text()
    cakes = areas[1].one("form")
    assert cakes.fields() | {"csrf_token": None} == {"csrf_token": None, "action_type": "message", "data": "",
                                                     "text": "Show me cakes", "display_text": "", "mode": ""}
    assert "Cakes" in cakes.text()
    [copy] = [b for b in tree.all("button", class_="~imagemap-area") if "data-copy" in b.attrs]
    assert copy.attrs["data-copy"] == "AROI10" and copy.text() == "Copy Promo code"
    assert "AROI10" in tree.one("figcaption").text()


def test_r_msg_01_buttons_template_actions_are_forms_and_links():
    tree = page(KINDS["buttons"])
    buy = button_form(tree, "Buy").fields()
    assert (buy["action_type"], buy["data"], buy["display_text"]) == ("postback", "action=buy&itemid=123", "Buy")
    ask = button_form(tree, "Ask a question").fields()
    assert (ask["action_type"], ask["text"]) == ("message", "I have a question")
    book = button_form(tree, "Book a table")
    assert (book.fields()["action_type"], book.fields()["mode"], book.fields()["data"]) == (
        "datetimepicker", "datetime", "action=book")
    picker = book.one("input", type="datetime-local")
    assert (picker.attrs["name"], picker.attrs["value"], picker.attrs["min"], picker.attrs["max"]) == (
        "datetime", "2026-12-01T19:00", "2026-11-26T00:00", "2027-11-26T23:59")
    assert book.one("label").attrs["for"] == picker.attrs["id"]
    assert tree.one("code", class_="~clipboard-text").text() == "MANGO5"
    assert tree.one("button", class_="~copy-button").attrs["data-copy"] == "MANGO5"
    default = tree.one("a", class_="~tpl-default")
    assert default.attrs["href"] == "https://aroi.example/special"
    assert "Today's special" in default.text() and "View detail" in default.text()
    assert tree.one("img", class_="~tpl-image").attrs["alt"] == ""


def test_r_msg_01_confirm_and_carousels():
    confirm = page(KINDS["confirm"])
    assert button_form(confirm, "Yes").fields()["text"] == "yes"
    assert button_form(confirm, "No").fields()["data"] == "table=cancel"
    carousel = page(KINDS["carousel"]).one("div", class_="~carousel")
    assert (carousel.attrs["role"], carousel.attrs["tabindex"]) == ("group", "0")
    cards = carousel.all("div", class_="~carousel-card")
    assert len(cards) == 4
    assert button_form(cards[1], "Order cake 2").fields()["data"] == "order=2"
    assert cards[1].one("a").attrs["href"] == "https://aroi.example/cake/2"
    default = cards[1].one("form", class_="~tpl-default")
    assert default.fields()["data"] == "cake=2" and "Cake 2" in default.text()
    images = page(KINDS["image_carousel"]).one("div", class_="~carousel")
    assert len(images.all("div", class_="~image-card")) == 3
    assert images.one("a").attrs["href"] == "https://aroi.example/p/1"
    assert images.one("input", type="date").attrs["name"] == "date"


def test_r_msg_01_flex_bubble_structure_and_keyword_classes():
    tree = page(KINDS["flex"])
    bubble = tree.one("div", class_="~fx-bubble")
    assert bubble.has_class("fx-bubble-mega") and bubble.attrs["dir"] == "ltr"
    sections = [s for s in bubble.all("div", class_="~fx-section")]
    assert [s.attrs["class"].split()[1] for s in sections] == ["fx-header", "fx-hero", "fx-body", "fx-footer"]
    assert sections[3].has_class("fx-section-separator")
    hero = sections[1].one("a")
    assert hero.attrs["href"] == "https://aroi.example" and hero.one("span", class_="~fx-ratio-20-13")
    title = tree.one("p", class_="~fx-size-xxl")
    assert title.text() == "Cafe Aroi" and title.has_class("fx-bold") and title.has_class("fx-m-md")
    spans = tree.all("span", class_="~fx-span")
    assert [s.text() for s in spans] == ["Total ", "฿120"] and spans[1].has_class("fx-underline")
    # A box with an action is one tap target; "12px" padding snaps to LINE's "lg" (12px).
    receipt = button_form(tree, "Thai tea ฿60 (Show the receipt lines)")
    assert receipt.fields()["data"] == "receipt=lines"
    row = receipt.one("span", class_="~fx-box")
    assert {"fx-horizontal", "fx-p-lg", "fx-radius-md", "fx-border-normal"} <= set(row.attrs["class"].split())
    assert row.one("span", class_="~fx-filler")
    call = tree.one("a", class_="~fx-button")
    assert call.attrs["href"] == "tel:+6621234567" and call.has_class("fx-button-primary")
    assert button_form(tree, "Thanks!").fields()["text"] == "Thanks!"
    pickup = button_form(tree, "Pick up time").one("input", type="time")
    assert (pickup.attrs["name"], pickup.attrs["value"]) == ("time", "12:30")
    assert tree.one("div", class_="~fx-separator").attrs["role"] == "separator"


def test_r_msg_01_flex_carousel_scrolls_inside_itself():
    carousel = page(KINDS["flex_carousel"]).one("div", class_="~fx-carousel")
    assert carousel.attrs["tabindex"] == "0" and "3 cards" in carousel.attrs["aria-label"]
    bubbles = carousel.all("div", class_="~fx-bubble")
    assert len(bubbles) == 3 and all(b.has_class("fx-bubble-kilo") for b in bubbles)
    assert bubbles[2].one("a").attrs["href"] == "https://aroi.example/thonglor"
    assert bubbles[0].one("p", class_="~fx-lines-2").text() == "Open 8:00–20:00"


def test_r_msg_01_bot_colours_and_free_form_sizes_never_reach_the_page():
    html = render(item(KINDS["flex"]))
    for colour in ("#06C755", "#999999", "#ff5551", "#cccccc", "#F0F0F0", "#aaaaaa"):
        assert colour.lower() not in html.lower()
    assert "12px" not in html


def test_r_msg_01_coupon_card():
    card = page(KINDS["coupon"]).one("div", class_="~coupon-card")
    assert "Coupon" in card.text() and card.one("code").text() == "01JCOUPON2026AROI"


def test_r_msg_01_unsent_messages_say_so_and_hide_the_content():
    mine = dom(render(item({"type": "text", "text": "secret"}, direction="in", unsent=True)))
    assert mine.one("p", class_="~msg-unsent").text() == "You unsent a message"
    theirs = dom(render(item({"type": "text", "text": "secret", "quickReply": QUICK_REPLY}, unsent=True), quick=True))
    assert theirs.one("p", class_="~msg-unsent").text() == "This message was unsent"
    assert "secret" not in render(item({"type": "text", "text": "secret"}, unsent=True))
    assert not theirs.all("div", class_="~quick-replies")


def test_r_msg_01_quick_replies_only_when_asked_as_one_list():
    message = {**KINDS["text"], "quickReply": QUICK_REPLY}
    assert not page(message).all("div", class_="~quick-replies")
    box = page(message, quick=True).one("div", class_="~quick-replies")
    assert box.attrs["role"] == "group" and box.attrs["aria-label"] == "Quick replies"
    entries = box.one("ul").all("li")
    assert len(entries) == len(QUICK_REPLY["items"])
    assert button_form(box, "Menu").fields()["text"] == "Menu"
    assert button_form(box, "Opening hours").fields()["display_text"] == "Opening hours?"
    assert button_form(box, "Pick a date").one("input", type="date").attrs["name"] == "date"
    links = {a.text().strip(): a.attrs["href"] for a in box.all("a")}
    assert links["Camera"] == links["Photos"] == "#composer-attach"
    assert links["Send location"] == "#composer-location"
    assert links["Website (opens in a new tab)"] == "https://aroi.example"
    assert box.one("code").text() == "AROI10"


# ---------------------------------------------------------------- what a bot cannot do

@pytest.mark.parametrize("uri", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\nscript:alert(1)",
                                 " javascript:alert(1)", "data:text/html,<script>alert(1)</script>",
                                 "vbscript:x", "file:///etc/passwd", "//evil.example/x"])
def test_r_msg_01_only_http_https_tel_mailto_and_line_links(uri: str):
    # Our own API refuses these, but stored messages are rendered defensively.
    html = render(item({"type": "template", "altText": "x", "template": {
        "type": "buttons", "text": "Pick", "actions": [{"type": "uri", "label": "Go", "uri": uri}]}}))
    tree = dom(html)
    assert not tree.all("a"), html
    assert tree.one("span", class_="~action-text").text() == "Go"
    assert safe_link(uri) is None


@pytest.mark.parametrize("uri", ["https://a.example", "http://a.example", "tel:+66", "mailto:a@b.example",
                                 "line://ti/p/@abc", "LINE://nv/location"])
def test_r_msg_01_allowed_link_schemes(uri: str):
    assert safe_link(uri) == uri


def test_r_msg_01_bot_text_is_escaped():
    evil = '<script>alert(1)</script><img src=x onerror=alert(2)>"'
    html = render(item({"type": "text", "text": evil, "quickReply": {"items": [
        {"type": "action", "action": {"type": "message", "label": '"><script>', "text": evil}}]}}), quick=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    tree = dom(html)
    assert tree.one("p", class_="~msg-text").text() == evil
    assert button_form(tree, '"><script>').fields()["text"] == evil
    flex = render(item({"type": "flex", "altText": "<b>x</b>", "contents": {
        "type": "bubble", "body": {"type": "box", "layout": "vertical\" onclick=\"x", "contents": [
            {"type": "text", "text": "<i>hi</i>", "size": "xl\" style=\"color:red"}]}}}))
    assert "<i>hi</i>" not in flex and "onclick" not in flex and "style=" not in flex


def test_r_msg_01_media_urls_with_other_schemes_are_not_loaded():
    tree = page({"type": "image", "originalContentUrl": "javascript:alert(1)", "previewImageUrl": "data:x"})
    assert not tree.all("img") and not tree.all("a")
    assert [safe_src(u) for u in ("/media/a.png", "//evil.example/a", "tel:1", "https://a.example/b")] == [
        "/media/a.png", None, None, "https://a.example/b"]


# ---------------------------------------------------------------- the pure helpers

def test_flex_keywords_map_one_to_one_and_pixels_snap_to_the_nearest():
    assert flex_classes({"type": "text", "size": "3xl", "weight": "bold", "align": "center"}) == (
        "fx-size-3xl fx-bold fx-align-center")
    assert flex_classes({"type": "text", "size": "20px"}) == "fx-size-lg"  # 19px is nearest
    assert flex_classes({"type": "box", "layout": "nonsense", "spacing": "7px"}) == "fx-vertical fx-spacing-md"
    assert flex_classes({"type": "box", "layout": "horizontal", "width": "150px", "height": "90px"}) == (
        "fx-horizontal fx-w-50 fx-h-80")
    assert flex_classes({"type": "image", "size": "45%", "aspectRatio": "16:9"}) == (
        "fx-img-w-50 fx-ratio-16-9 fx-fit")
    assert flex_classes({"type": "button", "style": "primary", "height": "sm", "color": "#000000"}) == (
        "fx-button-primary fx-button-sm")
    assert flex_classes({"type": "bubble", "size": "huge"}) == "fx-bubble-mega"
    assert aspect_ratio_class("1.51:1") == "3-2" and aspect_ratio_class("bad") == "1-1"


def test_datetime_picker_values_are_passed_only_in_their_mode_format():
    assert picker_value("datetime", "2026-12-01t19:00") == "2026-12-01T19:00"
    assert picker_value("date", "2026-12-01T19:00") == ""
    assert picker_value("time", "25:00") == ""


def test_r_msg_01_flex_video_hero_keeps_its_action_beside_the_player():
    tree = page({"type": "flex", "altText": "Teaser", "contents": {
        "type": "bubble", "direction": "rtl",
        "hero": {"type": "video", "url": f"{CDN}/v.mp4", "previewUrl": f"{CDN}/v.png", "aspectRatio": "20:13",
                 "altContent": {"type": "image", "url": f"{CDN}/v.png", "size": "full"},
                 "action": {"type": "uri", "label": "More", "uri": "https://aroi.example/more"}},
        "body": {"type": "box", "layout": "vertical", "contents": [{"type": "text", "text": "Watch"}]}}})
    assert tree.one("div", class_="~fx-bubble").attrs["dir"] == "rtl"
    video = tree.one("video", class_="~fx-video")
    assert (video.attrs["src"], video.attrs["poster"]) == (f"{CDN}/v.mp4", f"{CDN}/v.png")
    assert video.has_class("fx-ratio-20-13") and video.parent and video.parent.tag != "a"
    assert tree.one("a").attrs["href"] == "https://aroi.example/more"


def test_r_msg_01_a_flex_bubble_action_wraps_it_unless_it_holds_controls():
    plain = page({"type": "flex", "altText": "x", "contents": {
        "type": "bubble", "action": {"type": "message", "label": "Open menu", "text": "menu"},
        "body": {"type": "box", "layout": "vertical", "contents": [{"type": "text", "text": "Menu"}]}}})
    form = button_form(plain, "Menu (Open menu)")
    assert form.has_class("fx-bubble") and form.fields()["text"] == "menu"
    busy = page({"type": "flex", "altText": "x", "contents": {
        "type": "bubble", "action": {"type": "message", "label": "Open menu", "text": "menu"},
        "body": {"type": "box", "layout": "vertical", "contents": [
            {"type": "button", "action": {"type": "postback", "label": "Buy", "data": "buy"}}]}}})
    assert button_form(busy, "Buy").fields()["data"] == "buy"
    assert button_form(busy, "Open menu").fields()["text"] == "menu"
    assert not [b for f in forms(busy) for b in f.all("button") if b.all("form")], "controls never nest"


def test_r_msg_01_pictures_only_tap_targets_are_named_by_their_action():
    tree = page({"type": "template", "altText": "Gallery", "template": {"type": "image_carousel", "columns": [
        {"imageUrl": f"{CDN}/a.png", "action": {"type": "postback", "data": "pic=a"}}]}})
    target = tree.one("button", class_="~tap-target")
    assert target.attrs["aria-label"] == "Send" and target.one("img").attrs["alt"] == ""


def test_r_msg_01_imagemap_video_and_its_external_link():
    tree = page({"type": "imagemap", "baseUrl": f"{CDN}/rm", "altText": "Rich video",
                 "baseSize": {"width": 1040, "height": 585}, "actions": [],
                 "video": {"originalContentUrl": f"{CDN}/rm.mp4", "previewImageUrl": f"{CDN}/rm.png",
                           "area": {"x": 0, "y": 0, "width": 1040, "height": 585},
                           "externalLink": {"linkUri": "https://aroi.example/watch", "label": "See more"}}})
    area = tree.one("foreignobject")
    assert (area.attrs["width"], area.attrs["height"]) == ("1040", "585")
    assert area.one("video").attrs["src"] == f"{CDN}/rm.mp4"
    link = tree.one("figcaption").one("a")
    assert (link.attrs["href"], link.text()) == ("https://aroi.example/watch", "See more")


def test_r_msg_01_sender_name_and_icon_of_the_account():
    tree = page({"type": "text", "text": "Hi", "sender": {"name": "Chef Nok", "iconUrl": f"{CDN}/chef.png"}})
    sender = tree.one("p", class_="~msg-sender")
    assert sender.text() == "Chef Nok" and sender.one("img").attrs["src"] == f"{CDN}/chef.png"


def test_r_msg_01_a_persons_video_audio_and_location():
    video = dom(render(item({"type": "video", "duration": 8000, "contentProvider": {"type": "line"}},
                            direction="in", content_url="/c/1", preview_url="/c/1/preview")))
    assert (video.one("video").attrs["src"], video.one("video").attrs["poster"]) == ("/c/1", "/c/1/preview")
    assert video.one("video").attrs["aria-label"] == "Video, 0:08"
    audio = dom(render(item({"type": "audio", "duration": 3000}, direction="in", content_url="/c/2")))
    assert audio.one("audio").attrs["src"] == "/c/2"
    place = dom(render(item({"type": "location", "title": "Home", "address": "Bangkok", "latitude": 13.7,
                             "longitude": 100.5}, direction="in")))
    assert "13.70000, 100.50000" in place.one("p", class_="~location-point").text()
