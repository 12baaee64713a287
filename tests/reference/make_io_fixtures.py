#!/usr/bin/env python3
"""Builds the I/O fixtures for tests/io/test_safetensors.cpp, test_npy.cpp and test_embedding_table.cpp.

    tests/fixtures/io_dtypes.safetensors     written by safetensors.torch: one tensor per dtype
        f64, f32, f16, bf16, i64, i32, u8, bool             (values from torch, incl. subnormals, +-inf, -0)
        f16_as_f32, bf16_as_f32                              torch's own .float() of f16 / bf16
        f64_as_f32                                           torch's .float() of f64
    tests/fixtures/npy_<name>.npy            written by numpy.save (version 1.0) unless noted
        f8 f4 f2 i8 i4 u1 b1 (shape [2, 3]), scalar (0-d f8), vec (1-d i8), cube (3-d f4),
        v2 (f4 [2, 3] written as format version 2.0)
        fortran (f4 [2, 3], fortran_order True), c8 (complex64), be_f4 (big-endian '>f4'), u3 (unicode '<U3')
    tests/fixtures/npy_expected.safetensors  the same arrays (the supported ones) as safetensors: npy/<name>,
        plus npy/f2_as_f4 = numpy's float16 -> float32 conversion
    tests/fixtures/imdb_table.npy + imdb_table_keys.json
        three rows of tests/data/imdb.safetensors (HiGPT's IMDB type embeddings) as an [3, 768] f4 matrix
        and their keys, for EmbeddingTable::load_npy

Run by hand (needs torch, numpy, safetensors):  python tests/reference/make_io_fixtures.py
"""
import json
import os
import sys

import numpy as np
import torch
from safetensors.numpy import load_file as np_load_file
from safetensors.torch import save_file

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
import provenance  # noqa: E402


def fx(name):
    return os.path.join(FIXTURES, name)


def dtype_fixture():
    g = torch.Generator().manual_seed(7)
    base = torch.randn(3, 5, generator=g, dtype=torch.float64) * 3
    # special values: subnormal in f16 (2^-20), smallest f16 subnormal (2^-24), +-inf, -0, large values
    special = torch.tensor([2.0 ** -20, 2.0 ** -24, float("inf"), float("-inf"), -0.0], dtype=torch.float64)
    f64 = torch.cat([base, special.view(1, 5), torch.tensor([[65504.0, -65504.0, 1e-3, 3.0e38, -1.5]], dtype=torch.float64)])
    f16 = f64.clamp(-65504, 65504).to(torch.float16)
    bf16 = f64.to(torch.bfloat16)
    t = {
        "f64": f64,
        "f32": f64.to(torch.float32),
        "f16": f16,
        "bf16": bf16,
        "i64": torch.tensor([[-(2 ** 62), -1, 0], [1, 2 ** 40, 2 ** 63 - 1]], dtype=torch.int64),
        "i32": torch.randint(-(2 ** 31), 2 ** 31 - 1, (4, 3), generator=g, dtype=torch.int32),
        "u8": torch.randint(0, 256, (7,), generator=g, dtype=torch.uint8),
        "bool": torch.tensor([True, False, False, True, True]),
        "f16_as_f32": f16.float(),
        "bf16_as_f32": bf16.float(),
        "f64_as_f32": f64.float(),
    }
    save_file({k: v.contiguous() for k, v in t.items()}, fx("io_dtypes.safetensors"), metadata={"made_by": "make_io_fixtures.py"})


def npy_fixtures():
    rng = np.random.default_rng(11)
    a = rng.standard_normal((2, 3))
    arrays = {
        "f8": a,
        "f4": a.astype("<f4"),
        "f2": a.astype("<f2"),
        "i8": rng.integers(-(2 ** 40), 2 ** 40, (2, 3)).astype("<i8"),
        "i4": rng.integers(-(2 ** 30), 2 ** 30, (2, 3)).astype("<i4"),
        "u1": rng.integers(0, 256, (2, 3)).astype("u1"),
        "b1": rng.integers(0, 2, (2, 3)).astype("?"),
        "scalar": np.array(rng.standard_normal()),
        "vec": rng.integers(-100, 100, (5,)).astype("<i8"),
        "cube": rng.standard_normal((2, 3, 4)).astype("<f4"),
    }
    for name, arr in arrays.items():
        np.save(fx(f"npy_{name}.npy"), arr)
    with open(fx("npy_v2.npy"), "wb") as f:
        np.lib.format.write_array(f, arrays["f4"], version=(2, 0))
    np.save(fx("npy_fortran.npy"), np.asfortranarray(a.astype("<f4")))
    assert np.load(fx("npy_fortran.npy")).flags.f_contiguous
    np.save(fx("npy_c8.npy"), (a + 1j * a).astype("<c8"))
    np.save(fx("npy_be_f4.npy"), a.astype(">f4"))
    np.save(fx("npy_u3.npy"), np.array([["ab", "c", "def"]], dtype="<U3"))

    expected = {f"npy/{k}": np.array(v, copy=True) for k, v in arrays.items()}  # (ascontiguousarray would make 0-d 1-d)
    expected["npy/v2"] = arrays["f4"]
    expected["npy/f2_as_f4"] = arrays["f2"].astype("<f4")
    # safetensors.torch keeps 0-d shapes (safetensors.numpy would store the scalar as [1])
    save_file({k: torch.from_numpy(np.array(v, copy=True)) for k, v in expected.items()}, fx("npy_expected.safetensors"))


def table_fixture():
    table = np_load_file(os.path.join(ROOT, "tests", "data", "imdb.safetensors"))
    keys = ["node/movie", "edge/movie__to__actor", "node/actor"]
    np.save(fx("imdb_table.npy"), np.stack([table[k] for k in keys]).astype("<f4"))
    with open(fx("imdb_table_keys.json"), "w") as f:
        json.dump(keys, f)
        f.write("\n")


def main():
    os.makedirs(FIXTURES, exist_ok=True)
    dtype_fixture()
    npy_fixtures()
    table_fixture()
    provenance.stamp_written(__file__)
    print("wrote I/O fixtures to", FIXTURES)


if __name__ == "__main__":
    main()
