// hgtok._core: the Python binding (nanobind). It only binds: every computation is the C++ headers'. One
// translation unit, float32 only (Tokenizer<float> etc.), so the extension builds in one compile.
//
// Arrays in: any object nanobind reads through DLPack or the buffer protocol (NumPy, PyTorch CPU tensors), checked
// here for device, dtype, rank and C-contiguity with an hgtok error naming the argument (never a crash).
// Arrays out: NumPy arrays over the C++ buffers, no copy: GraphTokens.tokens is a view of the tokens the tokenizer
// wrote (the array keeps its GraphTokens alive); ShardTarget.tokens a read-only view of the memory-mapped shard.
// The GIL is released while C++ computes (tokenize, encode, sample, tokenize_batch, SentenceEncoder.encode).
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/map.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <chrono>
#include <hgtok/hgtok.hpp>
#include <hgtok/tokenizer/shard_reader.hpp>

namespace nb = nanobind;
using namespace nb::literals;
using hgtok::Index;
using T = float;
using Graph = hgtok::HeteroGraph<T>;
using Tokens = hgtok::GraphTokens<T>;
using Tok = hgtok::Tokenizer<T>;
using Table = hgtok::EmbeddingTable<T>;
using Sub = hgtok::Subgraph<T>;
using In = nb::ndarray<nb::ro>;  // any device, dtype, rank and layout: checked by cpu_array()

namespace {

// ---- errors: hgtok::Error subclasses -> hgtok.Error subclasses (created in NB_MODULE), same message ----
PyObject* py_error = nullptr;
PyObject* py_format_error = nullptr;
PyObject* py_shape_error = nullptr;
PyObject* py_lookup_error = nullptr;
PyObject* py_value_error = nullptr;
PyObject* py_io_error = nullptr;

void raise_as(PyObject* type, const hgtok::Error& e) {
  PyObject* value = PyObject_CallFunction(type, "s", e.what());
  if (!value) return;  // the constructor's own exception stands
  PyObject_SetAttrString(value, "source", nb::str(e.source().c_str()).ptr());
  PyObject_SetAttrString(value, "field", nb::str(e.field().c_str()).ptr());
  PyObject_SetAttrString(value, "reason", nb::str(e.reason().c_str()).ptr());
  PyErr_SetObject(type, value);
  Py_DECREF(value);
}

PyObject* new_error(nb::module_& m, const char* name, PyObject* builtin, const char* doc) {
  nb::object bases = builtin ? nb::make_tuple(nb::handle(py_error), nb::handle(builtin)) : nb::make_tuple(nb::handle(PyExc_Exception));
  const std::string qualified = std::string("hgtok.") + name;
  PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases.ptr(), nullptr);
  if (!type) throw nb::python_error();
  m.attr(name) = nb::handle(type);
  return type;
}

// ---- arrays in ----
std::string dtype_name(nb::dlpack::dtype d) {
  const char* kind = d.code == uint8_t(nb::dlpack::dtype_code::Float)  ? "float"
                     : d.code == uint8_t(nb::dlpack::dtype_code::Int)  ? "int"
                     : d.code == uint8_t(nb::dlpack::dtype_code::UInt) ? "uint"
                     : d.code == uint8_t(nb::dlpack::dtype_code::Bool) ? "bool"
                                                                        : "other";
  return std::string(kind) + std::to_string(d.bits);
}

