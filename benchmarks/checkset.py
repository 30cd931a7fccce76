"""A real-media audio-visual check set: handwritten digits as short clips, paired with the spoken word.

Each sample is one handwritten digit from scikit-learn's bundled ``load_digits`` (8 × 8 scans of real
handwriting, each image used once) upscaled into a short 64 × 64 clip that drifts a little, paired with
the digit's English word spoken by Debian's espeak-ng (voice, variant, speed and pitch drawn per
sample) over background noise. On a fraction of the samples one modality is degraded on purpose (the
clip faded into noise and blur, or the word buried in noise); the ``degraded`` column says which
(``none``, ``video`` or ``audio``), ``video_info`` / ``audio_info`` say ``clear`` or ``degraded``.

Writes a ModaLens dataset folder (``manifest.csv``, ``video/*.mp4``, ``audio/*.wav``):

    nice .venv/bin/python benchmarks/checkset.py --out /tmp/checkset        # 1050 / 225 / 225
    .venv/bin/modalens train --data /tmp/checkset

Needs scikit-learn (the ``dev`` extra) and espeak-ng (``apt-get install espeak-ng``).
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import soundfile

from core.demo.video import write_mp4

WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
SIZE = 64
FRAMES = 6
FPS = 10
SAMPLE_RATE = 16000
CLIP_S = 1.5
ACCENTS = ("en-us", "en-gb", "en-gb-scotland", "en-029", "en-gb-x-rp", "en-gb-x-gbclan")
VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4")
MARKER = "checkset.json"


@dataclass(frozen=True)
class Sizes:
    """Samples per split."""

    train: int = 1050
    val: int = 225
    test: int = 225

    @property
    def total(self) -> int:
        return self.train + self.val + self.test


def espeak_path() -> str:
    """The espeak-ng executable; SystemExit with the install command when it is missing."""
    found = shutil.which("espeak-ng")
    if found is None:
        raise SystemExit("espeak-ng is not installed: apt-get install espeak-ng (Debian/Ubuntu)")
    return found


def load_digit_images() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's handwritten digits: images float [N, 8, 8] in 0..1 and labels [N]."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise SystemExit("scikit-learn is missing: pip install -e '.[dev]'") from None
    digits = load_digits()
    return digits.images.astype(np.float32) / 16.0, digits.target.astype(np.int64)


def render_clip(image: np.ndarray, degraded: bool, rng: np.random.Generator) -> np.ndarray:
    """RGB frames ``uint8 [FRAMES, SIZE, SIZE, 3]``: the digit upscaled, placed with a random offset and
    drifting about a pixel a frame on a random grey background; degraded: faded, blurred and noisy."""
    side = int(rng.integers(34, 46))
    glyph = cv2.resize(image, (side, side), interpolation=cv2.INTER_CUBIC).clip(0.0, 1.0)
    background = rng.uniform(0.0, 60.0)
    ink = rng.uniform(170.0, 255.0) - background
    if degraded:
        ink *= 0.25
    start = rng.uniform(-6.0, 6.0, 2) + (SIZE - side) / 2
    drift = rng.uniform(-1.2, 1.2, 2)
    tint = rng.uniform(0.8, 1.0, 3)
    frames = np.empty((FRAMES, SIZE, SIZE, 3), dtype=np.uint8)
    for t in range(FRAMES):
        x, y = np.clip(np.round(start + t * drift).astype(int), 0, SIZE - side)
        canvas = np.full((SIZE, SIZE), background, dtype=np.float32)
        canvas[y : y + side, x : x + side] += ink * glyph
        if degraded:
            canvas = cv2.GaussianBlur(canvas, (0, 0), 3.0)
        canvas += rng.normal(0.0, 70.0 if degraded else 6.0, canvas.shape).astype(np.float32)
        frames[t] = np.clip(canvas[..., None] * tint, 0.0, 255.0).astype(np.uint8)
    return frames


def speak(word: str, rng: np.random.Generator, espeak: str, scratch: Path) -> np.ndarray:
    """``word`` spoken by espeak-ng with a random accent, voice variant, speed and pitch, as float mono
    at SAMPLE_RATE."""
    voice = f"{ACCENTS[rng.integers(len(ACCENTS))]}+{VARIANTS[rng.integers(len(VARIANTS))]}"
    speed, pitch = int(rng.integers(120, 200)), int(rng.integers(20, 80))
    wav = scratch / "word.wav"
    subprocess.run(
        [espeak, "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(wav), word],
        check=True,
        capture_output=True,
    )
    samples, rate = soundfile.read(str(wav), dtype="float32")
    if samples.ndim > 1:
        samples = samples.mean(axis=1)
    length = max(1, round(len(samples) * SAMPLE_RATE / rate))
    return np.interp(np.linspace(0, len(samples) - 1, length), np.arange(len(samples)), samples).astype(
        np.float32
    )


def sound_clip(speech: np.ndarray, degraded: bool, rng: np.random.Generator) -> np.ndarray:
    """``CLIP_S`` seconds of noise with the word at a random offset: SNR 10-30 dB, or -12 dB degraded.
    Returned as int16."""
    length = round(CLIP_S * SAMPLE_RATE)
    speech = speech[:length] / max(float(np.abs(speech).max()), 1e-6)
    clip = np.zeros(length, dtype=np.float32)
    offset = int(rng.integers(0, length - len(speech) + 1))
    clip[offset : offset + len(speech)] = speech
    power = float(np.mean(speech**2))
    snr_db = -12.0 if degraded else rng.uniform(10.0, 30.0)
    noise = rng.normal(0.0, 1.0, length).astype(np.float32)
    if rng.uniform() < 0.5:  # brown-ish noise half the time
        noise = np.cumsum(noise)
        noise -= np.convolve(noise, np.ones(64) / 64, mode="same")
    noise *= np.sqrt(power / 10 ** (snr_db / 10) / max(float(np.mean(noise**2)), 1e-12))
    clip += noise
    return np.round(clip * (0.8 * 32767 / float(np.abs(clip).max()))).astype(np.int16)


def plan(
    labels: np.ndarray, sizes: Sizes, degraded_share: float, rng: np.random.Generator
) -> list[tuple[int, int, str, str]]:
    """(image index, label, split, degraded modality) per sample: classes as even as the sizes allow,
    every image used at most once, splits stratified by class, ``degraded_share`` of each split with one
    modality degraded (half video, half audio)."""
    classes = len(WORDS)
    rows: list[tuple[int, int, str, str]] = []
    pools = {c: list(rng.permutation(np.flatnonzero(labels == c))) for c in range(classes)}
    for split, count in (("train", sizes.train), ("val", sizes.val), ("test", sizes.test)):
        split_labels = np.arange(count) % classes
        rng.shuffle(split_labels)
        n_degraded = round(degraded_share * count)
        degraded = np.array(["none"] * count, dtype=object)
        chosen = rng.choice(count, n_degraded, replace=False)
        degraded[chosen[: n_degraded // 2]] = "video"
        degraded[chosen[n_degraded // 2 :]] = "audio"
        for label, which in zip(split_labels.tolist(), degraded.tolist(), strict=True):
            if not pools[label]:
                raise SystemExit(f"not enough digit images of class {label} for {sizes.total} samples")
            rows.append((int(pools[label].pop()), label, split, which))
    return rows


def generate_checkset(out: str | Path, sizes: Sizes = Sizes(), degraded_share: float = 0.3, seed: int = 0) -> Path:
    """Write the check set into ``out`` (absent, empty, or an earlier check set, which is replaced)."""
    out = Path(out).expanduser().absolute()
    if out.exists() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise SystemExit(f"{out}: exists and is not a check set; choose another --out")
    espeak = espeak_path()
    images, labels = load_digit_images()
    rng = np.random.default_rng(seed)
    rows = plan(labels, sizes, degraded_share, rng)
    staging = Path(tempfile.mkdtemp(prefix=".checkset-", dir=out.parent))
    try:
        (staging / "video").mkdir()
        (staging / "audio").mkdir()
        manifest = [["id", "label", "split", "video", "audio", "degraded", "video_info", "audio_info", "digit_image"]]
        for i, (image, label, split, which) in enumerate(rows):
            sample_id = f"d{i:04d}"
            sample_rng = np.random.default_rng([seed, i])
            write_mp4(staging / "video" / f"{sample_id}.mp4", render_clip(images[image], which == "video", sample_rng), FPS)
            speech = speak(WORDS[label], sample_rng, espeak, staging)
            soundfile.write(
                str(staging / "audio" / f"{sample_id}.wav"),
                sound_clip(speech, which == "audio", sample_rng),
                SAMPLE_RATE,
                subtype="PCM_16",
            )
            manifest.append([
                sample_id, WORDS[label], split, f"video/{sample_id}.mp4", f"audio/{sample_id}.wav", which,
                "degraded" if which == "video" else "clear", "degraded" if which == "audio" else "clear", str(image),
            ])
        (staging / "word.wav").unlink(missing_ok=True)
        with (staging / "manifest.csv").open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, lineterminator="\n").writerows(manifest)
        marker = {"generator": "benchmarks/checkset.py", "sizes": [sizes.train, sizes.val, sizes.test],
                  "degraded_share": degraded_share, "seed": seed}
        (staging / MARKER).write_text(json.dumps(marker) + "\n", encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="dataset folder to write")
    parser.add_argument("--train", type=int, default=Sizes.train)
    parser.add_argument("--val", type=int, default=Sizes.val)
    parser.add_argument("--test", type=int, default=Sizes.test)
    parser.add_argument("--degraded", type=float, default=0.3, help="share of samples with one modality degraded")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if not 0.0 <= args.degraded <= 1.0 or min(args.train, args.val, args.test) < 0:
        parser.error("--degraded must lie in [0, 1] and split sizes must be >= 0")
    out = generate_checkset(args.out, Sizes(args.train, args.val, args.test), args.degraded, args.seed)
    print(f"check set written to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
