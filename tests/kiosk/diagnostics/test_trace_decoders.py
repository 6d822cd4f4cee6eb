"""Fuzz: the trace decoders take any bytes in any chunks without raising, and never show the
data of an ID card read reply."""

from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.device import DeviceKind
from drivers.idcard import frames as sam
from drivers.transport.tap import Direction
from kiosk.diagnostics.trace import decoder_for

chunks = st.lists(st.tuples(st.sampled_from(list(Direction)), st.binary(max_size=300)), max_size=30)


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(list(DeviceKind)), feed=chunks)
def test_any_bytes_decode_without_error(kind, feed):
    decoder = decoder_for(kind)
    for direction, data in feed:
        decoded, raw = decoder.feed(direction, data)
        assert isinstance(decoded, str) and isinstance(raw, str)


@settings(max_examples=200, deadline=None)
@given(secret=st.binary(min_size=8, max_size=400), cut=st.integers(1, 50))
def test_read_reply_data_is_never_shown(secret, cut):
    decoder = decoder_for(DeviceKind.IDCARD)
    decoder.feed(Direction.TX, sam.encode_command(sam.Command.READ_BASE))
    reply = sam.encode_response(0x90, secret)
    shown = "".join("".join(decoder.feed(Direction.RX, reply[i:i + cut])) for i in range(0, len(reply), cut))
    assert secret[:8].hex(" ") not in shown
