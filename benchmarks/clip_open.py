"""How long the player waits for a clip's first frame: prints one JSON object.

Encodes one H.264 clip (by default 10 s of 1280 × 720 at 25 fps with a single keyframe, the worst case
for a length check) and times opening it and reading frame 0 the way the player does (the length left
unchecked) and the way training code does (the length checked first: its last frame decoded).

Usage: python benchmarks/clip_open.py [--seconds 10] [--size 1280x720] [--keyint 250] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.data.media import open_video  # noqa: E402


def encode(path: Path, seconds: float, width: int, height: int, fps: int, keyint: int) -> Path:
    """A bar moving over a coarse random texture that changes every frame (a few Mbit/s, like camera
    footage rather than a still), H.264, one keyframe per ``keyint`` frames."""
    rng = np.random.default_rng(0)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps, options={"g": str(keyint), "keyint_min": str(keyint)})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(round(seconds * fps)):
            texture = rng.integers(0, 160, (height // 16 + 1, width // 16 + 1, 3), dtype=np.uint8)
            image = np.ascontiguousarray(texture.repeat(16, axis=0).repeat(16, axis=1)[:height, :width])
            image[:, (i * 8) % width : (i * 8) % width + 40] = 255
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def first_frame_ms(path: Path, check_length: bool, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        with open_video(path, check_length=check_length) as clip:
            clip.read(0)
        times.append((time.perf_counter() - start) * 1000.0)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="clip length")
    parser.add_argument("--size", default="1280x720", help="WIDTHxHEIGHT")
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--keyint", type=int, default=250, help="frames between keyframes")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))
    with tempfile.TemporaryDirectory(prefix="modalens-clip-") as tmp:
        path = encode(Path(tmp) / "clip.mp4", args.seconds, width, height, args.fps, args.keyint)
        result = {"clip": {"seconds": args.seconds, "size": [width, height], "fps": args.fps, "keyint": args.keyint}}
        for name, check in (("player_length_unchecked", False), ("length_checked_first", True)):
            times = first_frame_ms(path, check, args.repeats)
            result[name] = {"median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1)}
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
