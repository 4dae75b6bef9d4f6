"""URL ingestion refuses to reach inside the network (SSRF) and bounds size and time."""

import socket

import pytest

from qa_bot.ingest import fetch
from qa_bot.config import Settings
from qa_bot.errors import LoaderError
from qa_bot.ingest.fetch import address_allowed, fetch_article

from tests.servers import PageServer, endless_body, slow_body

PAGE = (b"<html><head><title>Public page</title></head><body><article><p>A public page about the summit "
        b"with enough words.</p></article></body></html>")


@pytest.fixture
def server():
    routes = {
        "/page": (200, {"Content-Type": "text/html"}, PAGE),
        "/to-secret": (302, {"Location": "http://127.0.0.2:{port}/secret"}, b""),
        "/to-file": (302, {"Location": "file:///etc/passwd"}, b""),
        "/secret": (200, {"Content-Type": "text/plain"}, b"internal secret text that must never be read"),
        "/big": (200, {"Content-Type": "text/plain"}, b"y" * 3_000_000),
        "/endless": (200, {}, endless_body),
        "/slow": (200, {}, slow_body(10)),
        "/loop": (302, {"Location": "/loop"}, b""),
        "/missing": (404, {}, b""),
    }
    with PageServer(routes, host="0.0.0.0") as srv:
        srv.host = "127.0.0.1"
        yield srv


def settings(**kw):
    return Settings(url_timeout_s=kw.pop("timeout", 3), max_upload_mb=kw.pop("mb", 1), **kw)


@pytest.fixture
def no_connections(monkeypatch):
    """Fail the test on any attempt to open a connection."""
    def no_connect(*a, **k):
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(socket, "create_connection", no_connect)


@pytest.mark.parametrize("ip, public", [
    ("127.0.0.1", False), ("10.1.2.3", False), ("172.16.0.1", False), ("192.168.1.1", False),
    ("169.254.169.254", False), ("::1", False), ("fe80::1", False), ("0.0.0.0", False), ("224.0.0.1", False),
    ("::ffff:127.0.0.1", False), ("100.64.0.1", False), ("93.184.216.34", True), ("2606:4700::1111", True),
])
def test_only_public_unicast_addresses_are_allowed(ip, public):
    assert address_allowed(ip, allow_private=False) is public


@pytest.mark.parametrize("url, message", [
    ("file:///etc/passwd", "only http and https"), ("ftp://example.com/x", "only http and https"),
    ("gopher://127.0.0.1/", "only http and https"), ("javascript:alert(1)", "only http and https"),
    ("http://user:pw@example.com/", "user names or passwords"), ("http:///nohost", "no host name"),
    ("http://169.254.169.254/latest/meta-data/", "private, loopback or reserved"),
    ("http://localhost:1/", "private, loopback or reserved"),
    ("http://[::1]:1/", "private, loopback or reserved"),
    ("http://10.0.0.1/", "private, loopback or reserved"),
])
def test_refused_urls_never_connect(url, message, no_connections):
    with pytest.raises(LoaderError, match=message):
        fetch_article(url, settings())


@pytest.mark.parametrize("ip", ["169.254.169.254", "fe80::1", "224.0.0.1", "0.0.0.0", "240.0.0.1"])
def test_link_local_metadata_and_reserved_addresses_stay_refused_with_the_allowance(ip):
    assert address_allowed(ip, allow_private=True) is False


# Finding 12 (issue 14): IPv6 forms that carry an IPv4 address are judged by that IPv4, and the
# reserved blocks that ``ipaddress`` calls global are refused by policy.
EMBEDDED_AND_RESERVED = [
    # (address, allowed by default, allowed for a host in QA_BOT_ALLOW_HOSTS)
    ("2002:7f00:1::1", False, True),            # 6to4 of 127.0.0.1
    ("2002:a9fe:a9fe::1", False, False),        # 6to4 of 169.254.169.254 (cloud metadata)
    ("2002:a00:1::1", False, True),             # 6to4 of 10.0.0.1
    ("2002:c058:6301::1", False, False),        # 6to4 of the 6to4 relay anycast 192.88.99.1
    ("2002:5db8:d822::1", True, True),          # 6to4 of a public address
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False, False),  # Teredo: the client IPv4 is obfuscated
    ("2001::1", False, False),                  # Teredo
    ("64:ff9b::7f00:1", False, True),           # NAT64 of 127.0.0.1
    ("64:ff9b::a9fe:a9fe", False, False),       # NAT64 of 169.254.169.254
    ("64:ff9b::5db8:d822", True, True),         # NAT64 of a public address
    ("::7f00:1", False, True),                  # IPv4-compatible 127.0.0.1
    ("::a9fe:a9fe", False, False),              # IPv4-compatible 169.254.169.254
    ("::ffff:127.0.0.1", False, True),          # IPv4-mapped loopback
    ("::ffff:169.254.169.254", False, False),   # IPv4-mapped metadata
    ("fec0::1", False, False),                  # site-local (deprecated)
    ("192.0.0.1", False, False), ("192.0.0.9", False, False),  # IETF protocol assignments
    ("192.88.99.1", False, False),              # 6to4 relay anycast
    ("100.64.0.1", False, False),               # carrier-grade NAT
    ("198.18.0.1", False, True),                # benchmarking
    ("0.0.0.0", False, False), ("0.1.2.3", False, False),  # "this network"
    ("240.0.0.1", False, False), ("255.255.255.255", False, False),
    ("::", False, False),
    ("::1", False, True),                       # loopback
    ("127.0.0.1", False, True), ("10.1.2.3", False, True), ("fc00::1", False, True),
    ("fe80::1", False, False), ("ff02::1", False, False),
    ("93.184.216.34", True, True), ("2606:4700::1111", True, True),
]


