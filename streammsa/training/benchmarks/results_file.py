"""The results file (docs/results.md) the benchmarks update, one marked section each, and the device they ran on."""

from __future__ import annotations

from pathlib import Path


def write_section(md_path: Path, marker: str, body: str) -> None:
    begin, end = f"<!-- {marker}:begin -->", f"<!-- {marker}:end -->"
    text = md_path.read_text() if md_path.is_file() else "# Results\n"
    block = f"{begin}\n{body}\n{end}"
    if begin in text and end in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    md_path.write_text(text)


def device_label(name: str) -> str:
    """The GPU's name for a CUDA device (``--device auto`` included), else "CPU"."""
    import torch

    from streammsa.models.device import resolve_device

    dev = resolve_device(name)
    return torch.cuda.get_device_name(dev) if dev.type == "cuda" else "CPU"
