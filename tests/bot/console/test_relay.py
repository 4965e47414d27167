"""The relay over the real gateway: bot silent while handed off, first responses, hand-back, timeouts, presence."""

from __future__ import annotations

from datetime import timedelta

from bot.handoff import HANDOFF
from intake.domain import Outcome
from store.cases import get_case, list_events
from store.handoffs import get_handoff, list_handoffs, queue
from store.transcripts import get_transcript
from tests.bot.conftest import SATURDAY_3AM, FakeClock

from .harness import Site, eventually, hand_off, running_site


async def _only_item(site: Site) -> int:
    async with site.sessions() as session:
        items = await queue(session)
    assert len(items) == 1, items
    return items[0].id


async def test_relay_both_ways_with_the_bot_silent_then_hand_back(db_url: str) -> None:
    async with running_site(db_url) as site:
        alice = await site.sign_in("alice")
        customer = await site.customer()
        await hand_off(customer, with_case=True)
        handoff_id = await _only_item(site)
        await customer.new_texts()
        # Waiting in the queue: the customer's words are kept for the agent; the bot says nothing.
        await customer.say("are you there?")
        assert await customer.new_texts() == []
        detail = await alice.ok("POST", f"/handoffs/{handoff_id}/claim")
        assert detail["handoff"]["status"] == "active" and detail["handoff"]["agent"]["name"] == "alice"
        assert [line["text"] for line in detail["transcript"] if line["role"] == "customer"][-1] == "are you there?"
        await customer.wait_for("Alice from the support team has joined")
        await customer.new_texts()
        await customer.say("how do I export to PDF?")
        assert await customer.new_texts() == []
        seen = await alice.ok("GET", f"/handoffs/{handoff_id}?after={detail['transcript'][-1]['id']}")
        assert [line["text"] for line in seen["transcript"]][-1] == "how do I export to PDF?"
        reply = await alice.ok("POST", f"/handoffs/{handoff_id}/messages", {"text": "Use File > Export > PDF."})
        assert await customer.new_texts() == ["Use File > Export > PDF."]
        assert reply["case"]["response_met"] is True and reply["case"]["first_response_at"] is not None
        await alice.ok("POST", f"/handoffs/{handoff_id}/messages", {"text": "Anything else?"})
        number = reply["case"]["number"]
        async with site.sessions() as session:
            kinds = [event.kind for event in await list_events(session, number=number)]
        assert kinds.count("first_response") == 1  # the first reply counts, not every reply
        back = await alice.ok("POST", f"/handoffs/{handoff_id}/hand-back")
        assert back["handoff"]["status"] == "returned"
        await customer.wait_for("Is there anything else I can help with?")
        assert "You're back with the assistant." in await customer.new_texts()
        # The dialogue carries on where it should: the bot answers again, and the agent no longer gets it.
        await customer.say("That's all")
        assert await customer.new_texts() == ["Thank you for contacting us. Goodbye!"]
        async with site.sessions() as session:
            lines = await get_transcript(session, conversation_id=customer.conversation_id)
        roles = [(line.role, line.text) for line in lines]
        assert ("agent", "Use File > Export > PDF.") in roles and ("customer", "how do I export to PDF?") in roles
        assert roles[-1] == ("bot", "Thank you for contacting us. Goodbye!")


async def test_a_late_first_reply_records_the_response_target_missed(db_url: str) -> None:
    clock = FakeClock()
    async with running_site(db_url, clock, sla_response="1:15m,2:1h,3:24h,4:10m") as site:
        alice = await site.sign_in("alice")
        customer = await site.customer()
        await hand_off(customer, with_case=True)
        handoff_id = await _only_item(site)
        await alice.ok("POST", f"/handoffs/{handoff_id}/claim")
        clock.now += timedelta(minutes=11)
        reply = await alice.ok("POST", f"/handoffs/{handoff_id}/messages", {"text": "Sorry for the wait."})
        assert reply["case"]["response_met"] is False
        async with site.sessions() as session:
            case = await get_case(session, number=reply["case"]["number"])
        assert case is not None and case.first_response_at == clock.now and case.response_met is False


