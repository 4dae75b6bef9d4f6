"""Fixtures for the app's helper tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def ingested(bot):
    """The test bot with the fixture corpus indexed."""
    assert not bot.ingest().errors
    return bot
