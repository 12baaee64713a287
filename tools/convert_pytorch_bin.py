#!/usr/bin/env python3
"""Converts a transformers checkpoint stored as pytorch_model.bin into model.safetensors,
which is what hgtok's SentenceEncoder reads (hgtok never unpickles PyTorch files).

    python tools/convert_pytorch_bin.py MODEL_DIR      # writes MODEL_DIR/model.safetensors

The tensor names are kept (the state_dict() names); tensors that share storage are
cloned so that safetensors can write them. Needs torch and safetensors.
"""
import os
import sys

import torch
from safetensors.torch import save_file


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    model_dir = sys.argv[1]
    src = os.path.join(model_dir, "pytorch_model.bin")
    dst = os.path.join(model_dir, "model.safetensors")
    if not os.path.exists(src):
        sys.exit(f"{src}: no such file")
    if os.path.exists(dst):
        sys.exit(f"{dst} already exists; not overwriting")
    state = torch.load(src, map_location="cpu", weights_only=True)
    tensors = {name: t.detach().clone().contiguous() for name, t in state.items() if isinstance(t, torch.Tensor)}
    save_file(tensors, dst, metadata={"format": "pt"})
    print(f"wrote {dst} ({len(tensors)} tensors)")


if __name__ == "__main__":
    main()
