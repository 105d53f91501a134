"""How LINE message objects look in the Chat app (R-MSG-01): the pure helpers the message macros
(templates/chatapp/_messages.html) call — text split into runs (LINE emoji, mentions, links), the
link schemes a bot may point people at, and flex style properties turned into CSS classes of
static/messages.css.

The page's Content-Security-Policy forbids inline styles, so every flex property becomes a class.
Keyword values (sizes, margins, spacing, flex ratios, alignment…) map one to one; free-form
pixel values snap to the nearest keyword, percentages to 10 % steps; bot-given colours are
dropped on purpose — the app's own palette keeps every text readable against its background,
which a bot's colour pair does not promise."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from openoa.messaging import rules

# ---------------------------------------------------------------- links

# What a tap may open: the web, a phone call, a mail, the LINE app. Anything else (javascript:,
# data:, file:, an unknown app's scheme) is shown as text.
LINK_SCHEMES = ("http", "https", "tel", "mailto", "line")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
# Browsers drop tabs and newlines inside URLs ("java\nscript:"), so any whitespace or control
# character makes a link text.
_UNSAFE_IN_LINK = re.compile(r"[\x00-\x20\x7f]")
_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_TRAILING_PUNCTUATION = ".,;:!?)]}'\""


def safe_link(uri: Any) -> str | None:
    """``uri`` when a person may follow it (http, https, tel, mailto, line), else None."""
    if not isinstance(uri, str) or not uri or _UNSAFE_IN_LINK.search(uri):
        return None
    match = _SCHEME.match(uri)
    if match is None or match.group(1).lower() not in LINK_SCHEMES:
        return None
    return uri


def safe_src(url: Any) -> str | None:
    """``url`` when it may be loaded as a picture, video or download: http(s), or a path of ours
    (a person's media comes from the chat's own content route)."""
    if isinstance(url, str) and url.startswith("/") and not url.startswith(("//", "/\\")):
        return None if _UNSAFE_IN_LINK.search(url) else url
    link = safe_link(url)
    return link if link is not None and link.lower().startswith(("http:", "https:")) else None


def opens_new_tab(uri: str) -> bool:
    """Web links open beside the chat; tel:, mailto: and line: hand over to another app."""
    return uri.lower().startswith(("http:", "https:"))


def map_link(latitude: Any, longitude: Any) -> str | None:
    """An OpenStreetMap page centred on a location message's point."""
    try:
        lat, lng = float(latitude), float(longitude)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lng) and -90 <= lat <= 90 and -180 <= lng <= 180):
        return None
    return f"https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lng:.6f}#map=16/{lat:.6f}/{lng:.6f}"


# ---------------------------------------------------------------- text

@dataclass(frozen=True)
class Run:
    """A piece of a text message: plain text, a link, a LINE emoji token or a mention."""

    kind: str  # "text" | "link" | "emoji" | "mention"
    text: str
    label: str = ""  # what a screen reader says for an emoji
    href: str = ""
    code: str = ""  # productId/emojiId of an emoji


def _emoji_run(product_id: Any, emoji_id: Any) -> Run:
    product, emoji = str(product_id or ""), str(emoji_id or "")
    name = rules.emoji_name(product, emoji)
    token = name if name != rules.UNKNOWN_EMOJI_NAME else f"(emoji {emoji})"
    return Run("emoji", token, label=f"LINE emoji {token.strip('()')}", code=f"{product}/{emoji}")


def _plain_runs(text: str) -> Iterator[Run]:
    """Plain text with its web addresses as links, as LINE draws them."""
    at = 0
    for match in _URL_IN_TEXT.finditer(text):
        url = match.group(0).rstrip(_TRAILING_PUNCTUATION)
        if match.start() > at:
            yield Run("text", text[at:match.start()])
        yield Run("link", url, href=url)
        at = match.start() + len(url)
    if at < len(text):
        yield Run("text", text[at:])


def _python_index(text: str) -> dict[int, int]:
    """UTF-16 offsets (what LINE's indexes count) to string indexes, for each character start."""
    offsets: dict[int, int] = {}
    utf16 = 0
    for index, char in enumerate(text):
        offsets[utf16] = index
        utf16 += 2 if ord(char) > 0xFFFF else 1
    offsets[utf16] = len(text)
    return offsets


