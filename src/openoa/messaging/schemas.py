# The unions below are built at import time (union_of, actions_for), which mypy cannot follow
# as types; pydantic is what checks these models.
# mypy: disable-error-code="valid-type"
"""LINE message objects as the Messaging API accepts them (R-MSG-01): one pydantic model per
message, template, flex, quick-reply and action object, with LINE's JSON names and limits, and
the parsers that turn a request's ``messages`` into them — refusing bad input with LINE's error
paths (``messages[1].template.actions[2].label``).

Unions are discriminated on ``type`` through tags that start with ``@`` so the tag can be
dropped when pydantic's error location is turned into LINE's property path."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Annotated, Any, Literal, TypeVar, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    SkipValidation,
    Tag,
    TypeAdapter,
    ValidationError,
    create_model,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import InitErrorDetails, PydanticCustomError

from openoa.core.errors import FieldError, Invalid
from openoa.messaging import rules

LINE_ERROR = "line"  # our own errors: the message is already what LINE would say
UNKNOWN_TYPE = "line_unknown_type"  # a union's `type` is missing or not one it accepts


class LineModel(BaseModel):
    """A LINE JSON object: camelCase on the wire, strict types, unknown properties ignored."""

    model_config = ConfigDict(strict=True, alias_generator=to_camel, validate_by_name=True,
                              validate_by_alias=True, serialize_by_alias=True, extra="ignore")


# ---------------------------------------------------------------- field checks

def _error(message: str, **context: Any) -> PydanticCustomError:
    return PydanticCustomError(LINE_ERROR, message, context or None)  # type: ignore[arg-type]


def line_errors(problems: Iterable[tuple[tuple[str | int, ...], str]], title: str = "message") -> ValidationError:
    """Several errors at locations inside the model being validated (pydantic prefixes its own)."""
    return ValidationError.from_exception_data(title, [
        InitErrorDetails(type=_error(message), loc=loc, input=None) for loc, message in problems])


def _length(min_len: int, max_len: int) -> AfterValidator:
    def check(value: str) -> str:
        if min_len > 0 and not value:
            raise _error("May not be empty")
        length = rules.utf16_length(value)
        if not min_len <= length <= max_len:
            # LINE reports emptiness apart ("May not be empty"), and its range from 0.
            shown_min = 0 if min_len <= 1 else min_len
            raise _error("Length must be between {min} and {max}", min=shown_min, max=max_len)
        return value
    return AfterValidator(check)


def _matches(pattern: Any, description: str) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise _error(description)
        return value
    return AfterValidator(check)


def _one_of(values: Sequence[str]) -> AfterValidator:
    def check(value: str) -> str:
        if value not in values:
            raise _error("Must be one of the following values: [{values}]", values=", ".join(values))
        return value
    return AfterValidator(check)


def _problem(find: Callable[[str], str | None]) -> AfterValidator:
    def check(value: str) -> str:
        problem = find(value)
        if problem:
            raise _error(problem)
        return value
    return AfterValidator(check)


def _size(low: int, high: int) -> BeforeValidator:
    """Bounds a list's (or map's) length before its items are read, LINE's "Size" message."""
    def check(value: Any) -> Any:
        if isinstance(value, list | dict) and not low <= len(value) <= high:
            if low == high:
                raise _error("Size must be {size}", size=low)
            raise _error("Size must be between {min} and {max}", min=low, max=high)
        return value
    return BeforeValidator(check)


MediaUrl = Annotated[str, _problem(rules.media_url_problem)]
Color = Annotated[str, _matches(rules.COLOR, "Must be a color code such as #FFFFFF")]


def _type_tag(value: Any) -> str | None:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return f"@{kind}" if isinstance(kind, str) else None


def union_of(members: Mapping[str, type[BaseModel]]) -> Any:
    """A union discriminated on ``type``; an unknown type is refused listing the known ones."""
    tagged = tuple(Annotated[model, Tag(f"@{name}")] for name, model in members.items())
    return Annotated[Union[tagged],  # noqa: UP007 - a runtime tuple of members
                     Discriminator(_type_tag, custom_error_type=UNKNOWN_TYPE,
                                   custom_error_message=f"Must be one of the following values: "
                                                        f"[{', '.join(members)}]")]


# ---------------------------------------------------------------- actions

class Action(LineModel):
    """Fields every action has; where it sits narrows its label (rules.ActionPlace)."""

    type: str
    label: Annotated[str, _length(0, 40)] | None = None


