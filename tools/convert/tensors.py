"""Tensors in and out: safetensors with numpy alone (no torch needed to read or write them), PyTorch pickles
(.pt / .pth / .bin / .ckpt) through torch, which is imported only for those."""
import json
import os
import struct

import numpy as np

from . import ConvertError

# safetensors dtype -> numpy dtype (BF16 is widened to float32 by hand: numpy has no bfloat16).
_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32, "I16": np.int16,
           "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}
_NAMES = {np.dtype(np.float64): "F64", np.dtype(np.float32): "F32"}
MAX_HEADER = 100 << 20


def read_safetensors(path, want=None):
    """(tensors {name: ndarray}, metadata {str: str}) of a safetensors file; `want(name)`: read only those tensors
    (the others are skipped on disk: a stage-2 LLM shard of gigabytes is read for its projector alone)."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise ConvertError(path, "", f"not a safetensors file ({size} bytes)")
        n = struct.unpack("<Q", head)[0]
        if n > min(MAX_HEADER, size - 8):
            raise ConvertError(path, "", f"not a safetensors file (header length {n} is beyond the file)")
        try:
            header = json.loads(f.read(n))
        except ValueError as e:
            raise ConvertError(path, "", f"not a safetensors file (header is not JSON: {e})") from None
        meta = header.pop("__metadata__", None) or {}
        out = {}
        for name, info in header.items():
            if want is not None and not want(name):
                continue
            dtype, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
            if not 0 <= begin <= end <= size - 8 - n:
                raise ConvertError(path, name, f"data_offsets {[begin, end]} lie outside the file")
            f.seek(8 + n + begin)
            body = f.read(end - begin)
            if dtype == "BF16":
                raw = np.frombuffer(body, dtype=np.uint16).astype(np.uint32) << 16
                out[name] = raw.view(np.float32).reshape(shape)
            elif dtype in _DTYPES:
                out[name] = np.frombuffer(body, dtype=np.dtype(_DTYPES[dtype]).newbyteorder("<")).reshape(shape)
            else:
                raise ConvertError(path, name, f"dtype {dtype} is not supported")
    return out, meta


def write_safetensors(path, tensors, metadata=None):
    """Writes float32 / float64 tensors, names sorted, offsets 8-byte aligned (the same bytes for the same input)."""
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in sorted(metadata.items())}
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        if a.dtype not in _NAMES:
            raise ConvertError(path, name, f"dtype {a.dtype} cannot be written (float32 or float64)")
        b = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": _NAMES[a.dtype], "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        chunks.append(b)
        offset += len(b)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-(8 + len(text)) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in chunks:
            f.write(b)
    os.replace(tmp, path)


def _numpy(name, value, path):
    import torch

    if not isinstance(value, torch.Tensor):
        return None
    value = value.detach().cpu()
    if value.dtype == torch.bfloat16:
        value = value.float()
    try:
        return value.contiguous().numpy()
    except TypeError as e:
        raise ConvertError(path, name, f"tensor of dtype {value.dtype} cannot be converted ({e})") from None


def read_torch(path, trust_pickle, want=None):
    """The state dict of a PyTorch file: the object itself, or its 'state_dict' entry (PyTorch Lightning); `want`:
    as read_safetensors (a zip-format file is memory-mapped, so the other tensors are not read)."""
    try:
        import torch
    except ImportError:
        raise ConvertError(path, "", "is a PyTorch file: reading it needs torch (pip install torch)") from None
    try:
        try:
            obj = torch.load(path, map_location="cpu", weights_only=not trust_pickle, mmap=True)
        except RuntimeError as e:  # a legacy (non-zip) file cannot be memory-mapped
            if "mmap" not in str(e):
                raise
            obj = torch.load(path, map_location="cpu", weights_only=not trust_pickle)
    except Exception as e:  # noqa: BLE001 - any unpickling failure: say which way out there is
        hint = "" if trust_pickle else "; a checkpoint you trust may need --trust-pickle (it runs the pickle's code)"
        raise ConvertError(path, "", f"cannot be read by torch.load ({e.__class__.__name__}: {str(e)[:300]}){hint}") from None
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        obj = obj["state_dict"]
    elif hasattr(obj, "state_dict") and callable(obj.state_dict):
        obj = obj.state_dict()
    if not isinstance(obj, dict):
        raise ConvertError(path, "", f"holds a {type(obj).__name__}, not a state dict")
    out = {}
    for k, v in obj.items():
        if want is not None and not want(str(k)):
            continue
        a = _numpy(k, v, path)
        if a is not None:
            out[str(k)] = a
    if not out and want is None:
        raise ConvertError(path, "", f"holds no tensor (keys: {list(obj)[:8]})")
    return out


def is_safetensors(path):
    with open(path, "rb") as f:
        head = f.read(9)
    return len(head) == 9 and head[8:9] == b"{" and struct.unpack("<Q", head[:8])[0] > 0


def read_state(path, trust_pickle=False, want=None):
    """{name: ndarray} of a safetensors or PyTorch file (told apart by their bytes, not their names); `want(name)`:
    only those tensors."""
    if not os.path.isfile(path):
        raise ConvertError(path, "", "no such file")
    if is_safetensors(path):
        return read_safetensors(path, want)[0]
    return read_torch(path, trust_pickle, want)
