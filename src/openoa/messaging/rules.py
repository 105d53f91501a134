"""Rules of LINE message objects (R-MSG-01, R-MSG-06): the limits the Messaging API publishes,
which actions each place accepts, machine-dependent characters, and the push-notification text
of a message. Pure data and functions; the models in schemas.py apply them to requests."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel

from openoa.core.errors import Invalid
from openoa.users import rules as users_rules

# ---------------------------------------------------------------- a request (R-MSG-01)

MIN_MESSAGES_PER_REQUEST = 1
MAX_MESSAGES_PER_REQUEST = 5

MESSAGE_TYPES = ("text", "textV2", "sticker", "image", "video", "audio", "location", "imagemap",
                 "template", "flex", "coupon")

# ---------------------------------------------------------------- text and textV2

# LINE counts text in UTF-16 code units (its servers are Java), so "😀" is 2 of the 5,000.
TEXT_MAX = 5000
TEXT_EMOJIS_MAX = 20
EMOJI_PLACEHOLDER = "$"
QUOTE_TOKEN_MAX = 1000  # ours: LINE's tokens are ~100 characters; bounds what we store

SUBSTITUTION_MAX = 100
SUBSTITUTION_KEY_MAX = 20
SUBSTITUTION_KEY = re.compile(r"[0-9A-Za-z_]+")
TEXT_V2_MENTIONS_MAX = 20
TEXT_V2_EMOJIS_MAX = 20

# ---------------------------------------------------------------- common properties

QUICK_REPLY_MAX_ITEMS = 13
SENDER_NAME_MAX = 20
# "Certain words such as LINE may not be used" in a sender name; matched as a whole word so
# "Online Shop" stays allowed.
SENDER_RESERVED_WORDS = ("LINE",)

URL_MAX = 2000
# LINE fetches media only over HTTPS. OpenOA also accepts plain http on the loopback host so a
# developer can serve images from their own machine while building a bot.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# Characters that must be percent-encoded in a URL (LINE requires UTF-8 percent-encoding).
_URL_UNSAFE = re.compile(r'[\x00-\x20\x7f-\U0010ffff<>"{}|\\^`]')

# ---------------------------------------------------------------- media, location, coupon

LOCATION_TITLE_MAX = 100
LOCATION_ADDRESS_MAX = 100
VIDEO_TRACKING_ID_MAX = 100
VIDEO_TRACKING_ID = re.compile(r"[A-Za-z0-9\-.=,+*()%$&;:@{}!?<>\[\]]+")
COUPON_DELIVERY_TAG_MAX = 30
COUPON_DELIVERY_TAG = re.compile(r"[A-Za-z0-9_]+")

# ---------------------------------------------------------------- imagemap

ALT_TEXT_MAX = 1500
IMAGEMAP_BASE_WIDTH = 1040
IMAGEMAP_ACTIONS_MAX = 50
IMAGEMAP_LINK_URI_MAX = 1000
IMAGEMAP_ACTION_LABEL_MAX = 100
IMAGEMAP_MESSAGE_TEXT_MAX = 400
IMAGEMAP_EXTERNAL_LINK_LABEL_MAX = 30

# ---------------------------------------------------------------- templates

TEMPLATE_TITLE_MAX = 40
BUTTONS_TEXT_MAX = 160
BUTTONS_TEXT_MAX_WITH_IMAGE_OR_TITLE = 60
BUTTONS_ACTIONS_MAX = 4
CONFIRM_TEXT_MAX = 240
CONFIRM_ACTIONS = 2
CAROUSEL_COLUMNS_MAX = 10
CAROUSEL_TEXT_MAX = 120
CAROUSEL_TEXT_MAX_WITH_IMAGE_OR_TITLE = 60
CAROUSEL_ACTIONS_MAX = 3
IMAGE_CAROUSEL_COLUMNS_MAX = 10
TEMPLATE_IMAGE_ASPECT_RATIOS = ("rectangle", "square")
TEMPLATE_IMAGE_SIZES = ("cover", "contain")
COLOR = re.compile(r"#[0-9A-Fa-f]{6}")

# ---------------------------------------------------------------- flex

# Flex has dozens of style properties that change often; OpenOA checks the structure (container
# and component types, required fields, actions, image URLs) and bounds the rest by size, the
# limit LINE itself publishes. Sizes are of the compact JSON, in bytes.
FLEX_BUBBLE_MAX_BYTES = 30 * 1024
FLEX_CAROUSEL_MAX_BYTES = 50 * 1024
FLEX_CAROUSEL_MAX_BUBBLES = 12
FLEX_ANIMATED_IMAGES_MAX = 10
FLEX_BOX_LAYOUTS = ("horizontal", "vertical", "baseline")

# ---------------------------------------------------------------- actions

POSTBACK_DATA_MAX = 300
POSTBACK_DISPLAY_TEXT_MAX = 300
POSTBACK_FILL_IN_TEXT_MAX = 300
POSTBACK_INPUT_OPTIONS = ("closeRichMenu", "openRichMenu", "openKeyboard", "openVoice")
MESSAGE_ACTION_TEXT_MAX = 300
URI_ACTION_MAX = 1000
URI_SCHEMES = ("http", "https", "line", "tel")
DATETIME_PICKER_DATA_MAX = 300
DATETIME_PICKER_MODES = ("date", "time", "datetime")
DATETIME_PICKER_EARLIEST = datetime(1900, 1, 1, 0, 0)
DATETIME_PICKER_LATEST = datetime(2100, 12, 31, 23, 59)
RICH_MENU_SWITCH_DATA_MAX = 300
RICH_MENU_ALIAS_ID_MAX = 32
CLIPBOARD_TEXT_MAX = 1000

ACTION_TYPES = ("postback", "message", "uri", "datetimepicker", "camera", "cameraRoll", "location",
                "richmenuswitch", "clipboard")
_COMMON_ACTIONS = ("postback", "message", "uri", "datetimepicker", "clipboard")


@dataclass(frozen=True)
class ActionPlace:
    """Where an action sits decides which types it may be and how long its label may be."""

    name: str
    types: tuple[str, ...]
    label_required: bool
    label_max: int


TEMPLATE_ACTION = ActionPlace("Template", _COMMON_ACTIONS, True, 20)
TEMPLATE_DEFAULT_ACTION = ActionPlace("TemplateDefault", _COMMON_ACTIONS, False, 20)
IMAGE_CAROUSEL_ACTION = ActionPlace("ImageCarousel", _COMMON_ACTIONS, False, 12)
QUICK_REPLY_ACTION = ActionPlace("QuickReply", (*_COMMON_ACTIONS, "camera", "cameraRoll", "location"),
                                 True, 20)
FLEX_BUTTON_ACTION = ActionPlace("FlexButton", _COMMON_ACTIONS, True, 40)
FLEX_ACTION = ActionPlace("Flex", _COMMON_ACTIONS, False, 40)
RICH_MENU_ACTION = ActionPlace("RichMenu", (*_COMMON_ACTIONS, "richmenuswitch"), False, 20)
ACTION_PLACES = (TEMPLATE_ACTION, TEMPLATE_DEFAULT_ACTION, IMAGE_CAROUSEL_ACTION, QUICK_REPLY_ACTION,
                 FLEX_BUTTON_ACTION, FLEX_ACTION, RICH_MENU_ACTION)


# ---------------------------------------------------------------- pure checks used by the models

def utf16_length(text: str) -> int:
    """Length as LINE counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def utf16_char_at(text: str, index: int) -> str | None:
    """The UTF-16 code unit at ``index`` as a character, or None past the end."""
    units = text.encode("utf-16-le", "surrogatepass")
    if not 0 <= index < len(units) // 2:
        return None
    return units[2 * index:2 * index + 2].decode("utf-16-le", "replace")


