"""drivers.camera.mjpeg: the sans-IO MJPEG-over-HTTP codec, both sides, and the JPEG header reader.

Byte literals first (what a network document camera, mjpg-streamer and the simulator put on the
wire), then real JPEGs from OpenCV, then fuzzing: the reader may only ever raise MjpegError, and
how the bytes are chunked never changes what comes out.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.camera.mjpeg import (
    MAX_HEAD,
    MAX_PART,
    JpegPart,
    MjpegError,
    MjpegReader,
    Request,
    RequestReader,
    error_response,
    frame_part,
    jpeg_dimensions,
    stream_request,
    stream_response_head,
)
from tests.support import split_at

HEAD = (b"HTTP/1.1 200 OK\r\n"
        b"Content-Type: multipart/x-mixed-replace; boundary=frame\r\n"
        b"Cache-Control: no-cache\r\n"
        b"\r\n")
J1 = b"\xff\xd8\xff\xe0first\xff\xd9"  # 11 bytes; the reader does not look inside a part
J2 = b"\xff\xd8second one\xff\xd9"  # 14 bytes
PART1 = b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: 11\r\n\r\n" + J1 + b"\r\n"
PART2 = b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: 14\r\n\r\n" + J2 + b"\r\n"
STREAM = HEAD + PART1 + PART2


def _feed_all(chunks, reader=None):
    reader = reader or MjpegReader()
    parts = []
    for chunk in chunks:
        parts += reader.feed(chunk)
    return parts, reader


def _error(data: bytes) -> str:
    with pytest.raises(MjpegError) as info:
        MjpegReader().feed(data)
    return str(info.value)


# -- host side: byte literals ------------------------------------------------------------------------


def test_literal_lengths_are_what_the_headers_say():
    assert (len(J1), len(J2)) == (11, 14)


def test_two_parts_in_one_piece():
    parts, reader = _feed_all([STREAM])
    assert parts == [JpegPart(J1, 0), JpegPart(J2, 1)]
    assert reader.boundary is not None and reader.boundary.endswith("frame")


def test_two_parts_byte_by_byte():
    reader = MjpegReader()
    got = []
    for i in range(len(STREAM)):
        new = reader.feed(STREAM[i:i + 1])
        if new:  # a part comes out exactly when its last byte arrives
            assert STREAM[:i + 1].endswith(new[-1].data)
        got += new
    assert got == [JpegPart(J1, 0), JpegPart(J2, 1)]


def test_head_alone_gives_no_parts_and_parts_follow_later():
    reader = MjpegReader()
    assert reader.feed(HEAD) == []
    assert reader.feed(PART1[:-5]) == []  # Content-Length not reached yet
    assert reader.feed(PART1[-5:] + PART2) == [JpegPart(J1, 0), JpegPart(J2, 1)]
    assert reader.feed(PART1) == [JpegPart(J1, 2)]  # seq keeps counting


def test_content_length_part_may_contain_the_boundary():
    tricky = b"\xff\xd8\r\n--frame\r\nContent-Type: text/plain\r\n\r\n\xff\xd9"
    part = b"--frame\r\nContent-Length: %d\r\n\r\n" % len(tricky) + tricky + b"\r\n"
    parts, _ = _feed_all([HEAD + part + PART2])
    assert parts == [JpegPart(tricky, 0), JpegPart(J2, 1)]


def test_parts_without_content_length_end_at_the_next_boundary():
    a = b"--frame\r\nContent-Type: image/jpeg\r\n\r\n" + J1 + b"\r\n"
    b = b"--frame\r\nContent-Type: image/jpeg\r\n\r\n" + J2 + b"\r\n"
    reader = MjpegReader()
    assert reader.feed(HEAD + a + b) == [JpegPart(J1, 0)]  # J2 is open until a boundary follows
    assert reader.feed(b"--fra") == []  # a boundary split across reads
    assert reader.feed(b"me\r\n") == [JpegPart(J2, 1)]


def test_unframed_parts_byte_by_byte():
    a = b"--frame\r\n\r\n" + J1 + b"\r\n"  # no headers at all: image/jpeg is the default
    b = b"--frame\r\n\r\n" + J2 + b"\r\n--frame\r\n"
    parts, _ = _feed_all([bytes([c]) for c in HEAD + a + b])
    assert parts == [JpegPart(J1, 0), JpegPart(J2, 1)]


@pytest.mark.parametrize("ctype", [
    b'multipart/x-mixed-replace; boundary="myboundary"',
    b"multipart/x-mixed-replace;boundary=--myboundary",
    b'Multipart/X-Mixed-Replace; boundary="--myboundary"',
    b"multipart/x-mixed-replace; boundary=myboundary; charset=binary",
])
def test_boundary_spellings(ctype):
    head = b"HTTP/1.0 200 OK\r\nContent-Type: " + ctype + b"\r\n\r\n"
    body = (b"--myboundary\r\nContent-Type: image/jpeg\r\nContent-Length: 11\r\n\r\n" + J1 + b"\r\n"
            b"--myboundary\r\nContent-Type: image/jpeg\r\n\r\n" + J2 + b"\r\n--myboundary\r\n")
    parts, reader = _feed_all([head + body])
    assert parts == [JpegPart(J1, 0), JpegPart(J2, 1)]
    assert reader.boundary == "--myboundary"  # the dashes are never doubled


def test_garbage_before_a_boundary_is_counted():
    garbage = b"\x00\x01noise from a previous connection\r\n\r\n"
    clean = _feed_all([STREAM])[1].discarded
    assert clean == 0  # part-ending CRLFs are framing, not garbage
    parts, reader = _feed_all([HEAD + garbage + PART1 + b"junk" + PART2])
    assert parts == [JpegPart(J1, 0), JpegPart(J2, 1)]
    assert reader.discarded - clean == len(garbage) + 4
    # the same garbage a byte at a time: the same count
    parts, reader = _feed_all([bytes([c]) for c in HEAD + garbage + PART1 + b"junk" + PART2])
    assert parts == [JpegPart(J1, 0), JpegPart(J2, 1)]
    assert reader.discarded - clean == len(garbage) + 4


def test_boundary_text_inside_other_bytes_is_skipped():
    fake = b"--frameless talk\r\n\r\n"  # starts like the boundary but is not one
    parts, _ = _feed_all([HEAD + fake + PART1])
    assert parts == [JpegPart(J1, 0)]


@pytest.mark.parametrize("data,message", [
    (b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", "HTTP 404"),
    (b"HTTP/1.0 503 Service Unavailable\r\n\r\n", "HTTP 503"),
    (b"RTSP/1.0 200 OK\r\n\r\n", "not an HTTP response"),
    (b"\x00\xff\xd8\xff\r\n\r\n", "not an HTTP response"),
    (b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\n\r\n", "expected multipart/x-mixed-replace, got 'image/jpeg'"),
    (b"HTTP/1.1 200 OK\r\n\r\n", "expected multipart/x-mixed-replace, got ''"),
    (b"HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace\r\n\r\n", "without a boundary"),
    (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "malformed header line"),
])
def test_bad_response_heads(data, message):
    assert message in _error(data)


def test_error_response_is_read_as_an_http_error():
    assert "HTTP 404" in _error(error_response(404, "Not Found"))
    assert "HTTP 405" in _error(error_response(405, "Method Not Allowed"))


def test_part_of_another_type():
    part = b"--frame\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello\r\n"
    assert "'text/plain', not image/jpeg" in _error(HEAD + part)


@pytest.mark.parametrize("length", [
    str(MAX_PART + 1).encode(), b"999999999", b"-1", b"12abc", b"", b"0x10", b"1 2",
    b"\xb2",  # latin-1 "²": str.isdigit() says yes, int() says no
    b"9" * 5000,  # fits in a head, too many digits for int()
])
def test_bad_part_length(length):
    part = b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: " + length + b"\r\n\r\n"
    assert "bad part length" in _error(HEAD + part)


def test_largest_part_length_is_accepted():
    reader = MjpegReader()
    head = b"--frame\r\nContent-Length: %d\r\n\r\n" % MAX_PART
    assert reader.feed(HEAD + head + b"\xff\xd8") == []  # waiting for the rest, no error


def test_oversized_heads():
    assert f"response head longer than {MAX_HEAD}" in _error(b"HTTP/1.1 200 OK\r\nX-Pad: " + b"a" * MAX_HEAD)
    assert f"part head longer than {MAX_HEAD}" in _error(HEAD + b"--frame\r\nX-Pad: " + b"a" * MAX_HEAD)
    # just under the limit: still waiting, no error
    assert MjpegReader().feed(b"HTTP/1.1 200 OK\r\nX-Pad: " + b"a" * (MAX_HEAD - 30)) == []


def test_oversized_unframed_part():
    reader = MjpegReader()
    reader.feed(HEAD + b"--frame\r\nContent-Type: image/jpeg\r\n\r\n")
    chunk = b"\xab" * (1024 * 1024)
    with pytest.raises(MjpegError, match="without a boundary"):
        for _ in range(MAX_PART // len(chunk) + 2):
            reader.feed(chunk)


def test_closing_boundary_ends_the_stream():
    reader = MjpegReader()
    assert reader.feed(HEAD + PART1) == [JpegPart(J1, 0)]
    with pytest.raises(MjpegError, match="camera ended the stream"):
        reader.feed(b"--frame--\r\n\r\n")


# -- host side: the request ---------------------------------------------------------------------------


def test_stream_request_bytes():
    assert stream_request() == (b"GET /stream HTTP/1.1\r\nHost: camera\r\nAccept: multipart/x-mixed-replace\r\n"
                                b"Connection: keep-alive\r\n\r\n")
    assert stream_request("/?action=stream", "10.0.0.7") == (
        b"GET /?action=stream HTTP/1.1\r\nHost: 10.0.0.7\r\nAccept: multipart/x-mixed-replace\r\n"
        b"Connection: keep-alive\r\n\r\n")


@pytest.mark.parametrize("path,host", [
    ("stream", "camera"), ("/a b", "camera"), ("/x\r\nEvil: 1", "camera"), ("/", "cam era"), ("/", "c\r\n"),
])
def test_stream_request_refuses_injection(path, host):
    with pytest.raises(ValueError, match="bad path or host"):
        stream_request(path, host)


# -- camera side -------------------------------------------------------------------------------------


def test_request_reader_parses_heads():
    reader = RequestReader()
    assert reader.feed(stream_request()) == [Request("GET", "/stream")]
    assert reader.feed(b"GET /video HTTP/1.0\r\n\r\nPOST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n") == [
        Request("GET", "/video"), Request("POST", "/")]


def test_request_reader_byte_by_byte():
    reader = RequestReader()
    data = b"GET /stream HTTP/1.1\r\nHost: camera\r\n\r\n"
    out = []
    for i in range(len(data)):
        out += reader.feed(data[i:i + 1])
        assert out == ([] if i < len(data) - 1 else [Request("GET", "/stream")])


@pytest.mark.parametrize("junk", [
    b"hello\r\n\r\n", b"get /stream HTTP/1.1\r\n\r\n", b"GET /stream\r\n\r\n", b"GET /stream HTTP/2\r\n\r\n",
    b"GET  /stream HTTP/1.1\r\n\r\n", b"GET /stream HTTP/1.1\r\nbad header\r\n\r\n", b"\x16\x03\x01\x02\x00\r\n\r\n",
])
def test_request_reader_rejects_junk(junk):
    with pytest.raises(MjpegError):
        RequestReader().feed(junk)


def test_request_reader_oversized_head_then_recovers():
    reader = RequestReader()
    with pytest.raises(MjpegError, match="request head longer"):
        reader.feed(b"GET /stream HTTP/1.1\r\nX-Pad: " + b"a" * MAX_HEAD)
    assert reader.feed(b"GET / HTTP/1.1\r\n\r\n") == [Request("GET", "/")]  # buffer was dropped


@pytest.mark.parametrize("boundary", ["frame", "myboundary", "Boundary-123_x", "b"])
def test_camera_side_round_trips_through_the_reader(boundary):
    jpegs = [J1, J2, b"\xff\xd8" + b"\r\n--" + boundary.encode() + b"\r\n\r\n\xff\xd9", b""]
    wire = stream_response_head(boundary) + b"".join(frame_part(j, boundary) for j in jpegs)
    parts, _ = _feed_all([wire])
    assert parts == [JpegPart(j, i) for i, j in enumerate(jpegs)]
    parts, _ = _feed_all(split_at(wire, list(range(0, len(wire), 7))))
    assert parts == [JpegPart(j, i) for i, j in enumerate(jpegs)]


def test_response_head_bytes():
    assert stream_response_head() == (b"HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=frame\r\n"
                                      b"Cache-Control: no-cache\r\nConnection: close\r\n\r\n")
    assert frame_part(J1) == PART1


# -- JPEG header ---------------------------------------------------------------------------------------


def _jpeg(w, h, color=True, extra=()):
    rng = np.random.default_rng(w * 10007 + h)
    img = rng.integers(0, 256, (h, w, 3) if color else (h, w), dtype=np.uint8)
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 80, *extra])
    assert ok
    return buf.tobytes()


@pytest.mark.parametrize("w,h", [(1, 1), (17, 9), (640, 480), (1001, 3), (3, 1001), (2592, 1944)])
@pytest.mark.parametrize("color", [True, False])
def test_jpeg_dimensions_of_real_jpegs(w, h, color):
    data = _jpeg(w, h, color)
    assert jpeg_dimensions(data) == (w, h)
    assert jpeg_dimensions(bytearray(data)) == (w, h)


def test_jpeg_dimensions_progressive():
    data = _jpeg(321, 123, extra=(cv2.IMWRITE_JPEG_PROGRESSIVE, 1))
    assert data[_sof_offset(data) + 1] == 0xC2  # SOF2
    assert jpeg_dimensions(data) == (321, 123)


def test_jpeg_dimensions_skips_fill_bytes_and_standalone_markers():
    data = _jpeg(40, 30)
    padded = data[:2] + b"\xff\xff\xff" + b"\xff\xd0" + data[2:]  # fill bytes, an RST0
    assert jpeg_dimensions(padded) == (40, 30)


def _sof_offset(data: bytes) -> int:
    i = 2
    while data[i + 1] not in (0xC0, 0xC2):
        i += 2 + int.from_bytes(data[i + 2:i + 4], "big")
    return i


def test_jpeg_dimensions_errors():
    good = _jpeg(64, 48)
    sof = _sof_offset(good)
    with pytest.raises(MjpegError, match="not a JPEG"):
        jpeg_dimensions(b"\x89PNG\r\n\x1a\n" + good)
    with pytest.raises(MjpegError, match="not a JPEG"):
        jpeg_dimensions(b"")
    with pytest.raises(MjpegError, match="without a frame header"):
        jpeg_dimensions(b"\xff\xd8\xff\xe0\x00\x04ab\xff\xda\x00\x02")  # scan before any SOF
    for cut in (2, 3, sof, sof + 4, sof + 8):  # truncated before the dimensions are complete
        with pytest.raises(MjpegError, match="without a frame header"):
            jpeg_dimensions(good[:cut])
    assert jpeg_dimensions(good[:sof + 9]) == (64, 48)  # …and exactly enough is enough
    with pytest.raises(MjpegError, match="marker expected at byte 2"):
        jpeg_dimensions(b"\xff\xd8JFIF" + good[2:])
    with pytest.raises(MjpegError, match="bad JPEG segment length"):
        jpeg_dimensions(b"\xff\xd8\xff\xe0\x00\x01rest")
    zero = bytearray(good)
    zero[sof + 5:sof + 7] = b"\x00\x00"  # height 0
    with pytest.raises(MjpegError, match="zero dimension"):
        jpeg_dimensions(bytes(zero))


# -- fuzz ----------------------------------------------------------------------------------------------

# pieces that reach the reader's deeper branches far more often than uniform bytes
_PIECES = st.sampled_from([
    b"--frame", b"--frame--", b"\r\n", b"\r\n\r\n", b"Content-Type: image/jpeg", b"Content-Type: text/html",
    b"Content-Length: ", b"Content-Length: 4", b"Content-Length: 99999999999", b"\xb2", b"12", b":", b"-",
    b"\xff\xd8", b"\xff\xd9", b"HTTP/1.1 200 OK\r\n", b"boundary=",
])
_FUZZ = st.one_of(st.binary(max_size=400), st.lists(st.one_of(_PIECES, st.binary(max_size=12)), max_size=40)
                  .map(b"".join))


@given(st.lists(_FUZZ, min_size=1, max_size=5))
def test_fuzz_after_a_valid_head_only_raises_mjpeg_error(chunks):
    reader = MjpegReader()
    assert reader.feed(HEAD) == []
    try:
        for chunk in chunks:
            for part in reader.feed(chunk):
                assert isinstance(part.data, bytes) and len(part.data) <= MAX_PART
    except MjpegError:
        pass


@given(st.lists(_FUZZ, min_size=1, max_size=5))
def test_fuzz_without_a_head_only_raises_mjpeg_error(chunks):
    reader = MjpegReader()
    try:
        for chunk in chunks:
            reader.feed(chunk)
    except MjpegError:
        pass


@given(_FUZZ)
def test_fuzz_request_reader_only_raises_mjpeg_error(data):
    try:
        for request in RequestReader().feed(data):
            assert request.method.isupper() and request.path
    except MjpegError:
        pass


_PAYLOAD = st.binary(max_size=300)
_GARBAGE = st.binary(max_size=30).filter(lambda g: b"-" not in g)


@st.composite
def _streams(draw):
    """A valid stream: (wire bytes, expected payloads). Framed parts may be followed by garbage;
    unframed ones end at the next boundary, so their payload must not contain it."""
    boundary = draw(st.sampled_from(["frame", "myboundary", "b"]))
    delim = b"\r\n--" + boundary.encode()
    wire = stream_response_head(boundary)
    payloads = []
    for _ in range(draw(st.integers(1, 5))):
        payload = draw(_PAYLOAD)
        if draw(st.booleans()):
            wire += frame_part(payload, boundary) + draw(_GARBAGE)
        else:
            while delim in payload:
                payload = payload.replace(delim, b"")
            wire += b"--" + boundary.encode() + b"\r\n\r\n" + payload + b"\r\n"
        payloads.append(payload)
    return wire + b"--" + boundary.encode() + b"\r\n", payloads


@given(_streams(), st.lists(st.integers(min_value=0), max_size=30))
def test_any_chunking_gives_the_same_parts(stream, cuts):
    wire, payloads = stream
    whole, reader = _feed_all([wire])
    assert whole == [JpegPart(p, i) for i, p in enumerate(payloads)]
    chunked, chunked_reader = _feed_all(split_at(wire, cuts))
    assert chunked == whole
    assert chunked_reader.discarded == reader.discarded


@given(st.one_of(st.binary(max_size=200), st.binary(max_size=200).map(lambda b: b"\xff\xd8" + b),
                 st.lists(st.sampled_from([b"\xff", b"\xd8", b"\xc0", b"\xda", b"\x00", b"\x02", b"\x11"]),
                          max_size=60).map(lambda p: b"\xff\xd8" + b"".join(p))))
def test_fuzz_jpeg_dimensions_only_raises_mjpeg_error(data):
    try:
        w, h = jpeg_dimensions(data)
    except MjpegError:
        return
    assert w > 0 and h > 0