@pytest.mark.parametrize("ip, public, with_allowance", EMBEDDED_AND_RESERVED)
def test_embedded_ipv4_and_reserved_blocks_are_classified_by_what_they_reach(ip, public, with_allowance):
    assert address_allowed(ip, allow_private=False) is public
    assert address_allowed(ip, allow_private=True) is with_allowance


@pytest.mark.parametrize("ip", ["2002:7f00:1::1", "2002:a9fe:a9fe::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2",
                                "64:ff9b::a9fe:a9fe", "fec0::1", "192.0.0.9", "192.88.99.1"])
def test_a_name_resolving_to_an_embedded_private_address_is_refused_before_connecting(ip, monkeypatch):
    def no_connect(*a, **k):
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(socket, "getaddrinfo", lambda host, port, **kw: [(0, 0, 0, "", (ip, port))])
    monkeypatch.setattr(socket, "create_connection", no_connect)
    with pytest.raises(LoaderError, match="private, loopback or reserved"):
        fetch_article("http://news.example.com/page", settings())


def test_loopback_is_refused_by_default_and_allowed_by_name(server):
    with pytest.raises(LoaderError, match=f"private, loopback.*add 127.0.0.1:{server.port} to QA_BOT_ALLOW_HOSTS"):
        fetch_article(server.url("/page"), settings())
    with pytest.raises(LoaderError, match="private, loopback"):  # another port of the same host
        fetch_article(server.url("/page"), settings(allow_hosts=f"127.0.0.1:{server.port + 1}"))
    with pytest.raises(LoaderError, match="private, loopback"):  # the same address under another name
        fetch_article(f"http://localhost:{server.port}/page", settings(allow_hosts=f"127.0.0.1:{server.port}"))
    assert server.hits.get("/page") is None
    art = fetch_article(server.url("/page"), settings(allow_hosts=f"127.0.0.1:{server.port}"))
    assert art.title == "Public page" and art.url == server.url("/page")
    assert fetch_article(server.url("/page"), settings(allow_hosts="127.0.0.1")).title == "Public page"


def test_an_allowed_host_never_reaches_metadata_or_link_local_addresses(no_connections):
    for url, allow in (("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),
                       ("http://[fe80::1]:8080/", "[fe80::1]:8080")):
        with pytest.raises(LoaderError, match="private, loopback or reserved"):
            fetch_article(url, settings(allow_hosts=allow))


def test_a_redirect_from_an_allowed_host_is_judged_on_its_own(server):
    # 127.0.0.2 is another loopback address: not named in the allow-list, so the redirect to it is refused.
    with pytest.raises(LoaderError, match="127.0.0.2 resolves to a private"):
        fetch_article(server.url("/to-secret"), settings(allow_hosts=f"127.0.0.1:{server.port}"))
    assert server.hits.get("/secret") is None and server.hits.get("/to-secret") == 1


@pytest.mark.parametrize("url, message", [
    ("", "URL: empty; give an http or https address"),
    ("   ", "URL: empty; give an http or https address"),
    ("http://\uff11\uff12\uff17.0.0.1/x", "holds a character no host name may have \\(fullwidth digit one\\)"),
    ("http://exa\u200bmple.com/", "no host name may have \\(zero width space\\)"),
    ("http://example.com:99999/", "not a valid URL"),
])
def test_malformed_urls_are_refused_in_one_clear_line(url, message, no_connections):
    with pytest.raises(LoaderError, match=message) as refused:
        fetch_article(url, settings())
    assert not str(refused.value).startswith(":") and "TypeError" not in str(refused.value)


def test_an_internationalised_host_is_requested_in_its_ascii_form():
    assert fetch.check_url("http://B\u00fccher.example/caf\u00e9 menu?q=\u00e9") == \
        "http://xn--bcher-kva.example/caf%C3%A9%20menu?q=%C3%A9"
    assert fetch.check_url("https://example.com/a%20b") == "https://example.com/a%20b"


def test_a_name_that_resolves_to_a_private_address_is_refused(monkeypatch):
    real = socket.getaddrinfo

    def fake(host, *a, **k):
        if host == "innocent.example.com":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", 80))]
        return real(host, *a, **k)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    with pytest.raises(LoaderError, match="resolves to a private"):
        fetch_article("http://innocent.example.com/story", settings())


def test_redirects_are_checked_at_every_hop(server, monkeypatch):
    # Allow exactly 127.0.0.1 (the test's "public" server); 127.0.0.2 stands for an internal host.
    real = fetch.address_allowed
    monkeypatch.setattr(fetch, "address_allowed", lambda ip, allow: ip == "127.0.0.1" or real(ip, False))
    with pytest.raises(LoaderError, match="resolves to a private"):
        fetch_article(server.url("/to-secret"), settings())
    assert server.hits.get("/secret") is None
    with pytest.raises(LoaderError, match="only http and https"):
        fetch_article(server.url("/to-file"), settings())
    with pytest.raises(LoaderError, match="more than 5 redirects"):
        fetch_article(server.url("/loop"), settings())


def test_size_time_and_status_limits(server):
    allow = {"allow_hosts": "127.0.0.1"}
    with pytest.raises(LoaderError, match="over the 1 MB limit"):
        fetch_article(server.url("/big"), settings(**allow))
    with pytest.raises(LoaderError, match="over the 1 MB limit"):
        fetch_article(server.url("/endless"), settings(**allow))
    with pytest.raises(LoaderError, match="longer than 1s"):
        fetch_article(server.url("/slow"), settings(timeout=1, **allow))
    with pytest.raises(LoaderError, match="HTTP 404"):
        fetch_article(server.url("/missing"), settings(**allow))
