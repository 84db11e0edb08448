"""A fixed 2048-bit RSA test key for signing digest files. Test material only:
it signs nothing outside the emulator."""
N = 0xd56b2ca254dbae30ca2b06bd8a4dd956fd76a406e7d0615a0c0b3b6508d2e5d0330010382ea8d9c138adb7d8d9fbb1cbcc534c22dad6b1ebec35e35ec4c7b6ad3b2ac46026494b33efe331d5c38246229dfa51e2cd722ca86f2397019c1b943359f54c361b209a63932c9e5c4fa9c20614991973c59e836f3ef23fedf36eb9eee64d11728a0316178902225f7a67d6eff4ad4cf636de4ab9c1920d3a329ed81b9d19e173c305ea882bac99228a4a47321fa213e535d732d1733cab3661af56f5411777d4c96aa22d391bb135b592b6fcd283722a41c72ec529f63c6122037fe23257e28246242d392d8d22943c5707b8ddfa848d1a69cb1acd9bf431d897b2b5
D = 0x22c701b17c41861ba63e27ad88559246a62c08a3a56fe4054ff41e9c22b977409ba6f57daa40d2a7356cbd8a454f4a144b3a01aca65b9907b868b9a1ee501b19148cae0e7afeb396058fd0c5a443dcd8f4445fc6a532e74b153d47f4b7b318cddb69691f62014897545acf7d7c6fcdd1bed689fabf27cb043c4e2e93c078f92c44463b841e103fb0f6631b5899c9c333256d3a215f63d35e2b6b009b2b49c9adb39600909e85d2daf65cb1ad84b870dc2baa853b9bc913d93c2f6342caa3c505cac8c1357217e341c0ffc9dc7f9d4f50c9d07620d20b3e17dac7f332c6f74fb2fe7a154ad47c3eca05ec5f5c16fa507f6fa40b97c793f05fc3381cc01113865b
E = 65537
P = 0xea062b87326091d98a201875db6940360967542c2b2fa7a4c142f47d62a5ea4ad36d43bd7535808764e20ea207786fc52997f16d73ad18a71137871a9932efd3564ff7ab421d8ffb3a6a2f7d439d33c357f8d2be463e4c9b70d1d20eb7980474d4197962fb0948bc1c534b314cae5b8072a65e66c0220968ecb5c77fd63951d3
Q = 0xe975a8ad350921892de69670438c3c11cb55b520d52dd263a4cb81a1987dfe614170f8e22e5a7475a799d7b8517cef08d84c7d3e55c950c09bfdcb9116a166011e0129d65762ff0d0986ff4959f4ddf70a1c5b5642b41cb5d04d96167bde655abd030d34f7f8a4a59c026cdc0ad82f25154bf1fe2620349260cfee1a343d0c57

import hashlib


def _der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def _der_int(v):
    b = v.to_bytes((v.bit_length() + 8) // 8, "big")  # leading 0 keeps it positive
    return b"\x02" + _der_len(len(b)) + b


def public_der():
    """PKCS#1 RSAPublicKey DER, as ListPublicKeys returns it."""
    body = _der_int(N) + _der_int(E)
    return b"\x30" + _der_len(len(body)) + body


def fingerprint():
    return hashlib.md5(public_der()).hexdigest()


_SHA256_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")


def sign(data):
    """RSASSA-PKCS1-v1_5 with SHA-256; returns the signature bytes."""
    k = (N.bit_length() + 7) // 8
    t = _SHA256_PREFIX + hashlib.sha256(data).digest()
    em = b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t
    m = int.from_bytes(em, "big")
    # CRT: four times faster than pow(m, D, N), which matters for many digests
    s1 = pow(m, D % (P - 1), P)
    s2 = pow(m, D % (Q - 1), Q)
    h = (pow(Q, -1, P) * (s1 - s2)) % P
    return (s2 + h * Q).to_bytes(k, "big")
