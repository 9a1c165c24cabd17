"""Voice prints -> speakers: agglomerative clustering for a whole file, running centroids online."""

from __future__ import annotations

import numpy as np


def normalised(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-9)


def cluster(embeddings: np.ndarray, same_speaker_similarity: float, num_speakers: int | None = None) -> np.ndarray:
    """Average-linkage clustering on cosine distance: labels 0..C-1 (C = ``num_speakers`` when given,
    else clusters whose mean pairwise similarity is below the threshold stay apart)."""
    from scipy.cluster.hierarchy import fcluster, linkage

    if len(embeddings) < 2:
        return np.zeros(len(embeddings), dtype=int)
    tree = linkage(normalised(embeddings), method="average", metric="cosine")
    if num_speakers:
        labels = fcluster(tree, t=num_speakers, criterion="maxclust")
    else:
        labels = fcluster(tree, t=1.0 - same_speaker_similarity, criterion="distance")
    return np.unique(labels, return_inverse=True)[1].astype(int)


def spectral(
    embeddings: np.ndarray, keep: float = 0.2, num_speakers: int | None = None, max_speakers: int = 8
) -> np.ndarray:
    """Spectral clustering of voice prints (as 3D-Speaker clusters CAM++ prints): each print keeps its
    ``keep`` most similar neighbours (the rest of the affinity is pruned), the number of speakers is
    the largest gap among the Laplacian's smallest eigenvalues unless given, then k-means on the
    eigenvectors. Labels 0..C-1."""
    from sklearn.cluster import KMeans

    e = normalised(embeddings)
    n = len(e)
    if n < 3:
        return cluster(e, 0.5, num_speakers) if n else np.zeros(0, dtype=int)
    sim = e @ e.T
    k_keep = max(2, int(round(keep * n)))
    affinity = np.zeros_like(sim)
    rows = np.arange(n)[:, None]
    top = np.argsort(-sim, axis=1)[:, :k_keep]
    affinity[rows, top] = sim[rows, top]
    affinity = np.maximum(0.5 * (affinity + affinity.T), 0.0)
    laplacian = np.diag(affinity.sum(axis=1)) - affinity
    values, vectors = np.linalg.eigh(laplacian)
    if num_speakers:
        k = min(num_speakers, n)
    else:
        k = int(np.argmax(np.diff(values[: min(max_speakers, n - 1) + 1]))) + 1
    labels = KMeans(k, n_init=10, random_state=0).fit_predict(vectors[:, :k])
    return np.unique(labels, return_inverse=True)[1].astype(int)


def centroids(embeddings: np.ndarray, labels: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """(C, D) normalised (weighted) mean voice print of each cluster."""
    w = np.ones(len(labels), np.float32) if weights is None else np.asarray(weights, np.float32)
    out = np.zeros((int(labels.max(initial=-1)) + 1, embeddings.shape[1]), np.float32)
    np.add.at(out, labels, embeddings * w[:, None])
    return normalised(out)


def fold_small(embeddings: np.ndarray, labels: np.ndarray, weights: np.ndarray, min_weight: float) -> np.ndarray:
    """Clusters weighing less than ``min_weight`` join the most similar big cluster; labels renumbered."""
    total = np.bincount(labels, weights=weights)
    big = np.flatnonzero(total >= min_weight)
    if len(big) == 0 or len(big) == len(total):
        return labels
    cents = centroids(embeddings, labels, weights)
    remap = np.arange(len(total))
    for c in np.flatnonzero(total < min_weight):
        remap[c] = big[np.argmax(cents[big] @ cents[c])]
    return np.unique(remap[labels], return_inverse=True)[1].astype(int)


class OnlineClusters:
    """Speakers as running mean voice prints: a print joins the most similar speaker at or above the
    threshold, founds a new one when it is long enough, else is left unlabelled (-1)."""

    def __init__(self, same_speaker_similarity: float, min_new_s: float, max_speakers: int, memory_s: float) -> None:
        self.threshold = same_speaker_similarity
        self.min_new_s = min_new_s
        self.max_speakers = max_speakers
        self.memory_s = memory_s
        self.centroids = np.zeros((0, 0), np.float32)
        self.weights: list[float] = []

    def assign(self, embedding: np.ndarray, seconds: float) -> int:
        e = normalised(embedding)
        if len(self.weights):
            sims = self.centroids @ e
            best = int(np.argmax(sims))
            if sims[best] >= self.threshold or len(self.weights) >= self.max_speakers:
                w = self.weights[best]
                self.centroids[best] = normalised(self.centroids[best] * w + e * seconds)
                self.weights[best] = min(w + seconds, self.memory_s)
                return best
        if seconds < self.min_new_s:
            return -1
        self.centroids = e[None] if not len(self.weights) else np.vstack([self.centroids, e[None]])
        self.weights.append(seconds)
        return len(self.weights) - 1
