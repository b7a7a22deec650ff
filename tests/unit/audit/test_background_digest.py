"""The file digest computed on a thread of its own is the digest of the blocks in order, and
its sink (the events file) gets the blocks in order."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from projections.audit.chain import BackgroundDigest


@given(st.lists(st.binary(max_size=5000), max_size=30), st.integers(min_value=1, max_value=5))
def test_the_background_digest_is_the_digest_of_the_blocks_in_order(
    blocks: list[bytes], ahead: int
) -> None:
    sunk: list[bytes] = []
    background = BackgroundDigest(ahead, sink=sunk.append)
    for block in blocks:
        background.update(block)
    assert background.hexdigest() == hashlib.sha256(b"".join(blocks)).hexdigest()
    assert sunk == blocks
