"""Decoding the four card layouts (spec §6, §7, §14); damaged cards refused; identity masking; the check character (§9)."""

import datetime as dt
import hashlib
import pickle
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.idcard.cards import DECK, SimCard, TextDamage, card_by_type
from drivers.idcard.decode import (
    DamagedCard,
    DecodeError,
    card_type_of,
    decode_address,
    decode_base_info,
    decode_sam_id,
    decode_text,
)
from drivers.idcard.frames import Command, Framer, RawFrame, encode_response, parse_response
from drivers.idcard.identity import CardType, id_check_char, id_number_valid
from drivers.idcard.layout import LAYOUTS, spans
from drivers.idcard.tables import SEX
from tests.drivers.idcard.canary import CANARY, assert_no_canary

H = bytes.fromhex


def response(frame: bytes):
    (event,) = Framer(min_len=4).feed(frame)
    return parse_response(event)


def _f(s, n):
    return (s + " " * (n - len(s))).encode("utf-16-le")


SPEC_TEXT = (
    _f("张三", 15) + _f("1", 1) + _f("01", 2) + _f("19491231", 8) + _f("北京市朝阳区示例路1号", 35)
    + _f("11010519491231002X", 18) + _f("北京市公安局朝阳分局", 15) + _f("20150601", 8) + _f("长期", 8) + _f("", 18)
)
SPEC_FRAME = encode_response(0x90, H("0100 0400") + SPEC_TEXT + bytes(1024))


def test_spec_worked_example_frame():
    assert len(SPEC_FRAME) == 1295 and SPEC_FRAME[-1] == 0xCF
    assert SPEC_FRAME[:14] == H("AA AA AA 96 69 05 08 00 00 90 01 00 04 00")
    assert hashlib.sha256(SPEC_FRAME).hexdigest() == "19b975ca3b0c14dc0faf2d5b688d35745e3a80657ef510216099e10b2cea6777"
    # the simulator's first card is the spec's card, byte for byte
    assert DECK[0].text_block() == SPEC_TEXT


def test_decode_resident_card():
    info = decode_base_info(response(SPEC_FRAME), Command.READ_BASE)
    full = info.identity.reveal()
    assert full == {
        "card_type": "resident", "name": "张三", "sex_code": "1", "nation_code": "01", "birth_date": "1949-12-31",
        "address": "北京市朝阳区示例路1号", "id_number": "11010519491231002X", "issuer": "北京市公安局朝阳分局",
        "valid_from": "2015-06-01", "valid_to": "长期", "id_number_valid": True, "pass_number": None,
        "issue_count": None, "english_name": None, "nationality": None,
        "photo_sha256": hashlib.sha256(bytes(1024)).hexdigest(),
    }
    assert info.fingerprint_length == 0


@pytest.mark.parametrize(
    ("fp", "length", "header", "chk"),
    [
        (1024, 2321, "AA AA AA 96 69 09 0A 00 00 90 01 00 04 00 04 00", 0xC5),
        (512, 1809, "AA AA AA 96 69 07 0A 00 00 90 01 00 04 00 02 00", None),
        (0, 1297, "AA AA AA 96 69 05 0A 00 00 90 01 00 04 00 00 00", 0xCD),
    ],
)
def test_fingerprint_layouts(fp, length, header, chk):
    frame = encode_response(0x90, H("0100 0400") + fp.to_bytes(2, "big") + SPEC_TEXT + bytes(1024) + bytes(fp))
    assert len(frame) == length and frame[:16] == H(header)
    if chk is not None:
        assert frame[-1] == chk
    info = decode_base_info(response(frame), Command.READ_BASE_FP)
    assert info.fingerprint_length == fp and info.identity.reveal()["name"] == "张三"


def test_layout_is_chosen_by_the_command_not_guessed():
    with pytest.raises(DecodeError, match="do not match"):
        decode_base_info(response(SPEC_FRAME), Command.READ_BASE_FP)
    fp_frame = encode_response(0x90, H("0100 0400 0000") + SPEC_TEXT + bytes(1024))
    with pytest.raises(DecodeError, match="do not match"):
        decode_base_info(response(fp_frame), Command.READ_BASE)


def test_hk_mo_tw_permit():
    i = decode_text(card_by_type(CardType.HK_MO_TW).text_block()).reveal()
    assert (i["card_type"], i["pass_number"], i["issue_count"], i["nation_code"]) == ("hk_mo_tw", "H12345678", "01", None)
    assert i["id_number"].startswith("810000") and i["id_number_valid"]


def test_foreign_2017_card_uses_its_own_offsets():
    i = decode_text(card_by_type(CardType.FOREIGN_2017).text_block()).reveal()
    assert i["english_name"] == "SMITH, JOHN ALEXANDER" and i["name"] == "史密斯"
    assert (i["id_number"], i["nationality"], i["birth_date"]) == ("CAN310085012345", "CAN", "1985-01-01")
    assert i["id_number_valid"]  # shape only: this edition has no check character


