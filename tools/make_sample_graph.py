#!/usr/bin/env python3
"""Writes hgtok's bundled sample graph: 20 well-known movies with their real
directors and lead actors (IMDB-like: movie, director, actor; relation `to` in
both directions, as HiGPT's IMDB graph).

Node features are small, deterministic and documented (width 16 for every type,
so one tokenizer input width fits all):
  movie:    one-hot over GENRES (12) + (year - 1970) / 50 + 3 zeros
  director: 16 values in [-1, 1) from SHA-256 of the name (an identity feature)
  actor:    the same hashing as directors
Outputs examples/data/imdb_sample.safetensors (graph layout of graph/io.hpp) and
examples/data/imdb_sample_names.json (node names per type, in id order).

Usage: python tools/make_sample_graph.py [out_dir]
"""
import hashlib
import json
import os
import sys

import numpy as np
from safetensors.numpy import save_file

GENRES = ["Crime", "Drama", "War", "Sci-Fi", "Action", "Thriller", "Horror", "Adventure", "Romance", "Western",
          "Biography", "Comedy"]

# (title, year, genres, directors, lead actors)
MOVIES = [
    ("The Godfather", 1972, ["Crime", "Drama"], ["Francis Ford Coppola"], ["Marlon Brando", "Al Pacino"]),
    ("The Godfather Part II", 1974, ["Crime", "Drama"], ["Francis Ford Coppola"], ["Al Pacino", "Robert De Niro"]),
    ("Apocalypse Now", 1979, ["War", "Drama"], ["Francis Ford Coppola"], ["Martin Sheen", "Marlon Brando"]),
    ("Taxi Driver", 1976, ["Crime", "Drama"], ["Martin Scorsese"], ["Robert De Niro", "Jodie Foster"]),
    ("Goodfellas", 1990, ["Crime", "Biography"], ["Martin Scorsese"], ["Robert De Niro", "Ray Liotta", "Joe Pesci"]),
    ("The Departed", 2006, ["Crime", "Thriller"], ["Martin Scorsese"], ["Leonardo DiCaprio", "Matt Damon", "Jack Nicholson"]),
    ("Inception", 2010, ["Sci-Fi", "Action"], ["Christopher Nolan"], ["Leonardo DiCaprio", "Joseph Gordon-Levitt"]),
    ("The Dark Knight", 2008, ["Action", "Crime"], ["Christopher Nolan"], ["Christian Bale", "Heath Ledger"]),
    ("Interstellar", 2014, ["Sci-Fi", "Adventure"], ["Christopher Nolan"], ["Matthew McConaughey", "Anne Hathaway"]),
    ("Pulp Fiction", 1994, ["Crime", "Drama"], ["Quentin Tarantino"], ["John Travolta", "Samuel L. Jackson", "Uma Thurman"]),
    ("Django Unchained", 2012, ["Western", "Drama"], ["Quentin Tarantino"], ["Jamie Foxx", "Christoph Waltz", "Leonardo DiCaprio"]),
    ("Titanic", 1997, ["Romance", "Drama"], ["James Cameron"], ["Leonardo DiCaprio", "Kate Winslet"]),
    ("Avatar", 2009, ["Sci-Fi", "Adventure"], ["James Cameron"], ["Sam Worthington", "Zoe Saldana"]),
    ("The Shining", 1980, ["Horror", "Drama"], ["Stanley Kubrick"], ["Jack Nicholson", "Shelley Duvall"]),
    ("Saving Private Ryan", 1998, ["War", "Drama"], ["Steven Spielberg"], ["Tom Hanks", "Matt Damon"]),
    ("Jurassic Park", 1993, ["Adventure", "Sci-Fi"], ["Steven Spielberg"], ["Sam Neill", "Laura Dern"]),
    ("Catch Me If You Can", 2002, ["Biography", "Crime"], ["Steven Spielberg"], ["Leonardo DiCaprio", "Tom Hanks"]),
    ("Heat", 1995, ["Crime", "Thriller"], ["Michael Mann"], ["Al Pacino", "Robert De Niro"]),
    ("The Matrix", 1999, ["Sci-Fi", "Action"], ["Lana Wachowski", "Lilly Wachowski"], ["Keanu Reeves", "Laurence Fishburne"]),
    ("Forrest Gump", 1994, ["Drama", "Romance"], ["Robert Zemeckis"], ["Tom Hanks", "Robin Wright"]),
]

WIDTH = 16


def name_features(name):
    digest = hashlib.sha256(name.encode("utf-8")).digest()[:WIDTH]
    return np.frombuffer(digest, dtype=np.uint8).astype(np.float32) / 128.0 - 1.0


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "examples", "data")
    directors, actors = [], []
    for _, _, _, ds, acts in MOVIES:
        directors += [d for d in ds if d not in directors]
        actors += [a for a in acts if a not in actors]
    x_movie = np.zeros((len(MOVIES), WIDTH), dtype=np.float32)
    for i, (_, year, genres, _, _) in enumerate(MOVIES):
        for g in genres:
            x_movie[i, GENRES.index(g)] = 1.0
        x_movie[i, len(GENRES)] = (year - 1970) / 50.0
    x_director = np.stack([name_features(n) for n in directors])
    x_actor = np.stack([name_features(n) for n in actors])
    md = [(m, directors.index(d)) for m, mv in enumerate(MOVIES) for d in mv[3]]
    ma = [(m, actors.index(a)) for m, mv in enumerate(MOVIES) for a in mv[4]]
    md = np.ascontiguousarray(np.array(md, dtype=np.int64).T)
    ma = np.ascontiguousarray(np.array(ma, dtype=np.int64).T)
    tensors = {
        "x/movie": x_movie, "x/director": x_director, "x/actor": x_actor,
        "edge_index/movie__to__director": md, "edge_index/director__to__movie": md[::-1].copy(),
        "edge_index/movie__to__actor": ma, "edge_index/actor__to__movie": ma[::-1].copy(),
    }
    meta = {
        "node_types": json.dumps(["movie", "director", "actor"]),
        "edge_types": json.dumps(["movie__to__director", "director__to__movie", "movie__to__actor", "actor__to__movie"]),
    }
    save_file(tensors, os.path.join(out_dir, "imdb_sample.safetensors"), metadata=meta)
    names = {"movie": [m[0] for m in MOVIES], "director": directors, "actor": actors,
             "genres": GENRES, "movie_genres": [m[2] for m in MOVIES], "movie_year": [m[1] for m in MOVIES]}
    with open(os.path.join(out_dir, "imdb_sample_names.json"), "w", encoding="utf-8") as f:
        json.dump(names, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
