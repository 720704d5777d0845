"""The arithmetic of `trigger-rate`: thresholds on the firmware's raw integer scores, background rates and signal
efficiencies with exact (Clopper-Pearson) binomial intervals. Pure numpy/scipy, no I/O.

An event is accepted when its raw score is >= the threshold t (an integer on the firmware's raw grid). Counts at or
above any threshold come from the sorted distinct scores and their multiplicities (`Scores`), never from a loop
over events or thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property

import numpy as np
from scipy.stats import beta

MEASURED_MIN = 10  # fewer background events above the cut: the rate is bounded, not measured


@dataclass(frozen=True)
class Scores:
    """The sorted distinct raw scores of a sample and how many events hold each."""

    values: np.ndarray  # int64, strictly increasing
    counts: np.ndarray  # int64, events per value (all > 0)

    @property
    def n(self) -> int:
        """Number of events."""
        return int(self.counts.sum())

    @cached_property
    def tail(self) -> np.ndarray:
        """tail[i]: events with raw score >= values[i]; a last 0 for thresholds above every score."""
        return np.concatenate([np.cumsum(self.counts[::-1])[::-1], [0]]).astype(np.int64)

    def at_or_above(self, thresholds: np.ndarray | int) -> np.ndarray:
        """Events with raw score >= each threshold (int64, the shape of `thresholds`)."""
        return self.tail[np.searchsorted(self.values, np.asarray(thresholds, dtype=np.int64), side="left")]


def scores_of(raw: np.ndarray) -> Scores:
    """`Scores` of a 1-D array of raw integer scores."""
    values, counts = np.unique(np.asarray(raw, dtype=np.int64), return_counts=True)
    return Scores(values.astype(np.int64), counts.astype(np.int64))


def max_background_count(rate_hz: float, collision_hz: float, n: int) -> int:
    """The largest background count k with k / n <= rate_hz / collision_hz, exactly (rational arithmetic)."""
    return int(Fraction(rate_hz) * n // Fraction(collision_hz))


@dataclass(frozen=True)
class Cut:
    """The smallest integer threshold whose background count is at most `max_count`, and its lower neighbour."""

    threshold: int  # raw
    background_count: int  # background events with raw >= threshold (<= max_count)
    lower_count: int  # background events with raw >= threshold - 1 (> max_count)
    tied_below: int  # background events sharing the raw score threshold - 1 (lower_count - background_count)
    max_count: int


def threshold_for(background: Scores, max_count: int) -> Cut:
    """Smallest integer t with (#background raw >= t) <= `max_count` (0 <= max_count < n).

    The count only changes at a distinct score v, so t is one above the largest distinct score whose own count
    at-or-above exceeds `max_count`: t = v + 1, and t - 1 = v is the next lower threshold.
    """
    if not 0 <= max_count < background.n:
        raise ValueError(f"max_count {max_count} outside [0, {background.n})")
    above = background.tail  # count at or above each distinct score (decreasing), then 0
    over = np.flatnonzero(above > max_count)[-1]  # exists: above[0] = n > max_count
    threshold = int(background.values[over]) + 1
    count, lower = int(above[over + 1]), int(above[over])
    return Cut(threshold, count, lower, lower - count, max_count)


def clopper_pearson(k: np.ndarray | int, n: np.ndarray | int, cl: float) -> tuple[np.ndarray, np.ndarray]:
    """Central Clopper-Pearson interval at confidence `cl` for k successes in n trials (exact at k = 0 and k = n).

    Lower = B^-1(alpha/2; k, n-k+1) (0 at k = 0), upper = B^-1(1-alpha/2; k+1, n-k) (1 at k = n), alpha = 1 - cl.
    """
    k = np.asarray(k, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    alpha = 1.0 - cl
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = np.where(k > 0, beta.ppf(alpha / 2, k, n - k + 1), 0.0)
        hi = np.where(k < n, beta.ppf(1 - alpha / 2, k + 1, n - k), 1.0)
    return lo, hi


@dataclass(frozen=True)
class Curve:
    """Background count and each signal's count for every threshold at which the background count changes,
    taken at its smallest raw value (the best efficiency for that rate): the minimum score and every distinct
    background score + 1."""

    thresholds: np.ndarray  # int64, increasing
    background: np.ndarray  # int64, non-increasing
    signals: dict[str, np.ndarray]  # name -> int64 counts


def curve(background: Scores, signals: dict[str, Scores]) -> Curve:
    """The efficiency-versus-rate curve (as counts) over every achievable background count."""
    thresholds = np.concatenate([background.values[:1], background.values + 1]).astype(np.int64)
    return Curve(
        thresholds,
        background.at_or_above(thresholds),
        {name: s.at_or_above(thresholds) for name, s in signals.items()},
    )


def check_cut(background_raw: np.ndarray, threshold: int, max_count: int) -> list[str]:
    """Recount `threshold` on the events themselves (independently of `Scores`): it meets `max_count` and the
    threshold one raw LSB lower does not. Returns the failures (empty: the threshold is right)."""
    failures = []
    at = int(np.count_nonzero(background_raw >= threshold))
    below = int(np.count_nonzero(background_raw >= threshold - 1))
    if at > max_count:
        failures.append(f"threshold {threshold} accepts {at} background events, more than the {max_count} allowed")
    if below <= max_count:
        failures.append(
            f"threshold {threshold} is not the smallest: {threshold - 1} accepts {below} background events, "
            f"within the {max_count} allowed"
        )
    return failures


def check_counts(raw: np.ndarray, threshold: int, expected: int, what: str) -> list[str]:
    """Recount the events of `raw` at or above `threshold` against the count reported for `what`."""
    got = int(np.count_nonzero(raw >= threshold))
    return [] if got == expected else [f"{what}: {got} events at or above {threshold}, reported {expected}"]


@dataclass(frozen=True)
class Efficiency:
    """k of n signal events accepted, with the Clopper-Pearson interval [lo, hi] at the chosen confidence."""

    k: int
    n: int
    lo: float
    hi: float

    @property
    def value(self) -> float:
        return self.k / self.n


def efficiency(signal: Scores, threshold: int, cl: float) -> Efficiency:
    """Signal efficiency of `threshold` with its exact binomial interval."""
    k, n = int(signal.at_or_above(threshold)), signal.n
    lo, hi = clopper_pearson(k, n, cl)
    return Efficiency(k, n, float(lo), float(hi))


@dataclass(frozen=True)
class RatePoint:
    """A requested rate: its cut, the background rate it achieves (with the binomial interval, in Hz), the rate of
    the threshold one raw LSB lower (above the request), and every signal's efficiency."""

    requested_hz: float
    cut: Cut
    rate_hz: float
    rate_interval_hz: tuple[float, float]
    lower_rate_hz: float
    efficiencies: dict[str, Efficiency]

    @property
    def measured(self) -> bool:
        """Enough background events above the cut to measure the rate (else it is bounded)."""
        return self.cut.background_count >= MEASURED_MIN


def rate_point(
    background: Scores, signals: dict[str, Scores], rate_hz: float, collision_hz: float, cl: float
) -> RatePoint:
    """Threshold, achieved rate and efficiencies for one requested rate (0 < rate_hz < collision_hz)."""
    n = background.n
    cut = threshold_for(background, max_background_count(rate_hz, collision_hz, n))
    lo, hi = clopper_pearson(cut.background_count, n, cl)
    return RatePoint(
        requested_hz=rate_hz,
        cut=cut,
        rate_hz=cut.background_count * collision_hz / n,
        rate_interval_hz=(float(lo) * collision_hz, float(hi) * collision_hz),
        lower_rate_hz=cut.lower_count * collision_hz / n,
        efficiencies={name: efficiency(s, cut.threshold, cl) for name, s in signals.items()},
    )
