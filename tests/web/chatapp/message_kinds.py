"""One LINE message object of every kind a bot can send (R-MSG-01), as a bot writes them, for the
rendering tests and the browser journey. ``media`` is where their images live: an HTTPS CDN in
unit tests, the live server's own /media in the browser (LINE allows plain http on loopback)."""

from __future__ import annotations

from typing import Any

SMILE = {"productId": "5ac1bfd5040ab15980c9b435", "emojiId": "001"}
# Placeholder names (not URL paths) of the pictures the messages show; the journey stores a PNG
# under each name in the live server's media folder.
PICTURES = ("photo.png", "photo-preview.png", "thumb.png", "square.png", "hero.png", "icon.png", "1040")


def every_kind(media: str) -> dict[str, dict[str, Any]]:
    """Each sendable kind by a short name, in the order a chat shows them."""
    return {
        "text": {"type": "text", "text": "Hello $ welcome to Cafe Aroi! Menu: https://aroi.example/menu",
                 "emojis": [{"index": 6, **SMILE}]},
        "textV2": {"type": "textV2", "text": "{everyone} today only {heart} 2-for-1",
                   "substitution": {"everyone": {"type": "mention", "mentionee": {"type": "all"}},
                                    "heart": {"type": "emoji", "productId": SMILE["productId"],
                                              "emojiId": "010"}}},
        "sticker": {"type": "sticker", "packageId": "446", "stickerId": "1988"},
        "image": {"type": "image", "originalContentUrl": f"{media}/photo.png",
                  "previewImageUrl": f"{media}/photo-preview.png"},
        "video": {"type": "video", "originalContentUrl": f"{media}/clip.mp4",
                  "previewImageUrl": f"{media}/photo-preview.png", "trackingId": "promo-1"},
        "audio": {"type": "audio", "originalContentUrl": f"{media}/voice.m4a", "duration": 62000},
        "location": {"type": "location", "title": "Cafe Aroi", "address": "1 Sukhumvit Rd, Bangkok",
                     "latitude": 13.7367, "longitude": 100.5231},
        "imagemap": {
            "type": "imagemap", "baseUrl": media, "altText": "Our menu: drinks and cakes",
            "baseSize": {"width": 1040, "height": 1040},
            "actions": [
                {"type": "uri", "label": "Drinks", "linkUri": "https://aroi.example/drinks",
                 "area": {"x": 0, "y": 0, "width": 520, "height": 520}},
                {"type": "message", "label": "Cakes", "text": "Show me cakes",
                 "area": {"x": 520, "y": 0, "width": 520, "height": 520}},
                {"type": "clipboard", "label": "Promo code", "clipboardText": "AROI10",
                 "area": {"x": 0, "y": 520, "width": 1040, "height": 520}},
            ]},
        "buttons": {
            "type": "template", "altText": "Today's special",
            "template": {
                "type": "buttons", "thumbnailImageUrl": f"{media}/thumb.png", "imageAspectRatio": "rectangle",
                "imageSize": "cover", "imageBackgroundColor": "#FFFFFF", "title": "Today's special",
                "text": "Mango sticky rice", "defaultAction": {"type": "uri", "label": "View detail",
                                                               "uri": "https://aroi.example/special"},
                "actions": [
                    {"type": "postback", "label": "Buy", "data": "action=buy&itemid=123", "displayText": "Buy"},
                    {"type": "message", "label": "Ask a question", "text": "I have a question"},
                    {"type": "datetimepicker", "label": "Book a table", "data": "action=book", "mode": "datetime",
                     "initial": "2026-12-01T19:00", "min": "2026-11-26T00:00", "max": "2027-11-26T23:59"},
                    {"type": "clipboard", "label": "Copy code", "clipboardText": "MANGO5"},
                ]}},
        "confirm": {
            "type": "template", "altText": "Confirm your table",
            "template": {"type": "confirm", "text": "Keep your table at 7 pm?",
                         "actions": [{"type": "message", "label": "Yes", "text": "yes"},
                                     {"type": "postback", "label": "No", "data": "table=cancel"}]}},
        "carousel": {
            "type": "template", "altText": "Our cakes",
            "template": {"type": "carousel", "imageAspectRatio": "square", "imageSize": "cover", "columns": [
                {"thumbnailImageUrl": f"{media}/square.png", "title": f"Cake {n}", "text": f"Slice number {n}",
                 "defaultAction": {"type": "postback", "label": "Details", "data": f"cake={n}"},
                 "actions": [{"type": "postback", "label": f"Order cake {n}", "data": f"order={n}"},
                             {"type": "uri", "label": "Recipe", "uri": f"https://aroi.example/cake/{n}"}]}
                for n in (1, 2, 3, 4)]}},
        "image_carousel": {
            "type": "template", "altText": "Gallery",
            "template": {"type": "image_carousel", "columns": [
                {"imageUrl": f"{media}/square.png", "action": {"type": "uri", "label": "Photo one",
                                                              "uri": "https://aroi.example/p/1"}},
                {"imageUrl": f"{media}/square.png", "action": {"type": "message", "label": "Photo two",
                                                              "text": "I like photo two"}},
                {"imageUrl": f"{media}/square.png", "action": {"type": "datetimepicker", "label": "Visit",
                                                              "data": "visit", "mode": "date"}},
            ]}},
        "flex": {"type": "flex", "altText": "Receipt from Cafe Aroi", "contents": receipt_bubble(media)},
        "flex_carousel": {"type": "flex", "altText": "Two shops", "contents": {
            "type": "carousel", "contents": [shop_bubble(media, "Sukhumvit"), shop_bubble(media, "Silom"),
                                             shop_bubble(media, "Thonglor")]}},
        "coupon": {"type": "coupon", "couponId": "01JCOUPON2026AROI", "deliveryTag": "chat"},
    }


