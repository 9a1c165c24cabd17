"""The monitor's own feature extractors, fed the way the monitor feeds them.

Built from the same FeatureSpec as the monitor (``extractors_from_spec``):

* text: ``TextEncoder.encode_words`` (the monitor's ASR path) on the transcript's words, each word
  given a unit slot (word ``i`` spans ``[i, i+1)``), so a token's time is its word index + 0.5;
  the composer later stretches the slots to a speaking rate and slices a window (compose.py).
* audio: the file decoded by ``MediaFileSource`` (the monitor's PyAV path, float32 mono 16 kHz)
  and pushed chunk by chunk through ``AudioFeatureExtractor.stream`` (the monitor's streaming path).
* vision: GRID video frames from ``MediaFileSource``, rate-gated by ``FaceFeatureExtractor.due``
  and analysed by ``process`` (each frame on its own, as the photos; a fresh extractor per clip);
  face photos by ``process_image`` (one vector per still photo). No face -> no step.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from streammsa.asr.words import Word
from streammsa.datasets.items import PoolItem
from streammsa.errors import InputError
from streammsa.features.spec import FeatureSpec


class MonitorExtractors:
    """The monitor's extractors for ``spec``, created on first use (a fully cached build creates none).

    ``computed`` counts items actually run through an extractor, per ``corpus/modality``;
    ``created`` counts extractor constructions.
    """

    def __init__(self, spec: FeatureSpec, num_threads: int = 1) -> None:
        import torch

        # Other work shares this CPU: one intra-op thread per extractor unless asked otherwise.
        torch.set_num_threads(max(1, int(num_threads)))
        self.spec = spec
        self.num_threads = num_threads
        self._text = None
        self._audio = None
        self._photo = None
        self.computed: dict[str, int] = {}
        self.created = 0

    def _count(self, item: PoolItem) -> None:
        k = f"{item.corpus}/{item.modality}"
        self.computed[k] = self.computed.get(k, 0) + 1

    @property
    def text(self):
        if self._text is None:
            from streammsa.features.text import TextEncoder

            self._text = TextEncoder.from_spec(self.spec.text)
            self.created += 1
        return self._text

    @property
    def audio(self):
        if self._audio is None:
            from streammsa.features.audio import AudioFeatureExtractor

            self._audio = AudioFeatureExtractor.from_spec(self.spec.audio)
            self.created += 1
        return self._audio

    def _face(self):
        from streammsa.features.vision import FaceFeatureExtractor

        self.created += 1
        return FaceFeatureExtractor.from_spec(self.spec.vision)

    def encode_text(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Tokens of a transcript through the monitor's ``encode_words`` path; word ``i`` occupies [i, i+1)."""
        words = [Word(w, float(i), float(i + 1)) for i, w in enumerate(text.split())]
        timed = self.text.encode_words(words)
        return timed.values, np.floor(timed.times).astype(np.int64)

    def extract(self, item: PoolItem) -> tuple[np.ndarray, np.ndarray | None]:
        return self.extract_many([item])[0]

    def extract_many(self, items: Sequence[PoolItem]) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """Features (and text word indices) of each item, in order."""
        for item in items:
            self._count(item)
        out: list[tuple[np.ndarray, np.ndarray | None]] = []
        for item in items:
            # One transcript per forward pass, exactly as the monitor encodes a committed segment
            # (encode_batch would pad texts together: 5e-6 different and no faster on this CPU).
            if item.modality == "text":
                out.append(self.encode_text(item.text))
            elif item.modality == "audio":
                out.append((self._audio_file(item.path), None))
            elif item.still:
                out.append((self._photo_features(item.path), None))
            else:
                out.append((self._video_file(item.path), None))
        return out

    def _audio_file(self, path: str) -> np.ndarray:
        from streammsa.capture.media_file import MediaFileSource
        from streammsa.capture.packets import AudioChunk

        stream = self.audio.stream(0.0)
        parts = []
        with MediaFileSource(path, video=False) as src:
            for pkt in src:
                if isinstance(pkt, AudioChunk):
                    parts.append(stream.push(pkt.samples).values)
            if src.error:
                raise InputError(f"{path}: {src.error}")
        parts.append(stream.flush().values)
        return np.concatenate(parts).astype(np.float32, copy=False)

    def _video_file(self, path: str) -> np.ndarray:
        from streammsa.capture.media_file import MediaFileSource
        from streammsa.capture.packets import VideoFrame

        rows = []
        with self._face() as face, MediaFileSource(path, audio=False) as src:
            for pkt in src:
                if isinstance(pkt, VideoFrame) and face.due(pkt.t):
                    v = face.process(pkt.image, pkt.t)
                    if v is not None:
                        rows.append(v)
        return np.stack(rows).astype(np.float32) if rows else np.zeros((0, self.spec.vision.dim), np.float32)

    def _photo_features(self, path: str) -> np.ndarray:
        import cv2

        img = cv2.imread(path, cv2.IMREAD_COLOR)
        if img is None:
            raise InputError(f"{path}: not a readable image")
        if self._photo is None:
            self._photo = self._face()
        v = self._photo.process_image(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
        return np.zeros((0, self.spec.vision.dim), np.float32) if v is None else v[None, :].astype(np.float32)

    def close(self) -> None:
        if self._photo is not None:
            self._photo.close()
            self._photo = None
