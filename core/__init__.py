"""NumPy-only computations behind the dashboard (no Streamlit, pandas or Altair here)."""

from .attention import (
    causal_mask,
    identity_projections,
    multi_head_attention,
    random_projections,
    scaled_dot_product_attention,
    self_attention,
    self_attention_jacobian,
    softmax,
    softmax_saturation,
)

__all__ = [
    "causal_mask",
    "identity_projections",
    "multi_head_attention",
    "random_projections",
    "scaled_dot_product_attention",
    "self_attention",
    "self_attention_jacobian",
    "softmax",
    "softmax_saturation",
]