def media_url_problem(url: str) -> str | None:
    """Why LINE would refuse ``url`` as a media URL, or None when it is fine."""
    if len(url) > URL_MAX:
        return f"Length must be between 0 and {URL_MAX}"
    if _URL_UNSAFE.search(url):
        return "Must be a percent-encoded URL"
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        return None
    return "Must be an HTTPS URL"


def uri_action_problem(uri: str, max_length: int = URI_ACTION_MAX) -> str | None:
    """Why LINE would refuse ``uri`` in a URI action, or None when it is fine."""
    if not uri:
        return "May not be empty"
    if len(uri) > max_length:
        return f"Length must be between 0 and {max_length}"
    if _URL_UNSAFE.search(uri):
        return "Must be a percent-encoded URI"
    scheme = urlsplit(uri).scheme.lower()
    if scheme not in URI_SCHEMES:
        return f"Invalid uri scheme; must be one of: {', '.join(URI_SCHEMES)}"
    return None


def sender_name_problem(name: str) -> str | None:
    """Why a sender name is refused (a reserved word such as LINE), or None."""
    for word in SENDER_RESERVED_WORDS:
        if re.search(rf"(?<![A-Za-z]){word}(?![A-Za-z])", name, re.IGNORECASE):
            return f'May not contain the word "{word}"'
    return None


