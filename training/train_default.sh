#!/usr/bin/env bash
# Trains (or resumes) the bundled default model on the shared SICE training set with the
# reference Zero-DCE recipe: DCE-Net from scratch, whole 512² images resized to 256²,
# batch 8, Adam lr 1e-4, weight decay 1e-4, gradient clipping 0.1, no flips.
# Checkpoints go to training/default-run/ every epoch; run again to resume.
set -euo pipefail
cd "$(dirname "$0")/.."
resume=()
[ -f training/default-run/checkpoint.pt ] && resume=(--resume)
exec zdce --threads "${THREADS:-1}" train ../shared/data/sice_train --name default \
    --arch dcenet --from-scratch --epochs "${EPOCHS:-30}" --crop 256 --scale-min 1.0 --no-flips \
    --batch-size 8 --lr 1e-4 --weight-decay 1e-4 --grad-clip 0.1 --val-every 20 --seed 0 \
    --device cpu --run-dir training/default-run --output training/default-run/default.safetensors \
    --history-json training/default-run/history.json "${resume[@]}"
