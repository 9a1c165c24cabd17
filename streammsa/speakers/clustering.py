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


def merge_close(
    embeddings: np.ndarray, labels: np.ndarray, min_similarity: float, within_ratio: float = 0.7
) -> np.ndarray:
    """Merge the two clusters whose prints are most alike on average (mean pairwise cosine) while that is at
    least ``min_similarity`` and at least ``within_ratio`` of how alike each one's own prints are: the
    eigengap over-counts speakers when there are few prints (a short meeting), and two halves of one voice
    are about as alike across as within; two voices recorded on one channel are alike too, but less so
    than each with itself."""
    e = normalised(embeddings)
    sim = e @ e.T
    labels = np.unique(labels, return_inverse=True)[1].astype(int)
    while labels.max(initial=0) > 0:
        k = labels.max() + 1
        onehot = np.eye(k, dtype=np.float32)[labels]
        sizes = onehot.sum(axis=0)
        total = onehot.T @ sim @ onehot
        within = (np.diag(total) - sizes) / np.maximum(sizes * (sizes - 1), 1)  # self-pairs left out
        mean = total / np.outer(sizes, sizes)
        np.fill_diagonal(mean, -np.inf)
        own = np.where(sizes >= 2, within, min_similarity)  # a single print: judged by min_similarity alone
        bar = np.maximum(min_similarity, within_ratio * np.maximum(own[:, None], own[None, :]))
        mean = np.where(mean >= bar, mean, -np.inf)
        i, j = np.unravel_index(int(np.argmax(mean)), mean.shape)
        if not np.isfinite(mean[i, j]):
            break
        labels[labels == j] = i
        labels = np.unique(labels, return_inverse=True)[1].astype(int)
    return labels


def alike(sim: np.ndarray, a: np.ndarray, b: np.ndarray, min_similarity: float, within_ratio: float = 0.7) -> bool:
    """Whether two groups of prints (boolean masks over ``sim``, their cosine similarities) are one voice: their
    mean cross similarity is at least ``min_similarity`` and ``within_ratio`` of how alike the looser group's own
    prints are. merge_close compares with the tighter group instead; here a group that repeats one recording
    (near-identical prints) must not make another stretch of the same voice look like someone else."""
    cross = float(sim[np.ix_(a, b)].mean())
    own = []
    for m in (a, b):
        n = int(m.sum())
        own.append((float(sim[np.ix_(m, m)].sum()) - n) / (n * (n - 1)) if n >= 2 else min_similarity)
    return cross >= max(min_similarity, within_ratio * min(own))


