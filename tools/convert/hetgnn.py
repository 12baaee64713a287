"""HetGNN weights in hgtok's naming (content_rnn.<t>.*, neigh_rnn.<t>.*, neigh_att.<t>: HetGNN::save, docs/hetgnn.md)
-> an hetgnn tokenizer. The weights do not say which edge types the random walks follow nor how they sample: the
edge types come from the graph (--graph), the walk settings from the options."""
from . import ConvertError
from .layers import hetgnn_layer, parse_edge_key
from .tensors import read_state
from .tokenizer import graph_metadata, unused


def convert(weights, graph, restart_prob, walk_length, top_k, seed, ignore=(), trust_pickle=False):
    state = {k: v for k, v in read_state(weights, trust_pickle).items() if not any(k.startswith(p) for p in ignore)}
    if not any(k.startswith("neigh_att.") for k in state):
        raise ConvertError(weights, "neigh_att.<type>", f"missing: not HetGNN weights in hgtok's naming (first keys: {list(state)[:5]})")
    layer = hetgnn_layer(state, "", weights)
    unused(state, set(layer.keys()), weights, "a HetGNN's")
    node_types, edge_types = graph_metadata(graph)
    missing = [t for t in node_types if t not in layer.in_by_type]
    if missing:
        raise ConvertError(weights, f"content_rnn.{missing[0]}.*", f"missing: the graph {graph} has node type '{missing[0]}', "
                                                                 f"the weights only {layer.node_types}")
    for e in edge_types:
        parse_edge_key(e, graph, "edge_types")
    config = {"kernel": "hetgnn", "hidden_channels": layer.out, "num_layers": 1, "node_types": layer.node_types,
              "edge_types": [e for e in edge_types if all(t in layer.in_by_type for t in parse_edge_key(e, graph, "edge_types")[::2])],
              "content_dim": layer.in_by_type, "restart_prob": restart_prob, "walk_length": walk_length, "top_k": top_k,
              "seed": seed}
    return config, layer.tensors(state, 0), layer.out
