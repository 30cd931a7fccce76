"""Does valuation find the planted modality? Sign agreement of φ_audio − φ_video with the planted side.

Trains the `joint` baseline on the `balanced` demo and, for the training samples where exactly one
modality was planted informative (the other carries no class information), counts how often
φ_audio − φ_video has the sign of the planted side. Prints JSON, one entry per value function.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from core import events as ev
from core.config import RunConfig
from core.data.prepare import prepare_dataset
from core.demo import generate_demo
from core.models.multimodal import build_model_for_data
from core.training.engine import Engine
from core.valuation.valuate import ValuationSettings, value_samples
from core.valuation.value_functions import VALUE_FUNCTIONS


def sign_agreement(
    phi: np.ndarray, audio_info: np.ndarray, video_info: np.ndarray, modalities: list[str]
) -> dict:
    a, v = modalities.index("audio"), modalities.index("video")
    only_audio = (audio_info != "none") & (video_info == "none")
    only_video = (video_info != "none") & (audio_info == "none")
    gap = phi[:, a] - phi[:, v]
    agree = np.concatenate([gap[only_audio] > 0, gap[only_video] < 0])
    return {
        "samples": int(agree.size),
        "agreement": round(float(agree.mean()), 4) if agree.size else None,
        "audio_only_agreement": round(float((gap[only_audio] > 0).mean()), 4),
        "video_only_agreement": round(float((gap[only_video] < 0).mean()), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", help="an existing balanced demo folder (default: generate one)")
    parser.add_argument(
        "--samples", type=int, default=5000,
        help="demo size; with fewer, the model memorises more of the uninformative modality's training clips",
    )
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lr-step-epochs", type=int, default=0, help="divide the learning rate by 10 every N epochs")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    work = Path(tempfile.mkdtemp(prefix="modalens-science-"))
    data_dir = (
        Path(args.data) if args.data else generate_demo(work / "demo", "balanced", args.samples, args.seed)
    )

    config = RunConfig()
    config.data.path = str(data_dir)
    config.optim.epochs = args.epochs
    config.optim.lr_step_epochs = args.lr_step_epochs
    config.runtime.seed = args.seed
    config.runtime.device = "cpu"
    config.runtime.mi_every_steps = 0
    engine = Engine(config, work / "run")
    epochs = []
    engine.bus.subscribe(lambda e: epochs.append(e) if isinstance(e, ev.EpochMetrics) else None)
    start = time.perf_counter()
    outcome = engine.run()
    train_seconds = time.perf_counter() - start
    if outcome.failed:
        raise SystemExit("training failed")

    data = prepare_dataset(config.data)
    model = build_model_for_data(data, config.model)
    model.load_state_dict(torch.load(work / "run" / "checkpoints" / "last.pt", weights_only=False)["model"])
    train = data.samples.split_indices("train")
    results = {}
    for value_fn in VALUE_FUNCTIONS.names():
        result = value_samples(model, data, train, ValuationSettings(value_fn=value_fn), torch.device("cpu"))
        results[value_fn] = sign_agreement(
            result.phi,
            data.samples.metadata["audio_info"][train],
            data.samples.metadata["video_info"][train],
            data.samples.modalities,
        )
    last = epochs[-1].metrics
    print(
        json.dumps(
            {
                "dataset": str(data_dir),
                "samples": len(data),
                "epochs": args.epochs,
                "lr_step_epochs": args.lr_step_epochs,
                "train_seconds": round(train_seconds, 1),
                "train_acc": round(last["train/acc"], 4),
                "val_acc": round(last["val/acc"], 4),
                "test_acc": round(last.get("test/acc", float("nan")), 4),
                "sign_agreement": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
