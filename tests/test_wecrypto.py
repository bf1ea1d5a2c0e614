"""WeCom/WeChat callback crypto against the official vectors, plus tamper cases."""

from __future__ import annotations

import base64
import json

import pytest

from bot.wecrypto import CryptoError, DecryptError, MsgCrypt, check_signature, signature

from .conftest import ROOT, SHARED

VECTORS = json.loads((ROOT / "tests" / "data" / "wecom_vectors.json").read_text("utf-8"))
SETS = VECTORS["sets"]


def test_vectors_copy_matches_shared():
    shared = SHARED / "channels" / "wecom_vectors.json"
    if not shared.exists():
        pytest.skip("../shared is not beside this checkout")
    assert json.loads(shared.read_text("utf-8")) == VECTORS


@pytest.mark.parametrize("v", SETS, ids=[s["name"] for s in SETS])
def test_official_vectors(v):
    c = MsgCrypt(v["token"], v["encoding_aes_key"], v["receive_id"])
    url = v["verify_url"]
    assert c.verify(url["msg_signature"], url["timestamp"], url["nonce"], url["echostr"]) == url["plaintext"]
    msg = v["message"]
    assert signature(v["token"], msg["timestamp"], msg["nonce"], msg["encrypt"]) == msg["msg_signature"]
    assert c.verify(msg["msg_signature"], msg["timestamp"], msg["nonce"], msg["encrypt"]) == msg["plaintext"]


@pytest.mark.parametrize("v", SETS, ids=[s["name"] for s in SETS])
def test_encrypt_then_decrypt_round_trip(v):
    c = MsgCrypt(v["token"], v["encoding_aes_key"], v["receive_id"])
    for text in ["你好", "<xml><Content><![CDATA[党建带工建]]></Content></xml>", "x" * 1000, ""]:
        enc, sig = c.seal(text, "1409659813", "1372623149")
        assert c.verify(sig, "1409659813", "1372623149", enc) == text
        assert len(base64.b64decode(enc)) % 32 == 0


def test_official_account_plain_signature():
    p = VECTORS["official_account_plain_signature"]
    assert signature(p["token"], p["timestamp"], p["nonce"]) == p["signature"]
    check_signature(p["signature"], p["token"], p["timestamp"], p["nonce"])
    with pytest.raises(CryptoError):
        check_signature(p["signature"], p["token"], p["timestamp"], "other")


def _set():
    v = SETS[0]
    return v, MsgCrypt(v["token"], v["encoding_aes_key"], v["receive_id"]), v["message"]


def test_tampered_signature_rejected():
    v, c, m = _set()
    with pytest.raises(CryptoError):
        c.verify(m["msg_signature"][:-1] + "0", m["timestamp"], m["nonce"], m["encrypt"])
    with pytest.raises(CryptoError):
        c.verify("", m["timestamp"], m["nonce"], m["encrypt"])


def test_wrong_receive_id_rejected():
    v, _, m = _set()
    other = MsgCrypt(v["token"], v["encoding_aes_key"], "wx-someone-else")
    with pytest.raises(DecryptError, match="接收方"):
        other.verify(m["msg_signature"], m["timestamp"], m["nonce"], m["encrypt"])


@pytest.mark.parametrize("bad", ["!!!not-base64!!!", base64.b64encode(b"short").decode(), base64.b64encode(b"\x00" * 48).decode()])
def test_bad_ciphertexts_rejected(bad):
    _, c, _ = _set()
    with pytest.raises(DecryptError):
        c.decrypt(bad)


def test_bad_padding_rejected():
    _, c, m = _set()
    raw = bytearray(base64.b64decode(m["encrypt"]))
    raw[-1] ^= 0x55  # corrupts the last block, so the padding no longer checks out
    with pytest.raises(DecryptError):
        c.decrypt(base64.b64encode(bytes(raw)).decode())
