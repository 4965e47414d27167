"""`/api/messages` over HTTP: whole conversations with expectReplies, bad input, restarts, health."""

from __future__ import annotations

from aiohttp import ClientSession

from store.db import create_engine, session_factory
from store.models import CaseCounter
from store.transcripts import get_transcript
from tests.bot.conftest import SATURDAY_3AM, FakeClock, Service, buttons, start_service, stored_cases, texts


async def test_greets_and_files_a_sev3_at_night_with_expect_replies(service: Service) -> None:
    service.clock.now = SATURDAY_3AM
    greeting = texts(await service.join())
    assert "K#" in greeting
    first = await service.say("K123456 the logo on the printed report is blurry, only cosmetic, just one user")
    assert "K#" not in texts(first)  # K# and problem in one message: neither asked again
    assert any("Yes" in b for b in buttons(first))  # the severity is confirmed with buttons
    filed = texts(await service.say("Yes, that's right"))
    cases = await stored_cases(service.db_url)
    assert len(cases) == 1
    case = cases[0]
    assert case.number in filed
    assert case.severity == 3
    assert case.outcome == "web_request"
    assert "is closed right now" in filed
    assert "Monday at 8:00 AM Eastern" in filed


async def test_sev1_by_day_sends_customer_to_the_phone_and_queues_a_page(service: Service) -> None:
    await service.join()
    await service.say("K123456 the whole system is down, no one at any of our sites can open any studies")
    reply = texts(await service.say("Yes, that's right"))
    cases = await stored_cases(service.db_url)
    assert len(cases) == 1 and cases[0].severity == 1
    assert cases[0].outcome == "redirect_phone"
    assert "1-800-555-0100" in reply and cases[0].number in reply


async def test_status_lookup_only_for_the_owning_account(service: Service) -> None:
    await service.join()
    await service.say("K123456 one user sees the wrong font in the worklist, cosmetic")
    await service.say("Yes, that's right")
    number = (await stored_cases(service.db_url))[0].number
    other = await service.join(conversation="conv-2")
    assert other
    wrong = texts(await service.say(f"K654321 status of case {number}", conversation="conv-2"))
    missing = texts(await service.say("status of case 2611-9999", conversation="conv-2"))
    assert "Severity" not in wrong
    assert wrong.replace(number, "X") == missing.replace("2611-9999", "X")  # same answer: no existence leak
    mine = texts(await service.say(f"K123456 status of case {number}", conversation="conv-3"))
    assert number in mine and "Severity 3" in mine


async def test_a_new_problem_written_with_a_status_question_is_filed_once_the_customer_says_yes(
    service: Service,
) -> None:
    await service.join()
    await service.say("K123456 one user sees the wrong font in the worklist, cosmetic")
    await service.say("Yes, that's right")
    number = (await stored_cases(service.db_url))[0].number
    await service.join(conversation="conv-2")
    asked = texts(await service.say(f"K123456 any news on case {number}? Also, the logo on our printed reports "
                                    "is blurry, only for me", conversation="conv-2"))  # fmt: skip
    assert "Severity 3" in asked and "Shall I record that as a new problem?" in asked
    assert "\u201cthe logo on our printed reports is blurry, only for me\u201d" in asked
    proposal = await service.say("Yes", conversation="conv-2")
    assert any("Yes" in b for b in buttons(proposal))  # the severity of the new problem, to confirm
    await service.say("Yes, that's right", conversation="conv-2")
    [new] = [case for case in await stored_cases(service.db_url) if case.number != number]
    assert "blurry" in new.summary.lower() and new.conversation_id == "conv-2"


