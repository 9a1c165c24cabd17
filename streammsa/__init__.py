"""streammsa: a real-time multimodal sentiment monitor (CACR and DBR models)."""

__version__ = "0.1.0"

MODALITIES: tuple[str, str, str] = ("text", "audio", "vision")
"""Canonical modality order (L, A, V) used by tensors, masks and messages everywhere."""
