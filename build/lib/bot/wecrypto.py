"""WeCom / WeChat callback crypto (WXBizMsgCrypt) on `cryptography`: SHA1 signatures compared in
constant time, AES-256-CBC with PKCS#7 padding to 32 bytes, and the receive id checked."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from retrieval.errors import DjbotError

BLOCK = 32


class CryptoError(DjbotError):
    """A callback that failed verification; the edge answers 4xx and processes nothing."""

    code = "bad_signature"
    status = 403


class DecryptError(CryptoError):
    code = "bad_ciphertext"
    status = 400


def signature(*parts: str) -> str:
    """SHA1 over the lexicographically sorted parts (token, timestamp, nonce[, encrypt])."""
    return hashlib.sha1("".join(sorted(str(p) for p in parts)).encode()).hexdigest()


def check_signature(given: str, *parts: str) -> None:
    if not given or not hmac.compare_digest(given.lower().encode(), signature(*parts).encode()):
        raise CryptoError("签名校验失败")


class MsgCrypt:
    """One token + EncodingAESKey + receive id (corp id, app id, or "" for the smart bot)."""

    def __init__(self, token: str, encoding_aes_key: str, receive_id: str) -> None:
        try:
            key = base64.b64decode(encoding_aes_key + "=", validate=True)
        except binascii.Error as exc:
            raise DjbotError("EncodingAESKey 格式不正确（应为43位）") from exc
        if len(key) != 32:
            raise DjbotError("EncodingAESKey 格式不正确（应为43位）")
        self.token = token
        self.key = key
        self.receive_id = receive_id

    def _cipher(self) -> Cipher:
        return Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16]))

    def decrypt(self, encrypted: str) -> str:
        """Ciphertext (base64) -> message; rejects bad base64, padding, length or receive id."""
        try:
            raw = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise DecryptError("密文不是合法的 base64") from exc
        if not raw or len(raw) % 16:
            raise DecryptError("密文长度不正确")
        dec = self._cipher().decryptor()
        plain = dec.update(raw) + dec.finalize()
        pad = plain[-1]
        if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise DecryptError("密文填充不正确")
        plain = plain[:-pad]
        if len(plain) < 20:
            raise DecryptError("密文内容过短")
        (length,) = struct.unpack(">I", plain[16:20])
        if 20 + length > len(plain):
            raise DecryptError("密文长度字段不正确")
        msg, rid = plain[20 : 20 + length], plain[20 + length :]
        if not hmac.compare_digest(rid, self.receive_id.encode()):
            raise DecryptError("接收方 ID 不匹配")
        try:
            return msg.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DecryptError("明文不是 UTF-8") from exc

    def encrypt(self, message: str, nonce_bytes: bytes | None = None) -> str:
        body = message.encode()
        plain = (nonce_bytes or os.urandom(16)) + struct.pack(">I", len(body)) + body + self.receive_id.encode()
        pad = BLOCK - len(plain) % BLOCK
        plain += bytes([pad]) * pad
        enc = self._cipher().encryptor()
        return base64.b64encode(enc.update(plain) + enc.finalize()).decode()

    def verify(self, msg_signature: str, timestamp: str, nonce: str, encrypted: str) -> str:
        """Check the signature, then decrypt."""
        check_signature(msg_signature, self.token, timestamp, nonce, encrypted)
        return self.decrypt(encrypted)

    def seal(self, message: str, timestamp: str, nonce: str) -> tuple[str, str]:
        """Encrypt a reply; returns (encrypted, msg_signature)."""
        encrypted = self.encrypt(message)
        return encrypted, signature(self.token, timestamp, nonce, encrypted)
