// hgtok embed-types: type embeddings from natural-language descriptions with a Sentence-BERT model (HiGPT §3.1.1).
#include <hgtok/hgtok.hpp>
#include <iostream>

#include "cli.hpp"

namespace hgtok::cli {
namespace {

struct EmbedArgs {
  std::string model, descriptions, out;
  Index batch_size = 32;
};

int run_embed_types(const EmbedArgs& a) {
  require_extension(a.out, "--out", {".safetensors"});
  const auto encoder = SentenceEncoder<float>::load(a.model);
  const auto desc = TypeDescriptions::load(a.descriptions);
  const auto table = desc.embed(encoder, a.batch_size);
  table.save(a.out);
  std::cout << "wrote " << a.out << ": " << table.size() << " type embeddings of width " << table.dim() << "\n";
  for (const auto& key : table.keys()) std::cout << "  " << key << " (" << desc.descriptions(key).size() << " descriptions)\n";
  return 0;
}

}  // namespace

Command add_embed_types(CLI::App& app, const GlobalOptions&) {
  auto a = std::make_shared<EmbedArgs>();
  auto* c = app.add_subcommand("embed-types", "type embeddings from descriptions with a Sentence-BERT model");
  c->add_option("--model", a->model, "sentence-transformers model directory")->required();
  c->add_option("--descriptions", a->descriptions, "JSON {\"node\": {type: [texts]}, \"edge\": {src__rel__dst: [texts]}}")->required();
  c->add_option("--out", a->out, "output table (.safetensors)")->required();
  c->add_option("--batch-size", a->batch_size, "sentences per forward pass");
  return {c, [a] { return run_embed_types(*a); }};
}

}  // namespace hgtok::cli
