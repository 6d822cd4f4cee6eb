"""SW3, the reader/SAM status byte, with what the host should do about each value."""

from __future__ import annotations

import enum


class Reaction(enum.Enum):
    CONTINUE = "continue"
    NO_CARD = "no_card"  # keep polling
    RETRY_FROM_FIND = "retry_from_find"  # card moved or poor coupling
    CARD_REJECTED = "card_rejected"  # 证件无法识别: at most one automatic retry
    HOST_FRAMING = "host_framing"  # resync, retry once, then a device fault
    SEQUENCE = "sequence"  # restart from find; fault if it repeats
    READER_FAULT = "reader_fault"  # out of service
    NO_CONTENT = "no_content"  # item not on the card


class Sw3(enum.IntEnum):
    OK = 0x90
    FOUND = 0x9F
    NO_CONTENT = 0x91
    HOST_CHECKSUM = 0x10
    HOST_LENGTH = 0x11
    BAD_COMMAND = 0x21
    UNAUTHORISED_OPERATION = 0x23
    UNRECOGNISED_ERROR = 0x24
    CARD_AUTH_SAM_FAILED = 0x31
    SAM_AUTH_CARD_FAILED = 0x32
    VERIFY_FAILED = 0x33
    UNKNOWN_CARD_TYPE = 0x40
    READ_FAILED = 0x41
    CHALLENGE_FAILED = 0x47
    SAM_SELF_TEST_FAILED = 0x60
    SAM_NOT_AUTHORISED = 0x66
    FIND_FAILED = 0x80
    SELECT_FAILED = 0x81

    @property
    def zh(self) -> str:
        return _TEXT[self][0]

    @property
    def en(self) -> str:
        return _TEXT[self][1]

    @property
    def reaction(self) -> Reaction:
        return _TEXT[self][2]


_TEXT: dict[Sw3, tuple[str, str, Reaction]] = {
    Sw3.OK: ("操作成功", "success", Reaction.CONTINUE),
    Sw3.FOUND: ("寻找证/卡成功", "card found", Reaction.CONTINUE),
    Sw3.NO_CONTENT: ("证/卡中此项无内容", "item not present on the card", Reaction.NO_CONTENT),
    Sw3.HOST_CHECKSUM: ("接收业务终端数据的校验和错", "checksum error in the host frame", Reaction.HOST_FRAMING),
    Sw3.HOST_LENGTH: ("接收业务终端数据的长度错", "length error in the host frame", Reaction.HOST_FRAMING),
    Sw3.BAD_COMMAND: ("接收业务终端的命令错误", "bad command, parameter or sequence", Reaction.SEQUENCE),
    Sw3.UNAUTHORISED_OPERATION: ("越权操作", "unauthorised operation", Reaction.READER_FAULT),
    Sw3.UNRECOGNISED_ERROR: ("无法识别的错误", "unrecognised error", Reaction.READER_FAULT),
    Sw3.CARD_AUTH_SAM_FAILED: ("证/卡认证SAM_V失败", "the card failed to authenticate the SAM", Reaction.CARD_REJECTED),
    Sw3.SAM_AUTH_CARD_FAILED: ("SAM_V认证证/卡失败", "the SAM failed to authenticate the card", Reaction.CARD_REJECTED),
    Sw3.VERIFY_FAILED: ("信息验证错误", "information verification error", Reaction.CARD_REJECTED),
    Sw3.UNKNOWN_CARD_TYPE: ("无法识别的卡类型", "unknown card type", Reaction.CARD_REJECTED),
    Sw3.READ_FAILED: ("读证/卡操作失败", "read failed (card moved away?)", Reaction.RETRY_FROM_FIND),
    Sw3.CHALLENGE_FAILED: ("取随机数失败", "get-challenge failed", Reaction.RETRY_FROM_FIND),
    Sw3.SAM_SELF_TEST_FAILED: ("SAM_V自检失败，不能接收命令", "SAM self-test failed", Reaction.READER_FAULT),
    Sw3.SAM_NOT_AUTHORISED: ("SAM_V没经过授权，无法使用", "SAM not authorised", Reaction.READER_FAULT),
    Sw3.FIND_FAILED: ("寻找证/卡失败", "no card found", Reaction.NO_CARD),
    Sw3.SELECT_FAILED: ("选取证/卡失败", "select failed", Reaction.RETRY_FROM_FIND),
}


def sw3(value: int) -> Sw3 | int:
    """The typed status, or the raw byte when a reader answers with a value outside the table."""
    try:
        return Sw3(value)
    except ValueError:
        return value


def describe(value: int) -> tuple[str, str]:
    code = sw3(value)
    if isinstance(code, Sw3):
        return code.zh, code.en
    return f"未知状态码 {value:02X}", f"unknown status {value:02X}"


def reaction(value: int) -> Reaction:
    code = sw3(value)
    return code.reaction if isinstance(code, Sw3) else Reaction.READER_FAULT
