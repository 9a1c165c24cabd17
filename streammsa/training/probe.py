"""Linear probe: how much categorical emotion a sentiment model's fused representation carries.

Every model regresses one intensity, so 8-class emotion accuracy cannot come from its
output. Instead the input of the model's final regression head (the fused
representation every prediction is read from) is captured with a forward hook on the
frozen, sentiment-trained model, and a multinomial logistic regression is fitted on the
train split and scored on the test split. The model itself is never trained on emotion.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from streammsa.training.dataset import MSADataset, collate
from streammsa.training.metrics import classification_accuracy

# The attribute holding each registered model's final regression head (input = fused representation).
HEAD_ATTRIBUTES = ("final_head", "fusion_head", "head")


def final_head(model: nn.Module) -> nn.Module:
    for name in HEAD_ATTRIBUTES:
        head = getattr(model, name, None)
        if isinstance(head, nn.Module):
            return head
    raise ValueError(f"{type(model).__name__} has none of {HEAD_ATTRIBUTES}: cannot locate its fused representation")


@torch.no_grad()
def representations(model: nn.Module, dataset: MSADataset, device: torch.device, batch_size: int = 128) -> np.ndarray:
    """(N, D) inputs of the final head, in dataset order."""
    captured: list[torch.Tensor] = []
    handle = final_head(model).register_forward_pre_hook(
        lambda _m, args: captured.append(args[0].detach().float().cpu())
    )
    try:
        model.eval()
        for batch in DataLoader(dataset, batch_size=batch_size, shuffle=False, collate_fn=collate):
            model(batch.to(device))
    finally:
        handle.remove()
    return torch.cat(captured).numpy()


def emotion_probe_accuracy(
    model: nn.Module, train: MSADataset, test: MSADataset, device: torch.device, seed: int = 0
) -> float:
    """Test accuracy of a logistic-regression probe fitted on train representations -> emotion ids."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    y_train, y_test = train.emotions, test.emotions
    if (y_train < 0).any() or (y_test < 0).any():
        raise ValueError("every sample needs an emotion id for the probe")
    x_train = representations(model, train, device)
    x_test = representations(model, test, device)
    scaler = StandardScaler().fit(x_train)
    clf = LogisticRegression(max_iter=2000, random_state=seed)
    clf.fit(scaler.transform(x_train), y_train)
    return classification_accuracy(clf.predict(scaler.transform(x_test)), y_test)
