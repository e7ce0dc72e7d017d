"""Envelope encryption: what must fail to decrypt does, and what must survive rotation does."""

from __future__ import annotations

import base64
import secrets

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given
from hypothesis import strategies as st

from store.crypto import (
    BlindIndex,
    CryptoError,
    FieldCipher,
    InvalidIdentifier,
    KeyRing,
    KeyUnavailable,
    associated_data,
    forget,
    normalise_name,
    normalise_nhs_number,
    normalise_reference,
    seal,
    unseal,
)

KEY = bytes(range(32))


@given(plaintext=st.binary(max_size=4096), aad=st.binary(max_size=200))
def test_seal_unseal_round_trip(plaintext: bytes, aad: bytes) -> None:
    assert unseal(KEY, seal(KEY, plaintext, aad), aad) == plaintext


@given(plaintext=st.binary(min_size=1, max_size=512), data=st.data())
def test_any_flipped_byte_fails(plaintext: bytes, data: st.DataObject) -> None:
    blob = bytearray(seal(KEY, plaintext, b"aad"))
    at = data.draw(st.integers(0, len(blob) - 1))
    blob[at] ^= data.draw(st.integers(1, 255))
    with pytest.raises(CryptoError):
        unseal(KEY, bytes(blob), b"aad")


def test_truncated_or_foreign_blobs_fail() -> None:
    blob = seal(KEY, b"noticed", b"aad")
    for bad in (blob[:-1], blob[:10], b"", b"\x02" + blob[1:]):
        with pytest.raises(CryptoError):
            unseal(KEY, bad, b"aad")


def test_field_cipher_binds_table_row_and_field() -> None:
    cipher = FieldCipher(KEY, "concerns", "a" * 32)
    blob = cipher.seal("rationale", "why")
    assert cipher.open("rationale", blob) == "why"
    for other, field in (
        (FieldCipher(KEY, "concerns", "b" * 32), "rationale"),  # another row
        (cipher, "family_reason"),  # another field
        (FieldCipher(KEY, "concern_entries", "a" * 32), "rationale"),  # another table
    ):
        with pytest.raises(CryptoError):
            other.open(field, blob)
    assert associated_data("t", "r", "f") == b"flare/t/r/f"


def test_field_cipher_format_is_version_nonce_then_aes_gcm_with_associated_data() -> None:
    """The on-disk format is fixed: 0x01, a 12-byte nonce, AES-256-GCM over the field's AAD."""
    cipher = FieldCipher(KEY, "concerns", "a" * 32)
    aad = associated_data("concerns", "a" * 32, "noticed")
    blob = cipher.seal("noticed", "hungry at pick-up")
    assert blob[:1] == b"\x01" and len(blob) == 1 + 12 + len("hungry at pick-up") + 16
    assert AESGCM(KEY).decrypt(blob[1:13], blob[13:], aad) == b"hungry at pick-up"
    nonce = secrets.token_bytes(12)
    written_by_hand = b"\x01" + nonce + AESGCM(KEY).encrypt(nonce, b"seen again", aad)
    assert cipher.open("noticed", written_by_hand) == "seen again"


def test_field_ciphers_for_many_keys_stay_apart_and_never_show_a_key() -> None:
    keys = [secrets.token_bytes(32) for _ in range(1100)]  # more than the AESGCM cache holds
    blobs = [FieldCipher(k, "concerns", "r").seal("noticed", str(i)) for i, k in enumerate(keys)]
    for i, (key, blob) in enumerate(zip(keys, blobs, strict=True)):
        assert FieldCipher(key, "concerns", "r").open("noticed", blob) == str(i)
    with pytest.raises(CryptoError):
        FieldCipher(keys[1], "concerns", "r").open("noticed", blobs[0])
    forget(keys[0])
    assert FieldCipher(keys[0], "concerns", "r").open("noticed", blobs[0]) == "0"
    assert keys[0].hex() not in repr(FieldCipher(keys[0], "concerns", "r"))
    assert repr(keys[0]) not in repr(FieldCipher(keys[0], "concerns", "r"))


def _spec(kid: str, key: bytes) -> str:
    return f"{kid}:{base64.b64encode(key).decode()}"


def test_wrong_master_key_and_missing_id_fail() -> None:
    ring = KeyRing.parse(_spec("k1", secrets.token_bytes(32)))
    kid, wrapped = ring.wrap(KEY, key_id="d" * 32)
    assert ring.unwrap(kid, wrapped, key_id="d" * 32) == KEY
    impostor = KeyRing.parse(_spec("k1", secrets.token_bytes(32)))
    with pytest.raises(CryptoError):
        impostor.unwrap(kid, wrapped, key_id="d" * 32)
    with pytest.raises(KeyUnavailable):
        KeyRing.parse(_spec("k2", secrets.token_bytes(32))).unwrap(kid, wrapped, key_id="d" * 32)
    with pytest.raises(CryptoError):  # a wrapped key moved to another data key's row
        ring.unwrap(kid, wrapped, key_id="e" * 32)


@pytest.mark.parametrize(
    "spec",
    ["", " , ", "k1", "k1:not base64!", _spec("k1", b"short"), _spec("bad kid!", KEY)],
)
def test_bad_key_rings_are_refused(spec: str) -> None:
    with pytest.raises(CryptoError):
        KeyRing.parse(spec)


