"""`timeout`: idle clients are closed by the background cycle; active ones stay."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cacheserver.config import Config
from helpers import RawClient, ServerThread


@pytest.fixture(scope="module")
def short_timeout() -> Iterator[ServerThread]:
    cfg = Config()
    cfg.values["timeout"] = 1
    st = ServerThread(cfg).start()
    yield st
    st.stop()


def test_idle_client_is_closed(short_timeout: ServerThread) -> None:
    idle = RawClient("127.0.0.1", short_timeout.port)
    assert idle.call("PING") == b"+PONG\r\n"
    assert idle.closed(timeout=5)
    idle.close()
    fresh = RawClient("127.0.0.1", short_timeout.port)
    assert fresh.call("PING") == b"+PONG\r\n"
    fresh.close()