/// The data of `a` as U*, after checking that it is on the CPU, of dtype U, of rank `ndim` and C-contiguous.
template <class U>
const U* cpu_array(const In& a, std::size_t ndim, const std::string& field, const char* hint) {
  if (a.device_type() != nb::device::cpu::value)
    throw hgtok::ValueError("hgtok", field, "is on device type " + std::to_string(a.device_type()) +
                                                " (a GPU?): hgtok reads CPU memory only; pass x.cpu()");
  if (a.ndim() != ndim)
    throw hgtok::ShapeError("hgtok", field, "has " + std::to_string(a.ndim()) + " dimensions, expected " + std::to_string(ndim) + " (" + hint + ")");
  if (a.dtype() != nb::dtype<U>())
    throw hgtok::ShapeError("hgtok", field, "dtype is " + dtype_name(a.dtype()) + ", expected " + dtype_name(nb::dtype<U>()) +
                                                " (NumPy: x.astype(...); torch: x.to(...))");
  std::int64_t expected = 1;
  for (std::size_t i = ndim; i-- > 0;) {
    if (a.shape(i) > 1 && a.stride(i) != expected)
      throw hgtok::ValueError("hgtok", field, "is not C-contiguous (a transposed or strided view?): pass "
                                              "numpy.ascontiguousarray(x) or x.contiguous()");
    expected *= static_cast<std::int64_t>(a.shape(i));
  }
  return static_cast<const U*>(a.data());
}

hgtok::EdgeType edge_type_of(nb::handle h) {
  if (nb::isinstance<nb::str>(h)) return hgtok::EdgeType::parse(nb::cast<std::string>(h), "hgtok");
  if (nb::isinstance<nb::tuple>(h) || nb::isinstance<nb::list>(h)) {
    auto v = nb::cast<std::vector<std::string>>(h);
    if (v.size() == 3) return {v[0], v[1], v[2]};
  }
  throw hgtok::ValueError("hgtok", "edge_type", "expected (src, relation, dst) or 'src__relation__dst', got " +
                                                    nb::cast<std::string>(nb::repr(h)));
}

// ---- arrays out ----
/// A NumPy array owning `value` (moved to the heap; freed with the array): no copy of its buffer.
template <class U, class Owner>
nb::ndarray<nb::numpy, U> owning(Owner&& value, U* data, std::vector<std::size_t> shape) {
  auto* heap = new std::decay_t<Owner>(std::move(value));
  if (data == nullptr) data = heap->data();
  nb::capsule owner(heap, [](void* p) noexcept { delete static_cast<std::decay_t<Owner>*>(p); });
  return nb::ndarray<nb::numpy, U>(data, shape.size(), shape.data(), owner);
}
nb::ndarray<nb::numpy, T> numpy_of(hgtok::Matrix<T>&& m) {
  std::vector<std::size_t> shape{static_cast<std::size_t>(m.rows()), static_cast<std::size_t>(m.cols())};
  return owning<T>(std::move(m), nullptr, shape);
}
nb::ndarray<nb::numpy, Index> numpy_of(std::vector<Index>&& v) {
  std::vector<std::size_t> shape{v.size()};
  return owning<Index>(std::move(v), nullptr, shape);
}
nb::dict numpy_of(hgtok::TypeMatrices<T>&& x) {
  nb::dict d;
  for (auto& [type, m] : x) d[type.c_str()] = numpy_of(std::move(m));
  return d;
}

/// `order`, or the graph's node-type order when empty.
std::vector<std::string> order_or_all(const Graph& g, std::vector<std::string> order) {
  if (order.empty()) order = g.node_types();
  return order;
}

nb::object span_tuple(const Tokens::Span& s) { return nb::make_tuple(s.type, s.type_id, s.offset, s.count); }

}  // namespace