class PostbackAction(Action):
    type: Literal["postback"] = "postback"
    data: Annotated[str, _length(0, rules.POSTBACK_DATA_MAX)]
    display_text: Annotated[str, _length(0, rules.POSTBACK_DISPLAY_TEXT_MAX)] | None = None
    # Deprecated by LINE in favour of displayText, still accepted (not both).
    text: Annotated[str, _length(0, rules.POSTBACK_DISPLAY_TEXT_MAX)] | None = None
    input_option: Annotated[str, _one_of(rules.POSTBACK_INPUT_OPTIONS)] | None = None
    fill_in_text: Annotated[str, _length(0, rules.POSTBACK_FILL_IN_TEXT_MAX)] | None = None

    @model_validator(mode="after")
    def _display_text_or_text(self) -> PostbackAction:
        if self.display_text is not None and self.text is not None:
            raise line_errors([(("text",), "Cannot be used together with displayText")])
        return self


class MessageAction(Action):
    type: Literal["message"] = "message"
    text: Annotated[str, _length(1, rules.MESSAGE_ACTION_TEXT_MAX)]


class AltUri(LineModel):
    desktop: Annotated[str, _problem(rules.uri_action_problem)] | None = None


class URIAction(Action):
    type: Literal["uri"] = "uri"
    uri: Annotated[str, _problem(rules.uri_action_problem)]
    alt_uri: AltUri | None = None


class DatetimePickerAction(Action):
    type: Literal["datetimepicker"] = "datetimepicker"
    data: Annotated[str, _length(0, rules.DATETIME_PICKER_DATA_MAX)]
    mode: Annotated[str, _one_of(rules.DATETIME_PICKER_MODES)]
    initial: str | None = None
    max: str | None = None
    min: str | None = None

    @model_validator(mode="after")
    def _values_fit_the_mode(self) -> DatetimePickerAction:
        problems: list[tuple[tuple[str | int, ...], str]] = []
        parsed = {}
        for name in ("initial", "max", "min"):
            value = getattr(self, name)
            if value is None:
                continue
            parsed[name] = rules.parse_picker_value(self.mode, value)
            if parsed[name] is None:
                problems.append(((name,), f"Must be a {self.mode} like {rules.PICKER_FORMATS[self.mode]} "
                                          "between 1900-01-01T00:00 and 2100-12-31T23:59"))
        low, high, initial = parsed.get("min"), parsed.get("max"), parsed.get("initial")
        if low and high and not low < high:
            problems.append((("max",), "Must be later than min"))
        elif initial and ((low and initial < low) or (high and initial > high)):
            problems.append((("initial",), "Must be between min and max"))
        if problems:
            raise line_errors(problems)
        return self


class CameraAction(Action):
    type: Literal["camera"] = "camera"


class CameraRollAction(Action):
    type: Literal["cameraRoll"] = "cameraRoll"


class LocationAction(Action):
    type: Literal["location"] = "location"


class RichMenuSwitchAction(Action):
    type: Literal["richmenuswitch"] = "richmenuswitch"
    rich_menu_alias_id: Annotated[str, _length(1, rules.RICH_MENU_ALIAS_ID_MAX)]
    data: Annotated[str, _length(0, rules.RICH_MENU_SWITCH_DATA_MAX)]


class ClipboardAction(Action):
    type: Literal["clipboard"] = "clipboard"
    clipboard_text: Annotated[str, _length(1, rules.CLIPBOARD_TEXT_MAX)]


ACTION_MODELS: dict[str, type[Action]] = {
    "postback": PostbackAction, "message": MessageAction, "uri": URIAction,
    "datetimepicker": DatetimePickerAction, "camera": CameraAction, "cameraRoll": CameraRollAction,
    "location": LocationAction, "richmenuswitch": RichMenuSwitchAction, "clipboard": ClipboardAction,
}


def actions_for(place: rules.ActionPlace) -> Any:
    """The action union one place accepts: its types, with its label rule.

    Each action model gets a subclass per place (``PostbackActionInTemplate``) so a bad label
    is reported at the label itself, together with every other error of the request."""
    members: dict[str, type[BaseModel]] = {}
    for name in place.types:
        base = ACTION_MODELS[name]
        if place.label_required:
            label: Any = (Annotated[str, _length(1, place.label_max)], ...)
        else:
            label = (Annotated[str, _length(0, place.label_max)] | None, None)
        members[name] = create_model(f"{base.__name__}In{place.name}", __base__=base,
                                     __module__=__name__, label=label)
    return union_of(members)


TemplateAction = actions_for(rules.TEMPLATE_ACTION)
TemplateDefaultAction = actions_for(rules.TEMPLATE_DEFAULT_ACTION)
ImageCarouselAction = actions_for(rules.IMAGE_CAROUSEL_ACTION)
QuickReplyAction = actions_for(rules.QUICK_REPLY_ACTION)
FlexButtonAction = actions_for(rules.FLEX_BUTTON_ACTION)
FlexAction = actions_for(rules.FLEX_ACTION)
RichMenuAction = actions_for(rules.RICH_MENU_ACTION)


