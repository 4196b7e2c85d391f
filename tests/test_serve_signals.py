"""`casebook serve` stops on SIGTERM even when it arrives in the middle of a rebuild."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import generator.serve
from generator.build import BuildOptions
from tests.conftest import MINI


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM is POSIX")
def test_sigterm_during_a_rebuild_stops_the_preview(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A rebuild runs in the thread that takes the signal; its `except Exception` (a bug in a
    build becomes a banner) must not take the signal for a failed build and serve on."""
    real_build = generator.serve.build
    builds: list[str] = []
    served_on: list[str] = []

    def build(*args: Any, **kwargs: Any) -> Any:
        builds.append("build")
        if len(builds) == 1:
            return real_build(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGTERM)  # arrives while this "rebuild" runs
        time.sleep(5)
        raise AssertionError("the signal did not interrupt the rebuild")

    class Server:
        """Stands in for the live-reload server: one file change, one rebuild."""

        def __init__(self, builder: Any, *args: Any) -> None:
            self.builder = builder
            self.failure = None

        def watch(self, path: str) -> None:
            pass

        def serve(self) -> None:
            self.builder()
            served_on.append("still serving after the rebuild")

        def shutdown(self) -> None:
            pass

    monkeypatch.setattr(generator.serve, "build", build)
    monkeypatch.setattr(generator.serve, "PreviewServer", Server)
    monkeypatch.setattr(generator.serve.tempfile, "gettempdir", lambda: str(tmp_path))
    options = BuildOptions(library=MINI, out=tmp_path / "unused", as_of=dt.date(2024, 6, 30))
    generator.serve.serve(options, "127.0.0.1", 0)
    assert builds == ["build", "build"]
    assert served_on == []
    assert signal.getsignal(signal.SIGTERM) is not generator.serve._on_sigterm