def test_first_key_is_active_and_all_unwrap() -> None:
    old, new = secrets.token_bytes(32), secrets.token_bytes(32)
    _, wrapped = KeyRing.parse(_spec("old", old)).wrap(KEY, key_id="d" * 32)
    ring = KeyRing.parse(f"{_spec('new', new)},{_spec('old', old)}")
    assert ring.active_kid == "new" and ring.kids == ("new", "old")
    assert ring.unwrap("old", wrapped, key_id="d" * 32) == KEY
    assert ring.wrap(KEY, key_id="d" * 32)[0] == "new"


# --- NHS numbers and other identifiers ------------------------------------------------------


def _check_digit(nine: str) -> int:
    total = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True))
    return (11 - total % 11) % 11


valid_nhs = (
    st.text("0123456789", min_size=9, max_size=9)
    .filter(lambda nine: _check_digit(nine) != 10)
    .map(lambda nine: nine + str(_check_digit(nine)))
)


@pytest.mark.parametrize("raw", ["9434765919", "943 476 5919", "943-476-5919", " 9434765919 "])
def test_known_nhs_number_normalises(raw: str) -> None:
    assert normalise_nhs_number(raw) == "9434765919"


@pytest.mark.parametrize(
    "raw",
    ["9434765918", "943476591", "94347659190", "943476591X", "", "9434 765 91a", "0000000018"],
)
def test_bad_nhs_numbers_are_refused(raw: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        normalise_nhs_number(raw)
    assert raw.strip() == "" or raw not in str(caught.value)  # never echoes the value


def test_check_digit_of_ten_is_never_valid() -> None:
    nine = next(f"{n:09d}" for n in range(10**6, 10**9) if _check_digit(f"{n:09d}") == 10)
    for last in "0123456789":
        with pytest.raises(InvalidIdentifier):
            normalise_nhs_number(nine + last)


@given(number=valid_nhs, separators=st.lists(st.sampled_from(["", " ", "-", "  "]), max_size=10))
def test_nhs_normaliser_ignores_spaces_and_dashes(number: str, separators: list[str]) -> None:
    written = "".join(
        d + (separators[i] if i < len(separators) else "") for i, d in enumerate(number)
    )
    assert normalise_nhs_number(written) == number


@given(number=valid_nhs, delta=st.integers(1, 9))
def test_nhs_normaliser_refuses_a_wrong_check_digit(number: str, delta: int) -> None:
    wrong = number[:9] + str((int(number[9]) + delta) % 10)
    with pytest.raises(InvalidIdentifier):
        normalise_nhs_number(wrong)


names = st.text(min_size=1, max_size=40).filter(lambda s: s.strip() != "")


@given(name=names)
def test_name_normaliser_is_idempotent(name: str) -> None:
    once = normalise_name(name)
    assert normalise_name(once) == once and once == once.strip()


@given(
    words=st.lists(st.text("abcdefghijklmnopqrstuvwxyz'-", min_size=1), min_size=1, max_size=4),
    gaps=st.lists(st.sampled_from([" ", "  ", "\t", "\n "]), min_size=4, max_size=4),
)
def test_name_normaliser_folds_case_and_whitespace(words: list[str], gaps: list[str]) -> None:
    plain = " ".join(words)
    shouted = gaps[0] + "".join(
        w.upper() + g for w, g in zip(words, [*gaps[1:], " "], strict=False)
    )
    assert normalise_name(shouted) == normalise_name(plain) == plain


@given(ref=st.text(min_size=1, max_size=30).filter(lambda s: "".join(s.split()) != ""))
def test_reference_normaliser_is_idempotent(ref: str) -> None:
    once = normalise_reference(ref)
    assert normalise_reference(once) == once


@given(number=valid_nhs)
def test_blind_index_is_keyed_and_normalised(number: str) -> None:
    index, other = BlindIndex(KEY), BlindIndex(bytes(32))
    spaced = f"{number[:3]} {number[3:6]} {number[6:]}"
    assert index.digest("nhs_number", spaced) == index.digest("nhs_number", number)
    assert index.digest("nhs_number", number) != other.digest("nhs_number", number)
    assert number not in index.digest("nhs_number", number)


def test_blind_index_separates_kinds() -> None:
    index = BlindIndex(KEY)
    assert index.digest("name", "ab12") != index.digest("reference", "AB12")
    with pytest.raises(InvalidIdentifier):
        index.digest("passport", "x")


@pytest.mark.parametrize("raw", ["A\u00a8", "a \u00a8b", "\u01f0", "\ufb01x"])
def test_normalisers_are_idempotent_on_awkward_unicode(raw: str) -> None:
    for normalise in (normalise_name, normalise_reference):
        once = normalise(raw)
        assert normalise(once) == once


def test_an_unwrapped_data_key_is_reused_only_for_the_same_id_and_blob() -> None:
    ring = KeyRing.parse(_spec("k1", secrets.token_bytes(32)))
    data_key = secrets.token_bytes(32)
    kid, wrapped = ring.wrap(data_key, key_id="a" * 32)
    assert ring.unwrap(kid, wrapped, key_id="a" * 32) == data_key
    assert ring.unwrap(kid, wrapped, key_id="a" * 32) == data_key  # from the ring's memory
    tampered = wrapped[:-1] + bytes([wrapped[-1] ^ 1])
    for bad_kid, blob, key_id in ((kid, tampered, "a" * 32), (kid, wrapped, "b" * 32)):
        with pytest.raises(CryptoError):
            ring.unwrap(bad_kid, blob, key_id=key_id)
    with pytest.raises(KeyUnavailable):
        ring.unwrap("k9", wrapped, key_id="a" * 32)
    ring.forget("a" * 32)
    assert ring.unwrap(kid, wrapped, key_id="a" * 32) == data_key
