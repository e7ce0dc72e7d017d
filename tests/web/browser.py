"""A small browser over FastAPI's TestClient: keeps cookies, reads forms, submits them.

Tests submit the forms the pages actually render (hidden fields, checked boxes, textareas),
so a missing CSRF field or a wrong action fails the test the way it would fail a person.
Every response is recorded so header and no-leak checks can look at all of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    buttons: list[tuple[str, str, str]] = field(default_factory=list)  # name, value, formaction

    def value(self, name: str) -> str | None:
        return next((v for k, v in self.fields if k == name), None)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._textarea: str | None = None
        self._text = ""
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower()))
            return
        if not self.forms:
            return
        form = self.forms[-1]
        if tag == "input" and "name" in a and "disabled" not in a:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    form.fields.append((a["name"], a.get("value", "on")))
            elif kind not in ("submit", "button"):
                form.fields.append((a["name"], a.get("value", "")))
        elif tag == "button":
            form.buttons.append((a.get("name", ""), a.get("value", ""), a.get("formaction", "")))
        elif tag == "textarea":
            self._textarea, self._text = a.get("name"), ""
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            form.fields.append((self._select, a.get("value", "")))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea is not None and self.forms:
            self.forms[-1].fields.append((self._textarea, self._text))
            self._textarea = None
        elif tag == "select":
            self._select = None


def forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def links(html: str) -> list[str]:
    """Every link's href, in page order (entities decoded, as a browser would follow it)."""
    parser = _LinkParser()
    parser.feed(html)
    return parser.hrefs


@dataclass
class Visit:
    """One request and its response, kept for the all-responses checks."""

    who: str
    method: str
    path: str
    response: httpx.Response


class Browser:
    def __init__(
        self,
        app: FastAPI,
        who: str,
        log: list[Visit],
        *,
        base_url: str = "http://testserver",
        address: str = "testclient",
    ) -> None:
        self.client = TestClient(
            app, base_url=base_url, follow_redirects=False, client=(address, 50000)
        )
        self.who = who
        self.log = log
        self.url = "/"

    def _keep(self, method: str, path: str, response: httpx.Response) -> httpx.Response:
        self.log.append(Visit(self.who, method, path, response))
        return response

    def get(self, url: str) -> httpx.Response:
        path = _path(url)
        self.url = path
        return self._keep("GET", path, self.client.get(path))

    def head(self, url: str) -> httpx.Response:
        path = _path(url)
        return self._keep("HEAD", path, self.client.head(path))

    def post(self, url: str, data: list[tuple[str, str]] | dict[str, str]) -> httpx.Response:
        path = _path(url)
        pairs = list(data.items()) if isinstance(data, dict) else data
        return self._keep("POST", path, self.client.post(path, data=_multi(pairs)))

    def follow(self, response: httpx.Response) -> httpx.Response:
        assert response.status_code in (302, 303), (response.status_code, response.text[:300])
        return self.get(response.headers["location"])

    def click(self, html: str, path: str) -> httpx.Response:
        """Follow the page's first link to `path` (its query, if any, comes along)."""
        found = [h for h in links(html) if urlsplit(h).path == path]
        assert found, f"no link to {path!r} on the page"
        return self.get(found[0])

    def form(self, html: str, action: str | re.Pattern[str] | None = None) -> Form:
        """The page's form with this action (a string or pattern); None: the only form."""
        found = [
            f
            for f in forms(html)
            if action is None
            or (f.action == action if isinstance(action, str) else action.search(f.action))
        ]
        found = [f for f in found if f.method == "post"] or found
        assert found, f"no form {action!r} on the page"
        return found[0] if action is not None else found[-1]

    def submit(
        self,
        form: Form,
        *,
        button: str | None = None,
        set: dict[str, str | list[str]] | None = None,
    ) -> httpx.Response:
        """Submit like a browser: the form's own fields, with `set` typed over them."""
        set = set or {}
        pairs = [(k, v) for k, v in form.fields if k not in set]
        for name, value in set.items():
            pairs += [(name, v) for v in ([value] if isinstance(value, str) else value)]
        action = form.action or self.url
        for name, value, formaction in form.buttons:
            # `button` is a button's name, or "name=value" where several share one name.
            if button is not None and button in (name, f"{name}={value}"):
                pairs.append((name, value))
                action = formaction or action
                break
        return self.post(action, pairs)


def _multi(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in pairs:
        out.setdefault(k, []).append(v)
    return out


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