# ---------------------------------------------------------------- common properties

class QuickReplyItem(LineModel):
    type: Annotated[str, _one_of(("action",))] = "action"
    image_url: MediaUrl | None = None
    action: QuickReplyAction


class QuickReply(LineModel):
    items: Annotated[list[QuickReplyItem], _size(1, rules.QUICK_REPLY_MAX_ITEMS)]


class Sender(LineModel):
    name: Annotated[str, _length(1, rules.SENDER_NAME_MAX), _problem(rules.sender_name_problem)] | None = None
    icon_url: MediaUrl | None = None


class MessageBase(LineModel):
    """Properties every message object may carry."""

    type: str
    quick_reply: QuickReply | None = None
    sender: Sender | None = None


QuoteToken = Annotated[str, _length(1, rules.QUOTE_TOKEN_MAX)]


# ---------------------------------------------------------------- text, textV2

class Emoji(LineModel):
    """A LINE emoji drawn at the ``$`` at ``index`` (UTF-16 units) of the text."""

    index: Annotated[int, Field(ge=0)]
    product_id: Annotated[str, _length(1, 100)]
    emoji_id: Annotated[str, _length(1, 100)]


class TextMessage(MessageBase):
    type: Literal["text"] = "text"
    text: Annotated[str, _length(1, rules.TEXT_MAX)]
    emojis: Annotated[list[Emoji], _size(0, rules.TEXT_EMOJIS_MAX)] | None = None
    quote_token: QuoteToken | None = None

    @model_validator(mode="after")
    def _emojis_sit_on_placeholders(self) -> TextMessage:
        problems: list[tuple[tuple[str | int, ...], str]] = []
        seen: set[int] = set()
        for i, emoji in enumerate(self.emojis or []):
            if rules.utf16_char_at(self.text, emoji.index) != rules.EMOJI_PLACEHOLDER:
                problems.append((("emojis", i, "index"),
                                 f"Must point at a {rules.EMOJI_PLACEHOLDER} character in text"))
            elif emoji.index in seen:
                problems.append((("emojis", i, "index"), "Another emoji already uses this index"))
            seen.add(emoji.index)
        if problems:
            raise line_errors(problems)
        return self


class UserMentionee(LineModel):
    type: Literal["user"] = "user"
    user_id: Annotated[str, _length(1, 100)]


class AllMentionee(LineModel):
    type: Literal["all"] = "all"


Mentionee = union_of({"user": UserMentionee, "all": AllMentionee})


class MentionSubstitution(LineModel):
    type: Literal["mention"] = "mention"
    mentionee: Mentionee


class EmojiSubstitution(LineModel):
    type: Literal["emoji"] = "emoji"
    product_id: Annotated[str, _length(1, 100)]
    emoji_id: Annotated[str, _length(1, 100)]


Substitution = union_of({"mention": MentionSubstitution, "emoji": EmojiSubstitution})


class TextMessageV2(MessageBase):
    type: Literal["textV2"] = "textV2"
    text: Annotated[str, _length(1, rules.TEXT_MAX)]
    substitution: Annotated[dict[str, Substitution], _size(0, rules.SUBSTITUTION_MAX)] | None = None
    quote_token: QuoteToken | None = None

    @model_validator(mode="after")
    def _substitution_fits_the_text(self) -> TextMessageV2:
        substitution = self.substitution or {}
        problems: list[tuple[tuple[str | int, ...], str]] = []
        for key in substitution:
            if len(key) > rules.SUBSTITUTION_KEY_MAX or not rules.SUBSTITUTION_KEY.fullmatch(key):
                problems.append((("substitution", key),
                                 f"Key must be 1 to {rules.SUBSTITUTION_KEY_MAX} characters of [0-9a-zA-Z_]"))
        mentions = sum(isinstance(v, MentionSubstitution) for v in substitution.values())
        emojis = len(substitution) - mentions
        if mentions > rules.TEXT_V2_MENTIONS_MAX:
            problems.append((("substitution",), f"At most {rules.TEXT_V2_MENTIONS_MAX} mentions"))
        if emojis > rules.TEXT_V2_EMOJIS_MAX:
            problems.append((("substitution",), f"At most {rules.TEXT_V2_EMOJIS_MAX} emojis"))
        for part in rules.text_v2_parts(self.text):
            if isinstance(part, rules.Placeholder) and part.key not in substitution:
                problems.append((("text",), f"The key {{{part.key}}} is not in substitution"))
        if problems:
            raise line_errors(problems)
        return self


# ---------------------------------------------------------------- sticker, media, location, coupon