async def test_nobody_takes_it_in_time_it_becomes_a_web_request(db_url: str) -> None:
    clock = FakeClock()
    async with running_site(db_url, clock) as site:
        await site.sign_in("alice")
        customer = await site.customer()
        await hand_off(customer, with_case=True)
        handoff_id = await _only_item(site)
        await customer.new_texts()
        clock.now += timedelta(seconds=299)
        assert await site.app[HANDOFF].expire_due() == 0  # a sweep round: not yet
        assert await customer.new_texts() == []
        clock.now += timedelta(seconds=2)
        told = await customer.wait_for("no live agent could take your chat in time")
        assert "as a web support request" in told and "an engineer will respond by" in told
        await customer.wait_for("Is there anything else I can help with?")
        async with site.sessions() as session:
            handoff = await get_handoff(session, handoff_id=handoff_id)
            assert handoff is not None and handoff.case_number is not None
            case = await get_case(session, number=handoff.case_number)
            events = await list_events(session, number=handoff.case_number)
        assert handoff.status.value == "timed_out"
        assert case is not None and case.outcome is Outcome.WEB_REQUEST
        assert events[-1].kind == "handoff_timed_out"
        assert events[-1].detail["outcome"] == {"from": "live_chat", "to": "web_request"}
        # Back with the bot: its next message is answered by the dialogue.
        await customer.new_texts()
        await customer.say("That's all")
        assert await customer.new_texts() == ["Thank you for contacting us. Goodbye!"]


async def test_timeout_without_a_case_says_so_and_resumes_the_intake(db_url: str) -> None:
    clock = FakeClock()
    async with running_site(db_url, clock, handoff_timeout_seconds=30) as site:
        await site.sign_in("alice")
        customer = await site.customer()
        await hand_off(customer, with_case=False)
        clock.now += timedelta(seconds=31)
        told = await customer.wait_for("no live agent could take your chat in time")
        assert "I haven't recorded a case for you yet" in told
        await customer.wait_for("What's your account number?")
        await customer.new_texts()
        await customer.say("K123456")
        assert "Thanks, K123456." in await customer.new_texts()


async def test_redelivered_message_is_relayed_once(db_url: str) -> None:
    async with running_site(db_url) as site:
        await site.sign_in("alice")
        customer = await site.customer()
        await hand_off(customer, with_case=False)
        # Web Chat resends a message whose answer it lost with the same clientActivityID.
        activity = {"type": "message", "text": "same words twice", "channelData": {"clientActivityID": "retry-1"}}
        url = f"{site.base_url}/v3/directline/conversations/{customer.conversation_id}/activities"
        headers = {"Authorization": f"Bearer {customer.token}"}
        for _ in range(2):
            async with customer.http.post(url, json=activity, headers=headers) as response:
                assert response.status == 200
        async with site.sessions() as session:
            lines = await get_transcript(session, conversation_id=customer.conversation_id)
        assert [line.text for line in lines].count("same words twice") == 1


async def test_presence_decides_whether_live_chat_is_offered(db_url: str) -> None:
    async with running_site(db_url) as site:
        alice = await site.sign_in("alice", available=False)
        customer = await site.customer()
        await customer.say("talk to an agent")
        assert "All our live agents are busy right now." in " ".join(await customer.new_texts())
        await alice.ok("POST", "/presence", {"presence": "available"})
        await customer.say("talk to an agent")
        await customer.wait_for("You're number 1 in the queue for a live agent.")
        await alice.ok("POST", "/presence", {"presence": "away"})
        other = await site.customer()
        await other.say("talk to an agent")
        assert "All our live agents are busy right now." in " ".join(await other.new_texts())
        status, _ = await alice.call("POST", "/presence", {"presence": "offline"})
        assert status == 422


async def test_live_chat_is_never_offered_outside_chat_hours(db_url: str) -> None:
    clock = FakeClock(SATURDAY_3AM)
    async with running_site(db_url, clock) as site:
        await site.sign_in("alice")  # available, but chat is closed
        customer = await site.customer()
        await customer.say("talk to an agent")
        assert "Live chat is closed right now" in " ".join(await customer.new_texts())
        async with site.sessions() as session:
            assert await list_handoffs(session) == []


async def test_a_disabled_agent_is_signed_out_and_not_counted(db_url: str) -> None:
    async with running_site(db_url) as site:
        alice = await site.sign_in("alice")
        customer = await site.customer()
        await hand_off(customer, with_case=False)
        handoff_id = await _only_item(site)
        await site.disable("alice")
        status, body = await alice.call("POST", f"/handoffs/{handoff_id}/claim")
        assert status == 401 and body["error"]["code"] == "not_signed_in"
        status, _ = await alice.call("GET", "/queue")
        assert status == 401
        other = await site.customer()
        await other.say("talk to an agent")
        assert "All our live agents are busy right now." in " ".join(await other.new_texts())
        await eventually(lambda: _status_is(site, handoff_id, "queued"))


async def _status_is(site: Site, handoff_id: int, status: str) -> bool:
    async with site.sessions() as session:
        handoff = await get_handoff(session, handoff_id=handoff_id)
    return handoff is not None and handoff.status.value == status