async def test_the_ten_thousandth_case_of_a_month_is_found_by_its_number_in_chat(service: Service) -> None:
    await service.join()
    await service.say("K123456 one user sees the wrong font in the worklist, cosmetic")
    await service.say("Yes, that's right")
    first = (await stored_cases(service.db_url))[0].number
    engine = create_engine(service.db_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            counter = await session.get(CaseCounter, first.split("-")[0])
            assert counter is not None
            counter.seq = 9999  # the month's 9,999 cases before the next
            session.add(counter)
    finally:
        await engine.dispose()
    await service.join(conversation="conv-2")
    await service.say("K123456 a second user sees the wrong font too, cosmetic", conversation="conv-2")
    await service.say("Yes, that's right", conversation="conv-2")
    number = (await stored_cases(service.db_url))[0].number
    assert number.endswith("-10000")
    told = texts(await service.say(f"K123456 status of case {number}", conversation="conv-3"))
    assert number in told and "Severity 3" in told


async def test_transcript_is_stored(service: Service) -> None:
    await service.join()
    await service.say("K123456 a question: how do I export a study to CD?")
    engine = create_engine(service.db_url)
    try:
        async with session_factory(engine)() as session:
            lines = await get_transcript(session, conversation_id=service.conversation)
    finally:
        await engine.dispose()
    roles = [line.role for line in lines]
    assert "customer" in roles and "bot" in roles
    assert any("export a study" in line.text for line in lines)


async def test_redelivered_activity_gets_the_same_answer_and_no_second_case(service: Service) -> None:
    await service.join()
    await service.say("K123456 the print preview icon is misaligned for one user")
    activity = {
        "type": "message",
        "id": "retry-me",
        "channelId": "webchat",
        "text": "Yes, that's right",
        "conversation": {"id": service.conversation},
        "from": {"id": "user-1"},
        "recipient": {"id": "bot"},
        "deliveryMode": "expectReplies",
    }
    status1, first = await service.post_activity(activity)
    status2, second = await service.post_activity(activity)
    assert status1 == status2 == 200
    assert [a.get("text") for a in first["activities"]] == [a.get("text") for a in second["activities"]]
    assert len(await stored_cases(service.db_url)) == 1


async def test_restart_mid_conversation_carries_on(db_url: str) -> None:
    clock = FakeClock()
    runner, base_url = await start_service(db_url, clock)
    async with ClientSession() as http:
        first = Service(base_url=base_url, http=http, app=runner.app, clock=clock, db_url=db_url)
        await first.join()
        asked = texts(await first.say("my account is K123456"))
        assert "K#" not in asked
    await runner.cleanup()

    runner, base_url = await start_service(db_url, clock)
    try:
        async with ClientSession() as http:
            second = Service(base_url=base_url, http=http, app=runner.app, clock=clock, db_url=db_url)
            second.counter = 100
            reply = await second.say("one radiologist's hanging protocol is wrong, cosmetic, others fine")
            assert "K#" not in texts(reply)  # the account survived the restart
            assert buttons(reply)  # straight on to the severity confirmation
    finally:
        await runner.cleanup()


async def test_health_and_readiness(service: Service) -> None:
    async with service.http.get(f"{service.base_url}/healthz") as response:
        assert response.status == 200
    async with service.http.get(f"{service.base_url}/readyz") as response:
        assert response.status == 200 and (await response.json())["status"] == "ready"


BASE = {"type": "message", "conversation": {"id": "c"}, "from": {"id": "u"}, "serviceUrl": "http://127.0.0.1:9/"}


async def _raw(
    service: Service, data: bytes | str, content_type: str = "application/json", **headers: str
) -> tuple[int, dict[str, object]]:
    async with service.http.post(
        f"{service.base_url}/api/messages", data=data, headers={"Content-Type": content_type, **headers}
    ) as response:
        return response.status, await response.json()


async def test_malformed_json(service: Service) -> None:
    status, body = await _raw(service, b'{"type": "message",')
    assert status == 400 and "JSON" in str(body["error"])


async def test_wrong_content_type(service: Service) -> None:
    status, body = await _raw(service, b"type=message", content_type="application/x-www-form-urlencoded")
    assert status == 415 and "application/json" in str(body["error"])


async def test_body_not_an_activity(service: Service) -> None:
    status, body = await _raw(service, b"[1, 2, 3]")
    assert status == 400 and "object" in str(body["error"])


async def test_missing_type(service: Service) -> None:
    status, body = await _raw(service, b'{"conversation": {"id": "c"}, "serviceUrl": "http://x/"}')
    assert status == 400 and "type" in str(body["error"])


async def test_missing_conversation(service: Service) -> None:
    status, body = await _raw(service, b'{"type": "message", "serviceUrl": "http://x/"}')
    assert status == 400 and "conversation" in str(body["error"])


async def test_missing_service_url_without_expect_replies(service: Service) -> None:
    status, body = await _raw(service, b'{"type": "message", "conversation": {"id": "c"}}')
    assert status == 400 and "serviceUrl" in str(body["error"])


async def test_body_over_256_kb(service: Service) -> None:
    big = '{"type": "message", "conversation": {"id": "c"}, "text": "' + "x" * (300 * 1024) + '"}'
    status, body = await _raw(service, big)
    assert status == 413 and "error" in body


async def test_bogus_authorization_header_is_refused(service: Service) -> None:
    import json

    # expectReplies: the activity's serviceUrl is never called, so only the token decides.
    activity = {**BASE, "deliveryMode": "expectReplies"}
    status, body = await _raw(service, json.dumps(activity), Authorization="Bearer not-a-jwt")
    assert status == 401 and "error" in body


async def test_server_stays_healthy_after_bad_input(service: Service) -> None:
    for payload in (
        b"{",
        b"null",
        b'{"type": 5, "conversation": {"id": "c"}}',
        b'{"type": "message", "conversation": "c"}',
    ):
        status, _ = await _raw(service, payload)
        assert 400 <= status < 500
    async with service.http.get(f"{service.base_url}/healthz") as response:
        assert response.status == 200