class StickerMessage(MessageBase):
    type: Literal["sticker"] = "sticker"
    package_id: Annotated[str, _length(1, 100)]
    sticker_id: Annotated[str, _length(1, 100)]
    quote_token: QuoteToken | None = None


class ImageMessage(MessageBase):
    type: Literal["image"] = "image"
    original_content_url: MediaUrl
    preview_image_url: MediaUrl


class VideoMessage(MessageBase):
    type: Literal["video"] = "video"
    original_content_url: MediaUrl
    preview_image_url: MediaUrl
    tracking_id: Annotated[str, _length(1, rules.VIDEO_TRACKING_ID_MAX),
                           _matches(rules.VIDEO_TRACKING_ID, "Contains a character not allowed in a tracking ID")
                           ] | None = None


class AudioMessage(MessageBase):
    type: Literal["audio"] = "audio"
    original_content_url: MediaUrl
    duration: Annotated[int, Field(ge=1)]  # milliseconds


class LocationMessage(MessageBase):
    type: Literal["location"] = "location"
    title: Annotated[str, _length(1, rules.LOCATION_TITLE_MAX)]
    address: Annotated[str, _length(1, rules.LOCATION_ADDRESS_MAX)]
    latitude: Annotated[float, Field(ge=-90, le=90)]
    longitude: Annotated[float, Field(ge=-180, le=180)]


class CouponMessage(MessageBase):
    type: Literal["coupon"] = "coupon"
    coupon_id: Annotated[str, _length(1, 100)]
    delivery_tag: Annotated[str, _length(1, rules.COUPON_DELIVERY_TAG_MAX),
                            _matches(rules.COUPON_DELIVERY_TAG, "Must be letters, digits or _")] | None = None


# ---------------------------------------------------------------- imagemap

class ImagemapArea(LineModel):
    x: Annotated[int, Field(ge=0)]
    y: Annotated[int, Field(ge=0)]
    width: Annotated[int, Field(ge=1)]
    height: Annotated[int, Field(ge=1)]


def _base_width(width: int) -> int:
    if width != rules.IMAGEMAP_BASE_WIDTH:
        raise _error("Must be {width}", width=rules.IMAGEMAP_BASE_WIDTH)
    return width


class ImagemapBaseSize(LineModel):
    width: Annotated[int, AfterValidator(_base_width)]
    height: Annotated[int, Field(ge=1)]


class ImagemapExternalLink(LineModel):
    link_uri: Annotated[str, _problem(lambda uri: rules.uri_action_problem(uri, rules.IMAGEMAP_LINK_URI_MAX))]
    label: Annotated[str, _length(1, rules.IMAGEMAP_EXTERNAL_LINK_LABEL_MAX)]


class ImagemapVideo(LineModel):
    original_content_url: MediaUrl
    preview_image_url: MediaUrl
    area: ImagemapArea
    external_link: ImagemapExternalLink | None = None


ImagemapLabel = Annotated[str, _length(0, rules.IMAGEMAP_ACTION_LABEL_MAX)]


class URIImagemapAction(LineModel):
    type: Literal["uri"] = "uri"
    link_uri: Annotated[str, _problem(lambda uri: rules.uri_action_problem(uri, rules.IMAGEMAP_LINK_URI_MAX))]
    label: ImagemapLabel | None = None
    area: ImagemapArea


class MessageImagemapAction(LineModel):
    type: Literal["message"] = "message"
    text: Annotated[str, _length(1, rules.IMAGEMAP_MESSAGE_TEXT_MAX)]
    label: ImagemapLabel | None = None
    area: ImagemapArea


class ClipboardImagemapAction(LineModel):
    type: Literal["clipboard"] = "clipboard"
    clipboard_text: Annotated[str, _length(1, rules.CLIPBOARD_TEXT_MAX)]
    label: ImagemapLabel | None = None
    area: ImagemapArea


ImagemapAction = union_of({"uri": URIImagemapAction, "message": MessageImagemapAction,
                           "clipboard": ClipboardImagemapAction})


class ImagemapMessage(MessageBase):
    type: Literal["imagemap"] = "imagemap"
    base_url: MediaUrl
    alt_text: Annotated[str, _length(1, rules.ALT_TEXT_MAX)]
    base_size: ImagemapBaseSize
    actions: Annotated[list[ImagemapAction], _size(0, rules.IMAGEMAP_ACTIONS_MAX)]
    video: ImagemapVideo | None = None


# ---------------------------------------------------------------- templates

AspectRatio = Annotated[str, _one_of(rules.TEMPLATE_IMAGE_ASPECT_RATIOS)]
ImageSize = Annotated[str, _one_of(rules.TEMPLATE_IMAGE_SIZES)]
TemplateTitle = Annotated[str, _length(1, rules.TEMPLATE_TITLE_MAX)]