def text_runs(message: Mapping[str, Any], mention_names: Mapping[str, str] | None = None) -> list[Run]:
    """A text or textV2 message as runs: a request's ``$`` emoji placeholders and a webhook's
    emoji/mention ranges (``index``/``length`` in UTF-16 units), textV2 ``{key}`` substitutions."""
    text = str(message.get("text") or "")
    if message.get("type") == "textV2":
        return list(_text_v2_runs(text, message.get("substitution") or {}, mention_names or {}))
    offsets = _python_index(text)
    marks: list[tuple[int, int, Run]] = []
    for emoji in message.get("emojis") or []:
        start = offsets.get(emoji.get("index", -1))
        # A request's emoji replaces one "$"; a webhook's names its length.
        end = offsets.get(emoji.get("index", -1) + emoji.get("length", 1))
        if start is not None and end is not None:
            marks.append((start, end, _emoji_run(emoji.get("productId"), emoji.get("emojiId"))))
    for mentionee in (message.get("mention") or {}).get("mentionees") or []:
        start = offsets.get(mentionee.get("index", -1))
        end = offsets.get(mentionee.get("index", -1) + mentionee.get("length", 0))
        if start is not None and end is not None and end > start:
            marks.append((start, end, Run("mention", text[start:end])))
    runs: list[Run] = []
    at = 0
    for start, end, run in sorted(marks, key=lambda mark: mark[0]):
        if start < at:
            continue  # overlapping ranges: the first one wins
        runs.extend(_plain_runs(text[at:start]))
        runs.append(run)
        at = end
    runs.extend(_plain_runs(text[at:]))
    return runs


def _text_v2_runs(text: str, substitution: Mapping[str, Any],
                  mention_names: Mapping[str, str]) -> Iterator[Run]:
    for part in rules.text_v2_parts(text):
        if isinstance(part, str):
            yield from _plain_runs(part)
            continue
        value = substitution.get(part.key) or {}
        if value.get("type") == "emoji":
            yield _emoji_run(value.get("productId"), value.get("emojiId"))
        elif value.get("type") == "mention":
            mentionee = value.get("mentionee") or {}
            if mentionee.get("type") == "all":
                yield Run("mention", rules.MENTION_ALL)
            else:
                name = mention_names.get(str(mentionee.get("userId", "")))
                yield Run("mention", f"@{name}" if name else rules.UNKNOWN_MENTION)
        else:
            yield Run("text", text[part.start:part.end])


def duration_text(milliseconds: Any) -> str:
    """An audio or video length as m:ss."""
    try:
        seconds = max(0, int(milliseconds) // 1000)
    except (TypeError, ValueError):
        return ""
    return f"{seconds // 60}:{seconds % 60:02d}"


def picker_value(mode: str, value: Any) -> str:
    """A datetime picker's initial/min/max as an <input> value ("" when it does not fit the mode)."""
    if not isinstance(value, str) or rules.parse_picker_value(mode, value) is None:
        return ""
    return value.replace("t", "T")


# ---------------------------------------------------------------- flex

TEXT_SIZES = {"xxs": 11, "xs": 13, "sm": 14, "md": 16, "lg": 19, "xl": 22, "xxl": 29, "3xl": 35,
              "4xl": 48, "5xl": 74}
IMAGE_SIZES = {"xxs": 40, "xs": 60, "sm": 80, "md": 100, "lg": 120, "xl": 140, "xxl": 160,
               "3xl": 180, "4xl": 200, "5xl": 240}
SPACES = {"none": 0, "xs": 2, "sm": 4, "md": 8, "lg": 12, "xl": 16, "xxl": 20}
BORDER_WIDTHS = {"none": 0, "light": 0.5, "normal": 1, "medium": 2, "semi-bold": 3, "bold": 4}
HEIGHTS = {"40": 40, "80": 80, "120": 120, "160": 160, "200": 200, "240": 240, "320": 320}
BUBBLE_SIZES = ("nano", "micro", "deca", "hecto", "kilo", "mega", "giga")
# Named ratios of static/messages.css; any "W:H" snaps to the nearest (compared as logarithms).
ASPECT_RATIOS = {"1-3": 1 / 3, "1-2": 1 / 2, "9-16": 9 / 16, "2-3": 2 / 3, "3-4": 3 / 4, "1-1": 1.0,
                 "4-3": 4 / 3, "3-2": 3 / 2, "20-13": 20 / 13, "16-9": 16 / 9, "1_91-1": 1.91,
                 "2-1": 2.0, "3-1": 3.0}
FLEX_MAX = 12
MAX_LINES = 10
MEGA_WIDTH = 300  # px: a default bubble, what px widths are measured against
_PX = re.compile(r"(\d+(?:\.\d+)?)px")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)%")
_RATIO = re.compile(r"(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)")


