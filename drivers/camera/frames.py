"""One camera frame: the compressed buffer as it arrived, decoded on demand at preview or full scale.

A UVC camera in MJPEG mode, a network MJPEG stream and the simulator all hand over JPEG bytes, so
the preview decodes at reduced scale (libjpeg DCT scaling: ``IMREAD_REDUCED_COLOR_2/4/8``) and a
capture decodes the same buffer at full resolution (document-camera spec §2.1). Sources that only
give decoded pixels (a video file, a camera without raw MJPEG) carry the image instead; their
preview is an ``INTER_LINEAR`` resize, which is cheaper than decoding anyway (spec §1.2).

A frame is a photo of whatever lies under the camera (ID cards included): its pixels and bytes are
kept out of ``repr`` so that a frame in a log line or a traceback shows only its size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from drivers.camera.mjpeg import MjpegError, jpeg_dimensions

_REDUCED = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
            8: cv2.IMREAD_REDUCED_COLOR_8}


class FrameError(ValueError):
    """A frame that cannot be decoded (truncated or corrupt JPEG)."""


@dataclass(frozen=True)
class Frame:
    seq: int  # increases by one per frame the source delivered
    taken: float  # time.monotonic() when the frame arrived
    width: int
    height: int
    jpeg: bytes | None = field(default=None, repr=False)
    image: np.ndarray | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_jpeg(cls, data: bytes, seq: int, taken: float) -> Frame:
        try:
            w, h = jpeg_dimensions(data)
        except MjpegError as e:
            raise FrameError(f"frame {seq}: {e}") from None
        return cls(seq, taken, w, h, jpeg=bytes(data))

    @classmethod
    def from_image(cls, image: np.ndarray, seq: int, taken: float) -> Frame:
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        elif image.shape[2] == 4:
            image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
        return cls(seq, taken, image.shape[1], image.shape[0], image=image)

    def full(self) -> np.ndarray:
        """The whole frame at full resolution, BGR."""
        if self.image is not None:
            return self.image
        return self._decode(cv2.IMREAD_COLOR)

    def preview(self, reduction: int) -> np.ndarray:
        """The frame at 1/``reduction`` of its size (1, 2, 4 or 8), BGR."""
        if reduction not in _REDUCED:
            raise ValueError(f"preview reduction must be 1, 2, 4 or 8, not {reduction}")
        if self.image is None:
            return self._decode(_REDUCED[reduction])
        if reduction == 1:
            return self.image
        size = (-(-self.width // reduction), -(-self.height // reduction))
        return cv2.resize(self.image, size, interpolation=cv2.INTER_LINEAR)

    def _decode(self, flags: int) -> np.ndarray:
        assert self.jpeg is not None
        img = cv2.imdecode(np.frombuffer(self.jpeg, np.uint8), flags)
        if img is None:
            raise FrameError(f"frame {self.seq}: JPEG does not decode ({len(self.jpeg)} bytes)")
        return img
