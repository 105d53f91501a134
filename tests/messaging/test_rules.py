"""LINE message objects (R-MSG-01) and machine-dependent characters and notification text (R-MSG-06).

Valid examples are built with line-bot-sdk's own models, so what a real bot sends is what we test."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from linebot.v3 import messaging as sdk
from pydantic import TypeAdapter

from openoa.core.errors import Invalid
from openoa.messaging import rules
from openoa.messaging.schemas import (
    RichMenuAction,
    TextMessage,
    line_property,
    message_json,
    parse_messages,
)

HTTPS = "https://example.com"
USER_ID = "U" + "0123456789abcdef" * 2


def errors_of(messages: Any) -> dict[str, str]:
    with pytest.raises(Invalid) as caught:
        parse_messages(messages)
    assert caught.value.message == f"The request body has {len(caught.value.errors)} error(s)"
    return caught.value.by_field()


# ---------------------------------------------------------------- every kind, as the SDK builds it

def _area(x: int = 0) -> sdk.ImagemapArea:
    return sdk.ImagemapArea(x=x, y=0, width=520, height=520)


SDK_EXAMPLES = {
    "text with LINE emoji, quick reply and sender": sdk.TextMessage(
        text="$ Hello $", emojis=[sdk.Emoji(index=0, product_id=rules.DEFAULT_EMOJI_PRODUCT, emoji_id="001"),
                                  sdk.Emoji(index=8, product_id=rules.DEFAULT_EMOJI_PRODUCT, emoji_id="002")],
        quote_token="q3Plxr4AgKd",
        quick_reply=sdk.QuickReply(items=[
            sdk.QuickReplyItem(image_url=f"{HTTPS}/sushi.png", action=sdk.MessageAction(label="Sushi", text="Sushi")),
            sdk.QuickReplyItem(action=sdk.PostbackAction(label="Buy", data="action=buy", display_text="Buy")),
            sdk.QuickReplyItem(action=sdk.URIAction(label="Menu", uri=f"{HTTPS}/menu")),
            sdk.QuickReplyItem(action=sdk.DatetimePickerAction(label="When", data="d", mode="date")),
            sdk.QuickReplyItem(action=sdk.CameraAction(label="Camera")),
            sdk.QuickReplyItem(action=sdk.CameraRollAction(label="Camera roll")),
            sdk.QuickReplyItem(action=sdk.LocationAction(label="Location")),
            sdk.QuickReplyItem(action=sdk.ClipboardAction(label="Copy", clipboard_text="3B48740B")),
        ]),
        sender=sdk.Sender(name="Cony", icon_url=f"{HTTPS}/cony.png")),
    "textV2 with mentions and an emoji": sdk.TextMessageV2(
        text="Welcome {user}, {everyone}! {smile} {{literal}}",
        substitution={
            "user": sdk.MentionSubstitutionObject(mentionee=sdk.UserMentionTarget(user_id=USER_ID)),
            "everyone": sdk.MentionSubstitutionObject(mentionee=sdk.AllMentionTarget()),
            "smile": sdk.EmojiSubstitutionObject(product_id=rules.DEFAULT_EMOJI_PRODUCT, emoji_id="001"),
        }),
    "sticker": sdk.StickerMessage(package_id="446", sticker_id="1988"),
    "image": sdk.ImageMessage(original_content_url=f"{HTTPS}/original.jpg",
                              preview_image_url=f"{HTTPS}/preview.jpg"),
    "video": sdk.VideoMessage(original_content_url=f"{HTTPS}/original.mp4",
                              preview_image_url=f"{HTTPS}/preview.jpg", tracking_id="track-id.1=(a)"),
    "audio": sdk.AudioMessage(original_content_url=f"{HTTPS}/original.m4a", duration=60000),
    "location": sdk.LocationMessage(title="my location", address="1-6-1 Yotsuya, Shinjuku-ku, Tokyo",
                                    latitude=35.687574, longitude=139.72922),
    "coupon": sdk.CouponMessage(coupon_id="01JYNW8JMQVFBNWWXQ5JTW3MNV", delivery_tag="spring_sale"),
    "imagemap with video": sdk.ImagemapMessage(
        base_url=f"{HTTPS}/bot/images/rm001", alt_text="This is an imagemap",
        base_size=sdk.ImagemapBaseSize(width=1040, height=1040),
        video=sdk.ImagemapVideo(original_content_url=f"{HTTPS}/video.mp4", preview_image_url=f"{HTTPS}/p.jpg",
                                area=sdk.ImagemapArea(x=0, y=0, width=1040, height=585),
                                external_link=sdk.ImagemapExternalLink(link_uri=f"{HTTPS}/see_more.html",
                                                                       label="See More")),
        actions=[sdk.URIImagemapAction(link_uri=f"{HTTPS}/", area=_area(0), label="https link"),
                 sdk.MessageImagemapAction(text="Hello", area=_area(520)),
                 sdk.ClipboardImagemapAction(clipboard_text="3B48740B", area=_area(0))]),
    "buttons template": sdk.TemplateMessage(alt_text="This is a buttons template", template=sdk.ButtonsTemplate(
        thumbnail_image_url=f"{HTTPS}/bot/images/image.jpg", image_aspect_ratio="rectangle", image_size="cover",
        image_background_color="#FFFFFF", title="Menu", text="Please select",
        default_action=sdk.URIAction(label="View detail", uri=f"{HTTPS}/page/123"),
        actions=[sdk.PostbackAction(label="Buy", data="action=buy&itemid=123", display_text="Buy",
                                    input_option="openKeyboard", fill_in_text="---"),
                 sdk.MessageAction(label="Add to cart", text="Add"),
                 sdk.URIAction(label="View detail", uri="tel:09001234567",
                               alt_uri=sdk.AltUri(desktop=f"{HTTPS}/desktop")),
                 sdk.DatetimePickerAction(label="Select date", data="storeId=12345", mode="datetime",
                                          initial="2017-12-25t00:00", max="2018-01-24T23:59",
                                          min="2017-12-25T00:00")])),
    "confirm template": sdk.TemplateMessage(alt_text="this is a confirm template", template=sdk.ConfirmTemplate(
        text="Are you sure?", actions=[sdk.MessageAction(label="Yes", text="yes"),
                                       sdk.ClipboardAction(label="Copy", clipboard_text="no")])),
    "carousel template": sdk.TemplateMessage(alt_text="this is a carousel template", template=sdk.CarouselTemplate(
        image_aspect_ratio="square", image_size="contain", columns=[
            sdk.CarouselColumn(thumbnail_image_url=f"{HTTPS}/item{i}.jpg", image_background_color="#000000",
                               title="this is menu", text="description",
                               default_action=sdk.URIAction(label="View detail", uri=f"{HTTPS}/{i}"),
                               actions=[sdk.PostbackAction(label="Buy", data=f"action=buy&itemid={i}"),
                                        sdk.DatetimePickerAction(label="Time", data="t", mode="time",
                                                                 initial="10:00", min="00:00", max="23:59")])
            for i in range(rules.CAROUSEL_COLUMNS_MAX)])),
    "image carousel template": sdk.TemplateMessage(alt_text="image carousel", template=sdk.ImageCarouselTemplate(
        columns=[sdk.ImageCarouselColumn(image_url=f"{HTTPS}/item1.jpg",
                                         action=sdk.PostbackAction(label="Buy", data="action=buy")),
                 sdk.ImageCarouselColumn(image_url=f"{HTTPS}/item2.jpg",
                                         action=sdk.URIAction(uri=f"{HTTPS}/2"))])),
    "flex bubble with every component": sdk.FlexMessage(alt_text="flex", contents=sdk.FlexBubble(
        size="mega", direction="ltr",
        styles=sdk.FlexBubbleStyles(body=sdk.FlexBlockStyle(background_color="#FFFFFF", separator=True)),
        hero=sdk.FlexVideo(url=f"{HTTPS}/v.mp4", preview_url=f"{HTTPS}/v.jpg", aspect_ratio="16:9",
                           alt_content=sdk.FlexImage(url=f"{HTTPS}/alt.jpg", size="full")),
        header=sdk.FlexBox(layout="baseline", contents=[
            sdk.FlexIcon(url=f"{HTTPS}/star.png", size="sm"),
            sdk.FlexText(text="Brown Cafe", weight="bold", size="xl",
                         action=sdk.MessageAction(text="cafe"))]),
        body=sdk.FlexBox(layout="vertical", spacing="md", contents=[
            sdk.FlexText(contents=[sdk.FlexSpan(text="Hello, "), sdk.FlexSpan(text="World", weight="bold")]),
            sdk.FlexSeparator(margin="md"),
            sdk.FlexFiller(),
            sdk.FlexImage(url=f"{HTTPS}/logo.png", animated=True, action=sdk.URIAction(uri=f"{HTTPS}/")),
            sdk.FlexBox(layout="horizontal", contents=[], background=sdk.FlexBoxLinearGradient(
                angle="90deg", start_color="#FFFFFF", end_color="#000000"))]),
        footer=sdk.FlexBox(layout="vertical", contents=[
            sdk.FlexButton(style="primary", action=sdk.PostbackAction(label="Reserve", data="reserve"))]),
        action=sdk.URIAction(uri=f"{HTTPS}/bubble"))),
    "flex carousel from JSON": sdk.FlexMessage(alt_text="carousel", contents=sdk.FlexContainer.from_json(
        '{"type":"carousel","contents":[{"type":"bubble","body":{"type":"box","layout":"vertical",'
        '"contents":[{"type":"text","text":"First bubble"}]}},{"type":"bubble","body":{"type":"box",'
        '"layout":"vertical","contents":[{"type":"text","text":"Second bubble"}]}}]}')),
}


@pytest.mark.parametrize("example", SDK_EXAMPLES.values(), ids=SDK_EXAMPLES.keys())
def test_r_msg_01_every_message_kind_the_sdk_builds_is_accepted_and_kept_as_sent(example):
    sent = example.to_dict()
    [parsed] = parse_messages([sent])
    assert parsed.type == sent["type"]
    assert message_json(parsed) == sent


def test_r_msg_01_a_request_carries_up_to_five_messages_of_mixed_kinds():
    sent = [example.to_dict() for example in list(SDK_EXAMPLES.values())[:5]]
    assert [m.type for m in parse_messages(sent)] == [m["type"] for m in sent]


def test_r_msg_01_the_rich_menu_switch_action_is_a_rich_menu_action():
    switch = sdk.RichMenuSwitchAction(rich_menu_alias_id="richmenu-alias-b", data="richmenu-changed-to-b")
    action = TypeAdapter(RichMenuAction).validate_python(switch.to_dict())
    assert (action.type, action.rich_menu_alias_id) == ("richmenuswitch", "richmenu-alias-b")
    with_switch = _buttons([switch.to_dict() | {"label": "Switch"}])
    assert errors_of([with_switch]) == {"messages[0].template.actions[0].type":
                                        "Must be one of the following values: "
                                        "[postback, message, uri, datetimepicker, clipboard]"}


# ---------------------------------------------------------------- the numbers LINE publishes

def test_r_msg_01_limits_are_the_ones_line_publishes():
    assert (rules.MIN_MESSAGES_PER_REQUEST, rules.MAX_MESSAGES_PER_REQUEST) == (1, 5)
    assert (rules.TEXT_MAX, rules.TEXT_EMOJIS_MAX) == (5000, 20)
    assert (rules.SUBSTITUTION_MAX, rules.SUBSTITUTION_KEY_MAX) == (100, 20)
    assert (rules.TEXT_V2_MENTIONS_MAX, rules.TEXT_V2_EMOJIS_MAX) == (20, 20)
    assert (rules.QUICK_REPLY_MAX_ITEMS, rules.SENDER_NAME_MAX, rules.URL_MAX) == (13, 20, 2000)
    assert (rules.LOCATION_TITLE_MAX, rules.LOCATION_ADDRESS_MAX, rules.VIDEO_TRACKING_ID_MAX) == (100, 100, 100)
    assert rules.COUPON_DELIVERY_TAG_MAX == 30
    assert (rules.ALT_TEXT_MAX, rules.IMAGEMAP_BASE_WIDTH, rules.IMAGEMAP_ACTIONS_MAX) == (1500, 1040, 50)
    assert (rules.IMAGEMAP_LINK_URI_MAX, rules.IMAGEMAP_ACTION_LABEL_MAX) == (1000, 100)
    assert (rules.IMAGEMAP_MESSAGE_TEXT_MAX, rules.IMAGEMAP_EXTERNAL_LINK_LABEL_MAX) == (400, 30)
    assert (rules.TEMPLATE_TITLE_MAX, rules.BUTTONS_TEXT_MAX, rules.BUTTONS_TEXT_MAX_WITH_IMAGE_OR_TITLE) == (40, 160, 60)
    assert (rules.BUTTONS_ACTIONS_MAX, rules.CONFIRM_TEXT_MAX, rules.CONFIRM_ACTIONS) == (4, 240, 2)
    assert (rules.CAROUSEL_COLUMNS_MAX, rules.CAROUSEL_TEXT_MAX, rules.CAROUSEL_TEXT_MAX_WITH_IMAGE_OR_TITLE) == (10, 120, 60)
    assert (rules.CAROUSEL_ACTIONS_MAX, rules.IMAGE_CAROUSEL_COLUMNS_MAX) == (3, 10)
    assert (rules.FLEX_BUBBLE_MAX_BYTES, rules.FLEX_CAROUSEL_MAX_BYTES) == (30 * 1024, 50 * 1024)
    assert (rules.FLEX_CAROUSEL_MAX_BUBBLES, rules.FLEX_ANIMATED_IMAGES_MAX) == (12, 10)
    assert (rules.POSTBACK_DATA_MAX, rules.POSTBACK_DISPLAY_TEXT_MAX, rules.POSTBACK_FILL_IN_TEXT_MAX) == (300, 300, 300)
    assert (rules.MESSAGE_ACTION_TEXT_MAX, rules.URI_ACTION_MAX, rules.DATETIME_PICKER_DATA_MAX) == (300, 1000, 300)
    assert (rules.RICH_MENU_SWITCH_DATA_MAX, rules.RICH_MENU_ALIAS_ID_MAX, rules.CLIPBOARD_TEXT_MAX) == (300, 32, 1000)
    assert rules.URI_SCHEMES == ("http", "https", "line", "tel")
    labels = {place.name: (place.label_required, place.label_max) for place in rules.ACTION_PLACES}
    assert labels == {"Template": (True, 20), "TemplateDefault": (False, 20), "ImageCarousel": (False, 12),
                      "QuickReply": (True, 20), "FlexButton": (True, 40), "Flex": (False, 40),
                      "RichMenu": (False, 20)}


def _text(text: str = "hi", **extra: Any) -> dict[str, Any]:
    return {"type": "text", "text": text, **extra}


def _action(label: str = "Go", **extra: Any) -> dict[str, Any]:
    return {"type": "message", "label": label, "text": "go", **extra}


def _buttons(actions: list[dict[str, Any]], **template: Any) -> dict[str, Any]:
    return {"type": "template", "altText": "alt",
            "template": {"type": "buttons", "text": "Pick one", "actions": actions, **template}}


def _column(actions: int = 1, **extra: Any) -> dict[str, Any]:
    return {"text": "column", "actions": [_action() for _ in range(actions)], **extra}


def _carousel(columns: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "template", "altText": "alt", "template": {"type": "carousel", "columns": columns}}


def _image(url: str) -> dict[str, Any]:
    return {"type": "image", "originalContentUrl": url, "previewImageUrl": f"{HTTPS}/p.jpg"}


def _imagemap(actions: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    return {"type": "imagemap", "baseUrl": f"{HTTPS}/rm", "altText": "alt",
            "baseSize": {"width": 1040, "height": 1040}, "actions": actions or [], **extra}


AREA = {"x": 0, "y": 0, "width": 10, "height": 10}


def _bubble(text: str = "x") -> dict[str, Any]:
    return {"type": "bubble", "body": {"type": "box", "layout": "vertical",
                                       "contents": [{"type": "text", "text": text}]}}


def _flex(contents: dict[str, Any]) -> dict[str, Any]:
    return {"type": "flex", "altText": "alt", "contents": contents}


def _bubble_of_bytes(size: int) -> dict[str, Any]:
    bubble = _bubble("")
    padding = size - len(json.dumps(bubble, separators=(",", ":")))
    bubble["body"]["contents"][0]["text"] = "x" * padding
    return bubble


def _url(length: int) -> str:
    base = f"{HTTPS}/"
    return base + "a" * (length - len(base))


def _picker(**values: str) -> dict[str, Any]:
    return _buttons([{"type": "datetimepicker", "label": "When", "data": "d", **values}])


# (build(n) -> messages, the limit, where the error shows at limit + 1)
BOUNDARIES = {
    "MAX_MESSAGES_PER_REQUEST": (lambda n: [_text()] * n, rules.MAX_MESSAGES_PER_REQUEST, "messages"),
    "TEXT_MAX": (lambda n: [_text("x" * n)], rules.TEXT_MAX, "messages[0].text"),
    "TEXT_MAX counts UTF-16 units": (lambda n: [_text("😀" * (n // 2) + "x" * (n % 2))], rules.TEXT_MAX,
                                     "messages[0].text"),
    "TEXT_EMOJIS_MAX": (lambda n: [_text("$" * n, emojis=[{"index": i, "productId": "p", "emojiId": "001"}
                                                         for i in range(n)])],
                        rules.TEXT_EMOJIS_MAX, "messages[0].emojis"),
    "SUBSTITUTION_KEY_MAX": (lambda n: [{"type": "textV2", "text": "{" + "k" * n + "}", "substitution": {
        "k" * n: {"type": "emoji", "productId": "p", "emojiId": "001"}}}], rules.SUBSTITUTION_KEY_MAX,
        "messages[0].substitution." + "k" * (rules.SUBSTITUTION_KEY_MAX + 1)),
    "TEXT_V2_MENTIONS_MAX": (lambda n: [{"type": "textV2", "text": "hi", "substitution": {
        f"m{i}": {"type": "mention", "mentionee": {"type": "all"}} for i in range(n)}}],
        rules.TEXT_V2_MENTIONS_MAX, "messages[0].substitution"),
    "TEXT_V2_EMOJIS_MAX": (lambda n: [{"type": "textV2", "text": "hi", "substitution": {
        f"e{i}": {"type": "emoji", "productId": "p", "emojiId": "001"} for i in range(n)}}],
        rules.TEXT_V2_EMOJIS_MAX, "messages[0].substitution"),
    "QUICK_REPLY_MAX_ITEMS": (lambda n: [_text(quickReply={"items": [{"type": "action", "action": _action()}] * n})],
                              rules.QUICK_REPLY_MAX_ITEMS, "messages[0].quickReply.items"),
    "SENDER_NAME_MAX": (lambda n: [_text(sender={"name": "n" * n})], rules.SENDER_NAME_MAX,
                        "messages[0].sender.name"),
    "URL_MAX": (lambda n: [_image(_url(n))], rules.URL_MAX, "messages[0].originalContentUrl"),
    "LOCATION_TITLE_MAX": (lambda n: [{"type": "location", "title": "t" * n, "address": "a", "latitude": 0,
                                       "longitude": 0}], rules.LOCATION_TITLE_MAX, "messages[0].title"),
    "LOCATION_ADDRESS_MAX": (lambda n: [{"type": "location", "title": "t", "address": "a" * n, "latitude": 0,
                                         "longitude": 0}], rules.LOCATION_ADDRESS_MAX, "messages[0].address"),
    "VIDEO_TRACKING_ID_MAX": (lambda n: [{"type": "video", "originalContentUrl": f"{HTTPS}/v.mp4",
                                          "previewImageUrl": f"{HTTPS}/p.jpg", "trackingId": "t" * n}],
                              rules.VIDEO_TRACKING_ID_MAX, "messages[0].trackingId"),
    "COUPON_DELIVERY_TAG_MAX": (lambda n: [{"type": "coupon", "couponId": "c", "deliveryTag": "t" * n}],
                                rules.COUPON_DELIVERY_TAG_MAX, "messages[0].deliveryTag"),
    "ALT_TEXT_MAX": (lambda n: [_buttons([_action()]) | {"altText": "a" * n}], rules.ALT_TEXT_MAX,
                     "messages[0].altText"),
    "IMAGEMAP_ACTIONS_MAX": (lambda n: [_imagemap([{"type": "message", "text": "t", "area": AREA}] * n)],
                             rules.IMAGEMAP_ACTIONS_MAX, "messages[0].actions"),
    "IMAGEMAP_LINK_URI_MAX": (lambda n: [_imagemap([{"type": "uri", "linkUri": _url(n), "area": AREA}])],
                              rules.IMAGEMAP_LINK_URI_MAX, "messages[0].actions[0].linkUri"),
    "IMAGEMAP_ACTION_LABEL_MAX": (lambda n: [_imagemap([{"type": "message", "text": "t", "label": "l" * n,
                                                         "area": AREA}])],
                                  rules.IMAGEMAP_ACTION_LABEL_MAX, "messages[0].actions[0].label"),
    "IMAGEMAP_MESSAGE_TEXT_MAX": (lambda n: [_imagemap([{"type": "message", "text": "t" * n, "area": AREA}])],
                                  rules.IMAGEMAP_MESSAGE_TEXT_MAX, "messages[0].actions[0].text"),
    "IMAGEMAP_EXTERNAL_LINK_LABEL_MAX": (lambda n: [_imagemap(video={
        "originalContentUrl": f"{HTTPS}/v.mp4", "previewImageUrl": f"{HTTPS}/p.jpg", "area": AREA,
        "externalLink": {"linkUri": HTTPS, "label": "l" * n}})], rules.IMAGEMAP_EXTERNAL_LINK_LABEL_MAX,
        "messages[0].video.externalLink.label"),
    "CLIPBOARD_TEXT_MAX": (lambda n: [_buttons([{"type": "clipboard", "label": "Copy", "clipboardText": "c" * n}])],
                           rules.CLIPBOARD_TEXT_MAX, "messages[0].template.actions[0].clipboardText"),
    "TEMPLATE_TITLE_MAX": (lambda n: [_buttons([_action()], title="t" * n, text="x")], rules.TEMPLATE_TITLE_MAX,
                           "messages[0].template.title"),
    "BUTTONS_TEXT_MAX": (lambda n: [_buttons([_action()], text="t" * n)], rules.BUTTONS_TEXT_MAX,
                         "messages[0].template.text"),
    "BUTTONS_TEXT_MAX_WITH_IMAGE_OR_TITLE": (lambda n: [_buttons([_action()], text="t" * n, title="Menu")],
                                             rules.BUTTONS_TEXT_MAX_WITH_IMAGE_OR_TITLE, "messages[0].template.text"),
    "BUTTONS_ACTIONS_MAX": (lambda n: [_buttons([_action()] * n)], rules.BUTTONS_ACTIONS_MAX,
                            "messages[0].template.actions"),
    "CONFIRM_TEXT_MAX": (lambda n: [{"type": "template", "altText": "a", "template": {
        "type": "confirm", "text": "t" * n, "actions": [_action(), _action()]}}], rules.CONFIRM_TEXT_MAX,
        "messages[0].template.text"),
    "CAROUSEL_COLUMNS_MAX": (lambda n: [_carousel([_column()] * n)], rules.CAROUSEL_COLUMNS_MAX,
                             "messages[0].template.columns"),
    "CAROUSEL_TEXT_MAX": (lambda n: [_carousel([_column(text="t" * n)])], rules.CAROUSEL_TEXT_MAX,
                          "messages[0].template.columns[0].text"),
    "CAROUSEL_TEXT_MAX_WITH_IMAGE_OR_TITLE": (lambda n: [_carousel([_column(
        text="t" * n, thumbnailImageUrl=f"{HTTPS}/i.jpg")])], rules.CAROUSEL_TEXT_MAX_WITH_IMAGE_OR_TITLE,
        "messages[0].template.columns[0].text"),
    "CAROUSEL_ACTIONS_MAX": (lambda n: [_carousel([_column(actions=n)])], rules.CAROUSEL_ACTIONS_MAX,
                             "messages[0].template.columns[0].actions"),
    "IMAGE_CAROUSEL_COLUMNS_MAX": (lambda n: [{"type": "template", "altText": "a", "template": {
        "type": "image_carousel", "columns": [{"imageUrl": f"{HTTPS}/i.jpg", "action": _action()}] * n}}],
        rules.IMAGE_CAROUSEL_COLUMNS_MAX, "messages[0].template.columns"),
    "FLEX_BUBBLE_MAX_BYTES": (lambda n: [_flex(_bubble_of_bytes(n))], rules.FLEX_BUBBLE_MAX_BYTES,
                              "messages[0].contents"),
    "FLEX_CAROUSEL_MAX_BUBBLES": (lambda n: [_flex({"type": "carousel", "contents": [_bubble()] * n})],
                                  rules.FLEX_CAROUSEL_MAX_BUBBLES, "messages[0].contents.contents"),
    "FLEX_ANIMATED_IMAGES_MAX": (lambda n: [_flex({"type": "bubble", "body": {"type": "box", "layout": "vertical",
                                  "contents": [{"type": "image", "url": f"{HTTPS}/a.png", "animated": True}] * n}})],
                                 rules.FLEX_ANIMATED_IMAGES_MAX, "messages[0].contents"),
    "POSTBACK_DATA_MAX": (lambda n: [_buttons([{"type": "postback", "label": "p", "data": "d" * n}])],
                          rules.POSTBACK_DATA_MAX, "messages[0].template.actions[0].data"),
    "POSTBACK_DISPLAY_TEXT_MAX": (lambda n: [_buttons([{"type": "postback", "label": "p", "data": "d",
                                                        "displayText": "t" * n}])],
                                  rules.POSTBACK_DISPLAY_TEXT_MAX, "messages[0].template.actions[0].displayText"),
    "POSTBACK_FILL_IN_TEXT_MAX": (lambda n: [_buttons([{"type": "postback", "label": "p", "data": "d",
                                                        "inputOption": "openKeyboard", "fillInText": "t" * n}])],
                                  rules.POSTBACK_FILL_IN_TEXT_MAX, "messages[0].template.actions[0].fillInText"),
    "MESSAGE_ACTION_TEXT_MAX": (lambda n: [_buttons([_action(text="t" * n)])], rules.MESSAGE_ACTION_TEXT_MAX,
                                "messages[0].template.actions[0].text"),
    "URI_ACTION_MAX": (lambda n: [_buttons([{"type": "uri", "label": "u", "uri": _url(n)}])],
                       rules.URI_ACTION_MAX, "messages[0].template.actions[0].uri"),
    "DATETIME_PICKER_DATA_MAX": (lambda n: [_buttons([{"type": "datetimepicker", "label": "d", "data": "d" * n,
                                                       "mode": "date"}])],
                                 rules.DATETIME_PICKER_DATA_MAX, "messages[0].template.actions[0].data"),
    "QUOTE_TOKEN_MAX": (lambda n: [_text(quoteToken="q" * n)], rules.QUOTE_TOKEN_MAX, "messages[0].quoteToken"),
}
for _place, _build in {
    "Template": lambda label: [_buttons([_action(label)])],
    "TemplateDefault": lambda label: [_buttons([_action()], defaultAction=_action(label))],
    "ImageCarousel": lambda label: [{"type": "template", "altText": "a", "template": {
        "type": "image_carousel", "columns": [{"imageUrl": f"{HTTPS}/i.jpg", "action": _action(label)}]}}],
    "QuickReply": lambda label: [_text(quickReply={"items": [{"type": "action", "action": _action(label)}]})],
    "FlexButton": lambda label: [_flex({"type": "bubble", "footer": {"type": "box", "layout": "vertical",
                                        "contents": [{"type": "button", "action": _action(label)}]}})],
    "Flex": lambda label: [_flex(_bubble() | {"action": _action(label)})],
}.items():
    _where = {"Template": "template.actions[0]", "TemplateDefault": "template.defaultAction",
              "ImageCarousel": "template.columns[0].action", "QuickReply": "quickReply.items[0].action",
              "FlexButton": "contents.footer.contents[0].action", "Flex": "contents.action"}[_place]
    _limit = next(p.label_max for p in rules.ACTION_PLACES if p.name == _place)
    BOUNDARIES[f"label in {_place}"] = ((lambda build: lambda n: build("l" * n))(_build), _limit,
                                        f"messages[0].{_where}.label")


@pytest.mark.parametrize(("build", "limit", "path"), BOUNDARIES.values(), ids=BOUNDARIES.keys())
def test_r_msg_01_each_limit_holds_at_its_boundary(build, limit, path):
    parse_messages(build(limit))
    assert path in errors_of(build(limit + 1))


def test_r_msg_01_a_request_needs_at_least_one_message():
    assert errors_of([]) == {"messages": "Size must be between 1 and 5"}
    assert errors_of("hello") == {"messages": "Must be an array"}


def test_r_msg_01_text_over_5000_characters_names_the_field_like_line():
    assert errors_of([_text("x" * 5001)]) == {"messages[0].text": "Length must be between 0 and 5000"}
    assert errors_of([_text("")]) == {"messages[0].text": "May not be empty"}


def test_r_msg_01_substitution_has_at_most_100_entries():
    entries = {f"k{i}": {"type": "emoji", "productId": "p", "emojiId": "001"} for i in range(101)}
    problems = errors_of([{"type": "textV2", "text": "hi", "substitution": entries}])
    assert problems == {"messages[0].substitution": "Size must be between 0 and 100"}


# ---------------------------------------------------------------- what is refused, and where

def test_r_msg_01_unknown_message_type_points_at_type():
    assert errors_of([_text(), {"type": "file", "fileName": "a.pdf"}]) == {
        "messages[1].type": "Must be one of the following values: [text, textV2, sticker, image, video, audio, "
                            "location, imagemap, template, flex, coupon]"}
    assert errors_of([{"text": "no type"}]) == {"messages[0].type": "must be specified"}
    assert errors_of([42]) == {"messages[0]": "Must be an object"}


def test_r_msg_01_unknown_action_type_points_at_its_type():
    problems = errors_of([_buttons([_action(), {"type": "teleport", "label": "Go"}])])
    assert list(problems) == ["messages[0].template.actions[1].type"]


def test_r_msg_01_quick_reply_only_actions_are_refused_in_templates():
    problems = errors_of([_buttons([{"type": "camera", "label": "Camera"}])])
    assert list(problems) == ["messages[0].template.actions[0].type"]


def test_r_msg_01_missing_required_fields_are_each_named():
    assert errors_of([{"type": "image"}, {"type": "sticker", "packageId": "1"},
                      {"type": "audio", "originalContentUrl": f"{HTTPS}/a.m4a"}]) == {
        "messages[0].originalContentUrl": "must be specified",
        "messages[0].previewImageUrl": "must be specified",
        "messages[1].stickerId": "must be specified",
        "messages[2].duration": "must be specified",
    }
    assert errors_of([_text(None)]) == {"messages[0].text": "must be specified"}


def test_r_msg_01_wrong_json_types_are_refused():
    assert errors_of([_text(5), {"type": "audio", "originalContentUrl": f"{HTTPS}/a.m4a", "duration": "60"},
                      {"type": "location", "title": "t", "address": "a", "latitude": "1", "longitude": 200}]) == {
        "messages[0].text": "Must be a string",
        "messages[1].duration": "Must be an integer",
        "messages[2].latitude": "Must be a number",
        "messages[2].longitude": "Must be less than or equal to 180",
    }


def test_r_msg_01_every_error_of_the_request_is_reported_at_once_with_line_paths():
    actions = [_action(), _action(), {"type": "message", "text": "no label"}]
    problems = errors_of([_text("x" * 5001), _buttons(actions), _image("http://example.com/a.jpg")])
    assert problems == {
        "messages[0].text": "Length must be between 0 and 5000",
        "messages[1].template.actions[2].label": "must be specified",
        "messages[2].originalContentUrl": "Must be an HTTPS URL",
    }


def test_r_msg_01_emoji_index_must_point_at_a_dollar_placeholder():
    emojis = [{"index": 0, "productId": "p", "emojiId": "001"}, {"index": 2, "productId": "p", "emojiId": "002"},
              {"index": 0, "productId": "p", "emojiId": "003"}, {"index": 99, "productId": "p", "emojiId": "004"}]
    assert errors_of([_text("$ab$", emojis=emojis)]) == {
        "messages[0].emojis[1].index": "Must point at a $ character in text",
        "messages[0].emojis[2].index": "Another emoji already uses this index",
        "messages[0].emojis[3].index": "Must point at a $ character in text",
    }


def test_r_msg_01_emoji_index_counts_utf16_units_like_line():
    # "😀" is two UTF-16 units, so the $ after it is at index 2.
    parse_messages([_text("😀$", emojis=[{"index": 2, "productId": "p", "emojiId": "001"}])])
    assert list(errors_of([_text("😀$", emojis=[{"index": 1, "productId": "p", "emojiId": "001"}])])) == [
        "messages[0].emojis[0].index"]


def test_r_msg_01_text_v2_placeholders_need_a_substitution_and_keys_a_safe_shape():
    problems = errors_of([{"type": "textV2", "text": "Hi {who} {{ok}}", "substitution": {
        "bad-key": {"type": "mention", "mentionee": {"type": "user"}}}}])
    assert problems == {
        "messages[0].substitution.bad-key.mentionee.userId": "must be specified",
    }
    problems = errors_of([{"type": "textV2", "text": "Hi {who} {{ok}}", "substitution": {
        "bad-key": {"type": "mention", "mentionee": {"type": "all"}}}}])
    assert problems == {
        "messages[0].substitution.bad-key": "Key must be 1 to 20 characters of [0-9a-zA-Z_]",
        "messages[0].text": "The key {who} is not in substitution",
    }


@pytest.mark.parametrize("url", ["http://example.com/a.jpg", "ftp://example.com/a.jpg", "https://",
                                 "https://example.com/a b.jpg", "https://example.com/café.jpg", "/relative.jpg"])
def test_r_msg_01_media_urls_must_be_https_and_percent_encoded(url):
    assert "messages[0].originalContentUrl" in errors_of([_image(url)])


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/a.jpg", "http://localhost/a.jpg", "http://[::1]/a.jpg",
                                 "https://example.com/caf%C3%A9.jpg"])
def test_r_msg_01_loopback_http_is_allowed_for_local_development(url):
    parse_messages([_image(url)])


@pytest.mark.parametrize("url", ["http://example.com/media.jpg", "ftp://example.com/a"])
def test_r_msg_01_every_media_url_field_checks_https(url):
    problems = errors_of([
        {"type": "video", "originalContentUrl": url, "previewImageUrl": url},
        _buttons([_action()], thumbnailImageUrl=url),
        _text(quickReply={"items": [{"type": "action", "imageUrl": url, "action": _action()}]}, sender={"iconUrl": url}),
        _flex({"type": "bubble", "hero": {"type": "image", "url": url}}),
        _imagemap() | {"baseUrl": url},
    ])
    assert set(problems) == {"messages[0].originalContentUrl", "messages[0].previewImageUrl",
                             "messages[1].template.thumbnailImageUrl", "messages[2].quickReply.items[0].imageUrl",
                             "messages[2].sender.iconUrl", "messages[3].contents.hero.url", "messages[4].baseUrl"}


@pytest.mark.parametrize("uri", ["https://example.com", "http://example.com", "line://app/123", "tel:0312345678"])
def test_r_msg_01_uri_actions_take_line_schemes(uri):
    parse_messages([_buttons([{"type": "uri", "label": "Go", "uri": uri}])])


@pytest.mark.parametrize("uri", ["javascript:alert(1)", "ftp://example.com", "", "mailto:a@example.com"])
def test_r_msg_01_uri_actions_refuse_other_schemes(uri):
    assert list(errors_of([_buttons([{"type": "uri", "label": "Go", "uri": uri}])])) == [
        "messages[0].template.actions[0].uri"]


def test_r_msg_01_alt_text_is_required_and_bounded_for_template_flex_and_imagemap():
    flex, imagemap, buttons = _flex(_bubble()), _imagemap(), _buttons([_action()])
    for message in (flex, imagemap, buttons):
        del message["altText"]
    assert errors_of([flex, imagemap, buttons]) == {f"messages[{i}].altText": "must be specified" for i in range(3)}
    assert errors_of([_flex(_bubble()) | {"altText": ""}]) == {"messages[0].altText": "May not be empty"}


def test_r_msg_01_confirm_has_exactly_two_actions():
    confirm = {"type": "template", "altText": "a", "template": {"type": "confirm", "text": "Sure?",
                                                                  "actions": [_action()]}}
    assert errors_of([confirm]) == {"messages[0].template.actions": "Size must be 2"}


def test_r_msg_01_templates_need_at_least_one_action_or_column():
    assert errors_of([_buttons([]), _carousel([])]) == {
        "messages[0].template.actions": "Size must be between 1 and 4",
        "messages[1].template.columns": "Size must be between 1 and 10"}


def test_r_msg_01_carousel_columns_must_be_alike():
    columns = [_column(actions=2, title="A"), _column(actions=1, title="B"),
               _column(actions=2, thumbnailImageUrl=f"{HTTPS}/i.jpg")]
    assert errors_of([_carousel(columns)]) == {
        "messages[0].template.columns[1].actions": "Every column must have the same number of actions",
        "messages[0].template.columns[2].thumbnailImageUrl": "Every column must have an image, or none",
        "messages[0].template.columns[2].title": "Every column must have a title, or none",
    }


def test_r_msg_01_template_image_options_are_line_values():
    problems = errors_of([_buttons([_action()], imageAspectRatio="wide", imageSize="stretch",
                                   imageBackgroundColor="white")])
    assert problems == {
        "messages[0].template.imageAspectRatio": "Must be one of the following values: [rectangle, square]",
        "messages[0].template.imageSize": "Must be one of the following values: [cover, contain]",
        "messages[0].template.imageBackgroundColor": "Must be a color code such as #FFFFFF",
    }


def test_r_msg_01_postback_refuses_display_text_with_text_and_unknown_input_options():
    problems = errors_of([_buttons([{"type": "postback", "label": "p", "data": "d", "displayText": "a", "text": "b"},
                                    {"type": "postback", "label": "p", "data": "d", "inputOption": "openCamera"}])])
    assert problems == {
        "messages[0].template.actions[0].text": "Cannot be used together with displayText",
        "messages[0].template.actions[1].inputOption": "Must be one of the following values: "
                                                       "[closeRichMenu, openRichMenu, openKeyboard, openVoice]",
    }


@pytest.mark.parametrize(("mode", "value"), [("date", "2017-06-18"), ("time", "06:15"),
                                             ("datetime", "2017-06-18T06:15"), ("datetime", "2017-06-18t06:15"),
                                             ("date", "1900-01-01"), ("datetime", "2100-12-31T23:59")])
def test_r_msg_01_datetime_picker_takes_its_modes_formats(mode, value):
    parse_messages([_picker(mode=mode, initial=value)])


@pytest.mark.parametrize(("mode", "value"), [("date", "2017-06-18T06:15"), ("time", "6:15"),
                                             ("datetime", "2017-06-18 06:15"), ("date", "1899-12-31"),
                                             ("date", "2101-01-01"), ("date", "2017-02-30"), ("time", "24:00")])
def test_r_msg_01_datetime_picker_refuses_values_out_of_format_or_range(mode, value):
    assert list(errors_of([_picker(mode=mode, initial=value)])) == ["messages[0].template.actions[0].initial"]


def test_r_msg_01_datetime_picker_needs_a_mode_and_ordered_bounds():
    assert errors_of([_picker()]) == {"messages[0].template.actions[0].mode": "must be specified"}
    assert errors_of([_picker(mode="week")]) == {
        "messages[0].template.actions[0].mode": "Must be one of the following values: [date, time, datetime]"}
    assert errors_of([_picker(mode="date", min="2020-01-02", max="2020-01-01")]) == {
        "messages[0].template.actions[0].max": "Must be later than min"}
    assert errors_of([_picker(mode="date", min="2020-01-01", max="2020-01-31", initial="2020-02-01")]) == {
        "messages[0].template.actions[0].initial": "Must be between min and max"}


def test_r_msg_01_sender_name_may_not_use_the_word_line():
    assert errors_of([_text(sender={"name": "LINE Support"})]) == {
        "messages[0].sender.name": 'May not contain the word "LINE"'}
    assert errors_of([_text(sender={"name": "the line"})]) == {
        "messages[0].sender.name": 'May not contain the word "LINE"'}
    parse_messages([_text(sender={"name": "Online Shop"})])


def test_r_msg_01_quick_reply_items_are_actions():
    problems = errors_of([_text(quickReply={"items": [{"type": "button", "action": _action()},
                                                      {"type": "action"}]})])
    assert problems == {"messages[0].quickReply.items[0].type": "Must be one of the following values: [action]",
                        "messages[0].quickReply.items[1].action": "must be specified"}


def test_r_msg_01_video_tracking_id_and_coupon_tag_have_line_character_sets():
    problems = errors_of([{"type": "video", "originalContentUrl": f"{HTTPS}/v.mp4",
                           "previewImageUrl": f"{HTTPS}/p.jpg", "trackingId": "with space"},
                          {"type": "coupon", "couponId": "c", "deliveryTag": "spring-sale"}])
    assert problems == {"messages[0].trackingId": "Contains a character not allowed in a tracking ID",
                        "messages[1].deliveryTag": "Must be letters, digits or _"}


def test_r_msg_01_imagemap_base_width_is_1040_and_areas_are_in_the_image():
    problems = errors_of([_imagemap([{"type": "message", "text": "t", "area": {"x": -1, "y": 0, "width": 0,
                                                                             "height": 10}}],
                                    baseSize={"width": 700, "height": 700})])
    assert problems == {"messages[0].baseSize.width": "Must be 1040",
                        "messages[0].actions[0].area.x": "Must be greater than or equal to 0",
                        "messages[0].actions[0].area.width": "Must be greater than or equal to 1"}


def test_r_msg_01_flex_checks_container_and_component_structure():
    problems = errors_of([
        _flex({"type": "poster"}),
        _flex({"type": "bubble", "body": {"type": "box", "layout": "diagonal", "contents": [
            {"type": "text"}, {"type": "button"}, {"type": "video", "url": f"{HTTPS}/v.mp4"}, {"type": "marquee"}]}}),
        _flex({"type": "carousel", "contents": [{"type": "bubble", "action": {"type": "camera", "label": "c"}}]}),
    ])
    components = "[box, button, image, icon, text, separator, filler]"
    assert problems == {
        "messages[0].contents.type": "Must be one of the following values: [bubble, carousel]",
        "messages[1].contents.body.layout": "Must be one of the following values: [horizontal, vertical, baseline]",
        "messages[1].contents.body.contents[0].text": "must be specified",
        "messages[1].contents.body.contents[1].action": "must be specified",
        "messages[1].contents.body.contents[2].type": f"Must be one of the following values: {components}",
        "messages[1].contents.body.contents[3].type": f"Must be one of the following values: {components}",
        "messages[2].contents.contents[0].action.type": "Must be one of the following values: "
                                                        "[postback, message, uri, datetimepicker, clipboard]",
    }


def test_r_msg_01_flex_keeps_style_properties_it_does_not_model():
    bubble = _bubble() | {"size": "giga", "styles": {"body": {"backgroundColor": "#EEEEEE"}}}
    bubble["body"]["contents"][0] |= {"wrap": True, "color": "#111111", "maxLines": 3}
    [parsed] = parse_messages([_flex(copy.deepcopy(bubble))])
    assert message_json(parsed)["contents"] == bubble


def test_r_msg_01_flex_carousel_is_bounded_in_total_size():
    bubbles = [_bubble_of_bytes(rules.FLEX_BUBBLE_MAX_BYTES - 1000) for _ in range(2)]
    assert errors_of([_flex({"type": "carousel", "contents": bubbles})]) == {
        "messages[0].contents": f"Size must be at most {rules.FLEX_CAROUSEL_MAX_BYTES} bytes of JSON"}


def test_r_msg_01_unknown_properties_are_ignored_and_dropped():
    [parsed] = parse_messages([_text(futureField={"a": 1})])
    assert message_json(parsed) == {"type": "text", "text": "hi"}


def test_r_msg_01_models_can_be_built_in_python_by_field_name():
    message = TextMessage(text="Hello", quote_token="q")
    assert message_json(message) == {"type": "text", "text": "Hello", "quoteToken": "q"}


def test_line_property_turns_pydantic_locations_into_line_paths():
    assert line_property(("messages", 1, "@template", "template", "@buttons", "actions", 2, "@message", "label")) \
        == "messages[1].template.actions[2].label"


# ---------------------------------------------------------------- R-MSG-06

def test_r_msg_06_finds_private_use_and_carrier_characters_with_their_positions():
    text = "😀 Sale\ue001 now \U000f0001!\ue63e"
    found = rules.find_machine_dependent_characters(text)
    assert [(f.index, f.utf16_index, f.code_point, f.kind) for f in found] == [
        (6, 7, "U+E001", "SoftBank emoji"),
        (12, 13, "U+F0001", "private-use character"),
        (14, 16, "U+E63E", "docomo emoji"),
    ]
    assert text[found[1].index] == found[1].char


@pytest.mark.parametrize("text", ["Hello", "สวัสดี", "こんにちは①", "😀👍🏽", "Ⓐ ™ ©"])
def test_r_msg_06_ordinary_unicode_is_not_machine_dependent(text):
    assert rules.find_machine_dependent_characters(text) == []


def test_r_msg_06_edges_of_the_private_use_planes():
    for code in (0xE000, 0xF8FF, 0xF0000, 0xFFFFD, 0x100000, 0x10FFFD):
        assert rules.find_machine_dependent_characters(chr(code)), hex(code)
    for code in (0xD7FF, 0xF900, 0xEFFFF):
        assert not rules.find_machine_dependent_characters(chr(code)), hex(code)


def test_r_msg_06_a_broadcast_text_with_one_is_refused_pointing_at_it():
    with pytest.raises(Invalid) as caught:
        rules.reject_machine_dependent_characters("text", "Big sale \ue001 today")
    assert caught.value.by_field() == {
        "text": "Character 10 (U+E001, a SoftBank emoji) may not display on your friends' phones. "
                "Remove or replace it."}
    rules.reject_machine_dependent_characters("text", "Big sale 😀 today")


def _preview(example_key: str) -> str:
    [message] = parse_messages([SDK_EXAMPLES[example_key].to_dict()])
    return rules.notification_preview(message)


def test_r_msg_06_notification_renders_line_emoji_as_their_names():
    assert _preview("text with LINE emoji, quick reply and sender") == "(smile) Hello (happy)"
    unknown = _text("Hi $", emojis=[{"index": 3, "productId": "other", "emojiId": "9"}])
    assert rules.notification_preview(unknown) == "Hi (emoji)"


def test_r_msg_06_notification_of_text_v2_shows_mentions_and_emoji_names():
    [message] = parse_messages([SDK_EXAMPLES["textV2 with mentions and an emoji"].to_dict()])
    assert rules.notification_preview(message) == "Welcome @User, @All! (smile) {literal}"
    assert rules.notification_preview(message, mention_names={USER_ID: "Somchai"}) == \
        "Welcome @Somchai, @All! (smile) {literal}"


@pytest.mark.parametrize(("key", "preview"), [
    ("sticker", "sent a sticker"), ("image", "sent a photo"), ("video", "sent a video"),
    ("audio", "sent an audio message"), ("location", "sent a location"), ("coupon", "sent a coupon"),
    ("imagemap with video", "This is an imagemap"), ("buttons template", "This is a buttons template"),
    ("confirm template", "this is a confirm template"), ("flex carousel from JSON", "carousel"),
])
def test_r_msg_06_notification_of_other_kinds(key, preview):
    assert _preview(key) == preview
