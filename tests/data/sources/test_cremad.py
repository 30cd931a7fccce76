"""cremad: VideoFlash/*.flv + AudioWAV/*.wav, actor-disjoint seeded split or OGM-GE list files."""

from pathlib import Path

import soundfile

from tests.data.av_clips import write_clip
from tests.data.helpers import tone
from tests.data.sources.common import (
    dataset_toml,
    manifest_rows,
    run_import,
    skip_count,
    total_skipped,
    train_one_epoch,
)

ACTORS = ("1001", "1002", "1003", "1004")
EMOTIONS = ("ANG", "HAP", "NEU")


def _clip_ids() -> list[str]:
    return [f"{a}_IEO_{e}_{'LO' if i % 2 else 'XX'}" for a in ACTORS for i, e in enumerate(EMOTIONS)]


def _write_cremad(root: Path) -> Path:
    for index, clip in enumerate(_clip_ids()):
        write_clip(root / "VideoFlash" / f"{clip}.flv", frames=4, fps=4)
        wav = _mkdir(root / "AudioWAV") / f"{clip}.wav"
        soundfile.write(str(wav), tone(200.0 + 50 * index, 8000, 0.5), 8000)
    write_clip(root / "VideoFlash" / "1005_DFA_SAD_HI.flv", frames=4, fps=4)  # its wav is missing
    (root / "AudioWAV" / "1006_DFA_SAD_HI.wav").write_bytes(
        b"version https://git-lfs.github.com/spec/v1\noid x\n"
    )
    write_clip(root / "VideoFlash" / "1006_DFA_SAD_HI.flv", frames=4, fps=4)
    write_clip(root / "VideoFlash" / "1007_DFA_XXX_HI.flv", frames=4, fps=4)  # no such emotion
    return root


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def test_seeded_split_keeps_every_actor_in_one_split(tmp_path, capsys):
    root = _write_cremad(tmp_path / "CREMA-D")
    out = tmp_path / "data"
    code, printed = run_import(
        capsys, "cremad", root, "--out", out, "--val-ratio", 0.25, "--test-ratio", 0.25
    )
    assert code == 0, printed
    rows = manifest_rows(out)
    assert sorted(rows) == sorted(_clip_ids())
    for clip, row in rows.items():
        actor, sentence, emotion, level = clip.split("_")
        assert (row["label"], row["actor"], row["sentence"], row["level"]) == (
            emotion,
            actor,
            sentence,
            level,
        )
        assert Path(row["video"]) == (root / "VideoFlash" / f"{clip}.flv").resolve()
        assert Path(row["audio"]) == (root / "AudioWAV" / f"{clip}.wav").resolve()
    split_of_actor = {}
    for row in rows.values():
        assert split_of_actor.setdefault(row["actor"], row["split"]) == row["split"]
    assert sorted(split_of_actor.values()) == ["test", "train", "train", "val"]  # 4 actors: 1 test, 1 val

    assert dataset_toml(out)["media_root"] == str(root.resolve())
    assert dataset_toml(out)["source"] == "cremad"
    assert skip_count(out, "no audio file") == 1
    assert skip_count(out, "git LFS pointer, not media (download incomplete: run git lfs pull)") == 1
    assert skip_count(out, "unknown emotion (expected ANG DIS FEA HAP NEU SAD)") == 1
    assert total_skipped(out) == 3
    assert "skipped: 3" in printed and "imported: 12 sample(s)" in printed


def test_split_files_give_the_splits_and_report_bad_rows(tmp_path, capsys):
    root = _write_cremad(tmp_path / "CREMA-D")
    lists = tmp_path / "lists"
    lists.mkdir()
    clips = _clip_ids()
    train, test = clips[:8], clips[8:11]  # clips[11] is in no list
    (lists / "train.csv").write_text(
        "".join(f"{c},{c.split('_')[2]}\n" for c in train) + "1099_IEO_HAP_XX,HAP\n"
    )
    (lists / "test.csv").write_text(
        "".join(f"{c},{c.split('_')[2]}\n" for c in test) + f"{clips[11]},HAPPY\n"
    )
    out = tmp_path / "data"
    code, printed = run_import(capsys, "cremad", root, "--out", out, "--split-files", lists)
    assert code == 0, printed
    rows = manifest_rows(out)
    assert {c: r["split"] for c, r in rows.items()} == {
        **dict.fromkeys(train, "train"),
        **dict.fromkeys(test, "test"),
    }
    assert skip_count(out, "listed in train.csv but absent on disk") == 1
    assert skip_count(out, "unknown label in test.csv") == 1
    assert total_skipped(out) == 3 + 2


def test_imported_cremad_trains_one_epoch(tmp_path, capsys):
    root = _write_cremad(tmp_path / "CREMA-D")
    out = tmp_path / "data"
    assert run_import(capsys, "cremad", root, "--out", out, "--val-ratio", 0.25, "--test-ratio", 0.25)[0] == 0
    result = train_one_epoch(out, tmp_path / "run")
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "run" / "report.h5").is_file()
    assert not (tmp_path / "run" / "excluded.txt").exists()
