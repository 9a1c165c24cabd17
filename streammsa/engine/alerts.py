"""Alerts raised from the stream of readings: cross-modal conflict and sustained negativity.

Both rules need evidence over several consecutive windows (one noisy window never
alerts), clear at a lower threshold than they raise (hysteresis: no flicker around
the threshold) and stay quiet for a cooldown after clearing. Every AlertEvent carries
the readings' values that triggered it.

Defaults (AlertConfig):
- conflict: raise when the probability that two present modalities read opposite polarities
  (``Reading.disagreement``, ``engine/disagreement.py``) is above 0.6 for 3 consecutive windows; the
  alert names the modality that disagrees (the odd one out of three, or the pair when two are
  present); clear when for 2 consecutive windows it is below 0.4, fewer than two modalities are
  present or another modality (or pair) is the one that disagrees; cooldown 10 s. (Before issue #11
  this rule read CACR's C_m, a distance in the model's shared space that cannot say who disagrees; until
  session 8 it read the distance between raw readings. C_m stays in every reading as a diagnostic.)
- sustained negative: raise when the overall intensity < -1.0 for 5 consecutive windows;
  clear when it is > -0.5 for 2 consecutive windows; cooldown 10 s.
Times are on the stream clock, so replays at any speed alert identically.

A trained checkpoint may carry calibrated thresholds in its metadata (``meta["alerts"]``, written by
scripts/calibrate_alerts.py from held-out data); ``AlertConfig.from_calibration`` applies them, and the
CLI uses them unless the user passes --conflict-threshold / --negative-threshold. Conflict thresholds
calibrated on another signal (C_m, or the distance between readings: a ``signal`` other than
``CONFLICT_SIGNAL``) are on another scale and are not applied; the checkpoint's polarity calibration
(``meta["alerts"]["polarity"]``) is what ``Reading.disagreement`` reads.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Mapping

from streammsa.engine.disagreement import odd_one_out
from streammsa.errors import UsageError
from streammsa.protocol import AlertEvent, Reading

CALIBRATED_FIELDS = ("conflict_raise", "conflict_clear", "negative_raise", "negative_clear")
"""The AlertConfig fields a checkpoint's calibration may set."""
CONFLICT_SIGNAL = "disagreement_probability"
"""What the conflict thresholds apply to; a calibration naming another signal keeps only its negative ones."""


@dataclass(frozen=True)
class AlertConfig:
    conflict_raise: float = 0.6
    conflict_clear: float = 0.4
    conflict_windows: int = 3
    negative_raise: float = -1.0
    negative_clear: float = -0.5
    negative_windows: int = 5
    clear_windows: int = 2
    cooldown_s: float = 10.0

    def __post_init__(self) -> None:
        if not self.conflict_clear < self.conflict_raise:
            raise UsageError(
                f"alert config: conflict_clear ({self.conflict_clear}) must be below "
                f"conflict_raise ({self.conflict_raise})"
            )
        if not self.negative_raise < self.negative_clear:
            raise UsageError(
                f"alert config: negative_raise ({self.negative_raise}) must be below "
                f"negative_clear ({self.negative_clear})"
            )
        for name in ("conflict_windows", "negative_windows", "clear_windows"):
            if getattr(self, name) < 1:
                raise UsageError(f"alert config: {name} must be at least 1")
        if self.cooldown_s < 0:
            raise UsageError("alert config: cooldown_s must be non-negative")

    @classmethod
    def from_calibration(cls, calibration: Mapping[str, Any] | None) -> "AlertConfig":
        """The defaults with a checkpoint's calibrated thresholds (``meta["alerts"]["thresholds"]``) applied."""
        values = dict((calibration or {}).get("thresholds") or {})
        unknown = sorted(set(values) - set(CALIBRATED_FIELDS))
        if unknown:
            raise UsageError(
                f"checkpoint alert calibration has unknown fields {unknown}; "
                "recalibrate with scripts/calibrate_alerts.py"
            )
        if (calibration or {}).get("signal") != CONFLICT_SIGNAL:
            values = {k: v for k, v in values.items() if not k.startswith("conflict_")}
        return cls(**{k: float(v) for k, v in values.items()})

    def with_thresholds(self, conflict: float | None = None, negative: float | None = None) -> "AlertConfig":
        """Move the raise thresholds; each keeps the hysteresis gap of the one it replaces."""
        kw: dict[str, float] = {}
        if conflict is not None and not 0.0 <= conflict < 1.0:
            raise UsageError(
                f"--conflict-threshold {conflict:g}: the disagreement is a probability; give a value in [0, 1)"
            )
        if conflict is not None:
            gap = self.conflict_raise - self.conflict_clear
            kw.update(conflict_raise=float(conflict), conflict_clear=float(conflict) - gap)
        if negative is not None:
            gap = self.negative_clear - self.negative_raise
            kw.update(negative_raise=float(negative), negative_clear=float(negative) + gap)
        return replace(self, **kw) if kw else self

    def thresholds(self) -> dict[str, float]:
        """For the Hello message: what the dashboard shows next to the gauges."""
        return {k: float(v) for k, v in asdict(self).items()}


MODALITY_WORDS = {"text": "the words", "audio": "the voice", "vision": "the face"}


def _who(name: str) -> str:
    """``"text+audio"`` -> "the words and the voice" (what a person reads in the alert)."""
    words = [MODALITY_WORDS.get(m, m) for m in name.split("+")]
    return " and ".join(words).capitalize() if words else name


