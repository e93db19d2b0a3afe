#!/usr/bin/env bash
# The GPU machine's one command (README, "A GPU machine"): the gpu profile on its GPU, then the
# distributed study on its 16 cores, then every result into one file under $OUT.
#
#   on the device, in the repository root, with .whl carried (measurements/gpu/prepare_wheels.sh):
#     bash measurements/gpu/run.sh                  # 8-9.5 minutes: the profile (at most 6 min 40 s), the study
#     bash measurements/gpu/run.sh gpu              # the profile alone
#     bash measurements/gpu/run.sh distributed      # the study alone
#   here, on the CPU (CI runs it): the same steps at tiny sizes, in a temporary folder
#     bash measurements/gpu/run.sh --dry-run [--only GLOB ...]
#
# Results go to .gpu-results/ (ignored by git; carry it back to resume a cut-short run: finished runs
# are kept) and, packed, to $OUT/results.tar.gz with the log; `python -m generator merge` takes the
# unpacked folder. Each part ends before its own deadline (FG_GPU_PROFILE_S, default 400 s; the whole
# command FG_GPU_LIMIT_S, default 570 s, inside the device's 600), so the packing always runs.
set -uo pipefail
cd "$(dirname "$0")/../.."
part=all dry=()
for arg in "$@"; do
  case "$arg" in
    gpu|distributed|all) part=$arg; shift ;;
    --dry-run) dry=(--dry-run); shift ;;
    *) break ;;
  esac
done
start=$SECONDS
limit=${FG_GPU_LIMIT_S:-570}
OUT=${OUT:-$(mktemp -d)}
results=${FG_GPU_RESULTS:-$PWD/.gpu-results}
py=${PYTHON:-python3}  # the machine's python3 holds PyTorch and JAX
export PYTHONUNBUFFERED=1
# TensorFlow's CUDA build (several GB) cannot travel in a call's 64 MiB, and the machine has no network
export FG_UNAVAILABLE_WHY="tensorflow=its CUDA build can't be installed on the GPU machine (no network there, and at most 64 MiB of files travel with a call)"
if [ ${#dry[@]} -eq 0 ] && ls .whl/*.whl >/dev/null 2>&1; then  # the wheels the machine lacks
  "$py" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    && export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH} || exit 1
fi
if [ ${#dry[@]} -gt 0 ]; then results=$(mktemp -d); fi
mkdir -p "$results"
log=$OUT/run.log
{
  echo "== $(date -u +%FT%TZ) $("$py" --version) on $(nproc) CPUs"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "no nvidia-smi"
  "$py" -m pip list 2>/dev/null | grep -iE '^(torch|jax|jaxlib|jax-cuda13-plugin|optax|numpy|jsonschema) ' || true
} | tee "$log"
code=0
if [ "$part" != distributed ]; then
  budget=${FG_GPU_PROFILE_S:-400}
  echo "== the gpu profile (at most ${budget} s)" | tee -a "$log"
  timeout --signal=TERM --kill-after=15 "$budget" \
    "$py" -m measurements run --profile gpu --results "$results" "${dry[@]}" "$@" 2>&1 | tee -a "$log"
  code=${PIPESTATUS[0]}
fi
if [ "$part" != gpu ] && [ ${#dry[@]} -eq 0 ]; then  # the dry run's study is tests/test_studies_distributed.py's
  left=$((limit - (SECONDS - start) - 15))
  echo "== the distributed study on 16 cores (at most ${left} s)" | tee -a "$log"
  FG_DISTRIBUTED_LAYOUT=16-cores timeout --signal=TERM --kill-after=15 "$left" \
    "$py" -m measurements run --only 'study/distributed/*' --results "$results" 2>&1 | tee -a "$log"
  status=${PIPESTATUS[0]}
  [ "$code" -eq 0 ] && code=$status
fi
tar -czf "$OUT/results.tar.gz" -C "$results" . && echo "== packed: $OUT/results.tar.gz, $((SECONDS - start)) s in all" | tee -a "$log"
exit "$code"
