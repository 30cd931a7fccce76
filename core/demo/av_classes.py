"""The eight audio-visual demo classes: each has its own look (shape, colour, motion) and sound."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AVClass:
    """One class: a shape of one colour moving one way at one speed, and a harmonic tone of one pitch,
    timbre and motif (how its pitch and loudness move, ``rate_hz`` times a second)."""

    name: str
    shape: str
    rgb: tuple[int, int, int]
    direction_deg: float
    speed_px: float
    base_hz: float
    harmonics: tuple[float, ...]
    motif: str
    rate_hz: float


SHAPES = ("circle", "square", "triangle", "cross", "diamond", "ring", "bar", "star")

# steady: constant; pulse: on/off; rise / fall: repeated upward / downward glides; vibrato: wavering
# pitch; trill: alternating between two pitches; burst: on/off bursts of noise around the pitch.
MOTIFS = ("steady", "pulse", "rise", "fall", "vibrato", "trill", "burst")

# Relative amplitudes of harmonics 1, 2, 3, ... (the timbre of a class's tone).
TIMBRES = (
    (1.0,),
    (1.0, 0.5, 0.25),
    (1.0, 0.0, 0.45, 0.0, 0.25),
    (1.0, 0.7, 0.5, 0.35),
)

AV_CLASSES: tuple[AVClass, ...] = (
    AVClass("red-circle", "circle", (230, 40, 40), 0.0, 1.0, 250.0, TIMBRES[1], "steady", 0.0),
    AVClass("green-square", "square", (40, 200, 60), 135.0, 1.6, 350.0, TIMBRES[3], "pulse", 2.0),
    AVClass("blue-triangle", "triangle", (50, 90, 240), 270.0, 1.0, 480.0, TIMBRES[0], "rise", 3.0),
    AVClass("yellow-cross", "cross", (235, 220, 40), 45.0, 1.6, 650.0, TIMBRES[0], "fall", 3.0),
    AVClass("magenta-diamond", "diamond", (220, 50, 220), 180.0, 1.0, 880.0, TIMBRES[2], "vibrato", 4.0),
    AVClass("cyan-ring", "ring", (40, 220, 220), 315.0, 1.6, 1200.0, TIMBRES[0], "pulse", 10.0),
    AVClass("orange-bar", "bar", (245, 140, 20), 90.0, 1.0, 1650.0, TIMBRES[0], "burst", 3.0),
    AVClass("white-star", "star", (235, 235, 235), 225.0, 1.6, 2250.0, TIMBRES[0], "trill", 6.0),
)
