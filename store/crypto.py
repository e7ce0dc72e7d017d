"""Envelope encryption, the master key ring and the blind index.

Every sensitive field is AES-256-GCM under a data key; data keys are wrapped by the active
master key. Associated data binds a ciphertext to its table, row and field, so a ciphertext
copied to another row or column does not decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import unicodedata
from collections.abc import Mapping
from datetime import date
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = b"\x01"
_NONCE = 12
KEY_BYTES = 32
_KID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


class CryptoError(Exception):
    """A ciphertext, key or key ring that cannot be used. Never carries plaintext."""


class KeyUnavailable(CryptoError):
    """No usable key: pages that need it fail closed."""


def new_data_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def associated_data(table: str, row_id: str, field: str) -> bytes:
    return f"flare/{table}/{row_id}/{field}".encode()


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    return _seal(_aead_for(key), plaintext, aad)


def unseal(key: bytes, blob: bytes, aad: bytes) -> bytes:
    return _unseal(_aead_for(key), blob, aad)


# AESGCM objects for the data keys in use, so a row's fields (and the next request for the same
# concern) do not build one again; bounded, and emptied whole when full. Holds nothing a
# process with the data key in hand did not already hold; a shredded key's wrapped copy is gone
# from the store, so nothing asks for it again, and `forget` drops it at once.
_AEAD_CACHE_SIZE = 1024
_aeads: dict[bytes, AESGCM] = {}


def _aead_for(key: bytes) -> AESGCM:
    aead = _aeads.get(key)
    if aead is None:
        aead = AESGCM(key)
        if len(_aeads) >= _AEAD_CACHE_SIZE:
            _aeads.clear()
        _aeads[key] = aead
    return aead


def forget(key: bytes) -> None:
    """Drop a data key's cached AESGCM (after shredding it)."""
    _aeads.pop(key, None)


def _seal(aead: AESGCM, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(_NONCE)
    return b"".join((_VERSION, nonce, aead.encrypt(nonce, plaintext, aad)))


def _unseal(aead: AESGCM, blob: bytes, aad: bytes) -> bytes:
    if len(blob) < 1 + _NONCE + 16 or blob[:1] != _VERSION:
        raise CryptoError("malformed ciphertext")
    try:
        return aead.decrypt(blob[1 : 1 + _NONCE], blob[1 + _NONCE :], aad)
    except InvalidTag:
        raise CryptoError("ciphertext does not authenticate (wrong key, row or field)") from None


class FieldCipher:
    """Seals and opens the text fields of one row under one data key."""

    __slots__ = ("_aead", "_prefix", "key", "row_id", "table")

    def __init__(self, key: bytes, table: str, row_id: str) -> None:
        self.key = key
        self.table = table
        self.row_id = row_id
        self._aead = _aead_for(key)  # one per data key, not one per field or per row
        self._prefix = f"flare/{table}/{row_id}/"  # associated_data(table, row_id, field)

    def __repr__(self) -> str:  # never the key
        return f"FieldCipher(table={self.table!r}, row_id={self.row_id!r})"

    def seal(self, field: str, text: str) -> bytes:
        return _seal(self._aead, text.encode(), (self._prefix + field).encode())

    def open(self, field: str, blob: bytes) -> str:
        return _unseal(self._aead, blob, (self._prefix + field).encode()).decode()


class KeyRing:
    """Master keys by id; the first is active. Wraps and unwraps data keys."""

    def __init__(self, keys: Mapping[str, bytes], active: str) -> None:
        if active not in keys:
            raise CryptoError("active master key is not in the ring")
        for kid, key in keys.items():
            if not _KID.match(kid) or len(key) != KEY_BYTES:
                raise CryptoError(f"master key {kid!r} must be 32 bytes with a short id")
        self._keys = dict(keys)
        self._aeads = {kid: AESGCM(key) for kid, key in keys.items()}
        self.active_kid = active
        # Data keys unwrapped lately, by key id with the exact (kid, wrapped) they came from:
        # a view of the same concern need not unwrap again. Bounded; `forget` on shredding.
        self._unwrapped: dict[str, tuple[str, bytes, bytes]] = {}

    @classmethod
    def parse(cls, spec: str) -> KeyRing:
        """Parse `kid1:base64,kid2:base64` (first is active)."""
        keys: dict[str, bytes] = {}
        order: list[str] = []
        for part in (p.strip() for p in spec.split(",")):
            if not part:
                continue
            kid, sep, encoded = part.partition(":")
            if not sep:
                raise CryptoError("each master key must be written kid:base64")
            try:
                key = base64.b64decode(encoded, validate=True)
            except ValueError:
                raise CryptoError(f"master key {kid!r} is not valid base64") from None
            keys[kid] = key
            order.append(kid)
        if not order:
            raise CryptoError("the master key ring is empty")
        return cls(keys, order[0])

    @property
    def kids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def wrap(self, data_key: bytes, *, key_id: str) -> tuple[str, bytes]:
        aad = associated_data("data_keys", key_id, "wrapped")
        return self.active_kid, _seal(self._aeads[self.active_kid], data_key, aad)

    def unwrap(self, kid: str, wrapped: bytes, *, key_id: str) -> bytes:
        known = self._unwrapped.get(key_id)
        if known is not None and known[0] == kid and known[1] == wrapped:
            return known[2]
        master = self._aeads.get(kid)
        if master is None:
            raise KeyUnavailable(f"master key {kid!r} is not in the ring")
        key = _unseal(master, wrapped, associated_data("data_keys", key_id, "wrapped"))
        if len(self._unwrapped) >= _AEAD_CACHE_SIZE:
            self._unwrapped.clear()
        self._unwrapped[key_id] = (kid, wrapped, key)
        return key

    def forget(self, key_id: str) -> None:
        """Drop a data key unwrapped earlier (after shredding it)."""
        self._unwrapped.pop(key_id, None)


def generate_master_key_spec(kid: str | None = None) -> str:
    kid = kid or f"k{secrets.token_hex(4)}"
    return f"{kid}:{base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()}"


def load_or_create_key_file(path: Path) -> tuple[str, bool]:
    """The demo key ring lives in a 0600 file; returns (spec, created)."""
    if path.exists():
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)
        return path.read_text().strip(), False
    path.parent.mkdir(parents=True, exist_ok=True)
    spec = generate_master_key_spec()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(spec + "\n")
    return spec, True


