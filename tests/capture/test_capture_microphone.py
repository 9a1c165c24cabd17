"""MicrophoneSource's callback -> queue -> packets path, fed from a real recording at real time.

This machine has no sound card, so a file-backed stream with sounddevice's InputStream
signature calls the same callback PortAudio would, from its own thread.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from streammsa.capture.media_file import read_audio
from streammsa.capture.microphone import MicrophoneSource, resolve_input_device
from streammsa.capture.pacing import CaptureThread
from streammsa.capture.packets import SAMPLE_RATE
from streammsa.errors import DeviceError


class FileInputStream:
    """Plays ``audio`` into ``callback`` in ``blocksize`` blocks at real time, like PortAudio."""

    def __init__(
        self,
        audio,
        *,
        samplerate,
        channels,
        dtype,
        blocksize,
        device,
        callback,
        finished_callback,
        stall_after: int | None = None,
    ):
        assert samplerate == SAMPLE_RATE and channels == 1 and dtype == "float32"
        self.audio, self.blocksize, self.callback, self.finished = audio, blocksize, callback, finished_callback
        self.stall_after = stall_after
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._play, daemon=True)

    def _play(self):
        t0 = time.monotonic()
        for k, i in enumerate(range(0, len(self.audio), self.blocksize)):
            if self.stall_after is not None and k >= self.stall_after:
                return  # a device that goes silent without saying so
            block = self.audio[i : i + self.blocksize]
            if self._stop.wait(max(0.0, t0 + i / SAMPLE_RATE - time.monotonic())):
                return
            self.callback(block.reshape(-1, 1), len(block), None, None)
        self.finished()

    def start(self):
        self._thread.start()

    def stop(self):
        self._stop.set()

    def close(self):
        self._thread.join(timeout=2)


@pytest.fixture(scope="module")
def speech(shared_data):
    path = sorted((shared_data / "ravdess" / "audio" / "Actor_01").glob("*.flac"))[0]
    return read_audio(path)[: int(1.5 * SAMPLE_RATE)]


@pytest.mark.data
def test_callback_blocks_become_contiguous_chunks(speech):
    chunks: list = []
    mic = MicrophoneSource(chunk_s=0.1, stream_factory=lambda **kw: FileInputStream(speech, **kw))
    cap = CaptureThread(mic, on_packet=chunks.append)
    t0 = time.monotonic()
    cap.start()
    assert cap.join(timeout=10)
    elapsed = time.monotonic() - t0
    assert elapsed >= 1.0  # delivered at the device's (real-time) pace, not instantly
    got = np.concatenate([c.samples for c in chunks])
    assert len(got) == len(speech)
    np.testing.assert_array_equal(got, speech)  # nothing lost, reordered or altered
    assert all(abs(b.t - (a.t + len(a.samples) / SAMPLE_RATE)) < 1e-3 for a, b in zip(chunks, chunks[1:]))
    assert mic.dropped_blocks == 0


@pytest.mark.data
def test_a_full_queue_drops_blocks_and_counts_them(speech):
    mic = MicrophoneSource(chunk_s=0.1, queue_s=0.2, stream_factory=lambda **kw: FileInputStream(speech, **kw))
    packets = mic.packets()
    first = next(packets)
    time.sleep(1.0)  # a consumer that falls behind while the device keeps going
    rest = list(packets)
    mic.close()
    assert mic.dropped_blocks > 0
    assert 1 + len(rest) + mic.dropped_blocks == int(np.ceil(len(speech) / 1600))
    assert first.t >= 0.0 and all(b.t > a.t for a, b in zip(rest, rest[1:]))


@pytest.mark.data
def test_a_silent_device_is_reported_stalled_then_gives_up(speech):
    states = []
    opens = []

    def factory(**kw):  # first open delivers 3 blocks then goes quiet; reopening never helps
        opens.append(1)
        return FileInputStream(speech, stall_after=3 if len(opens) == 1 else 0, **kw)

    mic = MicrophoneSource(chunk_s=0.1, stall_timeout_s=0.3, max_retries=2, backoff_s=0.05, stream_factory=factory)
    mic.on_status = lambda state, detail: states.append(state)
    got = []
    with pytest.raises(DeviceError, match="stopped delivering audio"):
        for chunk in mic:
            got.append(chunk)
    mic.close()
    assert len(got) == 3
    assert states == ["stalled", "retrying", "stalled", "retrying"]
    assert len(opens) == 3  # the first open plus one reopen per retry


def test_no_input_device_names_the_alternatives():
    with pytest.raises(DeviceError) as exc:
        resolve_input_device(None, [])
    msg = str(exc.value)
    assert "no microphone found" in msg and "streammsa devices" in msg and "streammsa replay FILE" in msg


def test_device_is_chosen_by_index_or_name():
    devices = [{"index": 1, "name": "USB Audio: Mic"}, {"index": 3, "name": "Built-in Microphone"}]
    assert resolve_input_device("usb", devices) == 1
    assert resolve_input_device(3, devices) == 3
    assert resolve_input_device("3", devices) == 3
    with pytest.raises(DeviceError, match="several"):
        resolve_input_device("mic", devices)
    with pytest.raises(DeviceError, match="index 2"):
        resolve_input_device(2, devices)


def test_this_machine_without_a_sound_card_fails_clearly():
    # Real PortAudio on a machine with 0 input devices (see README): one clear line.
    with pytest.raises(DeviceError) as exc:
        MicrophoneSource()
    assert "streammsa replay FILE" in str(exc.value) and "\n" not in str(exc.value)
