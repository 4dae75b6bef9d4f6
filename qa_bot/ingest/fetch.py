"""Fetch a web page for ingestion, refusing requests that could reach inside the network (SSRF).

Only http(s) URLs are fetched. Every connection — the first and each redirect — resolves the
host itself and refuses loopback, private, link-local (cloud metadata), multicast and reserved
addresses, also when an IPv6 address carries one (6to4, NAT64, IPv4-mapped); it then connects to
the address it checked, so a name cannot resolve differently between check and use. Loopback and
private addresses are reached only for a host (and port) named in ``QA_BOT_ALLOW_HOSTS``, judged per
connection: a page, feed or redirect on an allowed host lends nothing to the links it contains.
Link-local, metadata and reserved addresses are never reached. Bodies are capped in size and the
whole fetch in time.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
import unicodedata
from dataclasses import replace
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from qa_bot.config import Settings
from qa_bot.errors import LoaderError
from qa_bot.ingest.article import article_id
from qa_bot.ingest.loaders import load_bytes
from qa_bot.models import Article

MAX_REDIRECTS = 5
USER_AGENT = "qa-bot/0.1 (+https://example.com/qa-bot; document ingestion)"
#: Pages, documents and feeds (RSS, Atom) are what URL ingest reads.
ACCEPT = ("text/html,text/plain,application/pdf,application/rss+xml,application/atom+xml,"
          "application/xml;q=0.9,*/*;q=0.5")


# Blocks refused whatever the setting, though ``ipaddress`` calls some of them global: Teredo
# (its client IPv4 is obfuscated and reached through a relay), deprecated site-local, "this
# network", IETF protocol assignments and the 6to4 relay anycast.
_NEVER = tuple(ipaddress.ip_network(n) for n in (
    "2001::/32", "fec0::/10", "0.0.0.0/8", "192.0.0.0/24", "192.88.99.0/24"))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def _embedded_ipv4(addr: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, 6to4, NAT64, IPv4-compatible), if any."""
    for embedded in (addr.ipv4_mapped, addr.sixtofour):
        if embedded is not None:
            return embedded
    if addr in _NAT64 or (addr in _IPV4_COMPATIBLE and int(addr) > 1):  # not :: or ::1
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    return None


def address_allowed(ip: str, allow_private: bool) -> bool:
    """True when ``ip`` is a public unicast address; with ``allow_private`` (an allow-listed host), loopback
    and private too.

    An IPv6 address that carries an IPv4 one (IPv4-mapped, 6to4, NAT64 ``64:ff9b::/96``,
    IPv4-compatible) is judged by that IPv4 address. Link-local addresses (169.254.0.0/16 — where
    cloud metadata services live — and fe80::/10), multicast, unspecified and reserved addresses,
    Teredo, site-local and the other blocks in ``_NEVER`` are never allowed, whatever the setting.
    """
    addr = ipaddress.ip_address(ip)
    if any(addr in net for net in _NEVER if net.version == addr.version):
        return False
    if isinstance(addr, ipaddress.IPv6Address) and (embedded := _embedded_ipv4(addr)) is not None:
        return address_allowed(str(embedded), allow_private)
    if addr.is_loopback:  # before is_reserved: ``ipaddress`` counts ::1 as reserved (it is in ::/8)
        return allow_private
    if addr.is_unspecified or addr.is_multicast or addr.is_link_local or addr.is_reserved:
        return False
    if allow_private and addr.is_private:
        return True
    return addr.is_global and not (addr.is_private or addr.is_loopback)


def _guarded_backend(settings: Settings, source: str):
    import httpcore

    class GuardedBackend(httpcore.SyncBackend):
        """Resolves, vets and pins the address of every connection the pool opens."""

        def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
            """Connect to the first address ``host`` resolves to, refusing it unless every address is allowed
            (private and loopback ones only when ``host:port`` itself is in ``QA_BOT_ALLOW_HOSTS``)."""
            try:
                infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except socket.gaierror:
                raise LoaderError(source, f"the host {host!r} could not be resolved; check the URL") from None
            allow_private = settings.host_allowed(host, port)
            ips = [info[4][0] for info in infos]
            bad = [ip for ip in ips if not address_allowed(ip, allow_private)]
            if bad or not ips:
                hint = ("" if allow_private else
                        f"; to read a host of your own, add {_host_port(host, port)} to QA_BOT_ALLOW_HOSTS")
                raise LoaderError(source, f"refused: {host} resolves to a private, loopback or reserved address "
                                          f"({bad[0] if bad else 'none'}); only public web pages can be fetched{hint}")
            return super().connect_tcp(ips[0], port, timeout, local_address, socket_options)

    return GuardedBackend()


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def check_url(url: str) -> str:
    """Refuse anything but an absolute http(s) URL with a host; returns it as the ASCII URL to request.

    An internationalised host name is sent in its IDNA (``xn--``) form, other non-ASCII characters
    percent-encoded. A host whose characters no host name may hold (full-width digits, invisible
    characters) is refused rather than folded into something else.

    Raises:
        LoaderError: naming the URL and what is wrong with it.
    """
    source = url[:200]
    if not url or not url.strip():
        raise LoaderError("URL", "empty; give an http or https address such as https://example.com/story")
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as err:
        raise LoaderError(source, f"not a valid URL ({err}); check the address") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise LoaderError(source, f"only http and https URLs can be fetched (got {parts.scheme or 'no scheme'!r})")
    if not parts.hostname:
        raise LoaderError(source, "the URL has no host name")
    if parts.username or parts.password:
        raise LoaderError(source, "URLs with user names or passwords are refused")
    host = _ascii_host(parts.hostname, source)
    netloc = (f"[{host}]" if ":" in host else host) + (f":{port}" if port is not None else "")
    rest = [quote(part, safe="!#$%&'()*+,/:;=?@[]~") for part in (parts.path, parts.query, parts.fragment)]
    return urlunsplit((parts.scheme.lower(), netloc, *rest))


