"""Fitting the abstention model: the operating point it saves."""

from __future__ import annotations

import numpy as np

from eval.abstention import operating_point, stored_threshold


def test_the_saved_threshold_still_answers_the_question_the_operating_point_was_taken_from() -> None:
    p = np.array([0.5, 0.4369784274729574, 0.7, 0.9, 0.1])
    answerable = np.array([True, True, True, True, False])
    point = operating_point(p, answerable, np.ones(5, dtype=bool), max_false=0.0)
    assert point == p[1]  # no false abstention allowed: the least probable answerable question sets it
    saved = stored_threshold(point)
    assert saved == 0.4369 and p[1] >= saved  # to nearest it would be 0.437, above that question's probability
    assert stored_threshold(0.4344159513708564) == 0.4344