def test_a_card_without_a_chinese_name_shows_the_masked_english_name():
    card = card_by_type(CardType.FOREIGN_2017)
    identity = decode_text(SimCard(card.card_type, dict(card.fields, name="")).text_block())
    assert identity.reveal()["name"] is None and identity.shown_name() == "S" + "*" * 20
    assert decode_text(card.text_block()).shown_name() == "史**"


def test_foreign_2023_card_joins_the_english_name():
    i = decode_text(card_by_type(CardType.FOREIGN_2023).text_block()).reveal()
    assert i["english_name"] == "WILLIAMSON-MONTGOMERY, MARY ELIZABETH ANNE"
    assert (i["name"], i["nationality"], i["valid_to"]) == ("玛丽", "GBR", "2034-01-01")
    assert i["id_number"].startswith("9") and i["id_number_valid"]


def test_unknown_card_type_is_an_error_without_personal_data():
    block = bytearray(SPEC_TEXT)
    block[248:250] = "Q".encode("utf-16-le")
    with pytest.raises(DecodeError) as info:
        decode_text(bytes(block))
    assert "51 00" in str(info.value) and "张" not in str(info.value)


def test_nul_padding_is_stripped():
    block = bytearray(SPEC_TEXT)
    block[4:30] = bytes(26)  # name padded with NULs instead of spaces
    assert decode_text(bytes(block)).reveal()["name"] == "张三"


def test_invalid_check_character_is_a_damaged_card():
    with pytest.raises(DamagedCard, match="id_number field fails its check character") as info:
        decode_text(DECK[-1].text_block())
    assert info.value.field == "id_number" and "1101051949" not in str(info.value)


def test_appended_address_both_empty_forms():
    frame = H(
        "AA AA AA 96 69 00 4A 00 00 90 17 53 AC 4E 02 5E 1D 67 33 96 3A 53 3A 79 8B 4F EF 8D 32 00 F7 53"
        + " 20 00" * 24 + " E5"
    )
    assert decode_address(response(frame)) == "北京市朝阳区示例路2号"
    assert decode_address(response(H("AA AA AA 96 69 00 04 00 00 91 95"))) is None
    assert decode_address(response(encode_response(0x90, _f("", 35)))) is None


def test_sam_id_display():
    frame = H("AA AA AA 96 69 00 14 00 00 90 05 00 01 00 A8 68 32 01 15 CD 5B 07 D2 02 96 49 F8")
    assert decode_sam_id(response(frame)) == "05.01-20080808-0123456789-1234567890"


# -- identity masking ------------------------------------------------------------------------
def test_identity_masks_itself_everywhere():
    identity = decode_base_info(response(SPEC_FRAME), Command.READ_BASE).identity
    for text in (repr(identity), str(identity), f"{identity}", str(identity.masked())):
        assert "张三" not in text and "11010519491231002X" not in text and "示例路" not in text
    assert identity.masked()["name"] == "张*" and identity.masked()["id_number"] == "110***********002X"
    assert identity.masked()["photo_sha256"] is None
    with pytest.raises(TypeError, match="not serialisable"):
        pickle.dumps(identity)
    assert set(identity.personal_values()) == {"张三", "11010519491231002X", "北京市朝阳区示例路1号"}


# -- GB 11643 check character (spec §9 vectors) --------------------------------------------
@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("11010519491231002X", True), ("110105194912310011", True), ("110105194912310038", True),
        ("440304198507120010", True), ("810000199001010019", True), ("830000199001010012", True),
        ("932682198501010017", True), ("911124198108030024", True), ("110105194912310029", False),
        ("130323198609114463", False), ("11010519491231002x", True), ("11010519491331002X", False),
        ("1101051949123100", False), ("", False),
    ],
)
def test_id_number_vectors(number, valid):
    assert id_number_valid(number) is valid


@given(st.from_regex(r"[1-9][0-9]{5}(19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])[0-9]{3}", fullmatch=True))
def test_check_character_round_trip(body):  # [0-9], not \d: \d also matches digits of other scripts
    assert id_number_valid(body + id_check_char(body))
    wrong = "10X98765432"[("10X98765432".index(id_check_char(body)) + 1) % 11]
    assert not id_number_valid(body + wrong)


def test_digits_of_other_scripts_are_not_an_id_number():
    body = "1000001900010100\u0660"  # ARABIC-INDIC DIGIT ZERO: str.isdigit() is true, int() refuses
    assert not id_number_valid(body + "2")


@given(st.binary(min_size=256, max_size=256))
def test_fuzz_text_block(block):
    try:
        identity = decode_text(block)
    except DecodeError:
        return
    _assert_sound(identity)


@given(st.lists(st.tuples(st.integers(0, 1294), st.integers(0, 255)), min_size=1, max_size=6), st.booleans())
def test_fuzz_mutated_read_frames_decode_or_fail_typed(mutations, fingerprints):
    frame = bytearray(SPEC_FRAME)
    for pos, value in mutations:
        frame[pos] = value
    command = Command.READ_BASE_FP if fingerprints else Command.READ_BASE
    for event in Framer(min_len=4).feed(bytes(frame)):
        if isinstance(event, RawFrame):
            r = parse_response(event)
            try:
                info = decode_base_info(r, command)
            except DecodeError:
                continue
            assert "张三" not in repr(info.identity)


