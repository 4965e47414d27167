"""Sign-in limits: counted before the hash, per name and address, a slower one per name, proxies trusted
only when configured, and unreadable form bodies refused with 400."""

from __future__ import annotations

import asyncio

import pytest

from bot.agents import passwords
from bot.agents.limits import ADDRESS_LIMIT, NAME_LIMIT, PAIR_LIMIT
from tests.bot.agents import AgentService, running

pytestmark = pytest.mark.usefixtures("fast_argon2")

PASSWORD = "erin's password!"


def _from(address: str) -> dict[str, dict[str, str]]:
    return {"headers": {"X-Forwarded-For": address}}


async def test_concurrent_wrong_passwords_on_two_processes_are_counted_before_any_is_hashed(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    real = passwords.verify_password

    def counting(password_hash: str, password: str) -> bool:
        checked.append(password)
        return real(password_hash, password)

    async with running(db_url) as first, running(db_url, clock=first.clock) as second:
        await first.signed_in("erin", password=PASSWORD)
        monkeypatch.setattr(passwords, "verify_password", counting)
        tries = [(first, second)[n % 2].sign_in("erin", f"guess {n}") for n in range(30)]
        statuses = sorted(status for status, _, _ in await asyncio.gather(*tries))
    assert statuses == [401] * PAIR_LIMIT.attempts + [429] * (30 - PAIR_LIMIT.attempts)
    assert len(checked) == PAIR_LIMIT.attempts


async def test_a_name_locked_from_one_address_still_signs_in_from_another(db_url: str) -> None:
    async with running(db_url, trusted_proxies="127.0.0.0/8") as svc:
        await svc.signed_in("erin", password=PASSWORD)
        for _ in range(PAIR_LIMIT.attempts):
            status, _, _ = await svc.sign_in("erin", "guess", **_from("203.0.113.7"))
            assert status == 401
        status, _, response = await svc.sign_in("erin", PASSWORD, **_from("203.0.113.7"))
        assert status == 429 and int(response.headers["Retry-After"]) == int(PAIR_LIMIT.window.total_seconds())
        status, _, _ = await svc.sign_in("erin", PASSWORD, **_from("198.51.100.2"))
        assert status == 200
        # Only the hop the trusted proxy added counts: what the client wrote in front of it is not believed.
        status, _, _ = await svc.sign_in("erin", PASSWORD, **_from("198.51.100.2, 203.0.113.7"))
        assert status == 429


async def test_without_trusted_proxies_x_forwarded_for_is_ignored(svc: AgentService) -> None:
    await svc.signed_in("erin", password=PASSWORD)
    for n in range(PAIR_LIMIT.attempts):
        status, _, _ = await svc.sign_in("erin", "guess", **_from(f"203.0.113.{n}"))
        assert status == 401
    status, _, _ = await svc.sign_in("erin", PASSWORD, **_from("198.51.100.2"))
    assert status == 429


async def test_guesses_spread_over_many_addresses_meet_the_slower_limit_per_name(db_url: str) -> None:
    async with running(db_url, trusted_proxies="127.0.0.1") as svc:
        await svc.signed_in("erin", password=PASSWORD)
        await svc.signed_in("frank", password="frank's password!")
        addresses = NAME_LIMIT.attempts // PAIR_LIMIT.attempts
        for n in range(addresses):
            for _ in range(PAIR_LIMIT.attempts):
                status, _, _ = await svc.sign_in("erin", "guess", **_from(f"203.0.113.{n}"))
                assert status == 401
        status, _, response = await svc.sign_in("erin", PASSWORD, **_from("198.51.100.2"))
        assert status == 429 and "Retry-After" in response.headers
        status, _, _ = await svc.sign_in("frank", "frank's password!", **_from("198.51.100.2"))
        assert status == 200
        svc.clock.now += NAME_LIMIT.window
        status, _, _ = await svc.sign_in("erin", PASSWORD, **_from("198.51.100.2"))
        assert status == 200


async def test_a_successful_sign_in_is_not_counted_against_the_address(svc: AgentService) -> None:
    await svc.signed_in("gina", password="gina's password!")
    for n in range(ADDRESS_LIMIT.attempts - 1):
        status, _, _ = await svc.sign_in(f"someone{n}", "guess")
        assert status == 401
    status, _, _ = await svc.sign_in("gina", "gina's password!")
    assert status == 200
    status, _, _ = await svc.sign_in("someone", "guess")  # the address's last failure left
    assert status == 401
    status, _, _ = await svc.sign_in("gina", "gina's password!")
    assert status == 429


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", b"name=\xff\xfe&password=x"),
        ("multipart/form-data; boundary=xyz", b"not multipart at all"),
        ("multipart/form-data", b"name=alice"),
        ("application/x-www-form-urlencoded; charset=no-such-charset", b"name=alice&password=x"),
    ],
)
async def test_unreadable_form_bodies_are_400(svc: AgentService, content_type: str, body: bytes) -> None:
    headers = {"Content-Type": content_type}
    async with svc.http.post(svc.url("/agent/sign-in"), data=body, headers=headers) as response:
        assert response.status == 400 and (await response.json())["error"]["code"] == "bad_form"
    # The CSRF check reads the form field of a signed-in browser's form post the same way.
    await svc.signed_in("hank", password="hank's password!")
    async with svc.http.post(svc.url("/agent/password"), data=body, headers=headers) as response:
        assert response.status == 400 and (await response.json())["error"]["code"] == "bad_form"
