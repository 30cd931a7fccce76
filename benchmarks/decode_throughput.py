"""Decoding throughput of one clip, single process: prints one JSON object of clips per second.

The clip: 10 s of 398 × 224 H.264 at 25 fps with a stereo 44.1 kHz AAC track, written with PyAV.
Measured, for PyAV (``core.data.media``): ``frames`` (``read_frames``: evenly spaced frames resized to
the model's input, reached by seeking), ``all_frames`` (every frame decoded), ``audio`` (the whole AAC
track to a mono waveform) and ``frames+audio`` (what preprocessing one audio-visual sample costs); for
OpenCV (``cv2.VideoCapture``, reading forward with grab/read as ModaLens did before PyAV): ``frames`` and
``all_frames`` (OpenCV reads no audio).

Usage: python benchmarks/decode_throughput.py [--frames 3] [--size 224] [--seconds 3] [--out result.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import av
import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.data.media import frame_positions, read_audio, read_frames  # noqa: E402

WIDTH, HEIGHT, FPS, SECONDS, RATE = 398, 224, 25, 10, 44100


def write_clip(path: Path) -> Path:
    """A moving gradient (so that H.264 has real work) and a two-tone stereo track."""
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=FPS)
        video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        audio = container.add_stream("aac", rate=RATE)
        audio.layout = "stereo"
        x = np.arange(WIDTH)[None, :, None]
        y = np.arange(HEIGHT)[:, None, None]
        for i in range(FPS * SECONDS):
            image = ((x + 3 * i) % 256 + (y * 2 + i) % 256 + np.array([0, 60, 120])) % 256
            container.mux(video.encode(av.VideoFrame.from_ndarray(image.astype(np.uint8), format="rgb24")))
        container.mux(video.encode())
        t = np.arange(RATE * SECONDS) / RATE
        sound = np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 660 * t)]).astype(np.float32) * 0.3
        step = audio.codec_context.frame_size
        for start in range(0, sound.shape[1], step):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(sound[:, start : start + step]), format="fltp", layout="stereo"
            )
            frame.sample_rate, frame.pts = RATE, start
            container.mux(audio.encode(frame))
        container.mux(audio.encode())
    return path


def opencv_frames(path: Path, count: int, size: int) -> np.ndarray:
    """Evenly spaced frames read forward with grab/read and resized with area interpolation."""
    capture = cv2.VideoCapture(str(path))
    try:
        total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        picked, index = [], 0
        for target in frame_positions(total, count).tolist():
            while index < target:
                capture.grab()
                index += 1
            ok, frame = capture.read()
            index += 1
            if not ok:
                raise RuntimeError(f"{path}: OpenCV could not read frame {target}")
            picked.append(cv2.cvtColor(cv2.resize(frame, (size, size), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB))
    finally:
        capture.release()
    return np.stack(picked)


def clips_per_second(work: Callable[[], object], seconds: float) -> float:
    work()  # warm up
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds or done < 3:
        work()
        done += 1
    return round(done / (time.perf_counter() - start), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=3, help="frames per clip for 'frames' (default 3)")
    parser.add_argument("--size", type=int, default=224, help="frame side after resizing (default 224)")
    parser.add_argument("--seconds", type=float, default=3.0, help="time spent per measurement")
    parser.add_argument("--out", help="also write the JSON here")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    total = FPS * SECONDS
    with tempfile.TemporaryDirectory() as folder:
        clip = write_clip(Path(folder) / "clip.mp4")
        n, s, t = args.frames, args.size, args.seconds
        result = {
            "clip": {"width": WIDTH, "height": HEIGHT, "fps": FPS, "seconds": SECONDS, "audio": "aac 44.1 kHz stereo",
                     "bytes": clip.stat().st_size},
            "frames_per_clip": n,
            "resize_to": s,
            "pyav": {
                "frames": clips_per_second(lambda: read_frames(clip, n, s, s), t),
                "all_frames": clips_per_second(lambda: read_frames(clip, total, s, s), t),
                "audio": clips_per_second(lambda: read_audio(clip), t),
                "frames+audio": clips_per_second(lambda: (read_frames(clip, n, s, s), read_audio(clip)), t),
            },
            "opencv": {
                "frames": clips_per_second(lambda: opencv_frames(clip, n, s), t),
                "all_frames": clips_per_second(lambda: opencv_frames(clip, total, s), t),
            },
            "versions": {"av": av.__version__, "ffmpeg": ".".join(map(str, av.library_versions["libavcodec"])),
                         "opencv": cv2.__version__},
        }  # fmt: skip
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
