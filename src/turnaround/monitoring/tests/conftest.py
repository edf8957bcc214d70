import datetime as dt

import pytest

from turnaround.monitoring.services import sessions

#: The day the monitoring tests run on: after the 2026–27 school year their sessions fall in, so
#: every session they hold is dated in the past whatever the real date is.
TEST_TODAY = dt.date(2027, 8, 1)


@pytest.fixture(autouse=True)
def _test_today(monkeypatch: pytest.MonkeyPatch) -> dt.date:
    monkeypatch.setattr(sessions, "today", lambda: TEST_TODAY)
    return TEST_TODAY
