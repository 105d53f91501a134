"""What a console broadcast accepts (R-BRD-02, R-MSG-06): one text balloon within LINE's length,
without characters friends' phones cannot show, and an optional maximum volume."""

from __future__ import annotations

from openoa.messaging import rules as messages

TEXT_MAX = messages.TEXT_MAX
CONSOLE_BROADCAST = "console_broadcast"
RECENT_SHOWN = 20
# What the console lists as broadcasts: its own, and a bot's broadcasts and narrowcasts through the
# Messaging API (the same sends a bot follows through progress), each with who sent it.
SENT_FROM = {CONSOLE_BROADCAST: "Console", "broadcast": "Messaging API broadcast",
             "narrowcast": "Messaging API narrowcast"}


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be broadcast, or None: empty, too long, or a machine-dependent character."""
    if not text.strip():
        return "Write the message."
    length = messages.utf16_length(text)
    if length > TEXT_MAX:
        return f"Use at most {TEXT_MAX:,} characters (this has {length:,})."
    found = messages.find_machine_dependent_characters(text)
    if found:
        return messages.machine_dependent_problem(found[0])
    return None


def parse_max_recipients(raw: object) -> int | None | str:
    """The maximum volume as a positive whole number, None when left empty, or what is wrong with it."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        return "Enter a whole number of people, like 1000."
    if isinstance(raw, str):
        text = raw.strip().replace(",", "")
        if not text.isascii() or not text.lstrip("-").isdigit():
            return "Enter a whole number of people, like 1000."
        raw = int(text)
    if raw < 1:
        return "The maximum must be at least 1 person."
    return raw