def _nearest(value: Any, table: Mapping[str, float]) -> str | None:
    """A keyword of ``table`` as is, or the keyword nearest to a px value."""
    if not isinstance(value, str):
        return None
    if value in table:
        return value
    px = _PX.fullmatch(value)
    if px is None:
        return None
    wanted = float(px.group(1))
    return min(table, key=lambda name: abs(table[name] - wanted))


def _tenths(value: Any, px_base: float | None = None) -> int | None:
    """A percentage (or px measured against ``px_base``) in 10 % steps, 10–100."""
    if not isinstance(value, str):
        return None
    percent = _PERCENT.fullmatch(value)
    px = _PX.fullmatch(value)
    if percent:
        share = float(percent.group(1))
    elif px and px_base:
        share = float(px.group(1)) * 100 / px_base
    else:
        return None
    return int(min(100, max(10, math.floor(share / 10 + 0.5) * 10)))


def aspect_ratio_class(value: Any, default: str = "1-1") -> str:
    """The named ratio nearest to a flex ``aspectRatio`` such as "20:13"."""
    match = _RATIO.fullmatch(value) if isinstance(value, str) else None
    if match is None or float(match.group(1)) <= 0 or float(match.group(2)) <= 0:
        return default
    wanted = math.log(float(match.group(1)) / float(match.group(2)))
    return min(ASPECT_RATIOS, key=lambda name: abs(math.log(ASPECT_RATIOS[name]) - wanted))


