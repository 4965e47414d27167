"""The client's IP address: the peer's, or what a trusted reverse proxy says in X-Forwarded-For."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from aiohttp import hdrs, web

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# More hops than any real proxy chain; a longer header is someone padding it.
_MAX_HOPS = 32


def parse_networks(raw: str) -> tuple[IPNetwork, ...]:
    """Parse "10.0.0.5, 192.168.0.0/16, ::1" into networks; raise ValueError naming a bad entry."""
    networks: list[IPNetwork] = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise ValueError(f"{item!r} is not an IP address or network like 10.0.0.5 or 10.0.0.0/8") from exc
    return tuple(networks)


def _address(raw: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(raw.strip())
    except ValueError:
        return None


def _trusted(address: IPAddress, networks: Sequence[IPNetwork]) -> bool:
    # An IPv4 peer may show up as ::ffff:a.b.c.d on a dual-stack socket.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address.version == network.version and address in network for network in networks)


def forwarded_client(peer: str | None, forwarded_for: Iterable[str], trusted: Sequence[IPNetwork]) -> str | None:
    """The client address: the peer unless it is a trusted proxy; then the X-Forwarded-For hops are read
    from the nearest back, and the first hop that is not itself a trusted proxy is the client.

    Only hops added by trusted proxies are believed: whatever a client wrote into the header itself sits
    further left and is never reached while an untrusted hop comes first.
    """
    current = _address(peer) if peer else None
    if current is None or not trusted or not _trusted(current, trusted):
        return peer
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",")]
    for hop in reversed(hops[-_MAX_HOPS:]):
        address = _address(hop)
        if address is None:
            break  # garbage from the proxy's own client: the proxy is the last address we can vouch for
        current = address
        if not _trusted(address, trusted):
            break
    return str(current)


def client_address(request: web.Request, trusted: Sequence[IPNetwork]) -> str | None:
    """The address of the client of `request` (see forwarded_client); None when aiohttp knows no peer."""
    return forwarded_client(request.remote, request.headers.getall(hdrs.X_FORWARDED_FOR, []), trusted)
