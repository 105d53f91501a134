"""Narrowcast through `linebot.v3.messaging.MessagingApi` against a live server: 202 with the
request id, progress polled until the server's own worker has delivered it, demographic filters
and `Limit` built with the SDK's models, redelivery, and LINE's errors as the SDK raises them."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from linebot.v3.messaging import (
    AgeDemographic,
    AgeDemographicFilter,
    ApiClient,
    ApiException,
    AppTypeDemographic,
    AppTypeDemographicFilter,
    AudienceRecipient,
    Configuration,
    ErrorResponse,
    Filter,
    GenderDemographic,
    GenderDemographicFilter,
    Limit,
    MessagingApi,
    NarrowcastProgressResponse,
    NarrowcastRequest,
    OperatorDemographicFilter,
    RedeliveryRecipient,
    TextMessage,
)

from openoa.accounts.models import OfficialAccount
from tests.conformance.conftest import LiveServer, SdkBot, make_bot
from tests.messaging.crowd import add_people

HELLO = [TextMessage(text="Members' sale from the SDK")]
WOMEN, MEN = 60, 60


@pytest.fixture(scope="module")
def bot(live_server: LiveServer) -> SdkBot:
    made = make_bot(live_server, "Narrowcast Shoes")
    db = live_server.database()
    try:
        with db.scope() as session:
            session.get_one(OfficialAccount, made.account_id).package = "pro"
            add_people(session, made.account_id, [{"gender": "female", "os": "ios"}] * WOMEN
                       + [{"gender": "male", "os": "android"}] * MEN)
    finally:
        db.engine.dispose()
    return made


@pytest.fixture
def messaging(live_server: LiveServer, bot: SdkBot) -> Iterator[MessagingApi]:
    with ApiClient(Configuration(host=live_server.url, access_token=bot.token)) as client:
        yield MessagingApi(client)


def _narrowcast(messaging: MessagingApi, request: NarrowcastRequest) -> str:
    answer = messaging.narrowcast_with_http_info(request)
    assert answer.status_code == 202
    return answer.headers["x-line-request-id"]


def _finished(messaging: MessagingApi, request_id: str) -> NarrowcastProgressResponse:
    deadline = time.monotonic() + 20
    while True:
        progress = messaging.get_narrowcast_progress(request_id)
        assert isinstance(progress, NarrowcastProgressResponse)
        if progress.phase in ("succeeded", "failed") or time.monotonic() > deadline:
            return progress
        time.sleep(0.1)


def test_a_gender_filtered_narrowcast_is_delivered_by_the_worker(messaging: MessagingApi):
    request_id = _narrowcast(messaging, NarrowcastRequest(messages=HELLO, filter=Filter(
        demographic=GenderDemographicFilter(one_of=[GenderDemographic.FEMALE]))))
    progress = _finished(messaging, request_id)
    assert (progress.phase, progress.success_count, progress.failure_count, progress.target_count) == (
        "succeeded", WOMEN, 0, WOMEN)
    assert progress.accepted_time <= progress.completed_time
    assert progress.error_code is None


def test_limit_max_with_an_operator_filter_picks_exactly_max(messaging: MessagingApi):
    request_id = _narrowcast(messaging, NarrowcastRequest(
        messages=HELLO, limit=Limit(max=55),
        filter=Filter(demographic=OperatorDemographicFilter(var_or=[
            GenderDemographicFilter(one_of=[GenderDemographic.FEMALE]),
            AppTypeDemographicFilter(one_of=[AppTypeDemographic.ANDROID])]))))
    progress = _finished(messaging, request_id)
    assert (progress.phase, progress.success_count, progress.target_count) == ("succeeded", 55, 55)


def test_redelivery_reaches_the_same_people(messaging: MessagingApi):
    first = _narrowcast(messaging, NarrowcastRequest(messages=HELLO, limit=Limit(max=7)))
    assert _finished(messaging, first).success_count == 7
    again = _narrowcast(messaging, NarrowcastRequest(messages=HELLO,
                                                     recipient=RedeliveryRecipient(request_id=first)))
    assert (_finished(messaging, again).phase, _finished(messaging, again).success_count) == ("succeeded", 7)


def test_too_few_recipients_with_attributes_fails_with_error_code_2(messaging: MessagingApi):
    # Nobody has a birth year, so no one is 40 or older.
    request_id = _narrowcast(messaging, NarrowcastRequest(messages=HELLO, filter=Filter(
        demographic=AgeDemographicFilter(gte=AgeDemographic.AGE_40))))
    progress = _finished(messaging, request_id)
    assert (progress.phase, progress.error_code, progress.success_count) == ("failed", 2, 0)
    assert progress.failed_description


def test_errors_reach_the_sdk_in_lines_shape(messaging: MessagingApi):
    with pytest.raises(ApiException) as audience:
        messaging.narrowcast(NarrowcastRequest(messages=HELLO, recipient=AudienceRecipient(audience_group_id=4)))
    assert audience.value.status == 400
    error = ErrorResponse.from_json(audience.value.body)
    assert (error.message, error.details[0].var_property) == ("Invalid audience group id: 4",
                                                               "recipient.audienceGroupId")
    with pytest.raises(ApiException) as band:
        messaging.narrowcast(NarrowcastRequest(messages=HELLO, filter=Filter(demographic=AgeDemographicFilter(
            gte=AgeDemographic.AGE_40, lt=AgeDemographic.AGE_20))))
    assert band.value.status == 400
    assert [d.var_property for d in ErrorResponse.from_json(band.value.body).details] == ["filter.demographic.gte"]
    with pytest.raises(ApiException) as forbid:
        messaging.narrowcast(NarrowcastRequest(messages=HELLO, limit=Limit(forbid_partial_delivery=True)))
    assert forbid.value.status == 400
    with pytest.raises(ApiException) as unknown:
        messaging.get_narrowcast_progress("no-such-request")
    assert unknown.value.status == 404
