"""The collector pause that bulk work (fetch) runs under."""

from __future__ import annotations

import gc

from fluigbot import gcpause


def test_gc_is_paused_inside_and_restored_after() -> None:
    assert gc.isenabled()
    with gcpause.paused():
        assert not gc.isenabled()
        with gcpause.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still holds
    assert gc.isenabled()
