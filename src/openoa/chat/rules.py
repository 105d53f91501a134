"""Rules of what a person sends an account in the Chat app: limits of each message kind, the
default stickers everyone has (R-MSG-07), recognising uploaded media by their bytes, the
datetime picker's values as LINE hands them to bots, and the cursor of a conversation page.
Pure data and functions; chat/service.py applies them."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from openoa.messaging.rules import TEXT_MAX, parse_picker_value, utf16_length

# ---------------------------------------------------------------- message kinds

MEDIA_KINDS = ("image", "video", "audio", "file")
# LINE gives a quote token only to the kinds a reply can quote.
QUOTABLE = frozenset({"text", "sticker", "image", "video"})
# Media the bot fetches from the blob host carry contentProvider {"type": "line"}.
LINE_PROVIDED = frozenset({"image", "video", "audio"})

TEXT_LIMIT = TEXT_MAX
LOCATION_TITLE_MAX = 100
LOCATION_ADDRESS_MAX = 100
FILE_NAME_MAX = 100
POSTBACK_DATA_MAX = 300
DISPLAY_TEXT_MAX = 300

MB = 1024 * 1024
# OpenOA's own ceilings, well under LINE's (which allows files up to 1 GB from phones): an
# upload is held in the request while it is checked.
MAX_BYTES = {"image": 10 * MB, "video": 50 * MB, "audio": 20 * MB, "file": 20 * MB}
PREVIEW_SIZE = 240
MAX_IMAGE_PIXELS = 40_000_000

# Content types by what the bytes start with; a browser's claimed type is not trusted.
IMAGE_TYPES = {"PNG": ("image/png", "png"), "JPEG": ("image/jpeg", "jpg"), "GIF": ("image/gif", "gif"),
               "WEBP": ("image/webp", "webp")}
KIND_NAMES = {"image": "a PNG, JPEG, GIF or WebP image", "video": "an MP4, MOV or WebM video",
              "audio": "an MP3, M4A, AAC, OGG, WAV or WebM audio file", "file": "a file"}


def sniff_media(kind: str, data: bytes) -> tuple[str, str] | None:
    """(content type, file suffix) of a video or audio upload recognised by its first bytes, or None."""
    head = data[:16]
    is_iso = head[4:8] == b"ftyp"  # MP4 family: mp4, mov, m4a
    brand = head[8:12]
    if kind == "video":
        if is_iso and brand == b"qt  ":
            return "video/quicktime", "mov"
        if is_iso:
            return "video/mp4", "mp4"
        if head.startswith(b"\x1a\x45\xdf\xa3"):
            return "video/webm", "webm"
        return None
    if kind == "audio":
        if is_iso:
            return "audio/mp4", "m4a"
        if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
            # MPEG frame sync; AAC in ADTS shares it (0xFFF1/0xFFF9) and plays as audio/aac.
            if head[1] & 0xF6 == 0xF0:
                return "audio/aac", "aac"
            return "audio/mpeg", "mp3"
        if head.startswith(b"OggS"):
            return "audio/ogg", "ogg"
        if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
            return "audio/wav", "wav"
        if head.startswith(b"\x1a\x45\xdf\xa3"):
            return "audio/webm", "webm"
        return None
    return None


def size_problem(kind: str, size: int) -> str | None:
    """Why an upload of ``size`` bytes is refused for ``kind``, or None."""
    if size == 0:
        return "The file is empty."
    limit = MAX_BYTES[kind]
    if size > limit:
        return f"The file is larger than {limit // MB} MB."
    return None


_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


def clean_file_name(name: str | None) -> str:
    """The name a file is shown and handed to the bot under: no folders, no control characters."""
    base = re.split(r"[/\\]", name or "")[-1]
    base = _UNSAFE_NAME.sub("", base).strip() or "file"
    if len(base) > FILE_NAME_MAX:
        stem, dot, suffix = base.rpartition(".")
        keep = suffix if dot and len(suffix) <= 10 else ""
        base = (stem if dot else base)[:FILE_NAME_MAX - len(keep) - 1] + ("." + keep if keep else "")
    return base


def file_suffix(name: str) -> str:
    """A short lowercase suffix for storage from a file name, ``bin`` when it has none."""
    _, dot, suffix = name.rpartition(".")
    suffix = suffix.lower()
    return suffix if dot and re.fullmatch(r"[a-z0-9]{1,8}", suffix) else "bin"


# ---------------------------------------------------------------- text and location

def text_problem(text: str) -> str | None:
    """Why a text message is refused, or None (LINE counts UTF-16 units, up to 5,000)."""
    if not text.strip():
        return "Enter a message."
    if utf16_length(text) > TEXT_LIMIT:
        return f"A message can be at most {TEXT_LIMIT:,} characters."
    return None


def coordinate(value: str | float | None, low: float, high: float, name: str) -> float:
    """A latitude or longitude from a form or JSON; ValueError with a message for people."""
    try:
        number = float(value) if value is not None and str(value).strip() != "" else None
    except ValueError:
        number = None
    if number is None or number != number:  # NaN
        raise ValueError(f"Enter the {name} as a number.")
    if not low <= number <= high:
        raise ValueError(f"The {name} must be between {low:g} and {high:g}.")
    return number


# ---------------------------------------------------------------- stickers (R-MSG-07: default stickers always)

@dataclass(frozen=True)
class Sticker:
    package_id: str
    sticker_id: str
    name: str
    resource_type: str = "STATIC"
    keywords: tuple[str, ...] = ()


# A few of LINE's free default stickers (packages 446 and 789), with the names people see.
DEFAULT_STICKERS = (
    Sticker("446", "1988", "Moon: thumbs up", keywords=("OK", "Good")),
    Sticker("446", "1989", "Moon: happy", keywords=("Happy", "Smile")),
    Sticker("446", "1990", "Moon: laughing", keywords=("Haha", "Laugh")),
    Sticker("446", "1993", "Moon: crying", keywords=("Sad", "Cry")),
    Sticker("789", "10855", "Sally: hello", keywords=("Hello", "Hi")),
    Sticker("789", "10856", "Sally: thank you", keywords=("Thanks", "Thank you")),
)


def default_sticker(package_id: str, sticker_id: str) -> Sticker | None:
    """A default sticker by its IDs; None for any other (official and custom stickers never, R-MSG-07)."""
    return next((s for s in DEFAULT_STICKERS if (s.package_id, s.sticker_id) == (package_id, sticker_id)), None)


# ---------------------------------------------------------------- postbacks

PICKER_MODES = ("date", "time", "datetime")
_PICKER_OUT = {"date": "%Y-%m-%d", "time": "%H:%M", "datetime": "%Y-%m-%dT%H:%M"}


def picker_params(mode: str, value: str) -> dict[str, str] | None:
    """The postback ``params`` of a datetime picker as LINE sends them (``{"date": "2017-06-18"}``,
    ``{"time": "06:15"}``, ``{"datetime": "2017-06-18T06:15"}``); None for a bad value.

    Browsers may add seconds (``06:15:00``); LINE's pickers work in minutes, so they are dropped.
    """
    value = (value or "").strip()
    if mode in ("time", "datetime") and re.fullmatch(r".*\d{2}:\d{2}:\d{2}(\.\d+)?", value):
        value = value[:value.rfind(":")]
    parsed = parse_picker_value(mode, value)
    if parsed is None:
        return None
    return {mode: parsed.strftime(_PICKER_OUT[mode])}


# ---------------------------------------------------------------- conversation order and cursors

# Items of a conversation sort by (sent at, source, row id, index in the row): the person's own
# messages before the account's at the same instant, and a send's messages in their order.
SOURCE_IN, SOURCE_OUT = 0, 1


@dataclass(frozen=True, order=True)
class Position:
    """Where an item sits in a conversation; the cursor of a page is the position of its edge item."""

    at: datetime
    source: int
    row: int
    index: int = 0


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def encode_cursor(position: Position) -> str:
    micros = (position.at - _EPOCH) // _MICRO
    raw = f"{micros}.{position.source}.{position.row}.{position.index}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> Position | None:
    """The position in a cursor this server handed out, or None for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        micros, source, row, index = (int(part) for part in raw.split("."))
    except (ValueError, UnicodeDecodeError):
        return None
    if source not in (SOURCE_IN, SOURCE_OUT) or min(micros, row, index) < 0:
        return None
    return Position(_EPOCH + micros * _MICRO, source, row, index)


# Before every item: the cursor of an empty chat, so a page can still ask "anything newer?".
START = Position(_EPOCH, SOURCE_IN, 0, 0)

PAGE_DEFAULT = 50
PAGE_MAX = 200
