"""Write resources/models/default.md, the model card of the bundled default model, from the
training run's checkpoint and `zdce evaluate` results.

    python training/write_model_card.py training/default-run dark.json all.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from training.history_table import history_markdown  # noqa: E402
from zdce_core.textbar import format_duration  # noqa: E402
from zdce_core.training import read_checkpoint_info  # noqa: E402
from zdce_core.weights import read_metadata  # noqa: E402

TARGETS = (
    ("brightness", "mean output brightness", lambda v: 0.40 <= v <= 0.60, "0.40–0.60"),
    ("clipped_percent", "clipped pixels (%)", lambda v: v < 1.0, "< 1 %"),
    ("cast", "colour cast, mean", lambda v: v <= 0.05, "≤ 0.05"),
    ("max_cast", "colour cast, worst photo", lambda v: v <= 0.05, "≤ 0.05"),
)


def main() -> None:
    run_dir, dark_json, all_json = (Path(a) for a in sys.argv[1:4])
    info = read_checkpoint_info(run_dir)
    dark = json.loads(dark_json.read_text())[0]
    every = json.loads(all_json.read_text())[0]
    meta = read_metadata(ROOT / "resources" / "models" / "default.safetensors")
    epochs = info["epoch"]
    seconds = sum(r["seconds"] for r in info["history"])
    last = info["history"][-1]
    rows = []
    for key, label, ok, target in TARGETS:
        value = dark[key]
        rows.append(f"| {label} | {value:.3f} | {target} | {'met' if ok(value) else 'not met'} |")
    card = f"""# Default model: DCE-Net trained by this project

`default.safetensors` — Zero-DCE's DCE-Net (79,416 parameters, 8 iterations), trained from
scratch with this project's own code (`zdce train`) on the SICE training set. Metadata inside
the file: architecture `{meta.get("arch")}`, {meta.get("epochs")} epochs, date {meta.get("date")}.

## How it was trained

- Command: `EPOCHS={epochs} THREADS=2 training/train_default.sh` (resumable; the script runs
  `zdce train ../shared/data/sice_train --name default --arch dcenet --from-scratch --crop 256
  --scale-min 1.0 --no-flips --batch-size 8 --lr 1e-4 --weight-decay 1e-4 --grad-clip 0.1
  --val-every 20 --seed 0 --device cpu --run-dir training/default-run`).
- Recipe: the reference one — every image resized to 256×256 (whole image, no crop), batch 8,
  Adam lr 1e-4, weight decay 1e-4, gradient clipping 0.1, loss weights TV 200, spa 1, col 5,
  exp 10 with exposure target 0.6; subnormal weights zeroed after every step.
- Data: `../shared/data/sice_train`, 2,002 JPEGs (512×512) of the SICE multi-exposure set
  (Cai, Gu, Zhang, TIP 2018) as released beside the Zero-DCE++ code; every 20th file (sorted by
  name) held out: {every["images"]} validation images, the other {2002 - every["images"]} for
  training. The images are not in this repository.
- Licence of the data: released by the SICE authors for research use. This model is trained on
  it; check that licence before commercial use of the weights.
- Epochs: {epochs} (the reference code runs up to 200; training continues in later sessions from
  `training/default-run/checkpoint.pt`). Training time: {format_duration(seconds)} on a 2-core
  AMD EPYC CPU (AVX-512, PyTorch 2.13 CPU build), 1–2 threads, sharing the machine with other
  work (the epoch times below include pauses while benchmarks ran); about 12 minutes per
  epoch when alone.
- Final losses (epoch {epochs}): training {last["train"]["total"]:.4f}, validation
  {last["val"]["total"]:.4f}.

## Losses per epoch (validation = the held-out 5 %)

{history_markdown(info)}

## Quality on the darker half of the validation split

`zdce evaluate ../shared/data/sice_train --val-every 20 --darker-than 0.25 --model default`:
the {dark["images"]} of the {every["images"]} validation photos with mean gray below 0.25 (their
own mean brightness
{dark["input_brightness"]:.3f}, their own colour cast {dark["input_cast"]:.3f}), full strength:

| measure | value | target | |
| --- | --- | --- | --- |
{chr(10).join(rows)}

Zero-reference losses on these photos: total {dark["total"]:.4f} (spa {dark["spa"]:.4f},
exp {dark["exp"]:.4f}, col {dark["col"]:.4f}, tv {dark["tv"]:.4f}). On all {every["images"]}
validation photos: output brightness {every["brightness"]:.3f} (input
{every["input_brightness"]:.3f}), clipped {every["clipped_percent"]:.3f} % (the set includes
over-exposed photos, which a brightening model clips further), cast
{every["cast"]:.3f}. The colour cast is measured on the whole picture, so a scene's own colours
count too: the photos themselves average {dark["input_cast"]:.3f}, and the model lowers it.
"""
    out = ROOT / "resources" / "models" / "default.md"
    out.write_text(card)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
