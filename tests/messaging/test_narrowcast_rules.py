"""The pure rules of narrowcast: the reservation and cap (R-BRD-02, R-MSG-05), the random pick's
hash being a bijection, LINE's time format, and the object counts of recipient and filter trees."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from openoa.messaging import rules


def test_r_msg_05_reservation_is_the_target_reach_shrunk_by_max_and_remaining_quota():
    assert rules.narrowcast_reservation(300, None, False, 50) == 300  # refused by the caller: does not fit
    assert rules.narrowcast_reservation(300, 20, False, 50) == 20
    assert rules.narrowcast_reservation(300, None, True, 50) == 50
    assert rules.narrowcast_reservation(300, 20, True, 50) == 20
    assert rules.narrowcast_reservation(10, 20, True, 50) == 10
    assert rules.narrowcast_reservation(300, None, True, 0) == 0


def test_r_brd_02_the_cap_is_max_and_with_up_to_remaining_quota_what_is_left():
    assert rules.narrowcast_cap(None, False, 7) is None
    assert rules.narrowcast_cap(30, False, 7) == 30
    assert rules.narrowcast_cap(None, True, 7) == 7
    assert rules.narrowcast_cap(3, True, 7) == 3


@pytest.mark.parametrize("seed", [0, 1, 2_654_435_761, 3_141_592_653, 4_294_967_295])
def test_r_brd_02_the_pick_hash_never_ties_and_scatters_consecutive_ids(seed: int):
    ids = range(1, 50_001)
    hashes = [rules.pick_hash(uid, seed) for uid in ids]
    assert len(set(hashes)) == len(hashes)
    assert all(0 <= h < rules.PICK_MODULUS for h in hashes)
    smallest = sorted(ids, key=lambda uid: rules.pick_hash(uid, seed))[:500]
    assert {(uid - 1) * 10 // len(ids) for uid in smallest} == set(range(10))  # every tenth of the range


def test_progress_times_are_utc_with_milliseconds_and_z():
    bangkok = timezone(timedelta(hours=7))
    assert rules.line_time(datetime(2020, 12, 3, 17, 15, 30, 121_999, tzinfo=bangkok)) == "2020-12-03T10:15:30.121Z"
    assert rules.line_time(datetime(2026, 1, 15, 3, 0, tzinfo=UTC)) == "2026-01-15T03:00:00.000Z"


def test_trees_report_their_audience_redelivery_and_filter_objects():
    tree = {"type": "operator", "and": [
        {"type": "audience", "audienceGroupId": 1},
        {"type": "operator", "not": {"type": "redelivery", "requestId": "r"}},
        {"type": "operator", "or": [{"type": "audience", "audienceGroupId": 2}]}]}
    assert [path for path, _ in rules.recipient_leaves(tree)] == [
        "recipient.and[0]", "recipient.and[1].not", "recipient.and[2].or[0]"]
    demographic = {"type": "operator", "or": [{"type": "gender", "oneOf": ["male"]}, {"type": "operator", "not": {
        "type": "operator", "and": [{"type": "age", "gte": "age_20"}, {"type": "area", "oneOf": ["th_01"]}]}}]}
    assert rules.filter_leaves(demographic) == 3


def test_bands_and_periods_read_as_numbers():
    assert [rules.age_years(band) for band in rules.AGE_BANDS] == list(range(15, 75, 5))
    assert [rules.period_days(p) for p in rules.SUBSCRIPTION_PERIODS] == [7, 30, 90, 180, 365]
    assert {"th_01", "th_08", "jp_47", "tw_22", "id_12"} <= set(rules.AREAS)