# --- Blind index ---------------------------------------------------------------------------


class InvalidIdentifier(ValueError):
    """An identifier that cannot be normalised (message names the kind, never the value)."""


def normalise_nhs_number(raw: str) -> str:
    digits = re.sub(r"[\s-]", "", raw)
    if not re.fullmatch(r"\d{10}", digits):
        raise InvalidIdentifier("an NHS number has 10 digits")
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    if check == 10 or check != int(digits[9]):
        raise InvalidIdentifier("that NHS number fails its check digit")
    return digits


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def normalise_name(raw: str) -> str:
    # NFKC again after folding and after dropping whitespace: both can leave a string that
    # composes differently (a spacing diaeresis becomes space + combining mark), and the
    # blind index needs the same digest however many times a value passes through here.
    folded = _nfkc(_nfkc(raw).casefold())
    collapsed = _nfkc(" ".join(folded.split()))
    if not collapsed:
        raise InvalidIdentifier("a name cannot be empty")
    return collapsed


def normalise_reference(raw: str) -> str:
    collapsed = _nfkc("".join(_nfkc(raw).split()).upper())
    if not collapsed:
        raise InvalidIdentifier("a reference cannot be empty")
    return collapsed


def fold_name(raw: str) -> str:
    """A name as the name-and-date-of-birth index compares it: case, accents, spacing folded."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", raw).casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.split())


def parse_date_of_birth(raw: str) -> date:
    """YYYY-MM-DD (or DD/MM/YYYY), a real date; InvalidIdentifier otherwise."""
    text = raw.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        if match := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text):
            day, month, year = (int(part) for part in match.groups())
            return date(year, month, day)
    except ValueError:
        pass
    raise InvalidIdentifier("a date of birth must be a real date, written YYYY-MM-DD")


def normalise_name_and_date_of_birth(raw: str) -> str:
    """`Name, date of birth` (the last comma separates them) as one value to index."""
    name, comma, born = raw.rpartition(",")
    folded = fold_name(name)
    if not comma or not folded:
        raise InvalidIdentifier("a name and date of birth are written: name, YYYY-MM-DD")
    return f"{folded}\x1f{parse_date_of_birth(born).isoformat()}"


NAME_AND_BIRTH = "name_dob"  # the identifier kind of a name plus date of birth
NORMALISERS = {
    "nhs_number": normalise_nhs_number,
    "name": normalise_name,
    "reference": normalise_reference,
    NAME_AND_BIRTH: normalise_name_and_date_of_birth,
}


def looks_like_nhs_number(raw: str) -> bool:
    return bool(re.fullmatch(r"[\d\s-]{10,14}", raw.strip()))


class BlindIndex:
    """HMAC-SHA256 over a normalised identifier, with its own key, per identifier kind."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise CryptoError("blind index key must be 32 bytes")
        self._key = key

    def digest(self, kind: str, raw: str) -> str:
        normalise = NORMALISERS.get(kind)
        if normalise is None:
            raise InvalidIdentifier(f"unknown identifier kind {kind!r}")
        message = f"{kind}\x00{normalise(raw)}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()


def token_hash(token: str) -> str:
    """Link tokens are stored only as SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_link_token() -> str:
    return secrets.token_urlsafe(32)  # 256 bits
