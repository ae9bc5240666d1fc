#!/usr/bin/env bash
# The GPU figures of issue 4, as run through the workplace's `device` tool (one
# GPU machine with PyTorch and PyG but no Neo4j, no network):
#
#   bash benchmarks/device_figures.sh smoke   # CUDA smoke of every model, then LightGCN
#                                             # speed on cuda
#   bash benchmarks/device_figures.sh sweep   # CUDA smoke of every model, LightGCN
#                                             # speed on cuda, recipe sweep (validation)
#   bash benchmarks/device_figures.sh ensemble # LightGCN speed on cuda again, then
#                                             # LightGCN, social and hybrid as ensembles
#                                             # of two (recipes/lastfm-ensemble2.json),
#                                             # five seeds, 15 processes
#   bash benchmarks/device_figures.sh table [RECIPE]
#                                             # five-seed LastFM table with a recipe
#                                             # (the sweep's winner; RESULTS.md's table:
#                                             # benchmarks/recipes/lastfm.json, chosen in
#                                             # three sweep rounds, two of them on CPU),
#                                             # with the ensemble rows of `ensemble` added
#
# It needs benchmarks/out/lastfm.pt (made by any CPU benchmark run) and the neo4j
# driver importable (benchmarks/common.py imports it; wheels in .whl/ are
# installed when present). Results go to $OUT (default benchmarks/out/device).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-benchmarks/out/device}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
if ls .whl/*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl || exit 1
    export PYTHONPATH=/tmp/site:$PWD
else
    export PYTHONPATH=$PWD
fi
python3 -c "import torch, torch_geometric as g; print(torch.__version__, g.__version__, torch.cuda.get_device_name())"
BASE='{"embedding_dim": 128, "lr": 0.002}'

smoke() {
    cp benchmarks/RESULTS.md /tmp/RESULTS.md
    echo "== smoke: every model, 2 epochs on cuda"
    timeout 90 python3 -m benchmarks.lastfm_quality --device cuda --seeds 0 --epochs 2 \
        --models mf,lightgcn,social,attention,hybrid --workers 5 --report device-smoke \
        --section smoke 2>&1 | grep -E "test recall|Error|error|Traceback" | tail -20
    cp /tmp/RESULTS.md benchmarks/RESULTS.md
    echo "== LightGCN speed on cuda"
    timeout 120 python3 -m benchmarks.lightgcn_speed --device cuda --rounds 3
}

case "${1:-}" in
smoke)
    smoke
    cp benchmarks/RESULTS.md "$OUT/"
    ;;
sweep)
    smoke
    echo "== recipe sweep (hybrid, validation, seed 0): twelve candidates at once"
    timeout 180 python3 -m benchmarks.recipe_sweep --device cuda --workers 12 --base "$BASE" \
        --vary lr=0.001,0.005 --vary embedding_dim=256 --vary num_layers=2,4 \
        --vary weight_decay=3e-5,3e-4 --vary negatives=16,32 --vary batch_size=2048 \
        --combo 'ssl_weight=0.05' --best-out "$OUT/recipe.json"
    cp benchmarks/RESULTS.md "$OUT/"
    ;;
table)
    recipe=${2:-$OUT/recipe.json}
    [ -f "$recipe" ] || recipe=<(echo "$BASE")
    timeout "${TABLE_SECONDS:-360}" python3 -m benchmarks.lastfm_quality --device cuda --workers "${WORKERS:-12}" --refit \
        --recipe "$recipe" --reuse gds_similarity,popularity --include lastfm-ensemble2 2>&1 | grep -v "\] epoch " | tail -60
    cp benchmarks/RESULTS.md benchmarks/reports/lastfm/* "$OUT/"
    ;;
ensemble)
    echo "== LightGCN speed on cuda"
    timeout 120 python3 -m benchmarks.lightgcn_speed --device cuda --rounds 3
    echo "== ensembles of two, five seeds"
    timeout "${TABLE_SECONDS:-480}" python3 -m benchmarks.lastfm_quality --device cuda \
        --workers "${WORKERS:-15}" --refit --models lightgcn,social,hybrid \
        --recipe benchmarks/recipes/lastfm-ensemble2.json --report lastfm-ensemble2 \
        --section "LastFM, ensembles of two (issue 4)" 2>&1 | grep -v "\] epoch " | tail -60
    cp benchmarks/RESULTS.md "$OUT/"
    cp benchmarks/reports/lastfm-ensemble2/* "$OUT/" 2>/dev/null
    ;;
*)
    echo "usage: $0 smoke|sweep|ensemble|table" >&2
    exit 2
    ;;
esac
