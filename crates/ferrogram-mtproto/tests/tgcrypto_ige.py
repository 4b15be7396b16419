"""Prints random AES-256-IGE cases computed by tgcrypto (PyPI, C), one per line:
key iv plaintext ciphertext, hex. Used by tests/crypto.rs as an independent implementation."""
import os
import random
import sys

import tgcrypto

rng = random.Random(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
for _ in range(int(sys.argv[2]) if len(sys.argv) > 2 else 200):
    key = bytes(rng.getrandbits(8) for _ in range(32))
    iv = bytes(rng.getrandbits(8) for _ in range(32))
    data = bytes(rng.getrandbits(8) for _ in range(16 * rng.randint(1, 80)))
    print(key.hex(), iv.hex(), data.hex(), tgcrypto.ige256_encrypt(data, key, iv).hex())
