"""Fixtures of the model tests."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Small tensors: one intra-op thread is faster, and on a shared 2-core box two spin-waiting
    OpenMP threads slow these tests by an order of magnitude."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
