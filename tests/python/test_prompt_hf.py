"""expand_prompt equals the C++ one (the CLI prints it), hgtok.hf.splice places graph tokens at the patch positions
and refuses mismatched counts, and examples/python/llm_splice.py runs end to end."""
import os
import runpy

import pytest

import hgtok
from conftest import ROOT, minilm_dir, need, run_cli


def test_expand_prompt_is_the_clis():
    prompt = "Given a heterogeneous graph about a movie: <graph>, which genres does the movie belong to?"
    code, stdout, _ = run_cli("tokenize", "--target", 0)
    assert code == 0
    rows = int(stdout.split("tokens: [")[1].split(",")[0])
    cli_prompt = next(line[len("prompt: "):] for line in stdout.splitlines() if line.startswith("prompt: "))
    e = hgtok.expand_prompt(prompt, [rows])
    assert e.text == cli_prompt and e.total_patches == rows
    assert f"splice: graph 0 -> patches 0..{rows} at byte {e.splices[0][0]} of the prompt" in stdout


def test_expand_prompt_several_graphs_and_options():
    e = hgtok.expand_prompt("é <graph> x <graph>", [2, 1])
    assert e.text == "é <g_start><g_patch><g_patch><g_end> x <g_start><g_patch><g_end>"
    assert e.splices == [(len("é <g_start>".encode()), 0, 2), (len("é <g_start><g_patch><g_patch><g_end> x <g_start>".encode()), 2, 1)]
    assert hgtok.expand_prompt("<G>", [1], graph="<G>", use_start_end=False).text == "<g_patch>"
    with pytest.raises(hgtok.ValueError, match="negative count"):
        hgtok.expand_prompt("<graph>", [-1])


def test_splice_places_rows_at_patches_in_order():
    torch = need("torch")
    ids = torch.tensor([[5, 9, 9, 6], [9, 7, 7, 7]])
    embeds = torch.zeros(2, 4, 3)
    rows = torch.arange(9, dtype=torch.float32).reshape(3, 3)
    out = hgtok.hf.splice(ids, embeds, [rows[:2], rows[2:].numpy()], 9)
    assert torch.equal(out[0, 1], rows[0]) and torch.equal(out[0, 2], rows[1]) and torch.equal(out[1, 0], rows[2])
    assert torch.equal(out[0, 0], embeds[0, 0]) and float(embeds.abs().sum()) == 0  # input unchanged
    one = hgtok.hf.splice(ids[0], embeds[0], rows[:2], 9)
    assert torch.equal(one, out[0])
    with pytest.raises(hgtok.ValueError, match="3 patch tokens .* 2 rows"):
        hgtok.hf.splice(ids, embeds, rows[:2], 9)
    with pytest.raises(hgtok.ShapeError, match=r"expected \[T, 3\]"):
        hgtok.hf.splice(ids, embeds, torch.zeros(3, 4), 9)
    with pytest.raises(hgtok.ShapeError, match="does not fit"):
        hgtok.hf.splice(ids, embeds[0], rows, 9)


def test_splice_keeps_autograd():
    torch = need("torch")
    ids = torch.tensor([1, 2, 1])
    embeds = torch.randn(3, 2, requires_grad=True)
    rows = torch.randn(2, 2, requires_grad=True)
    hgtok.hf.splice(ids, embeds, rows, 1).sum().backward()
    assert torch.equal(rows.grad, torch.ones(2, 2))
    assert torch.equal(embeds.grad, torch.tensor([[0.0, 0.0], [1.0, 1.0], [0.0, 0.0]]))


def test_llm_splice_example_runs_end_to_end():
    need("torch")
    need("transformers")
    model = minilm_dir()
    example = runpy.run_path(os.path.join(ROOT, "examples", "python", "llm_splice.py"))
    answer = example["main"](model)
    assert isinstance(answer, str) and answer
