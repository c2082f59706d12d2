#!/usr/bin/env bash
# Ships the default model from the training run's last completed epoch: exports it, copies it
# to resources/models/default.safetensors, evaluates it on the validation split (all of it and
# its darker half) and writes the model card resources/models/default.md.
set -euo pipefail
cd "$(dirname "$0")/.."
run=training/default-run
done_epochs=$(python -c "from zdce_core.training import read_checkpoint_info as r; print(r('$run')['epoch'])")
EPOCHS=$done_epochs training/train_default.sh   # resumes at its end: exports, trains nothing
cp "$run/default.safetensors" resources/models/default.safetensors
zdce --threads "${THREADS:-1}" evaluate ../shared/data/sice_train --val-every 20 --model default \
    --darker-than 0.25 --json "$run/eval-dark.json" -q
zdce --threads "${THREADS:-1}" evaluate ../shared/data/sice_train --val-every 20 --model default \
    --json "$run/eval-all.json" -q
python training/write_model_card.py "$run" "$run/eval-dark.json" "$run/eval-all.json"
