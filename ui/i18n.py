"""The UI's words in 简体中文 (the default) and English. No Kivy import.

Site-specific names (hall, service groups, services) come from the config with their `*_en`
fields; `pick()` falls back to Chinese where a site left the English name empty.
"""

from __future__ import annotations

import datetime as _dt
import re

CJK_RE = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

STRINGS: dict[str, tuple[str, str]] = {
    "app.title": ("政务服务自助终端", "Government Services Self-Service Terminal"),
    "home.welcome": ("您好，请选择要办理的业务", "Welcome. Please choose what you would like to do."),
    "home.help": ("如需帮助，请咨询大厅工作人员", "Need help? Please ask a member of staff."),
    # journeys (the four home tiles)
    "take_number": ("取号", "Take a Number"),
    "take_number.desc": ("选择业务，领取排队号", "Choose a service and get a queue number"),
    "check_in": ("预约签到", "Appointment Check-in"),
    "check_in.desc": ("已预约的办事人签到", "Check in for a booked appointment"),
    "self_submit": ("自助申报", "Self-service Submission"),
    "self_submit.desc": ("扫描材料，提交申请", "Scan your documents and apply"),
    "pickup": ("证照领取", "Certificate Pickup"),
    "pickup.desc": ("凭取件码领取办好的证照", "Collect a finished certificate with your pickup code"),
    "tile.start": ("点击进入", "Tap to start"),
    "tile.off": ("暂停服务", "Unavailable"),
    # toggles
    "elder.off": ("大字模式：已关闭", "Large text: Off"),
    "elder.on": ("大字模式：已开启", "Large text: On"),
    "lang.switch": ("English", "中文"),  # names the language you switch TO
    # notices
    "notice.ok": ("知道了", "OK"),
    "notice.reason": ("原因：{text}", "Reason: {text}"),
    "notice.todo": ("建议：{text}", "What you can do: {text}"),
    "notice.off_title": ("{name}暂停服务", "{name} is temporarily unavailable"),
    "notice.not_offered_title": ("{name}暂未开通", "{name} is not offered here yet"),
    "notice.not_offered": ("本机暂未开通此项业务", "This terminal does not offer this service yet."),
    "notice.not_offered_todo": ("请到服务窗口办理，或咨询大厅工作人员", "Please go to a service window or ask a member of staff."),
    # services screen
    "back": ("返回", "Back"),
    "services.hint": ("请选择您要办理的业务", "Please choose your service."),
    # ticket screen
    "ticket.choose": ("年满{age}周岁的办事人刷身份证可优先取号", "People aged {age} or over: lay your ID card to be served first."),
    "ticket.with_card": ("刷身份证取号", "Use my ID card"),
    "ticket.without_card": ("直接取号", "Just give me a number"),
    "ticket.lay_card": ("请将身份证放在下方读卡区", "Please lay your ID card on the reader below."),
    "ticket.printing": ("正在出票，请稍候…", "Printing your ticket, please wait…"),
    "ticket.your_number": ("您的号码", "Your number"),
    "ticket.waiting": ("前面还有 {n} 人等候", "{n} people ahead of you"),
    "ticket.priority": ("优先号", "Priority"),
    "ticket.take_slip": ("请取走号票，留意叫号", "Please take your ticket and listen for your number."),
    "ticket.offline": ("网络暂时中断，本号码由本机发出，同样有效", "The network is down: this number comes from this terminal and is valid."),
    "ticket.reprint": ("补打号票", "Reprint my ticket"),
    "ticket.done": ("完成", "Done"),
    "ticket.failed": ("出票失败", "The ticket did not print"),
    "ticket.already": ("您已取过号", "You already have a number"),
    # idle warning
    "idle.title": ("您还在办理吗？", "Are you still there?"),
    "idle.countdown": ("{n} 秒后将返回首页，已填写的信息将被清除", "In {n} seconds this screen returns to the start and clears what you entered."),
    "idle.continue": ("继续办理", "Continue"),
    # check-in screen
    "checkin.scan": ("请将手机上的预约二维码对准高拍仪，或输入预约号", "Hold your booking QR code under the camera, or type your booking number."),
    "checkin.looking": ("正在查询预约…", "Looking up your booking…"),
    "checkin.early": ("您来早了，请于 {t} 后签到", "You are early. Please check in after {t}."),
    "checkin.late": ("已超过预约时段，可为您取普通号", "Your booked time has passed. You can take a normal number."),
    "checkin.not_found": ("未找到此预约，请核对后重试", "No booking with this number. Please check it and try again."),
    "checkin.used": ("此预约已签到或已过期", "This booking was already used or has expired."),
    "checkin.offline": ("暂时无法查询预约，可为您取普通号", "Bookings cannot be checked right now. You can take a normal number."),
    "checkin.normal": ("取普通号", "Take a normal number"),
    "checkin.retry": ("重新输入", "Try again"),
    # pickup screen
    "pickup.enter": ("请输入取件码", "Please enter your pickup code."),
    "pickup.or_card": ("刷身份证取件", "Use my ID card"),
    "pickup.confirm": ("确认", "OK"),
    "pickup.delete": ("删除", "Delete"),
    "pickup.opening": ("正在为您打开柜门…", "Opening the door…"),
    "pickup.open": ("{n} 号柜门已打开", "Door {n} is open"),
    "pickup.take": ("请取走您的证件，并关好柜门", "Please take your item and close the door."),
    "pickup.done": ("取件完成，谢谢！", "All done. Thank you!"),
    "pickup.wrong": ("取件码不正确，请核对后重新输入", "That code is not right. Please check it and try again."),
    "pickup.locked": ("输错次数过多，请 {m} 分钟后再试，或联系大厅工作人员",
                      "Too many wrong codes. Please try again in {m} minutes, or ask a member of staff."),
    "pickup.jammed": ("柜门未能打开，请联系大厅工作人员", "The door did not open. Please ask a member of staff."),
    "pickup.left_open": ("柜门未关好，已通知工作人员", "The door was left open; staff have been told."),
    "pickup.item_left": ("证件仍在柜内，已通知工作人员", "Your item is still inside; staff have been told."),
    "pickup.not_found": ("没有您的待取证件，请核对或联系工作人员", "Nothing is waiting for this ID card. Please ask a member of staff."),
    "services.hint_more": ("请选择您要办理的业务，上下滑动可查看更多", "Please choose your service. Swipe up or down to see more."),
}

_WEEKDAYS_ZH = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
_WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def tr(key: str, lang: str = DEFAULT_LANG, **fmt: object) -> str:
    """The text for `key` in `lang`; `fmt` fills `{name}` style fields."""
    zh, en = STRINGS[key]
    text = en if lang == "en" else zh
    return text.format(**fmt) if fmt else text


def pick(zh: str, en: str, lang: str) -> str:
    """A site-provided name: the English one in English mode when the site gave one."""
    return en if lang == "en" and en else zh


def sentence(text: str, lang: str) -> str:
    """Make a fragment from the core ("the printer is not answering") read as a sentence."""
    text = text.strip()
    if not text or lang != "en":
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def format_date(now: _dt.datetime, lang: str) -> str:
    if lang == "en":
        return f"{_WEEKDAYS_EN[now.weekday()]}, {now.day} {_MONTHS_EN[now.month - 1]} {now.year}"
    return f"{now.year}年{now.month}月{now.day}日 {_WEEKDAYS_ZH[now.weekday()]}"


def format_time(now: _dt.datetime) -> str:
    return f"{now:%H:%M}"