def receipt_bubble(media: str) -> dict[str, Any]:
    """A bubble using every section and most components (LINE's "receipt" and "restaurant" shapes)."""
    return {
        "type": "bubble", "size": "mega",
        "styles": {"footer": {"separator": True, "backgroundColor": "#F0F0F0"}},
        "header": {"type": "box", "layout": "vertical", "backgroundColor": "#06C755", "contents": [
            {"type": "text", "text": "RECEIPT", "weight": "bold", "color": "#FFFFFF", "size": "sm"}]},
        "hero": {"type": "image", "url": f"{media}/hero.png", "size": "full", "aspectRatio": "20:13",
                 "aspectMode": "cover", "action": {"type": "uri", "label": "Open the shop",
                                                   "uri": "https://aroi.example"}},
        "body": {"type": "box", "layout": "vertical", "spacing": "md", "contents": [
            {"type": "text", "text": "Cafe Aroi", "weight": "bold", "size": "xxl", "margin": "md"},
            {"type": "box", "layout": "baseline", "margin": "md", "contents": [
                {"type": "icon", "size": "sm", "url": f"{media}/icon.png"},
                {"type": "text", "text": "4.0", "size": "sm", "color": "#999999", "margin": "md", "flex": 0}]},
            {"type": "text", "wrap": True, "contents": [
                {"type": "span", "text": "Total ", "weight": "bold"},
                {"type": "span", "text": "฿120", "size": "xl", "decoration": "underline", "color": "#ff5551"}]},
            {"type": "separator", "margin": "xxl"},
            {"type": "box", "layout": "horizontal", "paddingAll": "12px", "cornerRadius": "md",
             "borderWidth": "normal", "borderColor": "#cccccc",
             "action": {"type": "postback", "label": "Show the receipt lines", "data": "receipt=lines"},
             "contents": [
                 {"type": "text", "text": "Thai tea", "size": "sm", "flex": 3},
                 {"type": "filler"},
                 {"type": "text", "text": "฿60", "size": "sm", "align": "end", "flex": 1}]},
            {"type": "text", "text": "A long note that is cut on one line because wrap is false by default "
                                     "in LINE flex text components", "size": "xs", "color": "#aaaaaa"},
        ]},
        "footer": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": [
            {"type": "button", "style": "primary", "height": "sm",
             "action": {"type": "uri", "label": "Call the shop", "uri": "tel:+6621234567"}},
            {"type": "button", "style": "secondary", "height": "sm",
             "action": {"type": "message", "label": "Thanks!", "text": "Thanks!"}},
            {"type": "button", "style": "link", "height": "sm",
             "action": {"type": "datetimepicker", "label": "Pick up time", "data": "pickup", "mode": "time",
                        "initial": "12:30"}},
        ]},
    }


def shop_bubble(media: str, name: str) -> dict[str, Any]:
    return {
        "type": "bubble", "size": "kilo",
        "hero": {"type": "image", "url": f"{media}/hero.png", "size": "full", "aspectRatio": "20:13",
                 "aspectMode": "cover"},
        "body": {"type": "box", "layout": "vertical", "contents": [
            {"type": "text", "text": f"Aroi {name}", "weight": "bold", "size": "lg"},
            {"type": "text", "text": "Open 8:00–20:00", "size": "sm", "wrap": True, "maxLines": 2}]},
        "footer": {"type": "box", "layout": "horizontal", "contents": [
            {"type": "button", "style": "link", "action": {"type": "uri", "label": f"Map of {name}",
                                                          "uri": f"https://aroi.example/{name.lower()}"}}]},
    }


QUICK_REPLY = {"items": [
    {"type": "action", "action": {"type": "message", "label": "Menu", "text": "Menu"}},
    {"type": "action", "action": {"type": "postback", "label": "Opening hours", "data": "hours",
                                  "displayText": "Opening hours?"}},
    {"type": "action", "action": {"type": "datetimepicker", "label": "Pick a date", "data": "date",
                                  "mode": "date"}},
    {"type": "action", "action": {"type": "camera", "label": "Camera"}},
    {"type": "action", "action": {"type": "cameraRoll", "label": "Photos"}},
    {"type": "action", "action": {"type": "location", "label": "Send location"}},
    {"type": "action", "action": {"type": "uri", "label": "Website", "uri": "https://aroi.example"}},
    {"type": "action", "action": {"type": "clipboard", "label": "Copy code", "clipboardText": "AROI10"}},
]}
