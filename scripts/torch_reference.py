"""Build tests/data/torch_reference.json: PyTorch's numbers for the recurrent cells of core/recurrent.py.

PyTorch is needed only to regenerate the file; the test suite reads the JSON and never imports torch.
To rebuild it (CPU build, the version the file was made with):

    pip install torch==2.13.0 && python scripts/torch_reference.py

Option: ``--out PATH`` (default tests/data/torch_reference.json).

What the file holds, for each kind in "rnn", "lstm", "gru" (torch.nn.RNN / LSTM / GRU with
input_size 3, hidden_size 4, one layer, batch_first=False, float64, torch.manual_seed(SEED)):
    weights   weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0 (PyTorch's default initialisation)
    X         input of shape (T, batch, input_size) = (5, 2, 3); h0 (batch, hidden), c0 for the LSTM
    output    all hidden states (T, batch, hidden); h_n (batch, hidden), c_n for the LSTM
    unbatched the same module on X[:, 0] with h0[0] (and c0[0]): output (T, hidden), h_n, c_n
    jacobian_hT_h0  ∂h_T/∂h0 (hidden, hidden) for the unbatched sequence, by
              torch.autograd.functional.jacobian (c0 held fixed for the LSTM)
plus "parameter_counts": sum(p.numel()) of modules of several sizes, layers and bias settings.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parent.parent
SEED = 20240611
INPUT_SIZE, HIDDEN_SIZE, T, BATCH = 3, 4, 5, 2
MODULES = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}
COUNT_CASES = [  # (kind, input_size, hidden_size, num_layers, bias)
    (kind, i, h, layers, bias)
    for kind in MODULES
    for i, h, layers, bias in [(3, 4, 1, True), (10, 20, 1, True), (10, 20, 2, True), (7, 5, 3, True),
                               (1, 1, 1, True), (10, 20, 2, False), (50, 128, 4, True)]
]


def as_list(t: torch.Tensor) -> list:
    return t.detach().cpu().tolist()


def reference(kind: str) -> dict:
    """Weights, input, initial states, outputs and ∂h_T/∂h0 of one small module."""
    module = MODULES[kind](INPUT_SIZE, HIDDEN_SIZE, num_layers=1, dtype=torch.float64)
    X = torch.randn(T, BATCH, INPUT_SIZE, dtype=torch.float64)
    h0 = 0.5 * torch.randn(BATCH, HIDDEN_SIZE, dtype=torch.float64)
    c0 = 0.5 * torch.randn(BATCH, HIDDEN_SIZE, dtype=torch.float64) if kind == "lstm" else None

    def run(x, h, c):
        """Run on x (T, [batch,] input); states without the leading layer axis."""
        state = (h.unsqueeze(0), c.unsqueeze(0)) if kind == "lstm" else h.unsqueeze(0)
        output, last = module(x, state)
        h_n, c_n = (last[0][0], last[1][0]) if kind == "lstm" else (last[0], None)
        return output, h_n, c_n

    weights = {name: as_list(p) for name, p in module.named_parameters()}
    result = {"weights": weights, "X": as_list(X), "h0": as_list(h0)}
    if c0 is not None:
        result["c0"] = as_list(c0)
    with torch.no_grad():
        output, h_n, c_n = run(X, h0, c0)
        output_u, h_n_u, c_n_u = run(X[:, 0], h0[0], None if c0 is None else c0[0])
    result.update({"output": as_list(output), "h_n": as_list(h_n)})
    if c_n is not None:
        result["c_n"] = as_list(c_n)
    result["unbatched"] = {"output": as_list(output_u), "h_n": as_list(h_n_u)}
    if c_n_u is not None:
        result["unbatched"]["c_n"] = as_list(c_n_u)

    def last_hidden(h):
        return run(X[:, 0], h, None if c0 is None else c0[0])[1]

    result["jacobian_hT_h0"] = as_list(torch.autograd.functional.jacobian(last_hidden, h0[0]))
    return result


def parameter_counts() -> list[dict]:
    counts = []
    for kind, input_size, hidden_size, num_layers, bias in COUNT_CASES:
        module = MODULES[kind](input_size, hidden_size, num_layers=num_layers, bias=bias)
        counts.append({
            "kind": kind, "input_size": input_size, "hidden_size": hidden_size, "num_layers": num_layers,
            "bias": bias, "count": sum(p.numel() for p in module.parameters()),
        })
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "tests" / "data" / "torch_reference.json")
    args = parser.parse_args()

    torch.manual_seed(SEED)
    data = {
        "generated_by": "scripts/torch_reference.py",
        "torch_version": torch.__version__,
        "seed": SEED,
        "sizes": {"input_size": INPUT_SIZE, "hidden_size": HIDDEN_SIZE, "T": T, "batch": BATCH},
        **{kind: reference(kind) for kind in MODULES},
        "parameter_counts": parameter_counts(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