class OnlineClusters:
    """Speakers as mean voice prints, decided as prints arrive.

    A print joins the most similar speaker at or above the threshold, founds a new speaker when it is
    long enough, else stays unlabelled (-1). Early decisions rest on few prints, so once there are
    ``recluster_from`` prints, every ``recluster_every`` new ones (later every tenth) all prints so far
    are clustered again (``spectral`` + ``merge_close``, as a whole file is), the new print included, and
    the new clusters take over the speaker ids they share most speech with: the print and later ones are
    judged against the better centroids (labels already given stay). A speaker split in two early is
    merged forward (the id that loses its cluster takes no more prints); a speaker whose prints are not
    ``alike`` the cluster that took them stays live (a quiet voice the eigengap folded into a louder one).
    """

    def __init__(
        self,
        same_speaker_similarity: float,
        min_new_s: float,
        max_speakers: int,
        recluster_from: int = 10,
        recluster_every: int = 2,
        spectral_keep: float = 0.2,
        min_speaker_s: float = 6.0,
        merge_similarity: float = 0.5,
    ) -> None:
        self.threshold = same_speaker_similarity
        self.min_new_s = min_new_s
        self.max_speakers = max_speakers
        self.recluster_from, self.recluster_every, self.spectral_keep = recluster_from, recluster_every, spectral_keep
        self.min_speaker_s = min_speaker_s  # a re-clustering founds a speaker only with this much speech
        self.merge_similarity = merge_similarity
        self.centroids = np.zeros((0, 0), np.float32)
        self.active: list[bool] = []  # speakers a re-clustering dropped take no new prints
        self._prints: list[np.ndarray] = []
        self._seconds: list[float] = []
        self._labels: list[int] = []
        self.reclusterings = 0
        self._last_recluster = 0

    @property
    def num_speakers(self) -> int:
        return len(self.active)

    def assign(self, embedding: np.ndarray, seconds: float) -> int:
        e = normalised(embedding)
        self._prints.append(e)
        self._seconds.append(seconds)
        self._labels.append(-1)
        n = len(self._prints)
        # Every recluster_every prints at first, then every tenth of them: an hour's prints stay cheap. The new print
        # takes part (unlabelled), so it is judged against centroids that already count it with its own voice.
        reclustered = n >= self.recluster_from and n - self._last_recluster >= max(self.recluster_every, n // 10)
        if reclustered:
            self._recluster()
            self._last_recluster = n
        label = -1
        live = [k for k, a in enumerate(self.active) if a]
        if live:
            sims = self.centroids[live] @ e
            best = live[int(np.argmax(sims))]
            if sims.max() >= self.threshold or len(self.active) >= self.max_speakers:
                label = best
        if label < 0 and seconds >= self.min_new_s:
            label = self._new(e)
        self._labels[-1] = label
        if label >= 0 and not reclustered:  # a re-clustering's centroids already hold this print
            self._update_centroid(label)
        return label

    def _new(self, e: np.ndarray) -> int:
        self.centroids = e[None] if not self.active else np.vstack([self.centroids, e[None]])
        self.active.append(True)
        return len(self.active) - 1

    def _update_centroid(self, label: int) -> None:
        idx = [i for i, lab in enumerate(self._labels) if lab == label]
        w = np.array([self._seconds[i] for i in idx], np.float32)
        self.centroids[label] = normalised((np.stack([self._prints[i] for i in idx]) * w[:, None]).sum(axis=0))

    def _recluster(self) -> None:
        from scipy.optimize import linear_sum_assignment

        prints, secs = np.stack(self._prints), np.array(self._seconds, np.float32)
        found = spectral(prints, self.spectral_keep, None, self.max_speakers)
        found = merge_close(prints, found, self.merge_similarity)
        old = np.array(self._labels)
        n_old, n_new = len(self.active), int(found.max()) + 1
        shared = np.zeros((max(n_old, 1), n_new))
        for o, f, s in zip(old, found, secs):
            if o >= 0:
                shared[o, f] += s
        rows, cols = linear_sum_assignment(-shared)
        to_id = {int(c): int(r) for r, c in zip(rows, cols) if shared[r, c] > 0}
        self.active = [False] * n_old
        for f in range(n_new):
            members = found == f
            cent = normalised((prints[members] * secs[members, None]).sum(axis=0))
            if f in to_id:
                k = to_id[f]
                self.centroids[k] = cent
                self.active[k] = True
            elif secs[members].sum() >= self.min_speaker_s and len(self.active) < self.max_speakers:
                self._new(cent)
        self._keep_distinct(prints, secs, old, found)
        self.reclusterings += 1

    def _keep_distinct(self, prints: np.ndarray, secs: np.ndarray, old: np.ndarray, found: np.ndarray) -> None:
        """A speaker the re-clustering left without a cluster stays live unless its prints are as alike to the
        cluster that took them as merge_close asks: the eigengap with few prints often folds a quiet speaker
        (two or three prints) into a louder one, whose later turns then go to the wrong person."""
        sim = prints @ prints.T
        for k in range(len(self.active)):
            mine = old == k
            if self.active[k] or not mine.any():
                continue
            taker = int(np.bincount(found[mine], weights=secs[mine]).argmax())
            rest = (found == taker) & ~mine
            if rest.any() and not alike(sim, mine, rest, self.merge_similarity):
                self.active[k] = True
                self.centroids[k] = normalised((prints[mine] * secs[mine, None]).sum(axis=0))