def _flex_ratio(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return None
    return min(int(value), FLEX_MAX)


def flex_item_classes(component: Mapping[str, Any]) -> str:
    """Classes that place a component inside its box: flex ratio, margin, gravity, position."""
    found: list[str] = []
    flex = _flex_ratio(component.get("flex"))
    if flex is not None:
        found.append(f"fx-flex-{flex}")
    margin = _nearest(component.get("margin"), SPACES)
    if margin:
        found.append(f"fx-m-{margin}")
    if component.get("gravity") in ("top", "center", "bottom"):
        found.append(f"fx-gravity-{component['gravity']}")
    if component.get("position") == "absolute":
        found.append("fx-absolute")
    elif component.get("position") == "relative":
        found.append("fx-relative")
    for side, prefix in (("offsetTop", "top"), ("offsetBottom", "bottom"), ("offsetStart", "start"),
                         ("offsetEnd", "end")):
        offset = _nearest(component.get(side), SPACES)
        if offset:
            found.append(f"fx-{prefix}-{offset}")
    return " ".join(found)


def _box_classes(box: Mapping[str, Any]) -> Iterator[str]:
    layout = box.get("layout")
    yield f"fx-{layout}" if layout in rules.FLEX_BOX_LAYOUTS else "fx-vertical"
    spacing = _nearest(box.get("spacing"), SPACES)
    if spacing:
        yield f"fx-spacing-{spacing}"
    for name, prefix in (("paddingAll", "p"), ("paddingTop", "pt"), ("paddingBottom", "pb"),
                         ("paddingStart", "ps"), ("paddingEnd", "pe")):
        padding = _nearest(box.get(name), SPACES)
        if padding:
            yield f"fx-{prefix}-{padding}"
    border = _nearest(box.get("borderWidth"), BORDER_WIDTHS)
    if border:
        yield f"fx-border-{border}"
    radius = _nearest(box.get("cornerRadius"), SPACES)
    if radius:
        yield f"fx-radius-{radius}"
    for name, prefix in (("width", "w"), ("maxWidth", "maxw")):
        share = _tenths(box.get(name), MEGA_WIDTH)
        if share:
            yield f"fx-{prefix}-{share}"
    for name, prefix in (("height", "h"), ("maxHeight", "maxh")):
        height = _nearest(box.get(name), HEIGHTS)
        if height:
            yield f"fx-{prefix}-{height}"
    if box.get("justifyContent") in ("flex-start", "center", "flex-end", "space-between", "space-around",
                                     "space-evenly"):
        yield f"fx-justify-{box['justifyContent']}"
    if box.get("alignItems") in ("flex-start", "center", "flex-end"):
        yield f"fx-items-{box['alignItems']}"


def _text_look(component: Mapping[str, Any]) -> Iterator[str]:
    size = _nearest(component.get("size"), TEXT_SIZES)
    if size:
        yield f"fx-size-{size}"
    if component.get("weight") == "bold":
        yield "fx-bold"
    if component.get("style") == "italic":
        yield "fx-italic"
    if component.get("decoration") in ("underline", "line-through"):
        yield f"fx-{component['decoration']}"


def _text_classes(text: Mapping[str, Any]) -> Iterator[str]:
    yield from _text_look(text)
    if text.get("align") in ("start", "end", "center"):
        yield f"fx-align-{text['align']}"
    lines = text.get("maxLines")
    if text.get("wrap") is True:
        yield "fx-wrap"
        if isinstance(lines, int) and not isinstance(lines, bool) and lines > 0:
            yield f"fx-lines-{min(lines, MAX_LINES)}"


def _image_classes(image: Mapping[str, Any]) -> Iterator[str]:
    size = image.get("size", "md")
    if size == "full":
        yield "fx-img-full"
    elif (share := _tenths(size)) is not None:
        yield f"fx-img-w-{share}"
    else:
        yield f"fx-img-{_nearest(size, IMAGE_SIZES) or 'md'}"
    yield f"fx-ratio-{aspect_ratio_class(image.get('aspectRatio'))}"
    yield "fx-cover" if image.get("aspectMode") == "cover" else "fx-fit"
    if image.get("align") in ("start", "end", "center"):
        yield f"fx-align-{image['align']}"


def flex_classes(component: Mapping[str, Any]) -> str:
    """Classes of a component's own look (layout, size, weight, padding, border, button style…)."""
    kind = component.get("type")
    found: list[str] = []
    if kind == "box":
        found.extend(_box_classes(component))
    elif kind == "text":
        found.extend(_text_classes(component))
    elif kind == "span":
        found.extend(_text_look(component))
    elif kind == "image":
        found.extend(_image_classes(component))
    elif kind == "icon":
        found.append(f"fx-icon-{_nearest(component.get('size'), TEXT_SIZES) or 'md'}")
    elif kind == "button":
        style = component.get("style")
        found.append(f"fx-button-{style if style in ('primary', 'secondary') else 'link'}")
        if component.get("height") == "sm":
            found.append("fx-button-sm")
    elif kind == "video":
        found.append(f"fx-ratio-{aspect_ratio_class(component.get('aspectRatio'), '16-9')}")
    elif kind == "bubble":
        size = component.get("size")
        found.append(f"fx-bubble-{size if size in BUBBLE_SIZES else 'mega'}")
    return " ".join(found)


def flex_direction(bubble: Mapping[str, Any]) -> str:
    """A bubble's writing direction (``ltr`` unless the bot asked for ``rtl``)."""
    return "rtl" if bubble.get("direction") == "rtl" else "ltr"


def has_inner_action(component: Any) -> bool:
    """Whether anything inside ``component`` (not itself) is tappable: a wrapper must not nest it."""
    if isinstance(component, Mapping):
        children = [v for k, v in component.items() if k != "action"]
    elif isinstance(component, list):
        children = component
    else:
        return False
    for child in children:
        if isinstance(child, Mapping) and ("action" in child or child.get("type") == "button"):
            return True
        if has_inner_action(child):
            return True
    return False


def flex_text_of(component: Any) -> str:
    """The words inside a flex component, for a tappable wrapper's accessible name."""
    if isinstance(component, Mapping):
        own = component.get("text") if component.get("type") in ("text", "span") else None
        if own and not component.get("contents"):
            return str(own)
        return " ".join(filter(None, (flex_text_of(v) for k, v in component.items() if k != "action")))
    if isinstance(component, list):
        return " ".join(filter(None, (flex_text_of(v) for v in component)))
    return ""


TEMPLATE_GLOBALS = {
    "safe_link": safe_link, "safe_src": safe_src, "opens_new_tab": opens_new_tab, "map_link": map_link,
    "text_runs": text_runs, "duration_text": duration_text, "picker_value": picker_value,
    "flex_item_classes": flex_item_classes, "flex_classes": flex_classes,
    "flex_direction": flex_direction, "has_inner_action": has_inner_action,
    "flex_text_of": flex_text_of, "aspect_ratio_class": aspect_ratio_class,
}
