"""The client address behind reverse proxies: X-Forwarded-For is believed only from trusted proxies."""

from __future__ import annotations

import pytest

from bot.client_address import forwarded_client, parse_networks
from bot.settings import ConfigError, load_settings

PROXIES = parse_networks("10.0.0.5, 192.168.0.0/16, ::1")


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        # No proxy trusted, or the peer is not one: the header is anyone's to write.
        ("203.0.113.9", ["198.51.100.1"], "203.0.113.9"),
        # The trusted proxy says who connected to it.
        ("10.0.0.5", ["198.51.100.1"], "198.51.100.1"),
        # A chain of trusted proxies is walked back to the first untrusted hop...
        ("10.0.0.5", ["198.51.100.1, 192.168.4.4"], "198.51.100.1"),
        # ...which stops there: what the client itself wrote further left is never reached.
        ("10.0.0.5", ["1.2.3.4, 198.51.100.1"], "198.51.100.1"),
        # Several header lines are one list, in order.
        ("10.0.0.5", ["1.2.3.4", "198.51.100.1"], "198.51.100.1"),
        # Garbage stops the walk at the last address a trusted proxy vouched for.
        ("10.0.0.5", ["nonsense"], "10.0.0.5"),
        ("10.0.0.5", ["198.51.100.1, nonsense, 192.168.1.1"], "192.168.1.1"),
        # A trusted proxy without the header is itself the client.
        ("10.0.0.5", [], "10.0.0.5"),
        # IPv6 and an IPv4 peer seen through a dual-stack socket.
        ("::1", ["2001:db8::7"], "2001:db8::7"),
        ("::ffff:10.0.0.5", ["198.51.100.1"], "198.51.100.1"),
        (None, ["198.51.100.1"], None),
    ],
)
def test_forwarded_client(peer: str | None, forwarded: list[str], client: str | None) -> None:
    assert forwarded_client(peer, forwarded, PROXIES) == client


def test_nothing_is_trusted_by_default() -> None:
    assert forwarded_client("10.0.0.5", ["198.51.100.1"], ()) == "10.0.0.5"
    assert load_settings().trusted_proxy_networks == ()


def test_trusted_proxies_setting_is_checked() -> None:
    assert load_settings(trusted_proxies="10.0.0.5, 10.1.0.0/16").trusted_proxy_networks == parse_networks(
        "10.0.0.5,10.1.0.0/16"
    )
    with pytest.raises(ConfigError, match=r"TRUSTED_PROXIES: .*'10\.0\.0\.300' is not an IP address"):
        load_settings(trusted_proxies="10.0.0.300")