_PICKER_SHAPES = {"date": (re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"), "%Y-%m-%d"),
                  "time": (re.compile(r"[0-9]{2}:[0-9]{2}"), "%H:%M"),
                  "datetime": (re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}"), "%Y-%m-%dT%H:%M")}


def parse_picker_value(mode: str, value: str) -> datetime | None:
    """A datetime picker value in its mode's format (a lowercase ``t`` is allowed), or None."""
    shape = _PICKER_SHAPES.get(mode)
    if shape is None or not shape[0].fullmatch(value):
        return None
    try:
        parsed = datetime.strptime(value.replace("t", "T"), shape[1])
    except ValueError:
        return None
    if mode != "time" and not DATETIME_PICKER_EARLIEST <= parsed <= DATETIME_PICKER_LATEST:
        return None
    return parsed


PICKER_FORMATS = {"date": "2017-06-18", "time": "06:15", "datetime": "2017-06-18T06:15"}


@dataclass(frozen=True)
class Placeholder:
    """A ``{key}`` in a textV2 text; ``start``/``end`` are Python string indexes."""

    key: str
    start: int
    end: int


def text_v2_parts(text: str) -> list[str | Placeholder]:
    """Split a textV2 text into literal runs and ``{key}`` placeholders (``{{``/``}}`` are braces)."""
    parts: list[str | Placeholder] = []
    literal: list[str] = []
    i = 0
    while i < len(text):
        pair = text[i:i + 2]
        if pair in ("{{", "}}"):
            literal.append(pair[0])
            i += 2
            continue
        if text[i] == "{":
            close = text.find("}", i + 1)
            key = text[i + 1:close] if close != -1 else ""
            if key and SUBSTITUTION_KEY.fullmatch(key):
                if literal:
                    parts.append("".join(literal))
                    literal = []
                parts.append(Placeholder(key, i, close + 1))
                i = close + 1
                continue
        literal.append(text[i])
        i += 1
    if literal:
        parts.append("".join(literal))
    return parts


# ---------------------------------------------------------------- R-MSG-06 machine-dependent characters

PRIVATE_USE_RANGES = ((0xE000, 0xF8FF), (0xF0000, 0xFFFFD), (0x100000, 0x10FFFD))
# Japanese carriers' emoji were mapped into the BMP private-use area and render only on that
# carrier's phones. The blocks overlap between carriers; the first match names it.
CARRIER_EMOJI_RANGES = (("SoftBank emoji", 0xE001, 0xE537), ("docomo emoji", 0xE63E, 0xE757),
                        ("au emoji", 0xE468, 0xEB88))
SURROGATES = (0xD800, 0xDFFF)


@dataclass(frozen=True)
class MachineDependentCharacter:
    """A character that shows differently (or not at all) on other phones, and where it is."""

    index: int  # Python string index (code points)
    utf16_index: int  # what a browser's textarea selectionStart counts
    char: str
    kind: str

    @property
    def code_point(self) -> str:
        return f"U+{ord(self.char):04X}"


def _machine_dependent_kind(code: int) -> str | None:
    for name, low, high in CARRIER_EMOJI_RANGES:
        if low <= code <= high:
            return name
    if any(low <= code <= high for low, high in PRIVATE_USE_RANGES):
        return "private-use character"
    if SURROGATES[0] <= code <= SURROGATES[1]:
        return "unpaired surrogate"
    return None


def find_machine_dependent_characters(text: str) -> list[MachineDependentCharacter]:
    """Every private-use, carrier-emoji or broken character in ``text``, in order (R-MSG-06)."""
    found: list[MachineDependentCharacter] = []
    utf16 = 0
    for index, char in enumerate(text):
        code = ord(char)
        kind = _machine_dependent_kind(code)
        if kind is not None:
            found.append(MachineDependentCharacter(index, utf16, char, kind))
        utf16 += 2 if code > 0xFFFF else 1
    return found


def machine_dependent_problem(found: MachineDependentCharacter) -> str:
    """The message a broadcast composer shows next to the field for one such character."""
    return (f"Character {found.index + 1} ({found.code_point}, a {found.kind}) may not display on "
            "your friends' phones. Remove or replace it.")


def reject_machine_dependent_characters(field: str, text: str) -> None:
    """Raise Invalid pointing at the first machine-dependent character of a broadcast text (R-MSG-06)."""
    found = find_machine_dependent_characters(text)
    if found:
        raise Invalid(field=field, reason=machine_dependent_problem(found[0]))


# ---------------------------------------------------------------- R-MSG-06 push-notification text

# Notifications cannot draw LINE emoji, so each shows as a text name. OpenOA's own table for the
# default emoji set; any other emoji shows as UNKNOWN_EMOJI_NAME.
DEFAULT_EMOJI_PRODUCT = "5ac1bfd5040ab15980c9b435"
LINE_EMOJI_NAMES: Mapping[tuple[str, str], str] = {
    (DEFAULT_EMOJI_PRODUCT, "001"): "(smile)",
    (DEFAULT_EMOJI_PRODUCT, "002"): "(happy)",
    (DEFAULT_EMOJI_PRODUCT, "003"): "(love)",
    (DEFAULT_EMOJI_PRODUCT, "004"): "(wink)",
    (DEFAULT_EMOJI_PRODUCT, "005"): "(laugh)",
    (DEFAULT_EMOJI_PRODUCT, "006"): "(cry)",
    (DEFAULT_EMOJI_PRODUCT, "007"): "(angry)",
    (DEFAULT_EMOJI_PRODUCT, "008"): "(surprised)",
    (DEFAULT_EMOJI_PRODUCT, "009"): "(thumbs up)",
    (DEFAULT_EMOJI_PRODUCT, "010"): "(heart)",
}
UNKNOWN_EMOJI_NAME = "(emoji)"
MENTION_ALL = "@All"
UNKNOWN_MENTION = "@User"
PREVIEW_BY_TYPE = {
    "sticker": "sent a sticker",
    "image": "sent a photo",
    "video": "sent a video",
    "audio": "sent an audio message",
    "location": "sent a location",
    "coupon": "sent a coupon",
    "file": "sent a file",
}


def emoji_name(product_id: str | None, emoji_id: str | None,
               names: Mapping[tuple[str, str], str] = LINE_EMOJI_NAMES) -> str:
    """The text name a notification shows for a LINE emoji."""
    return names.get((product_id or "", emoji_id or ""), UNKNOWN_EMOJI_NAME)


def notification_preview(message: BaseModel | Mapping[str, Any], *,
                         mention_names: Mapping[str, str] | None = None,
                         emoji_names: Mapping[tuple[str, str], str] = LINE_EMOJI_NAMES) -> str:
    """The push-notification text of one message (R-MSG-06): LINE emoji as their names,
    "sent a sticker" and the like for media, the alt text for imagemap, template and flex.
    Takes a parsed message or its LINE JSON; ``mention_names`` maps user IDs to display names."""
    data: Mapping[str, Any] = message if isinstance(message, Mapping) else message.model_dump(
        by_alias=True, exclude_none=True)
    kind = data.get("type")
    if kind == "text":
        return _text_preview(data.get("text", ""), data.get("emojis") or [], emoji_names)
    if kind == "textV2":
        return _text_v2_preview(data.get("text", ""), data.get("substitution") or {},
                                mention_names or {}, emoji_names)
    if kind in ("imagemap", "template", "flex"):
        return str(data.get("altText", ""))
    return PREVIEW_BY_TYPE.get(str(kind), "sent a message")


def _text_preview(text: str, emojis: list[Mapping[str, Any]],
                  names: Mapping[tuple[str, str], str]) -> str:
    at = {e.get("index"): emoji_name(e.get("productId"), e.get("emojiId"), names) for e in emojis}
    out: list[str] = []
    utf16 = 0
    for char in text:
        out.append(at[utf16] if char == EMOJI_PLACEHOLDER and utf16 in at else char)
        utf16 += 2 if ord(char) > 0xFFFF else 1
    return "".join(out)


def _text_v2_preview(text: str, substitution: Mapping[str, Mapping[str, Any]],
                     mention_names: Mapping[str, str], names: Mapping[tuple[str, str], str]) -> str:
    out: list[str] = []
    for part in text_v2_parts(text):
        if isinstance(part, str):
            out.append(part)
            continue
        value = substitution.get(part.key)
        if value is None:
            out.append(text[part.start:part.end])
        elif value.get("type") == "emoji":
            out.append(emoji_name(value.get("productId"), value.get("emojiId"), names))
        else:
            mentionee = value.get("mentionee") or {}
            if mentionee.get("type") == "all":
                out.append(MENTION_ALL)
            else:
                name = mention_names.get(mentionee.get("userId", ""))
                out.append(f"@{name}" if name else UNKNOWN_MENTION)
    return "".join(out)


# ---------------------------------------------------------------- narrowcast (LINE §7, R-BRD-01/02)

NARROWCAST_MAX_AUDIENCES = 10  # audience and redelivery objects, across the whole recipient tree
NARROWCAST_MAX_FILTERS = 10  # demographic filter objects (operators not counted)
TARGETING_MIN_REACH = 100  # R-BRD-01: attributes need this target reach
NARROWCAST_MIN_RECIPIENTS = 50  # privacy floor of a send using attributes or audiences
PROGRESS_DAYS = 14  # progress (and redelivery) of a narrowcast lives this long after acceptance
GENDERS = ("male", "female")
APP_TYPES = ("ios", "android")
AGE_BANDS = tuple(f"age_{years}" for years in range(15, 75, 5))
SUBSCRIPTION_PERIODS = ("day_7", "day_30", "day_90", "day_180", "day_365")
RECIPIENT_TYPES = ("audience", "redelivery", "operator")
FILTER_TYPES = ("gender", "age", "appType", "area", "subscriptionPeriod", "operator")
OPERATORS = ("and", "or", "not")

NOT_ENOUGH_FRIENDS = "Your account does not have enough friends"
FORBID_PARTIAL_WITHOUT_UP_TO = "The option forbidPartialDelivery must be used with upToRemainingQuota."
ONE_OPERATOR = "Exactly one of and, or and not must be specified"
TOO_MANY_AUDIENCES = f"At most {NARROWCAST_MAX_AUDIENCES} audience and redelivery objects may be specified"
TOO_MANY_FILTERS = f"At most {NARROWCAST_MAX_FILTERS} demographic filter objects may be specified"

# Progress errorCode values and what failedDescription says for the ones OpenOA produces.
NOT_ENOUGH_RECIPIENTS = 2
PARTIAL_DELIVERY_FORBIDDEN = 5
FAILED_DESCRIPTIONS = {
    NOT_ENOUGH_RECIPIENTS: f"The number of recipients is less than {NARROWCAST_MIN_RECIPIENTS}",
    PARTIAL_DELIVERY_FORBIDDEN: "Delivery was cancelled: the remaining quota cannot reach every target "
                                "(forbidPartialDelivery)",
}

# Random pick for limit.max: h(u) = (u * PICK_MULTIPLIER + seed) mod 2^32. An odd multiplier
# is invertible mod 2^32, so h is a bijection on user ids below 2^32 — no two people tie, and
# "the max smallest h" is exactly max people, scattered over the whole id range.
PICK_MULTIPLIER = 2654435761  # Knuth's multiplicative hash constant (odd)
PICK_MODULUS = 2**32


def invalid_audience(audience_group_id: object) -> str:
    return f"Invalid audience group id: {audience_group_id}"


def invalid_request_id(request_id: object) -> str:
    return f"Invalid request id: {request_id}"


def age_years(band: str) -> int:
    """``age_20`` -> 20."""
    return int(band.removeprefix("age_"))


def period_days(period: str) -> int:
    """``day_30`` -> 30."""
    return int(period.removeprefix("day_"))


def pick_hash(user_id: int, seed: int) -> int:
    """The random-pick order of a person in one send (the SQL in queries.pick_order, in Python)."""
    return (user_id * PICK_MULTIPLIER + seed) % PICK_MODULUS


def narrowcast_cap(limit_max: int | None, up_to_remaining_quota: bool, remaining: int) -> int | None:
    """How many people a narrowcast may reach at most (None: everyone qualified), R-BRD-02 / R-MSG-05."""
    caps = [limit_max] if limit_max is not None else []
    if up_to_remaining_quota:
        caps.append(remaining)
    return min(caps) if caps else None


def narrowcast_reservation(target_reach: int, limit_max: int | None, up_to_remaining_quota: bool,
                           remaining: int) -> int:
    """What a narrowcast holds against the quota when accepted: the account's whole target reach,
    shrunk by ``limit.max`` and, with ``upToRemainingQuota``, by what is left (LINE §6)."""
    cap = narrowcast_cap(limit_max, up_to_remaining_quota, remaining)
    return target_reach if cap is None else min(target_reach, cap)


def line_time(moment: datetime) -> str:
    """ISO-8601 UTC with milliseconds and Z, as LINE writes acceptedTime (2020-12-03T10:15:30.121Z)."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def recipient_leaves(node: dict[str, Any], path: str = "recipient") -> list[tuple[str, dict[str, Any]]]:
    """The audience and redelivery objects of a recipient tree with their LINE property paths."""
    if node.get("type") != "operator":
        return [(path, node)]
    found: list[tuple[str, dict[str, Any]]] = []
    for op in ("and", "or"):
        for index, child in enumerate(node.get(op) or []):
            found += recipient_leaves(child, f"{path}.{op}[{index}]")
    if node.get("not") is not None:
        found += recipient_leaves(node["not"], f"{path}.not")
    return found


def filter_leaves(node: Mapping[str, Any]) -> int:
    """How many non-operator demographic filter objects a filter tree holds."""
    if node.get("type") != "operator":
        return 1
    children = [*(node.get("and") or []), *(node.get("or") or [])]
    if node.get("not") is not None:
        children.append(node["not"])
    return sum(filter_leaves(child) for child in children)


AREAS = tuple(users_rules.AREAS)  # LINE's area codes, the values users.area holds
