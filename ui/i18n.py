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
    # ID card problems, by drivers.idcard.reader.ProblemCode (the reader's CardProblem carries the same words)
    "idcard.card_damaged": ("请重新放置身份证；如果多次出现，证件可能已损坏", "Please lay the card again; if this repeats, the card may be damaged"),
    # pickup screen
    # self-submission screen (自助申报)
    "submit.lay_card": ("请将身份证放在下方读卡区", "Please lay your ID card on the reader below."),
    "submit.why_card": ("申报需要核对申请人身份", "A submission needs the applicant's identity."),
    "submit.no_reader": ("本机暂时不能读取身份证，请到综合窗口提交材料", "This terminal cannot read ID cards now. Please hand in your materials at a service window."),
    "submit.no_camera": ("高拍仪暂时不可用，请到综合窗口提交材料", "The document camera is unavailable. Please hand in your materials at a service window."),
    "submit.choose": ("{name}，您好！请选择要申报的事项", "Hello, {name}. Please choose the matter you are applying for."),
    "submit.needs": ("办理“{name}”需要以下材料", "\"{name}\" needs these materials"),
    "submit.optional": ("（如有）", " (if you have it)"),
    "submit.start": ("开始拍摄材料", "Start capturing"),
    "submit.item": ("第 {n} 项，共 {of} 项：{name}", "Item {n} of {of}: {name}"),
    "submit.lay_front": ("请把身份证人像面朝上，放在拍摄区中间", "Lay the ID card photo side up in the middle of the capture area."),
    "submit.lay_back": ("请把身份证翻到国徽面", "Now turn the ID card over."),
    "submit.lay_page": ("请把材料平放在拍摄区，放稳后自动拍摄", "Lay the page flat in the capture area; it is captured once it lies still."),
    "submit.lay_again": ("请放上要重拍的这一页", "Lay the page to capture again."),
    "submit.got": ("已拍第 {n} 页。还有下一页请直接放上，没有了请点“下一项”", "Page {n} captured. Lay the next page, or tap “Next item” when done."),
    "submit.pages": ("已拍 {n} 页", "{n} page(s) captured"),
    "submit.shutter": ("拍照", "Capture now"),
    "submit.next": ("下一项", "Next item"),
    "submit.skip": ("没有此材料，跳过", "I don't have it: skip"),
    "submit.review": ("查看全部", "Review all"),
    "submit.review_title": ("请核对拍摄的材料", "Please check your pages"),
    "submit.check": ("可以调整顺序、重拍或删除，确认无误后提交", "Reorder, retake or delete pages, then submit."),
    "submit.missing": ("还缺：{names}", "Still missing: {names}"),
    "submit.confirm": ("确认提交", "Submit"),
    "submit.add": ("继续拍摄", "Capture more"),
    "submit.cancel": ("取消申报", "Cancel"),
    "submit.retake": ("重拍", "Retake"),
    "submit.delete": ("删除", "Delete"),
    "submit.saving": ("正在保存材料，请稍候…", "Saving your materials, please wait…"),
    "submit.done": ("申报已提交，请取走回执", "Submitted. Please take your receipt."),
    "submit.background": ("材料正在后台上传，您无需等待。请携带原件到综合窗口核验",
                          "Your pages are uploading in the background; no need to wait. Please bring the originals to a service window."),
    "submit.no_receipt": ("申报已提交，但回执未能打印（{reason}）", "Submitted, but the receipt did not print ({reason})."),
    "submit.write_down": ("请记下上面的受理编号，到综合窗口出示", "Please write down the reference number above and show it at a service window."),
    "submit.failed": ("材料未能保存，申报没有提交", "Your materials could not be saved; nothing was submitted."),
    "submit.failed_todo": ("请到综合窗口提交材料，或联系大厅工作人员", "Please hand in your materials at a service window, or ask a member of staff."),
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
    # staff screen (工作人员: deposit and overdue recovery)
    "staff": ("工作人员", "Staff"),
    "staff.enter": ("请输入工作人员密码", "Please enter the staff PIN."),
    "staff.or_card": ("刷工作人员身份证", "Use my staff ID card"),
    "staff.lay_card": ("请将工作人员身份证放在读卡区", "Please lay your staff ID card on the reader."),
    "staff.checking_pin": ("正在核对…", "Checking…"),
    "staff.wrong_pin": ("密码不正确，请重新输入", "That PIN is not right. Please try again."),
    "staff.wrong_card": ("此身份证不是本机登记的工作人员卡", "This card is not a staff card of this terminal."),
    "staff.locked": ("输错次数过多，工作人员入口暂停使用，请 {m} 分钟后再试",
                     "Too many wrong PINs. The staff entry is closed; please try again in {m} minutes."),
    "staff.no_accounts": ("本机未配置工作人员账号", "No staff accounts are set up on this terminal."),
    "staff.hello": ("{name}，您好，请选择操作", "Hello, {name}. What would you like to do?"),
    "staff.deposit": ("存件", "Deposit"),
    "staff.overdue": ("逾期取回", "Overdue items"),
    "staff.logout": ("退出", "Sign out"),
    "staff.menu": ("返回菜单", "Menu"),
    "staff.case": ("请输入或扫描办件编号", "Type or scan the case number."),
    "staff.checking": ("正在向后台核验办件编号…", "Checking the case number with the backend…"),
    "staff.bad_format": ("办件编号只能包含字母、数字和“-”", "A case number has only letters, digits and '-'."),
    "staff.unknown": ("后台没有此办件编号，请核对后重新输入", "The backend has no such case. Please check the number."),
    "staff.collected": ("此办件已被领取，不能存件", "This case was already collected; it cannot be deposited."),
    "staff.in_locker": ("此办件已存入柜中，不能重复存件", "This case is already in a locker."),
    "staff.refused": ("后台不允许为此办件存件", "The backend does not allow a deposit for this case."),
    "staff.offline": ("后台暂时无法连接，无法核验办件编号，请稍后再存件",
                      "The backend cannot be reached, so the case cannot be checked. Please deposit later."),
    "staff.backend_error": ("后台拒绝了本机的请求，请联系运维人员", "The backend refused this terminal's request. Please call a technician."),
    "staff.size": ("请选择格口大小", "Choose a compartment size."),
    "staff.size.S": ("小格口", "Small"),
    "staff.size.M": ("中格口", "Medium"),
    "staff.size.L": ("大格口", "Large"),
    "staff.free": ("{size}（空闲 {n} 个）", "{size} ({n} free)"),
    "staff.opening": ("正在打开柜门…", "Opening the door…"),
    "staff.put_in": ("请放入证件，并关好柜门", "Put the document in and close the door."),
    "staff.take_out": ("请取出证件，并关好柜门", "Take the document out and close the door."),
    "staff.deposited": ("存件完成，取件码回执已打印", "Deposited. The pickup slip has printed."),
    "staff.slip": ("请取走回执，将取件码交给办事人", "Take the slip and pass the pickup code to the citizen."),
    "staff.no_slip": ("存件完成，但回执未能打印（{reason}）", "Deposited, but the slip did not print ({reason})."),
    "staff.write_code": ("请记下上面的取件码，离开本页后不再显示", "Write down the pickup code above: it is not shown again."),
    "staff.no_compartment": ("没有空闲的此大小格口，请选择更大的格口", "No free compartment of this size. Choose a larger one."),
    "staff.jammed": ("柜门未能打开，此格口已停用，请重新存件", "The door did not open; it is out of service. Please deposit again."),
    "staff.left_open": ("柜门未关好，已通知运维人员", "The door was left open; a technician has been told."),
    "staff.no_item": ("柜内没有检测到证件，存件已取消", "No document was seen inside; the deposit was cancelled."),
    "staff.failed": ("操作未完成，请重试或联系运维人员", "That did not work. Please try again or call a technician."),
    "staff.again": ("继续存件", "Deposit another"),
    "staff.door": ("{n} 号柜", "Door {n}"),
    "staff.none_overdue": ("没有逾期未取的证件", "No overdue items."),
    "staff.overdue_list": ("逾期未取的证件，点击取回", "Overdue items: tap one to take it out."),
    "staff.overdue_row": ("{n} 号柜  {case}  已存 {d} 天", "Door {n}  {case}  {d} days"),
    "staff.recovered": ("已取回，请带回窗口处理", "Taken out. Please bring it back to the window."),
    "staff.item_left": ("柜内仍检测到物品，请检查", "Something is still inside. Please check."),
    "services.hint_more": ("请选择您要办理的业务，上下滑动可查看更多", "Please choose your service. Swipe up or down to see more."),
    # 维护模式 (technician mode)
    "tech": ("维护模式", "Maintenance mode"),
    "tech.banner": ("维护中 · 暂停为市民服务，请到人工窗口办理", "Under maintenance · out of service, please go to a staffed window"),
    "tech.enter": ("请输入技术员密码", "Please enter the technician PIN."),
    "tech.or_card": ("刷技术员身份证", "Use my technician ID card"),
    "tech.lay_card": ("请将技术员身份证放在读卡区", "Please lay your technician ID card on the reader."),
    "tech.checking_pin": ("正在核对…", "Checking…"),
    "tech.failed": ("操作未完成，请重试", "That did not work. Please try again."),
    "tech.wrong_pin": ("密码不正确", "That PIN is not right."),
    "tech.wrong_card": ("此身份证不是技术员证件", "This ID card is not a technician's."),
    "tech.locked": ("密码错误次数过多，请 {m} 分钟后再试", "Too many wrong PINs. Please try again in {m} min."),
    "tech.no_accounts": ("本机未配置技术员账号", "This terminal has no technician accounts."),
    "tech.busy_title": ("市民正在办理业务", "A citizen is using the terminal"),
    "tech.busy_text": ("可以等待其办理结束后自动进入维护模式，或中止当前业务。",
                       "Enter maintenance mode when they finish, or end their visit now."),
    "tech.wait": ("办理结束后进入", "Enter when they finish"),
    "tech.abort": ("中止并进入", "End it and enter"),
    "tech.abort_busy": ("柜门打开或正在打印，请稍候", "A door is open or a ticket is printing: please wait"),
    "tech.cancel": ("取消", "Cancel"),
    "tech.overview": ("总览", "Overview"),
    "tech.exit": ("退出维护", "Leave maintenance"),
    "tech.check_all": ("全部内部检测", "Check all (internal)"),
    "tech.export": ("导出诊断包", "Export diagnostics"),
    "tech.internal": ("内部检测", "Internal check"),
    "tech.reset_stats": ("统计清零", "Reset statistics"),
    "tech.trace": ("实时报文", "Live trace"),
    "tech.guided": ("引导检测", "Guided check"),
    "tech.print_test": ("打印测试票", "Print test ticket"),
    "tech.test_frame": ("拍摄测试画面", "Test frame"),
    "tech.open_door": ("开指定空柜门", "Open an empty door"),
    "tech.cycle": ("依次打开全部空柜", "Cycle all empty doors"),
    "tech.stop": ("停止", "Stop"),
    "tech.pass": ("合格", "Pass"),
    "tech.fail": ("不合格", "Fail"),
    "tech.working": ("正在进行…", "Working…"),
    "tech.choose_door": ("请选择要打开的空柜门", "Choose an empty door to open"),
    "tech.stopped": ("停用柜格", "Out-of-service doors"),
    "tech.none_stopped": ("没有停用的柜格", "No compartment is out of service"),
    "tech.choose_restore": ("关好柜门、处理告警后，选择要恢复使用的柜格", "Close the door and deal with the alarm, then choose a compartment to restore"),
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