def _short_text_with_image_or_title(text: str, image: str | None, title: str | None, limit: int) -> None:
    """LINE shortens a template's text when an image or a title takes part of the space."""
    if (image is not None or title is not None) and rules.utf16_length(text) > limit:
        raise line_errors([(("text",), f"Length must be between 0 and {limit} with an image or a title")])


class ButtonsTemplate(LineModel):
    type: Literal["buttons"] = "buttons"
    thumbnail_image_url: MediaUrl | None = None
    image_aspect_ratio: AspectRatio | None = None
    image_size: ImageSize | None = None
    image_background_color: Color | None = None
    title: TemplateTitle | None = None
    text: Annotated[str, _length(1, rules.BUTTONS_TEXT_MAX)]
    default_action: TemplateDefaultAction | None = None
    actions: Annotated[list[TemplateAction], _size(1, rules.BUTTONS_ACTIONS_MAX)]

    @model_validator(mode="after")
    def _text_fits(self) -> ButtonsTemplate:
        _short_text_with_image_or_title(self.text, self.thumbnail_image_url, self.title,
                                        rules.BUTTONS_TEXT_MAX_WITH_IMAGE_OR_TITLE)
        return self


class ConfirmTemplate(LineModel):
    type: Literal["confirm"] = "confirm"
    text: Annotated[str, _length(1, rules.CONFIRM_TEXT_MAX)]
    actions: Annotated[list[TemplateAction], _size(rules.CONFIRM_ACTIONS, rules.CONFIRM_ACTIONS)]


class CarouselColumn(LineModel):
    thumbnail_image_url: MediaUrl | None = None
    image_background_color: Color | None = None
    title: TemplateTitle | None = None
    text: Annotated[str, _length(1, rules.CAROUSEL_TEXT_MAX)]
    default_action: TemplateDefaultAction | None = None
    actions: Annotated[list[TemplateAction], _size(1, rules.CAROUSEL_ACTIONS_MAX)]

    @model_validator(mode="after")
    def _text_fits(self) -> CarouselColumn:
        _short_text_with_image_or_title(self.text, self.thumbnail_image_url, self.title,
                                        rules.CAROUSEL_TEXT_MAX_WITH_IMAGE_OR_TITLE)
        return self


class CarouselTemplate(LineModel):
    type: Literal["carousel"] = "carousel"
    columns: Annotated[list[CarouselColumn], _size(1, rules.CAROUSEL_COLUMNS_MAX)]
    image_aspect_ratio: AspectRatio | None = None
    image_size: ImageSize | None = None

    @model_validator(mode="after")
    def _columns_alike(self) -> CarouselTemplate:
        # LINE draws the columns side by side, so they must have the same shape.
        first = self.columns[0]
        problems: list[tuple[tuple[str | int, ...], str]] = []
        for i, column in enumerate(self.columns[1:], start=1):
            if len(column.actions) != len(first.actions):
                problems.append((("columns", i, "actions"),
                                 "Every column must have the same number of actions"))
            if (column.thumbnail_image_url is None) != (first.thumbnail_image_url is None):
                problems.append((("columns", i, "thumbnailImageUrl"),
                                 "Every column must have an image, or none"))
            if (column.title is None) != (first.title is None):
                problems.append((("columns", i, "title"), "Every column must have a title, or none"))
        if problems:
            raise line_errors(problems)
        return self


class ImageCarouselColumn(LineModel):
    image_url: MediaUrl
    action: ImageCarouselAction


class ImageCarouselTemplate(LineModel):
    type: Literal["image_carousel"] = "image_carousel"
    columns: Annotated[list[ImageCarouselColumn], _size(1, rules.IMAGE_CAROUSEL_COLUMNS_MAX)]


Template = union_of({"buttons": ButtonsTemplate, "confirm": ConfirmTemplate,
                     "carousel": CarouselTemplate, "image_carousel": ImageCarouselTemplate})


class TemplateMessage(MessageBase):
    type: Literal["template"] = "template"
    alt_text: Annotated[str, _length(1, rules.ALT_TEXT_MAX)]
    template: Template


# ---------------------------------------------------------------- flex

class FlexModel(LineModel):
    """Flex objects keep every style property they are given (see rules: bounded by size)."""

    model_config = ConfigDict(extra="allow")


