"""The client address that per-address limits count: forwarded headers only from trusted proxies."""
from __future__ import annotations

import pytest
from aiohttp.test_utils import make_mocked_request
from multidict import CIMultiDict

from bot.gateway.client_address import (
    UNKNOWN_ADDRESS,
    client_address,
    forwarded_value,
    limit_key,
    parse_trusted_proxies,
)
from bot.settings import ConfigurationError

PROXIES = parse_trusted_proxies(["10.0.0.0/8", "2001:db8:ff::1"])


def request_from(peer: str | None, *headers: tuple[str, str]):
    """A request whose socket peer is ``peer``, with the given (possibly repeated) headers."""
    request = make_mocked_request("POST", "/api/chat", headers=CIMultiDict(headers))
    return request.clone(remote=peer) if peer is not None else request


def test_without_trusted_proxies_the_peer_is_the_client_whatever_xff_says() -> None:
    request = request_from("203.0.113.9", ("X-Forwarded-For", "198.51.100.1"))
    assert client_address(request, ()) == "203.0.113.9"


def test_spoofed_xff_from_an_untrusted_peer_is_ignored() -> None:
    request = request_from("203.0.113.9", ("X-Forwarded-For", "10.0.0.7, 198.51.100.1"))
    assert client_address(request, PROXIES) == "203.0.113.9"


def test_behind_a_trusted_proxy_the_right_most_untrusted_hop_is_the_client() -> None:
    # The client wrote 6.6.6.6 itself; the edge proxy appended the real client; an inner proxy appended the edge.
    request = request_from("10.0.0.5", ("X-Forwarded-For", "6.6.6.6, 203.0.113.7, 10.0.0.9"))
    assert client_address(request, PROXIES) == "203.0.113.7"


def test_repeated_xff_headers_are_read_as_one_list() -> None:
    request = request_from("10.0.0.5", ("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-For", "203.0.113.7"))
    assert client_address(request, PROXIES) == "203.0.113.7"


def test_trusted_peer_without_xff_is_itself_the_client() -> None:
    assert client_address(request_from("10.0.0.5"), PROXIES) == "10.0.0.5"
    assert client_address(request_from("10.0.0.5", ("X-Forwarded-For", "")), PROXIES) == "10.0.0.5"


@pytest.mark.parametrize("header", ["not-an-ip", "203.0.113.7, junk", "203.0.113.7,", "999.1.1.1", "203.0.113.7:port"])
def test_malformed_xff_falls_back_to_the_peer(header: str) -> None:
    assert client_address(request_from("10.0.0.5", ("X-Forwarded-For", header)), PROXIES) == "10.0.0.5"


@pytest.mark.parametrize("hop,client", [("203.0.113.7:51234", "203.0.113.7"),
                                        ("[2001:db8::7]:443", "2001:db8::7"),
                                        ("2001:db8::7", "2001:db8::7")])
def test_hops_written_with_a_port_are_read(hop: str, client: str) -> None:
    assert client_address(request_from("10.0.0.5", ("X-Forwarded-For", hop)), PROXIES) == client


def test_when_every_hop_is_a_trusted_proxy_the_earliest_is_the_client() -> None:
    request = request_from("10.0.0.5", ("X-Forwarded-For", "10.1.1.1, 10.2.2.2"))
    assert client_address(request, PROXIES) == "10.1.1.1"


def test_ipv4_mapped_peer_is_matched_against_ipv4_proxies() -> None:
    request = request_from("::ffff:10.0.0.5", ("X-Forwarded-For", "203.0.113.7"))
    assert client_address(request, PROXIES) == "203.0.113.7"
    assert client_address(request_from("::ffff:203.0.113.9"), ()) == "203.0.113.9"


def test_ipv6_proxy_entry_is_trusted() -> None:
    request = request_from("2001:db8:ff::1", ("X-Forwarded-For", "198.51.100.3"))
    assert client_address(request, PROXIES) == "198.51.100.3"


def test_no_socket_address_is_counted_as_unknown() -> None:
    request = make_mocked_request("POST", "/api/chat")
    assert request.remote is None
    assert client_address(request, PROXIES) == UNKNOWN_ADDRESS


def test_limits_count_an_ipv6_client_by_its_64() -> None:
    one = request_from("2001:db8:1:2:aaaa::1")
    other_in_same_64 = request_from("2001:db8:1:2:ffff::9")
    next_64 = request_from("2001:db8:1:3::1")
    assert limit_key(one, ()) == limit_key(other_in_same_64, ()) == "2001:db8:1:2::/64"
    assert limit_key(next_64, ()) != limit_key(one, ())
    assert limit_key(request_from("203.0.113.9"), ()) == "203.0.113.9"


def test_forwarded_headers_are_only_believed_from_a_trusted_proxy() -> None:
    headers = (("X-Forwarded-Proto", "http, https"), ("X-Forwarded-Host", "carechat.example.gov.uk"))
    assert forwarded_value(request_from("10.0.0.5", *headers), "X-Forwarded-Proto", PROXIES) == "https"
    assert forwarded_value(request_from("10.0.0.5", *headers), "X-Forwarded-Host", PROXIES) == "carechat.example.gov.uk"
    assert forwarded_value(request_from("203.0.113.9", *headers), "X-Forwarded-Host", PROXIES) is None
    assert forwarded_value(request_from("10.0.0.5", *headers), "X-Forwarded-Host", ()) is None


@pytest.mark.parametrize("entry", ["proxy.example", "10.0.0.0/33", "10.0.0.300"])
def test_a_trusted_proxy_that_is_not_an_address_stops_start_up(entry: str) -> None:
    with pytest.raises(ConfigurationError, match="CARECHAT_TRUSTED_PROXIES"):
        parse_trusted_proxies(["10.0.0.1", entry])


def test_trusted_proxies_accept_addresses_and_ranges() -> None:
    assert [str(net) for net in parse_trusted_proxies(["10.0.0.1", "192.168.0.0/16", "::1"])] == [
        "10.0.0.1/32", "192.168.0.0/16", "::1/128"]
