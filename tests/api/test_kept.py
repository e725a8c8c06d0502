"""Values made once per key and kept within their weight (``api.kept``)."""

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from api.answers import Body, kept_answers
from api.kept import Kept


def test_a_value_asked_by_many_at_once_is_made_once():
    kept: Kept[str] = Kept(max_weight=10)
    made = []
    started = threading.Event()

    def make() -> str:
        made.append(1)
        started.wait(5)
        return "answer"

    with ThreadPoolExecutor(8) as pool:
        answers = [pool.submit(kept.get, "key", make) for _ in range(8)]
        time.sleep(0.1)
        started.set()
        assert {answer.result() for answer in answers} == {"answer"}
    assert made == [1] and kept.kept("key") == "answer"


def test_kept_answers_stay_within_their_bytes_least_recently_used_out():
    one = Body.of("x" * 1000, html=False)
    answers = kept_answers()
    answers.max_weight = 2 * one.size
    for key in ("a", "b"):
        answers.get(key, lambda: one)
    answers.kept("a")
    answers.get("c", lambda: one)
    assert [answers.kept(key) is not None for key in "abc"] == [True, False, True]


def test_a_value_heavier_than_the_bound_is_answered_but_not_kept():
    kept: Kept[str] = Kept(max_weight=3, weigh=len)
    assert kept.get("long", lambda: "four") == "four"
    assert kept.kept("long") is None and len(kept) == 0


def test_a_failed_make_is_not_kept_and_is_tried_again():
    kept: Kept[str] = Kept(max_weight=10)

    def fail() -> str:
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        kept.get("key", fail)
    assert kept.kept("key") is None
    assert kept.get("key", lambda: "ok") == "ok"


def test_served_answers_a_kept_value_without_making_it_again():
    kept: Kept[str] = Kept(max_weight=10)

    async def twice() -> list[str]:
        first = await kept.served("key", lambda: "made")
        return [first, await kept.served("key", lambda: pytest.fail("made twice"))]

    assert asyncio.run(twice()) == ["made", "made"]