NB_MODULE(_core, m) {
  m.doc() = "hgtok's C++ core (nanobind); import hgtok instead.";

  py_error = new_error(m, "Error", nullptr, "Base of every error hgtok raises on bad input (hgtok::Error).");
  py_format_error = new_error(m, "FormatError", PyExc_ValueError, "A file or buffer that does not follow its format.");
  py_shape_error = new_error(m, "ShapeError", PyExc_ValueError, "A tensor whose shape or dtype does not match.");
  py_lookup_error = new_error(m, "LookupError", PyExc_LookupError, "A name (type, tensor, key, target) that is not present.");
  py_value_error = new_error(m, "ValueError", PyExc_ValueError, "A value out of its allowed range.");
  py_io_error = new_error(m, "IOError", PyExc_OSError, "The operating system refused a file operation.");
  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const hgtok::FormatError& e) {
      raise_as(py_format_error, e);
    } catch (const hgtok::ShapeError& e) {
      raise_as(py_shape_error, e);
    } catch (const hgtok::LookupError& e) {
      raise_as(py_lookup_error, e);
    } catch (const hgtok::ValueError& e) {
      raise_as(py_value_error, e);
    } catch (const hgtok::IOError& e) {
      raise_as(py_io_error, e);
    } catch (const hgtok::Error& e) {
      raise_as(py_error, e);
    }
  });

  m.def("set_num_threads", &hgtok::set_num_threads, "n"_a, "Threads of the calling thread's OpenMP regions (0: the default).");
  m.def("num_threads", &hgtok::num_threads);

  // ---- graphs ----
  nb::class_<Graph>(m, "HeteroGraph")
      .def(nb::init<>())
      .def(
          "add_node_type",
          [](Graph& g, const std::string& name, const In& x) {
            const T* p = cpu_array<T>(x, 2, "x/" + name, "[num_nodes, num_features]");
            nb::gil_scoped_release release;  // the copy and the finiteness check of a large feature matrix
            return g.add_node_type(name, hgtok::ConstMatrixMap<T>(p, static_cast<Index>(x.shape(0)), static_cast<Index>(x.shape(1))));
          },
          "name"_a, "x"_a, "Adds a node type with features x [N, F] (float32; copied into the graph).")
      .def(
          "add_node_type_without_features", [](Graph& g, const std::string& name, Index count) { return g.add_node_type(name, count); },
          "name"_a, "num_nodes"_a)
      .def(
          "add_edge_type",
          [](Graph& g, nb::handle type, const In& edge_index) {
            const hgtok::EdgeType et = edge_type_of(type);
            const std::string field = "edge_index/" + et.key();
            if (edge_index.ndim() == 2 && edge_index.dtype() == nb::dtype<std::int32_t>()) {
              const auto* p = cpu_array<std::int32_t>(edge_index, 2, field, "[2, num_edges]");
              std::vector<Index> v(p, p + edge_index.size());
              if (edge_index.shape(0) != 2) throw hgtok::ShapeError("hgtok", field, "shape [" + std::to_string(edge_index.shape(0)) + ", E], expected [2, E]");
              return g.add_edge_type(et, v);
            }
            const Index* p = cpu_array<Index>(edge_index, 2, field, "[2, num_edges], int64");
            if (edge_index.shape(0) != 2)
              throw hgtok::ShapeError("hgtok", field, "shape [" + std::to_string(edge_index.shape(0)) + ", E], expected [2, E]");
            const Index e = static_cast<Index>(edge_index.shape(1));
            nb::gil_scoped_release release;  // the copy and the CSR of a large edge list
            return g.add_edge_type(et, p, p + e, e);
          },
          "edge_type"_a, "edge_index"_a, "Adds an edge type from edge_index [2, E] (int64 or int32; copied into the graph's CSR).")
      .def_prop_ro("node_types", &Graph::node_types)
      .def_prop_ro("edge_types",
                   [](const Graph& g) {
                     std::vector<std::tuple<std::string, std::string, std::string>> out;
                     for (const auto& e : g.edge_types()) out.emplace_back(e.src, e.relation, e.dst);
                     return out;
                   })
      .def("num_nodes", [](const Graph& g, const std::string& type) { return g.num_nodes(type); }, "node_type"_a)
      .def("num_nodes", [](const Graph& g) { return g.num_nodes(); })
      .def("num_edges", [](const Graph& g, nb::handle type) { return g.num_edges(g.edge_type_id(edge_type_of(type))); }, "edge_type"_a)
      .def("num_edges", [](const Graph& g) { return g.num_edges(); })
      .def(
          "x",
          [](const Graph& g, const std::string& type) {
            const auto x = g.features(g.node_type_id(type));  // in place, also for a memory-mapped graph
            return nb::ndarray<nb::numpy, const T, nb::ndim<2>>(x.data(), {static_cast<std::size_t>(x.rows()), static_cast<std::size_t>(x.cols())});
          },
          nb::rv_policy::reference_internal, "node_type"_a, "Features [N, F] of a node type: a read-only view into the graph.")
      .def(
          "edge_index",
          [](const Graph& g, nb::handle type) {
            const Index e = g.edge_type_id(edge_type_of(type));
            std::vector<Index> v = g.edge_src(e).to_vector();
            v.insert(v.end(), g.edge_dst(e).begin(), g.edge_dst(e).end());
            auto a = numpy_of(std::move(v));
            return a;
          },
          "edge_type"_a, "The COO edges [2, E] as given (a flat copy; reshape(2, -1)).")
      .def(
          "in_neighbors",
          [](const Graph& g, nb::handle type, Index v) {
            const auto span = g.in_neighbors(g.edge_type_id(edge_type_of(type)), v);
            return numpy_of(std::vector<Index>(span.begin(), span.end()));
          },
          "edge_type"_a, "node"_a)
      .def(
          "out_neighbors",
          [](const Graph& g, nb::handle type, Index u) {
            const auto span = g.out_neighbors(g.edge_type_id(edge_type_of(type)), u);
            return numpy_of(std::vector<Index>(span.begin(), span.end()));
          },
          "edge_type"_a, "node"_a);
  m.def("load_graph", [](const std::string& path) { return hgtok::load_graph<T>(path); }, "path"_a, nb::call_guard<nb::gil_scoped_release>());
  m.def("save_graph", [](const Graph& g, const std::string& path) { hgtok::save_graph(g, path); }, "graph"_a, "path"_a,
        nb::call_guard<nb::gil_scoped_release>());
  m.def(
      "open_graph",
      [](const std::string& path, bool full_check, const std::string& source) {
        hgtok::GraphOpenOptions o;
        o.validation = full_check ? hgtok::GraphValidation::full : hgtok::GraphValidation::sampled;
        o.source = source;
        return hgtok::open_graph<T>(path, o);
      },
      "path"_a, "full_check"_a = false, "source"_a = "", nb::call_guard<nb::gil_scoped_release>(),
      "A graph file: a compiled one memory-mapped (nothing copied, features read in place), any other loaded.");
  m.def(
      "compile_graph",
      [](const std::string& source, const std::string& out, bool by_source) {
        hgtok::CompileOptions o;
        o.by_source = by_source;
        hgtok::compile_graph(source, out, o);
      },
      "source"_a, "out"_a, "by_source"_a = false, nb::call_guard<nb::gil_scoped_release>(),
      "Writes the compiled form of a graph file (its CSR stored beside it), streaming (docs/compiled-graphs.md).");

  nb::class_<Sub>(m, "Subgraph")
      .def_prop_ro("graph", [](const Sub& s) -> const Graph& { return s.graph; }, nb::rv_policy::reference_internal)
      .def_prop_ro("original_ids",
                   [](const Sub& s) {
                     nb::dict d;
                     for (const auto& [type, ids] : s.original_ids) d[type.c_str()] = numpy_of(std::vector<Index>(ids));
                     return d;
                   })
      .def_ro("target_type", &Sub::target_type)
      .def_ro("target", &Sub::target);

  nb::class_<hgtok::NeighborSampler>(m, "NeighborSampler")
      .def(nb::init<std::vector<Index>, std::map<std::string, std::vector<Index>>, std::uint64_t>(), "fanouts"_a,
           "per_relation"_a = std::map<std::string, std::vector<Index>>(), "seed"_a = 0)
      .def_prop_ro("fanouts", &hgtok::NeighborSampler::fanouts)
      .def_prop_ro("seed", &hgtok::NeighborSampler::seed)
      .def("sample", &hgtok::NeighborSampler::sample<T>, "graph"_a, "target_type"_a, "target"_a, nb::call_guard<nb::gil_scoped_release>());

  // ---- type embeddings ----
  nb::class_<Table>(m, "EmbeddingTable")
      .def(nb::init<>())
      .def_static("load", &Table::load, "path"_a, nb::call_guard<nb::gil_scoped_release>())
      .def_static("load_npy", &Table::load_npy, "npy_path"_a, "keys_json_path"_a)
      .def(
          "add", [](Table& t, const std::string& key, const In& v) {
            const T* p = cpu_array<T>(v, 1, key, "[m]");
            t.add(key, hgtok::ConstVectorMap<T>(p, static_cast<Index>(v.shape(0))));
          },
          "key"_a, "embedding"_a)
      .def("save", &Table::save, "path"_a)
      .def("keys", &Table::keys)
      .def_prop_ro("dim", &Table::dim)
      .def_prop_ro("source", &Table::source)
      .def("__len__", &Table::size)
      .def("__contains__", &Table::contains)
      .def(
          "__getitem__",
          [](const Table& t, const std::string& key) {
            const auto& v = t.get(key);
            return nb::ndarray<nb::numpy, const T, nb::ndim<1>>(v.data(), {static_cast<std::size_t>(v.size())});
          },
          nb::rv_policy::reference_internal);

  nb::class_<hgtok::SentenceEncoder<T>>(m, "SentenceEncoder")
      .def_static("load", &hgtok::SentenceEncoder<T>::load, "model_dir"_a, nb::call_guard<nb::gil_scoped_release>())
      .def(
          "encode",
          [](const hgtok::SentenceEncoder<T>& e, const std::vector<std::string>& texts, Index batch_size) {
            hgtok::Matrix<T> out;
            {
              nb::gil_scoped_release release;
              out = e.encode(texts, batch_size);
            }
            return numpy_of(std::move(out));
          },
          "texts"_a, "batch_size"_a = 32)
      .def_prop_ro("dim", &hgtok::SentenceEncoder<T>::dim)
      .def_prop_ro("max_seq_length", &hgtok::SentenceEncoder<T>::max_seq_length)
      .def_prop_ro("normalize", &hgtok::SentenceEncoder<T>::normalize);

  nb::class_<hgtok::TypeDescriptions>(m, "TypeDescriptions")
      .def(nb::init<>())
      .def_static("load", &hgtok::TypeDescriptions::load, "path"_a)
      .def("add_node", [](hgtok::TypeDescriptions& d, const std::string& type, const std::vector<std::string>& texts) { d.add_node(type, texts); },
           "node_type"_a, "descriptions"_a)
      .def("add_edge",
           [](hgtok::TypeDescriptions& d, nb::handle type, const std::vector<std::string>& texts) { d.add_edge(edge_type_of(type), texts); },
           "edge_type"_a, "descriptions"_a)
      .def("keys", &hgtok::TypeDescriptions::keys)
      .def("descriptions", &hgtok::TypeDescriptions::descriptions, "key"_a)
      .def("__len__", &hgtok::TypeDescriptions::size)
      .def("embed", &hgtok::TypeDescriptions::embed<T>, "encoder"_a, "batch_size"_a = 32, nb::call_guard<nb::gil_scoped_release>());

  // ---- tokens ----
  nb::class_<Tokens>(m, "GraphTokens")
      .def(nb::init<>())
      .def_prop_ro(
          "tokens",
          [](Tokens& t) {
            return nb::ndarray<nb::numpy, T, nb::ndim<2>>(t.tokens.data(), {static_cast<std::size_t>(t.size()), static_cast<std::size_t>(t.width())});
          },
          nb::rv_policy::reference_internal, "[T, d_llm] float32, a view of the C++ buffer (no copy).")
      .def_prop_ro(
          "node_ids", [](Tokens& t) { return nb::ndarray<nb::numpy, Index, nb::ndim<1>>(t.node_ids.data(), {t.node_ids.size()}); },
          nb::rv_policy::reference_internal)
      .def_prop_ro("spans",
                   [](const Tokens& t) {
                     nb::list l;
                     for (const auto& s : t.spans) l.append(span_tuple(s));
                     return l;
                   })
      .def_prop_ro("_tokens_address", [](const Tokens& t) { return reinterpret_cast<std::uintptr_t>(t.tokens.data()); })
      .def("__len__", &Tokens::size)
      .def_prop_ro("width", &Tokens::width)
      .def("save_safetensors", &Tokens::save_safetensors, "path"_a)
      .def("save_npy", &Tokens::save_npy, "path"_a)
      .def_static("load_safetensors", &Tokens::load_safetensors, "path"_a);

  // ---- tokenizer ----
  nb::class_<Tok>(m, "Tokenizer")
      .def_static(
          "load", [](const std::string& dir) { return Tok::load(dir); }, "dir"_a, nb::call_guard<nb::gil_scoped_release>())
      .def_static(
          "_random",
          [](const std::string& config_json, std::uint64_t seed) {
            return Tok::random(Tok::parse_config(hgtok::detail::parse_json(config_json, "config", ""), "config"), seed);
          },
          "config_json"_a, "seed"_a)
      .def_static(
          "_from_state_dict",
          [](const std::string& config_json, const std::map<std::string, In>& tensors) {
            hgtok::WeightStore w;
            for (const auto& [name, a] : tensors) {
              hgtok::Shape shape;
              for (std::size_t i = 0; i < a.ndim(); ++i) shape.push_back(static_cast<std::int64_t>(a.shape(i)));
              if (a.dtype() == nb::dtype<double>())
                w.add<double>(name, shape, cpu_array<double>(a, a.ndim(), name, "a weight"));
              else
                w.add<T>(name, shape, cpu_array<T>(a, a.ndim(), name, "a weight"));
            }
            return Tok(Tok::parse_config(hgtok::detail::parse_json(config_json, "config", ""), "config"), w);
          },
          "config_json"_a, "tensors"_a)
      .def("save", &Tok::save, "dir"_a, nb::call_guard<nb::gil_scoped_release>())
      .def_prop_ro("_config_json", [](const Tok& t) { return t.config().to_json(Tok::kernels()).dump(); })
      .def_prop_ro("needs_table", &Tok::needs_table)
      .def_prop_ro("tokenizes_as_union", &Tok::tokenizes_as_union)
      .def(
          "encode",
          [](const Tok& t, const Graph& g, const Table* table) {
            hgtok::TypeMatrices<T> x;
            {
              nb::gil_scoped_release release;
              x = t.encode(g, {{}, table});
            }
            return numpy_of(std::move(x));
          },
          "graph"_a, "table"_a = nb::none())
      .def(
          "tokenize", [](const Tok& t, const Sub& s, const Table* table, std::vector<std::string> order) {
            return t.tokenize(s, {order_or_all(s.graph, std::move(order)), table});
          },
          "subgraph"_a, "table"_a = nb::none(), "order"_a = std::vector<std::string>(), nb::call_guard<nb::gil_scoped_release>())
      .def(
          "tokenize", [](const Tok& t, const Graph& g, const Table* table, std::vector<std::string> order) {
            return t.tokenize(g, {order_or_all(g, std::move(order)), table});
          },
          "graph"_a, "table"_a = nb::none(), "order"_a = std::vector<std::string>(), nb::call_guard<nb::gil_scoped_release>())
      .def(
          "_tokenize_many",
          [](const Tok& t, const std::vector<const Sub*>& subs, const Table* table, std::vector<std::string> order, bool collect) {
            std::vector<std::string> errors;
            std::vector<Tokens> out;
            {
              nb::gil_scoped_release release;
              for (const Sub* s : subs)
                if (!s) throw hgtok::ValueError("Tokenizer", "subgraphs", "holds None");
              if (order.empty() && !subs.empty()) order = subs[0]->graph.node_types();
              hgtok::TokenizeOptions<float> options{order, table};
              if (collect) {
                errors.assign(subs.size(), std::string());
                options.on_error = [&errors](std::size_t i, const std::string& message) { errors[i] = message; };
              }
              out = t.tokenize_many(subs, options);
            }
            return std::make_pair(std::move(out), std::move(errors));
          },
          "subgraphs"_a, "table"_a = nb::none(), "order"_a = std::vector<std::string>(), "collect_errors"_a = false);

  m.def(
      "_tokenize_batch",
      [](const Tok& tok, const Graph& graph, const Table& table, const hgtok::NeighborSampler& sampler, const In& targets_array,
         const std::string& out_dir, const std::string& target_type, const std::vector<std::string>& type_order, Index shard_size,
         Index micro_batch, bool stop_on_error, Index max_shards) {
        const Index* p = cpu_array<Index>(targets_array, 1, "targets", "[num_targets], int64");
        const std::vector<Index> targets(p, p + targets_array.shape(0));
        hgtok::BatchOptions o;
        o.target_type = target_type;
        o.type_order = type_order;
        o.shard_size = shard_size;
        o.micro_batch = micro_batch;
        o.stop_on_error = stop_on_error;
        o.progress = 0;
        o.max_shards = max_shards;
        hgtok::BatchReport r;
        {
          nb::gil_scoped_release release;
          r = hgtok::tokenize_batch(tok, graph, table, sampler, targets, out_dir, o);
        }
        nb::dict d;
        d["shards_total"] = r.shards_total;
        d["shards_skipped"] = r.shards_skipped;
        d["shards_written"] = r.shards_written;
        d["targets_done"] = r.targets_done;
        d["rows_written"] = r.rows_written;
        d["complete"] = r.complete;
        d["seconds"] = r.seconds;
        nb::list failed;
        for (const auto& f : r.failed) failed.append(nb::make_tuple(f.target, f.error));
        d["failed"] = failed;
        return d;
      },
      "tokenizer"_a, "graph"_a, "table"_a, "sampler"_a, "targets"_a, "out_dir"_a, "target_type"_a, "type_order"_a, "shard_size"_a,
      "micro_batch"_a, "stop_on_error"_a, "max_shards"_a);

  // For benchmarks/compare_python.py: the same sample + tokenize per target as a Python loop makes, looped in C++
  // (the Python call's overhead is the difference). Returns the seconds of the whole loop.
  m.def(
      "_bench_sample_tokenize",
      [](const Tok& tok, const Graph& graph, const Table* table, const hgtok::NeighborSampler& sampler, const std::string& target_type,
         const std::vector<Index>& targets, const std::vector<std::string>& order) {
        const auto start = std::chrono::steady_clock::now();
        for (Index target : targets) {
          const Tokens t = tok.tokenize(sampler.sample(graph, target_type, target), {order, table});
          if (t.size() == 0) throw hgtok::ValueError("bench", "tokens", "empty");
        }
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      },
      "tokenizer"_a, "graph"_a, "table"_a, "sampler"_a, "target_type"_a, "targets"_a, "order"_a,
      nb::call_guard<nb::gil_scoped_release>());

  // ---- reading shards back ----
  using Reader = hgtok::ShardReader<T>;
  using Target = hgtok::ShardTarget<T>;
  nb::class_<Target>(m, "ShardTarget")
      .def_ro("target", &Target::target)
      .def_ro("position", &Target::position)
      .def_ro("error", &Target::error)
      .def_prop_ro("failed", &Target::failed)
      .def_prop_ro(
          "tokens",
          [](const Target& t) {
            return nb::ndarray<nb::numpy, const T, nb::ndim<2>>(t.tokens, {static_cast<std::size_t>(t.rows), static_cast<std::size_t>(t.width)});
          },
          nb::rv_policy::reference_internal, "[rows, d_llm] float32, a read-only view of the memory-mapped shard.")
      .def_prop_ro(
          "node_ids",
          [](const Target& t) { return nb::ndarray<nb::numpy, const Index, nb::ndim<1>>(t.node_ids, {static_cast<std::size_t>(t.rows)}); },
          nb::rv_policy::reference_internal)
      .def_prop_ro("spans",
                   [](const Target& t) {
                     nb::list l;
                     for (const auto& s : t.spans) l.append(span_tuple(s));
                     return l;
                   })
      .def("to_graph_tokens", &Target::to_graph_tokens)
      .def("__len__", [](const Target& t) { return t.rows; });
  nb::class_<Reader>(m, "ShardReader")
      .def(nb::new_([](const std::string& dir) { return Reader::open(dir); }), "dir"_a)
      .def_prop_ro("dir", &Reader::dir)
      .def_prop_ro("num_targets", &Reader::num_targets)
      .def_prop_ro("num_shards", &Reader::num_shards)
      .def_prop_ro("shards_on_disk", &Reader::shards_on_disk)
      .def_prop_ro("shard_size", &Reader::shard_size)
      .def_prop_ro("complete", &Reader::complete)
      .def_prop_ro("llm_dim", &Reader::llm_dim)
      .def_prop_ro("target_type", &Reader::target_type)
      .def_prop_ro("type_order", &Reader::type_order)
      .def_prop_ro("missing", &Reader::missing)
      .def_prop_ro("failed",
                   [](const Reader& r) {
                     nb::list l;
                     for (const auto& f : r.failed()) l.append(nb::make_tuple(f.target, f.error));
                     return l;
                   })
      .def("__len__", &Reader::size)
      .def("__contains__", &Reader::contains)
      .def("__getitem__", &Reader::at, "target"_a, nb::keep_alive<0, 1>())
      .def("at_position", &Reader::at_position, "position"_a, nb::keep_alive<0, 1>());

  // ---- prompts ----
  m.def(
      "_expand_prompt",
      [](const std::string& prompt, const std::vector<Index>& counts, const std::string& graph, const std::string& start,
         const std::string& patch, const std::string& end, bool use_start_end) {
        const auto e = hgtok::expand_prompt(prompt, counts, {graph, start, patch, end, use_start_end});
        std::vector<std::tuple<std::size_t, Index, Index>> splices;
        for (const auto& s : e.splices) splices.emplace_back(s.text_offset, s.first_patch, s.num_patches);
        return std::make_tuple(e.text, splices, e.total_patches);
      },
      "prompt"_a, "token_counts"_a, "graph"_a, "start"_a, "patch"_a, "end"_a, "use_start_end"_a);

  // ---- files ----
  m.def(
      "load_safetensors",
      [](const std::string& path) {
        const auto f = hgtok::SafetensorsFile::open(path);
        nb::dict d;
        for (const auto& v : f.tensors()) {
          std::vector<std::size_t> shape(v.shape.begin(), v.shape.end());
          if (v.dtype == hgtok::Dtype::F64) {
            auto x = v.to_vector<double>();
            d[v.name.c_str()] = owning<double>(std::move(x), nullptr, shape);
          } else if (v.dtype == hgtok::Dtype::I64 || v.dtype == hgtok::Dtype::I32) {
            auto x = v.to_vector<Index>();
            d[v.name.c_str()] = owning<Index>(std::move(x), nullptr, shape);
          } else {
            auto x = v.to_vector<T>();
            d[v.name.c_str()] = owning<T>(std::move(x), nullptr, shape);
          }
        }
        return std::make_pair(d, f.metadata());
      },
      "path"_a, "Tensors (F64 as float64, integers as int64, other floats as float32; copies) and the metadata of a safetensors file.");
}