def _disagree_with(reading: Reading, name: str) -> str:
    """ "disagree" for a pair; for the odd one out, "disagree(s) with" the others present, by name."""
    if "+" in name:
        return "disagree"
    others = [MODALITY_WORDS[m] for m, r in reading.modalities.items() if m != name and r.present]
    verb = "disagree" if name == "text" else "disagrees"  # "the words disagree", "the voice disagrees"
    return f"{verb} with {' and '.join(others)}" if others else verb


@dataclass
class _RuleState:
    active: bool = False
    streak: deque = field(default_factory=deque)  # evidence rows of the current raise streak
    clear_streak: int = 0
    cleared_at: float | None = None
    alert_id: str = ""


class AlertEngine:
    """Feeds on readings of one or many streams; returns the AlertEvents each reading causes."""

    def __init__(self, config: AlertConfig | None = None) -> None:
        self.config = config or AlertConfig()
        self._state: dict[tuple[str, str, str | None], _RuleState] = {}
        self._counter = 0

    def active(self, stream: str) -> list[str]:
        """Names of the alerts active for ``stream`` (what Reading.alerts carries)."""
        out = []
        for (s, kind, modality), st in self._state.items():
            if s == stream and st.active:
                out.append(f"{kind}:{modality}" if modality else kind)
        return sorted(out)

    def update(self, reading: Reading) -> list[AlertEvent]:
        cfg = self.config
        events: list[AlertEvent] = []
        odd = odd_one_out(reading.modalities)
        # one conflict rule per stream and per modality (or pair) that can be the odd one out
        names = {name for (s, kind, name) in self._state if s == reading.stream and kind == "conflict"}
        if odd is not None:
            names.add(odd.name)
        for name in sorted(n for n in names if n):
            if odd is not None and odd.name == name:
                row = {
                    "seq": reading.seq,
                    "t_end": reading.t_end,
                    "disagreement": reading.disagreement,
                    "odd_one_out": odd.score,
                    "intensity": odd.intensity,
                    "others_intensity": odd.others_intensity,
                    "overall": reading.intensity,
                }
                d = reading.disagreement if reading.disagreement is not None else 0.0
                hot, cool = d > cfg.conflict_raise, d < cfg.conflict_clear
            else:  # this modality (or pair) is not the odd one out now: it cools
                row = {"seq": reading.seq, "t_end": reading.t_end, "disagreement": None, "overall": reading.intensity}
                hot, cool = False, True
            ev = self._step(reading, "conflict", name, row, hot, cool, cfg.conflict_windows)
            if ev:
                events.append(ev)
        row = {"seq": reading.seq, "t_end": reading.t_end, "overall": reading.intensity}
        ev = self._step(
            reading,
            "sustained_negative",
            None,
            row,
            hot=reading.intensity < cfg.negative_raise,
            cool=reading.intensity > cfg.negative_clear,
            need=cfg.negative_windows,
        )
        if ev:
            events.append(ev)
        return events

    def _step(
        self, reading: Reading, kind: str, modality: str | None, row: dict[str, Any], hot: bool, cool: bool, need: int
    ) -> AlertEvent | None:
        cfg = self.config
        st = self._state.setdefault((reading.stream, kind, modality), _RuleState())
        if not st.active:
            if not hot:
                st.streak.clear()
                return None
            st.streak.append(row)
            while len(st.streak) > need:
                st.streak.popleft()
            if len(st.streak) < need:
                return None
            if st.cleared_at is not None and reading.t_end - st.cleared_at < cfg.cooldown_s:
                return None  # cooling down: keep the streak, raise once the cooldown has passed
            st.active, st.clear_streak = True, 0
            self._counter += 1
            st.alert_id = f"{reading.stream}-{kind}-{modality or 'overall'}-{self._counter}"
            evidence = {"windows": list(st.streak), "trained": reading.trained}
            st.streak.clear()
            return self._event(reading, kind, modality, "raised", st.alert_id, evidence)
        # active: clear only after clear_windows consecutive cool windows (hysteresis)
        st.clear_streak = st.clear_streak + 1 if cool else 0
        if st.clear_streak < cfg.clear_windows:
            return None
        st.active, st.clear_streak, st.cleared_at = False, 0, reading.t_end
        return self._event(
            reading, kind, modality, "cleared", st.alert_id, {"windows": [row], "trained": reading.trained}
        )

    def _event(
        self, reading: Reading, kind: str, modality: str | None, state: str, alert_id: str, evidence: dict[str, Any]
    ) -> AlertEvent:
        cfg = self.config
        if kind == "conflict":
            who = _who(modality or "")
            if state == "raised":
                text = (
                    f"{who} {_disagree_with(reading, modality or '')}: probability of opposite polarities > "
                    f"{cfg.conflict_raise:g} for {cfg.conflict_windows} windows"
                )
            else:
                text = f"{who}: disagreement cleared"
        elif state == "raised":
            text = f"overall intensity below {cfg.negative_raise:g} for {cfg.negative_windows} windows"
        else:
            text = f"overall intensity back above {cfg.negative_clear:g}"
        if not reading.trained:
            text = "(untrained model: not sentiment) " + text
        return AlertEvent(
            stream=reading.stream,
            alert_id=alert_id,
            kind=kind,  # type: ignore[arg-type]
            state=state,  # type: ignore[arg-type]
            t=reading.t_end,
            modality=modality,
            message=text,
            evidence=evidence,
        )