def _ascii_host(host: str, source: str) -> str:
    """``host`` as an ASCII host name (IDNA for an internationalised name).

    Raises:
        LoaderError: characters that no host name may hold.
    """
    if host.isascii():
        return host
    import idna

    try:
        return idna.encode(host, uts46=False).decode("ascii")
    except idna.IDNAError:
        bad = next((ch for ch in host if not ch.isascii() and not _idna_letter(ch)), host[0])
        name = unicodedata.name(bad, f"U+{ord(bad):04X}").lower()
        raise LoaderError(source, f"the host name {host!r} holds a character no host name may have ({name}); "
                                  "type the address in plain letters and digits") from None


def _idna_letter(ch: str) -> bool:
    """True for a character an internationalised host name may hold."""
    import idna

    try:
        idna.encode(ch, uts46=False)
        return True
    except idna.IDNAError:
        return False


def fetch(url: str, settings: Settings, max_bytes: int | None = None) -> tuple[str, bytes, str]:
    """GET ``url`` following at most five redirects, each re-checked.

    Returns:
        ``(final_url, body, content_type)``.

    Raises:
        LoaderError: refused address or scheme, HTTP error, timeout, or a body over the cap.
    """
    import httpcore

    source = url[:200]
    max_bytes = max_bytes or int(settings.max_upload_mb * 1e6)
    deadline = time.monotonic() + settings.url_timeout_s
    pool = httpcore.ConnectionPool(network_backend=_guarded_backend(settings, source),
                                   ssl_context=ssl.create_default_context(), max_connections=2)
    current = url
    try:
        for _ in range(MAX_REDIRECTS + 1):
            current = check_url(current)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LoaderError(source, f"the server took longer than {settings.url_timeout_s:g}s; try again later")
            timeout = {"connect": remaining, "read": remaining, "write": remaining, "pool": remaining}
            with pool.stream("GET", current, headers={"User-Agent": USER_AGENT, "Accept": ACCEPT},
                             extensions={"timeout": timeout}) as response:
                headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in response.headers}
                if response.status in (301, 302, 303, 307, 308) and "location" in headers:
                    current = urljoin(current, headers["location"])
                    continue
                if response.status >= 400:
                    raise LoaderError(source, f"the server answered HTTP {response.status}; check the URL")
                declared = headers.get("content-length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise LoaderError(source, f"the page is {int(declared) / 1e6:.1f} MB, over the {max_bytes / 1e6:g} MB limit")
                body = bytearray()
                for piece in response.iter_stream():
                    body.extend(piece)
                    if len(body) > max_bytes:
                        raise LoaderError(source, f"the page is over the {max_bytes / 1e6:g} MB limit")
                    if time.monotonic() > deadline:
                        raise LoaderError(source, f"the server took longer than {settings.url_timeout_s:g}s; try again later")
                return current, bytes(body), headers.get("content-type", "")
        raise LoaderError(source, f"more than {MAX_REDIRECTS} redirects; give the final address instead")
    except (httpcore.TimeoutException,) as err:
        raise LoaderError(source, f"the server took longer than {settings.url_timeout_s:g}s ({type(err).__name__}); try again later") from None
    except (httpcore.ConnectError, httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol) as err:
        raise LoaderError(source, f"could not fetch the page ({type(err).__name__}: {str(err)[:80]})") from None
    finally:
        pool.close()


def fetch_article(url: str, settings: Settings) -> Article:
    """Fetch ``url`` and turn it into an article (HTML, plain text or PDF by content type).

    A page that names no URL of its own gets the final address (after redirects) and the id
    derived from it; the article's source is always ``url`` as given.

    Raises:
        LoaderError: the fetch was refused or failed (see :func:`fetch`), or the body is unusable.
    """
    check_url(url)
    return page_article(url, *fetch(url, settings))


def page_article(url: str, final_url: str, body: bytes, content_type: str) -> Article:
    """The article in a fetched page (:func:`fetch`'s result for ``url``), read by its content type.

    Raises:
        LoaderError: the body is unusable.
    """
    kind = content_type.split(";")[0].strip().lower()
    name = {"application/pdf": "page.pdf", "text/plain": "page.txt", "text/markdown": "page.md"}.get(kind, "page.html")
    articles = load_bytes(body, name, source=url[:200])
    article = articles[0]
    if not article.url:
        article = replace(article, url=final_url, id=article_id(final_url, article.text))
    return replace(article, source=url[:200])
