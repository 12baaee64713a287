"""Converters from other projects' checkpoints to hgtok tokenizer directories (tools/convert_checkpoint.py is the
command line; docs/convert.md shows each path).

    tensors.py   safetensors read and written with numpy alone; PyTorch files (.pt/.bin/.ckpt) through torch
    tokenizer.py the tokenizer directory: config.json + weights.safetensors (layers.<i>.*, graph_projector.*)
    layers.py    recognising HGTConv / HANConv / MetaHGTConv / HetGNN layers in a state dict, with their widths
    higpt.py     HiGPT's released layout (MetaHGT graph tower directory + graph_projector)
    pyg.py       a PyG model's state dict (HGTConv or HANConv layers, a Linear projector)
    hetgnn.py    HetGNN weights in hgtok's naming

Every problem is a ConvertError naming the file, the key and what is wrong.
"""


class ConvertError(Exception):
    """A checkpoint that cannot be converted: `source` (file), `key` (tensor or field), what is wrong."""

    def __init__(self, source, key, message):
        self.source, self.key = str(source), key
        where = self.source + (f": {key}" if key else "")
        super().__init__(f"{where}: {message}")