def _json_bytes(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


class FlexSpan(FlexModel):
    type: Literal["span"] = "span"
    text: str


class FlexText(FlexModel):
    type: Literal["text"] = "text"
    text: str | None = None
    contents: list[FlexSpan] | None = None
    action: FlexAction | None = None

    @model_validator(mode="after")
    def _has_text(self) -> FlexText:
        if self.text is None and not self.contents:
            raise line_errors([(("text",), "must be specified")])
        return self


class FlexBox(FlexModel):
    type: Literal["box"] = "box"
    layout: Annotated[str, _one_of(rules.FLEX_BOX_LAYOUTS)]
    contents: list[FlexComponent]
    action: FlexAction | None = None


class FlexButton(FlexModel):
    type: Literal["button"] = "button"
    action: FlexButtonAction


class FlexImage(FlexModel):
    type: Literal["image"] = "image"
    url: MediaUrl
    action: FlexAction | None = None
    animated: bool | None = None


class FlexVideo(FlexModel):
    type: Literal["video"] = "video"
    url: MediaUrl
    preview_url: MediaUrl
    alt_content: FlexComponent
    action: FlexAction | None = None


class FlexIcon(FlexModel):
    type: Literal["icon"] = "icon"
    url: MediaUrl


class FlexSeparator(FlexModel):
    type: Literal["separator"] = "separator"


class FlexFiller(FlexModel):
    type: Literal["filler"] = "filler"


# A video component may only be a bubble's hero (LINE's rule), so it is not among the rest.
FlexComponent = union_of({"box": FlexBox, "button": FlexButton, "image": FlexImage, "icon": FlexIcon,
                          "text": FlexText, "separator": FlexSeparator, "filler": FlexFiller})
FlexHero = union_of({"box": FlexBox, "image": FlexImage, "video": FlexVideo})


def _bounded_json(limit: int) -> Callable[[Any], Any]:
    def check(data: Any) -> Any:
        if isinstance(data, dict) and _json_bytes(data) > limit:
            raise _error("Size must be at most {limit} bytes of JSON", limit=limit)
        return data
    return check


class FlexBubble(FlexModel):
    type: Literal["bubble"] = "bubble"
    header: FlexBox | None = None
    hero: FlexHero | None = None
    body: FlexBox | None = None
    footer: FlexBox | None = None
    action: FlexAction | None = None

    @model_validator(mode="before")
    @classmethod
    def _bounded(cls, data: Any) -> Any:
        return _bounded_json(rules.FLEX_BUBBLE_MAX_BYTES)(data)


class FlexCarousel(FlexModel):
    type: Literal["carousel"] = "carousel"
    contents: Annotated[list[FlexBubble], _size(1, rules.FLEX_CAROUSEL_MAX_BUBBLES)]

    @model_validator(mode="before")
    @classmethod
    def _bounded(cls, data: Any) -> Any:
        return _bounded_json(rules.FLEX_CAROUSEL_MAX_BYTES)(data)


FlexContainer = union_of({"bubble": FlexBubble, "carousel": FlexCarousel})


def _animated_images(value: Any) -> int:
    if isinstance(value, dict):
        own = 1 if value.get("type") == "image" and value.get("animated") is True else 0
        return own + sum(_animated_images(v) for v in value.values())
    if isinstance(value, list):
        return sum(_animated_images(v) for v in value)
    return 0


def _few_animated_images(value: Any) -> Any:
    if _animated_images(value) > rules.FLEX_ANIMATED_IMAGES_MAX:
        raise _error("At most {n} animated images per message", n=rules.FLEX_ANIMATED_IMAGES_MAX)
    return value


class FlexMessage(MessageBase):
    type: Literal["flex"] = "flex"
    alt_text: Annotated[str, _length(1, rules.ALT_TEXT_MAX)]
    contents: Annotated[FlexContainer, BeforeValidator(_few_animated_images)]


for _model in (FlexText, FlexBox, FlexButton, FlexImage, FlexVideo, FlexBubble, FlexCarousel, FlexMessage):
    _model.model_rebuild()


# ---------------------------------------------------------------- messages and requests

MESSAGE_MODELS: dict[str, type[MessageBase]] = {
    "text": TextMessage, "textV2": TextMessageV2, "sticker": StickerMessage, "image": ImageMessage,
    "video": VideoMessage, "audio": AudioMessage, "location": LocationMessage,
    "imagemap": ImagemapMessage, "template": TemplateMessage, "flex": FlexMessage,
    "coupon": CouponMessage,
}
assert tuple(MESSAGE_MODELS) == rules.MESSAGE_TYPES

Message = union_of(MESSAGE_MODELS)
MessageList = Annotated[list[Message],
                        _size(rules.MIN_MESSAGES_PER_REQUEST, rules.MAX_MESSAGES_PER_REQUEST)]
# For request models of endpoints that take ``messages``: documented in OpenAPI as LINE's
# message objects, but left raw so parse_messages() checks them and reports LINE's paths.
UncheckedMessages = SkipValidation[list[Message]]


class ValidateMessageRequest(BaseModel):
    """POST /v2/bot/message/validate/* (SDK ValidateMessageRequest)."""

    messages: UncheckedMessages


_MESSAGES: TypeAdapter[list[Any]] = TypeAdapter(MessageList)

_PLAIN_MESSAGES = {
    "missing": "must be specified",
    "string_type": "Must be a string",
    "int_type": "Must be an integer",
    "float_type": "Must be a number",
    "bool_type": "Must be a boolean",
    "list_type": "Must be an array",
    "dict_type": "Must be an object",
    "model_type": "Must be an object",
    "model_attributes_type": "Must be an object",
    "finite_number": "Must be a finite number",
    "greater_than_equal": "Must be greater than or equal to {ge}",
    "less_than_equal": "Must be less than or equal to {le}",
    "greater_than": "Must be greater than {gt}",
    "less_than": "Must be less than {lt}",
    "literal_error": "Must be one of the following values: [{expected}]",
}


def line_property(loc: Iterable[str | int]) -> str:
    """Pydantic's error location as LINE's property path: ``messages[0].template.actions[2].label``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif not part.startswith("@"):
            path += f".{part}" if path else part
    return path


def _shown(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("'", "")


def _detail(error: Mapping[str, Any]) -> tuple[str, str]:
    """(suffix to the path, message) for one pydantic error, in LINE's words."""
    kind, given = error["type"], error.get("input")
    if kind == UNKNOWN_TYPE:
        if not isinstance(given, dict):
            return "", "Must be an object"
        return ".type", "must be specified" if given.get("type") is None else error["msg"]
    if given is None and (kind == "missing" or kind.endswith("_type")):
        return "", "must be specified"
    template = _PLAIN_MESSAGES.get(kind)
    if template is None:
        return "", error["msg"]
    context = {k: _shown(v) for k, v in (error.get("ctx") or {}).items()}
    try:
        return "", template.format(**context)
    except KeyError:
        return "", error["msg"]


def field_errors(errors: Iterable[Mapping[str, Any]], prefix: tuple[str | int, ...] = ()) -> list[FieldError]:
    """Pydantic errors as FieldErrors named by LINE property paths (each reported once)."""
    found: list[FieldError] = []
    for error in errors:
        suffix, message = _detail(error)
        item = FieldError(line_property((*prefix, *error["loc"])) + suffix, message)
        if item not in found:
            found.append(item)
    return found


def request_invalid(errors: list[FieldError]) -> Invalid:
    """LINE's 400: "The request body has N error(s)" with one detail per field."""
    return Invalid(errors, message=f"The request body has {len(errors)} error(s)")


def parse_messages(raw: Any) -> list[Message]:
    """A request's ``messages`` as message objects, or Invalid naming every bad field."""
    try:
        return _MESSAGES.validate_python(raw)
    except ValidationError as exc:
        raise request_invalid(field_errors(exc.errors(), ("messages",))) from None


M = TypeVar("M", bound=BaseModel)


def parse_body(model: type[M], raw: Any) -> M:
    """Any LINE request body as ``model``, or Invalid with LINE property paths."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise request_invalid(field_errors(exc.errors())) from None


def message_json(message: BaseModel) -> dict[str, Any]:
    """A message object as LINE JSON (what is stored, delivered and shown)."""
    return message.model_dump(mode="json", by_alias=True, exclude_none=True)


# ---------------------------------------------------------------- narrowcast targeting (LINE §7)

def _not_empty(value: Any) -> Any:
    if isinstance(value, list) and not value:
        raise _error("May not be empty")
    return value


NotEmpty = BeforeValidator(_not_empty)


class _Operator(LineModel):
    """``and``, ``or`` or ``not``: exactly one of them, arrays never empty."""

    @model_validator(mode="after")
    def _exactly_one(self) -> _Operator:
        given = [name for name in ("and_", "or_", "not_") if getattr(self, name) is not None]
        if len(given) != 1:
            raise line_errors([((), rules.ONE_OPERATOR)])
        return self


class AudienceRecipient(LineModel):
    type: Literal["audience"] = "audience"
    audience_group_id: int


class RedeliveryRecipient(LineModel):
    type: Literal["redelivery"] = "redelivery"
    request_id: Annotated[str, _length(1, 100)]


class OperatorRecipient(_Operator):
    type: Literal["operator"] = "operator"
    and_: Annotated[list[Recipient], NotEmpty] | None = Field(None, alias="and")
    or_: Annotated[list[Recipient], NotEmpty] | None = Field(None, alias="or")
    not_: Recipient | None = Field(None, alias="not")


Recipient = union_of({"audience": AudienceRecipient, "redelivery": RedeliveryRecipient,
                      "operator": OperatorRecipient})


class GenderFilter(LineModel):
    type: Literal["gender"] = "gender"
    one_of: Annotated[list[Annotated[str, _one_of(rules.GENDERS)]], NotEmpty]


class AppTypeFilter(LineModel):
    type: Literal["appType"] = "appType"
    one_of: Annotated[list[Annotated[str, _one_of(rules.APP_TYPES)]], NotEmpty]


class AreaFilter(LineModel):
    type: Literal["area"] = "area"
    one_of: Annotated[list[Annotated[str, _one_of(rules.AREAS)]], NotEmpty]


class _Range(LineModel):
    """``gte`` and/or ``lt`` from an ordered list of bands; at least one, and gte before lt."""

    _bands: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _ordered(self) -> _Range:
        gte, lt = getattr(self, "gte"), getattr(self, "lt")  # noqa: B009 - declared by subclasses
        if gte is None and lt is None:
            raise line_errors([((), "Either gte or lt must be specified")])
        if gte is not None and lt is not None and self._bands.index(gte) >= self._bands.index(lt):
            raise line_errors([(("gte",), "Must be less than lt")])
        return self


class AgeFilter(_Range):
    _bands = rules.AGE_BANDS
    type: Literal["age"] = "age"
    gte: Annotated[str, _one_of(rules.AGE_BANDS)] | None = None
    lt: Annotated[str, _one_of(rules.AGE_BANDS)] | None = None


class SubscriptionPeriodFilter(_Range):
    _bands = rules.SUBSCRIPTION_PERIODS
    type: Literal["subscriptionPeriod"] = "subscriptionPeriod"
    gte: Annotated[str, _one_of(rules.SUBSCRIPTION_PERIODS)] | None = None
    lt: Annotated[str, _one_of(rules.SUBSCRIPTION_PERIODS)] | None = None


class OperatorFilter(_Operator):
    type: Literal["operator"] = "operator"
    and_: Annotated[list[DemographicFilter], NotEmpty] | None = Field(None, alias="and")
    or_: Annotated[list[DemographicFilter], NotEmpty] | None = Field(None, alias="or")
    not_: DemographicFilter | None = Field(None, alias="not")


DemographicFilter = union_of({"gender": GenderFilter, "age": AgeFilter, "appType": AppTypeFilter,
                              "area": AreaFilter, "subscriptionPeriod": SubscriptionPeriodFilter,
                              "operator": OperatorFilter})

OperatorRecipient.model_rebuild()
OperatorFilter.model_rebuild()


class NarrowcastFilter(LineModel):
    demographic: DemographicFilter | None = None


class NarrowcastLimit(LineModel):
    max: Annotated[int, Field(ge=1)] | None = None
    # The SDK always sends both booleans (false unless set), so false must be accepted.
    up_to_remaining_quota: bool = False
    forbid_partial_delivery: bool = False


class NarrowcastTargeting(LineModel):
    """Who a narrowcast is for: its ``recipient`` tree, demographic ``filter`` and ``limit``."""

    recipient: Recipient | None = None
    filter: NarrowcastFilter | None = None
    limit: NarrowcastLimit = Field(default_factory=NarrowcastLimit)

    @model_validator(mode="before")
    @classmethod
    def _no_null_limit(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("limit") is None:
            data = {key: value for key, value in data.items() if key != "limit"}
        return data

    @model_validator(mode="after")
    def _within_counts(self) -> NarrowcastTargeting:
        problems: list[tuple[tuple[str | int, ...], str]] = []
        if self.recipient is not None and len(rules.recipient_leaves(self.recipient_json() or {})) \
                > rules.NARROWCAST_MAX_AUDIENCES:
            problems.append((("recipient",), rules.TOO_MANY_AUDIENCES))
        demographic = self.demographic_json()
        if demographic is not None and rules.filter_leaves(demographic) > rules.NARROWCAST_MAX_FILTERS:
            problems.append((("filter", "demographic"), rules.TOO_MANY_FILTERS))
        if problems:
            raise line_errors(problems)
        return self

    def recipient_json(self) -> dict[str, Any] | None:
        return None if self.recipient is None else message_json(self.recipient)

    def demographic_json(self) -> dict[str, Any] | None:
        if self.filter is None or self.filter.demographic is None:
            return None
        return message_json(self.filter.demographic)


def parse_narrowcast(recipient: Any, filter: Any, limit: Any) -> NarrowcastTargeting:  # noqa: A002 - LINE's name
    """A narrowcast's recipient, filter and limit, or Invalid naming each bad property."""
    targeting = parse_body(NarrowcastTargeting, {"recipient": recipient, "filter": filter, "limit": limit})
    if targeting.limit.forbid_partial_delivery and not targeting.limit.up_to_remaining_quota:
        raise Invalid(field="limit.forbidPartialDelivery", reason=rules.FORBID_PARTIAL_WITHOUT_UP_TO)
    return targeting
