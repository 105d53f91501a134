"""Pure rules of what people send: uploads recognised by their bytes, file names, text limits,
coordinates, default stickers (R-MSG-07), datetime-picker params and conversation cursors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from openoa.chat import rules
from tests.chat.conftest import M4A, MP3, MP4


def test_media_are_recognised_by_their_first_bytes_not_by_their_name():
    assert rules.sniff_media("video", MP4) == ("video/mp4", "mp4")
    assert rules.sniff_media("video", b"\x00\x00\x00\x14ftypqt  " + b"\x00" * 8) == ("video/quicktime", "mov")
    assert rules.sniff_media("video", b"\x1a\x45\xdf\xa3" + b"\x00" * 12) == ("video/webm", "webm")
    assert rules.sniff_media("audio", M4A) == ("audio/mp4", "m4a")
    assert rules.sniff_media("audio", MP3) == ("audio/mpeg", "mp3")
    assert rules.sniff_media("audio", b"\xff\xf1\x50\x80" + b"\x00" * 12) == ("audio/aac", "aac")
    assert rules.sniff_media("audio", b"OggS" + b"\x00" * 12) == ("audio/ogg", "ogg")
    assert rules.sniff_media("audio", b"RIFF\x00\x00\x00\x00WAVEfmt ") == ("audio/wav", "wav")
    assert rules.sniff_media("video", MP3) is None and rules.sniff_media("audio", b"<html>") is None


def test_sizes_per_kind():
    assert rules.size_problem("file", 0) == "The file is empty."
    assert rules.size_problem("image", 10 * rules.MB) is None
    assert rules.size_problem("image", 10 * rules.MB + 1) == "The file is larger than 10 MB."
    assert rules.size_problem("video", 50 * rules.MB + 1) == "The file is larger than 50 MB."


def test_file_names_lose_folders_and_control_characters_and_keep_their_suffix():
    assert rules.clean_file_name("../../etc/passwd") == "passwd"
    assert rules.clean_file_name("C:\\Users\\mali\\menu.pdf") == "menu.pdf"
    assert rules.clean_file_name("a\x00b\nc.txt") == "abc.txt"
    assert rules.clean_file_name("") == "file"
    long = rules.clean_file_name("x" * 300 + ".docx")
    assert len(long) == rules.FILE_NAME_MAX and long.endswith(".docx")
    assert rules.file_suffix("Menu.PDF") == "pdf" and rules.file_suffix("README") == "bin"


def test_text_limit_counts_utf16_units_like_line():
    assert rules.text_problem("") == "Enter a message."
    assert rules.text_problem("a" * 5000) is None
    assert rules.text_problem("😀" * 2501) == "A message can be at most 5,000 characters."


def test_coordinates():
    assert rules.coordinate("13.75", -90, 90, "latitude") == 13.75
    for bad, message in (("", "Enter the latitude as a number."), ("nan", "Enter the latitude as a number."),
                         ("-90.5", "The latitude must be between -90 and 90.")):
        with pytest.raises(ValueError, match=message):
            rules.coordinate(bad, -90, 90, "latitude")


def test_r_msg_07_only_default_stickers_can_be_sent():
    assert rules.default_sticker("446", "1988").name == "Moon: thumbs up"  # type: ignore[union-attr]
    assert rules.default_sticker("11537", "52002734") is None


@pytest.mark.parametrize(("mode", "value", "params"), [
    ("date", "2017-06-18", {"date": "2017-06-18"}),
    ("time", "06:15", {"time": "06:15"}),
    ("time", "06:15:30", {"time": "06:15"}),
    ("datetime", "2017-06-18T06:15", {"datetime": "2017-06-18T06:15"}),
    ("datetime", "2017-06-18t06:15:00.000", {"datetime": "2017-06-18T06:15"}),
    ("date", "1899-12-31", None), ("time", "24:00", None), ("date", "18/06/2017", None), ("week", "x", None),
])
def test_datetime_picker_params_in_lines_format(mode, value, params):
    assert rules.picker_params(mode, value) == params


def test_cursors_round_trip_and_refuse_anything_else():
    position = rules.Position(datetime(2026, 11, 26, 10, 0, 0, 123456, tzinfo=UTC), rules.SOURCE_OUT, 42, 3)
    assert rules.decode_cursor(rules.encode_cursor(position)) == position
    assert rules.decode_cursor(rules.encode_cursor(rules.START)) == rules.START
    for bad in ("", "zzz", "MS4yLjMuNA", "LTEuMC4wLjA"):
        assert rules.decode_cursor(bad) is None
    assert rules.Position(position.at, rules.SOURCE_IN, 99) < position  # the person's first at one instant