# -- damaged cards (issue 15): invalid text or impossible content is never a good read ----------
def test_canary_card_is_sound():
    identity = decode_text(CANARY.text_block())
    assert identity.id_number_valid and identity.reveal()["birth_date"] == "1980-02-29"


@pytest.mark.parametrize("kind", [TextDamage.SURROGATE, TextDamage.NONCHARACTER, TextDamage.CONTROL])
@pytest.mark.parametrize("field", ["name", "address", "issuer", "id_number", "birth", "valid_to"])
def test_invalid_text_in_any_field_is_refused(field, kind):
    with pytest.raises(DamagedCard) as info:
        decode_text(CANARY.text_block([(field, kind)]))
    assert info.value.field == field and field in str(info.value)
    assert_no_canary(str(info.value), repr(info.value))


@pytest.mark.parametrize("field", ["birth", "valid_from", "valid_to", "sex", "nation", "id_number"])
def test_impossible_content_is_refused(field):
    with pytest.raises(DamagedCard) as info:
        decode_text(CANARY.text_block([(field, TextDamage.IMPOSSIBLE)]))
    assert info.value.field in (field, "birth")  # an impossible valid-from is also one before the birth
    assert_no_canary(str(info.value), repr(info.value))


def test_a_two_digit_nation_code_outside_our_table_is_kept_verbatim():
    # §8.2: an unknown code is kept and shown as the code; a newer table than ours is no damage
    identity = decode_text(SimCard(CardType.RESIDENT, dict(CANARY.fields, nation="77")).text_block())
    assert identity.reveal()["nation_code"] == "77" and identity.id_number_valid


def test_id_number_that_disagrees_with_the_birth_date_is_refused():
    fields = dict(CANARY.fields, birth="19800301")  # the number says 1980-02-29
    with pytest.raises(DamagedCard, match="id_number field disagrees with the birth field"):
        decode_text(SimCard(CardType.RESIDENT, fields).text_block())


def test_lone_low_surrogate_and_a_pair_split_across_two_fields_are_refused():
    block = bytearray(CANARY.text_block())
    block[0:2] = (0xDC00).to_bytes(2, "little")
    with pytest.raises(DamagedCard, match="name field is not valid UTF-16"):
        decode_text(bytes(block))
    block = bytearray(CANARY.text_block())
    block[28:30] = (0xD840).to_bytes(2, "little")  # the name's last character: the pair's other half is the sex code's
    block[30:32] = (0xDC00).to_bytes(2, "little")
    with pytest.raises(DamagedCard):
        decode_text(bytes(block))


@pytest.mark.parametrize("kind", [CardType.FOREIGN_2017, CardType.FOREIGN_2023])
def test_fields_a_card_type_does_not_have_are_absent(kind):
    i = decode_text(card_by_type(kind).text_block()).reveal()
    assert (i["address"], i["issuer"], i["nation_code"], i["pass_number"], i["issue_count"]) == (None,) * 5


def _assert_sound(identity):
    """What any record the decoder lets through must be."""
    full = identity.reveal()
    assert identity.id_number_valid is True
    for key, value in full.items():
        if isinstance(value, str):
            assert value == value.strip(" \x00") and value, key
            assert not any(
                unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp") or c == "\ufffd" or (ord(c) & 0xFFFE) == 0xFFFE
                or 0xFDD0 <= ord(c) <= 0xFDEF
                for c in value
            ), key
    for key in ("birth_date", "valid_from", "valid_to"):
        if full[key] != "长期":
            dt.date.fromisoformat(full[key])
    assert full["valid_to"] == "长期" or full["valid_from"] <= full["valid_to"]
    assert full["birth_date"] <= full["valid_from"]
    assert full["sex_code"] in SEX
    assert full["nation_code"] is None or (len(full["nation_code"]) == 2 and full["nation_code"].isdigit())


@pytest.mark.parametrize("card", range(len(DECK) - 1))
def test_every_good_card_of_the_deck_is_sound(card):
    _assert_sound(decode_text(DECK[card].text_block()))


@given(
    st.sampled_from([c for c in DECK[:-1]] + [CANARY]),
    st.lists(st.tuples(st.integers(0, 247), st.integers(0, 255)), min_size=1, max_size=4),
)
def test_fuzz_damaged_text_blocks_are_sound_or_refused(card, mutations):
    """Any bytes either decode to a sound record or raise the typed error, nothing else."""
    block = bytearray(card.text_block())
    for pos, value in mutations:
        block[pos] = value
    try:
        identity = decode_text(bytes(block))
    except DamagedCard as e:  # the layout marker at 248 is left alone: any refusal is damage
        if card is CANARY:
            assert_no_canary(str(e), repr(e))
        return
    _assert_sound(identity)


@pytest.mark.parametrize("kind", list(LAYOUTS))
def test_each_layout_fills_the_block_and_puts_its_marker_at_248(kind):
    assert sum(chars for _, chars in LAYOUTS[kind]) * 2 == 256
    assert spans(kind)["type"] == (248, 2)
    assert card_type_of(card_by_type(kind).text_block()) is kind
