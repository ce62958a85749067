"""Who the client is, believing forwarded headers only from proxies the council trusts.

Limits are counted per client address, so the address must be one a client cannot choose.
Anyone can send ``X-Forwarded-For``; it is only read when the connection itself comes from a
configured trusted proxy (``CARECHAT_TRUSTED_PROXIES``), and then only the part those proxies
wrote: the right-most address that is not itself a trusted proxy. Everything to the left of it
was written by the client and may be made up.
"""
from __future__ import annotations

import ipaddress
from typing import Iterable, Optional, Sequence, Union

from aiohttp import web

from bot.settings import ConfigurationError

IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]
TrustedProxies = tuple[IPNetwork, ...]

#: What an unknown peer (no socket address, e.g. a Unix socket) is counted as.
UNKNOWN_ADDRESS = "unknown"
#: One IPv6 customer usually holds a whole /64, so limits count the /64, not each address in it.
IPV6_LIMIT_PREFIX = 64


def parse_trusted_proxies(entries: Iterable[str]) -> TrustedProxies:
    """The trusted proxies setting as networks; a bad entry stops start-up with a clear message."""
    networks: list[IPNetwork] = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as exc:
            raise ConfigurationError(
                f"CARECHAT_TRUSTED_PROXIES has an entry that is not an IP address or range: {entry!r}. "
                "List the addresses of your proxies or load balancers, for example 10.0.0.5 or 10.0.0.0/24."
            ) from exc
    return tuple(networks)


def parse_ip(text: Optional[str]) -> Optional[IPAddress]:
    """An IP address, with IPv4-mapped IPv6 (``::ffff:1.2.3.4``) read as the IPv4 it is; None if malformed."""
    if not text:
        return None
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def parse_hop(text: str) -> Optional[IPAddress]:
    """One ``X-Forwarded-For`` item: an address, or ``1.2.3.4:port`` / ``[2001:db8::1]:port``
    as some load balancers write it; None if malformed."""
    text = text.strip()
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not (rest.startswith(":") and rest[1:].isdigit())):
            return None
        return parse_ip(host)
    if text.count(":") == 1:
        host, _, port = text.partition(":")
        return parse_ip(host) if port.isdigit() else None
    return parse_ip(text)


def is_trusted(address: Optional[IPAddress], trusted: Sequence[IPNetwork]) -> bool:
    return address is not None and any(address.version == net.version and address in net for net in trusted)


def peer_is_trusted_proxy(request: web.BaseRequest, trusted: Sequence[IPNetwork]) -> bool:
    """Whether the connection itself comes from a trusted proxy (so its forwarded headers count)."""
    return bool(trusted) and is_trusted(parse_ip(request.remote), trusted)


def header_values(request: web.BaseRequest, name: str) -> list[str]:
    """Every comma-separated item of a (possibly repeated) header, left to right."""
    return [item.strip() for value in request.headers.getall(name, []) for item in value.split(",")]


def client_ip(request: web.BaseRequest, trusted: Sequence[IPNetwork]) -> Optional[IPAddress]:
    """The client's address: the peer, or behind trusted proxies the first hop they saw.

    A malformed ``X-Forwarded-For`` (any item not an IP address) is not believed at all: the
    peer is used, so a broken or hostile header never turns into a made-up address.
    """
    peer = parse_ip(request.remote)
    if peer is None or not is_trusted(peer, trusted):
        return peer
    hops = header_values(request, "X-Forwarded-For")
    if not hops or hops == [""]:
        return peer
    addresses = [parse_hop(hop) for hop in hops]
    if any(address is None for address in addresses):
        return peer
    for address in reversed(addresses):
        if not is_trusted(address, trusted):
            return address
    return addresses[0]  # every hop is a trusted proxy: the earliest one is the client


def client_address(request: web.BaseRequest, trusted: Sequence[IPNetwork]) -> str:
    """The client's address as text (``UNKNOWN_ADDRESS`` if the socket has none)."""
    address = client_ip(request, trusted)
    return UNKNOWN_ADDRESS if address is None else str(address)


def limit_key(request: web.BaseRequest, trusted: Sequence[IPNetwork]) -> str:
    """What per-address limits count: the IPv4 address, or the IPv6 /64 it sits in."""
    address = client_ip(request, trusted)
    if address is None:
        return UNKNOWN_ADDRESS
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, IPV6_LIMIT_PREFIX), strict=False))
    return str(address)


def forwarded_value(request: web.BaseRequest, name: str, trusted: Sequence[IPNetwork]) -> Optional[str]:
    """The right-most value of a forwarded header (the nearest proxy's), only from a trusted proxy."""
    if not peer_is_trusted_proxy(request, trusted):
        return None
    values = [value for value in header_values(request, name) if value]
    return values[-1] if values else None
