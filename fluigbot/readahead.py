"""Reading ahead in a second process: what a source yields, made by a child while we go on.

`fetch` is CPU-bound: about half of its work is reading (HTTP, decoding Fluig's JSON, parsing CSV,
normalizing phones) and half is recording (encrypting, checksumming, indexing). Python runs one
thread at a time, so the reading goes to a forked child on another core and comes back through a
pipe, one page at a time, in order.

- An error raised in the child is raised here after every page before it, as if read in this
  process (a failure on page 7 still keeps pages 1-6).
- Where fork is missing (Windows) or unsafe (this process runs other threads: a lock held by one
  of them would stay locked in the child forever), everything runs in this process instead.
- The child never writes the journal, closes every file it inherited (the journal's lock among
  them), and stops at its next page when this process goes away (a broken pipe).

`Aside(work)` is the other way round: work this process would do last (the journal's checkpoint
after a fetch), done by a child while this process prints its output.
"""

from __future__ import annotations

import os
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from fluigbot.errors import FluigbotError

T = TypeVar("T")

enabled = True  # tests that count calls on an in-process mock transport turn it off


class ReaderCrashed(Exception):
    """An unexpected error in a forked child (a bug): carries its traceback as text."""


def can_fork() -> bool:
    """Whether a forked child is possible and safe here: POSIX, and no other thread runs (a lock
    held by one would stay locked in the child forever)."""
    return enabled and hasattr(os, "fork") and threading.active_count() == 1


def run(produce: Callable[[], Iterable[T]]) -> Iterator[T]:
    """The items of `produce()`, made in a child process when that is possible and safe."""
    if not can_fork():
        yield from produce()
        return
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(produce, sender), name="fluigbot-reader")
    child.daemon = True
    child.start()
    sender.close()
    try:
        while True:
            try:
                kind, payload = receiver.recv()
            except EOFError:
                raise ReaderCrashed(f"the reading process ended (exit {child.exitcode})") from None
            if kind == "item":
                yield payload
            elif kind == "done":
                return
            else:
                raise payload
    finally:
        receiver.close()  # a child still sending gets a broken pipe and stops
        child.join(timeout=5)
        if child.is_alive():
            child.terminate()
            child.join()


def _child(produce: Callable[[], Iterable[Any]], sender: Any) -> None:
    # Drop every file inherited from the parent but stdio and our pipe: above all the journal's
    # lock, which would otherwise stay held if the parent were killed while we still read.
    keep = sender.fileno()
    os.closerange(3, keep)
    os.closerange(keep + 1, 1 << 16)
    try:
        try:
            for item in produce():
                sender.send(("item", item))
            sender.send(("done", None))
        except FluigbotError as exc:
            sender.send(("error", exc))
        except (BrokenPipeError, KeyboardInterrupt):
            return  # the parent stopped reading, or Ctrl-C reached both: it handles that
        except Exception as exc:
            sender.send(("error", _crashed(exc, "while reading")))
    except (BrokenPipeError, KeyboardInterrupt):
        return


class Aside:
    """`work()` running in a forked child (only where can_fork()); `wait()` returns once it is
    done, re-raising its error here (a FluigbotError as itself, anything else as ReaderCrashed).
    The child shares this process's open files, locks included: a lock held here covers its work
    until wait() returns."""

    def __init__(self, work: Callable[[], None]) -> None:
        import multiprocessing
        import sys

        for stream in (sys.stdout, sys.stderr):  # or the child would write their buffers again
            stream.flush()
        ctx = multiprocessing.get_context("fork")
        self._receiver, sender = ctx.Pipe(duplex=False)
        self._child = ctx.Process(target=_aside_child, args=(work, sender), name="fluigbot-aside")
        self._child.start()
        sender.close()

    def wait(self) -> None:
        try:
            try:
                kind, payload = self._receiver.recv()
            except EOFError:
                kind, payload = "error", None
        finally:
            self._receiver.close()
            self._child.join()
        if kind == "interrupted":
            raise KeyboardInterrupt
        if kind == "error":
            raise payload or ReaderCrashed(
                f"the second process ended (exit {self._child.exitcode})"
            )


def _aside_child(work: Callable[[], None], sender: Any) -> None:
    try:
        work()
    except FluigbotError as exc:
        sender.send(("error", exc))
    except KeyboardInterrupt:
        sender.send(("interrupted", None))
    except BaseException as exc:  # a bug: reported to the parent, which raises it
        sender.send(("error", _crashed(exc, "in the second process")))
    else:
        sender.send(("done", None))


def _crashed(exc: BaseException, where: str) -> ReaderCrashed:
    """A bug in a child, as the parent raises it: the traceback as text (it cannot be pickled)."""
    text = "".join(traceback.format_exception(exc))
    return ReaderCrashed(f"{type(exc).__name__} {where}\n{text}")
