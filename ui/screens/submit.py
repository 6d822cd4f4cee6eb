"""自助申报: read the ID card, choose the matter, capture each required material under the
document camera, review the pages, confirm; the receipt prints and the upload runs in the
background (the citizen never waits on it).

Stages: ``card`` → ``matter`` (the catalogue) → ``list`` (the matter's materials) → ``capture``
(live preview with the detected outline; auto-capture when the page lies still, or 拍照) →
``review`` (each page: move left or right, retake, delete) → ``saving`` → ``done`` (the reference
number; or the receipt did not print: write the number down) or ``failed``. An ID card copy
takes its two sides, then moves on by itself. Leaving the screen, or the idle reset, clears the
identity, every page and the preview (the privacy reset).
"""

from __future__ import annotations

from ui import kivyenv  # noqa: F401, I001  (first: font and config before any kivy import)


import cv2
import numpy as np
from kivy.app import App
from kivy.clock import Clock
from kivy.graphics import Color, Line
from kivy.graphics.texture import Texture
from kivy.lang import Builder
from kivy.metrics import dp
from kivy.properties import BooleanProperty, ListProperty, ObjectProperty, OptionProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.image import Image

import ui.widgets.bars  # noqa: F401  (kv rules for HeaderBar, FooterBar)
from ui import theme as T
from ui.widgets.common import KioskButton, Text  # noqa: F401  (Text: a kv class)

from ui.screens.journey import JourneyScreen, StepRow  # noqa: F401  (StepRow: a kv class)


THUMB_W = 220  # dp: review thumbnails

KV_NAME = "ui/screens/submit.kv"
KV = """
#:import T ui.theme

<SubmitScreen>:
    BoxLayout:
        orientation: 'vertical'
        HeaderBar:
        BoxLayout:
            orientation: 'horizontal' if root.width >= root.height else 'vertical'
            padding: dp(T.PAD), dp(24)
            spacing: dp(T.GAP)
            # the camera's picture while capturing, the pages while reviewing
            BoxLayout:
                id: stage_area
                size_hint_x: ((0.58 if root.stage == 'capture' else 0.68) if root.width >= root.height else 1) if root.stage in ('capture', 'review') else None
                size_hint_y: 1 if root.stage in ('capture', 'review') else None
                # re-set on each change: a hidden widget keeps the size it last had
                width: 1 if root.stage in ('capture', 'review') else 0
                height: 1 if root.stage in ('capture', 'review') else 0
                opacity: 1 if root.stage in ('capture', 'review') else 0
                PreviewImage:
                    id: preview
                    size_hint: (1, 1) if root.stage == 'capture' else (None, None)
                    size: (1, 1) if root.stage == 'capture' else (0, 0)
                ScrollView:
                    size_hint: (1, 1) if root.stage == 'review' else (None, None)
                    size: (1, 1) if root.stage == 'review' else (0, 0)
                    do_scroll_x: False
                    GridLayout:
                        id: pages
                        cols: 4
                        size_hint_y: None
                        height: self.minimum_height
                        spacing: dp(16)
                        padding: dp(8)
            BoxLayout:
                orientation: 'vertical'
                spacing: dp(20)
                PageTitle:
                    text: app.tr('self_submit', app.lang)
                StepMessage:
                    id: message
                    text: root.message
                Text:
                    id: big
                    role: 'code' if root.stage == 'done' else 'notice'
                    bold: root.stage == 'done'
                    halign: 'center'
                    color: T.ACCENT
                    text: root.big
                Text:
                    id: detail
                    role: 'notice'
                    halign: 'center'
                    text: root.detail
                ScrollView:
                    size_hint_y: 1 if root.stage == 'matter' else None
                    height: 1 if root.stage == 'matter' else 0
                    opacity: 1 if root.stage == 'matter' else 0
                    disabled: root.stage != 'matter'
                    do_scroll_x: False
                    BoxLayout:
                        id: matters
                        orientation: 'vertical'
                        size_hint_y: None
                        height: self.minimum_height
                        spacing: dp(16)
                Widget:
                StepRow:
                    screen: root
        FooterBar:

<PageTile>:
    orientation: 'vertical'
    size_hint_y: None
    height: self.minimum_height
    spacing: dp(6)
    Image:
        id: thumb
        size_hint_y: None
        height: dp(200) * app.ui_scale
        fit_mode: 'contain'
        texture: root.texture
    Text:
        role: 'body'
        halign: 'center'
        text: root.label
    GridLayout:
        cols: 2
        size_hint_y: None
        height: self.minimum_height
        spacing: dp(6)
        KioskButton:
            id: left
            text: '◀'
            on_release: root.dispatch('on_action', 'left')
        KioskButton:
            id: right
            text: '▶'
            on_release: root.dispatch('on_action', 'right')
        KioskButton:
            id: retake
            text: app.tr('submit.retake', app.lang)
            on_release: root.dispatch('on_action', 'retake')
        KioskButton:
            id: delete
            text: app.tr('submit.delete', app.lang)
            on_release: root.dispatch('on_action', 'delete')
"""


class PreviewImage(Image):
    """The camera's picture with the detected outline drawn over it (green when it lies still)."""

    outline = ListProperty([])  # preview-image pixels, x y pairs
    steady = BooleanProperty(False)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.fit_mode = "contain"
        with self.canvas.after:
            self._colour = Color(*T.ACCENT)
            self._line = Line(width=dp(3), close=True)
        self.bind(outline=self._draw, steady=self._draw, size=self._draw, pos=self._draw, texture=self._draw)

    def _draw(self, *_args) -> None:
        self._colour.rgba = (0.1, 0.65, 0.3, 1) if self.steady else T.ACCENT
        if not self.outline or self.texture is None:
            self._line.points = []
            return
        tw, th = self.texture.size
        scale = min(self.width / tw, self.height / th)
        ox = self.x + (self.width - tw * scale) / 2
        oy = self.y + (self.height - th * scale) / 2
        pts = []
        for x, y in zip(self.outline[::2], self.outline[1::2]):
            pts += [ox + x * scale, oy + (th - y) * scale]  # image rows run down, Kivy's y up
        self._line.points = pts


class PageTile(BoxLayout):
    texture = ObjectProperty(None, allownone=True)
    label = StringProperty("")
    __events__ = ("on_action",)

    def on_action(self, _action: str) -> None:
        pass


def _texture(image: np.ndarray, width: int | None = None) -> Texture:
    """A Kivy texture of a BGR (or grey) image, scaled down to ``width`` px."""
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if width is not None and image.shape[1] > width:
        image = cv2.resize(image, (width, round(image.shape[0] * width / image.shape[1])), interpolation=cv2.INTER_AREA)
    h, w = image.shape[:2]
    texture = Texture.create(size=(w, h), colorfmt="bgr")
    texture.blit_buffer(np.ascontiguousarray(image[::-1]).tobytes(), colorfmt="bgr", bufferfmt="ubyte")
    return texture


class SubmitScreen(JourneyScreen):
    stage = OptionProperty("card", options=["card", "matter", "list", "capture", "review", "saving", "done", "failed"])
    big = StringProperty("")

    def __init__(self, **kwargs) -> None:
        self._card = None  # CardSession while the card is wanted
        self._identity = None
        self._matter = None
        self._item = 0  # which required material is being captured
        self._pages: list[list] = []  # per required material: CapturedPage objects, in order
        self._retake: tuple[int, int] | None = None  # (material, page) being retaken
        self._capture = None
        self._latest = None  # the newest preview, for the next frame drawn
        self._draw_preview = Clock.create_trigger(self._show_preview)
        super().__init__(**kwargs)

    def on_stage(self, _screen, stage: str) -> None:
        self.busy = stage == "saving"

    def _set(self, stage: str, message: str, detail: str = "", big: str = "", actions: tuple[str, ...] = ()) -> None:
        self.stage = stage
        self.message, self.detail, self.big = message, detail, big or " "
        self.first_action, self.second_action, self.third_action = (tuple(actions) + ("", "", ""))[:3]

    # -- entry and exit ----------------------------------------------------------------------
    def on_pre_enter(self, *_args) -> None:
        self.clear()
        self._ask_card()

    def on_leave(self, *_args) -> None:
        self.clear()

    def clear(self) -> None:
        """Forget the person, the matter, every page and the picture (the privacy reset)."""
        self._generation += 1
        self._stop_capture()
        if self._card is not None:
            self._card.close()
            self._card = None
        self._identity = None
        self._matter = None
        self._item = 0
        self._pages = []
        self._retake = None
        self._latest = None
        self.ids.preview.texture = None
        self.ids.preview.outline = []
        self.ids.pages.clear_widgets()
        self.ids.matters.clear_widgets()
        self.message = self.detail = self.big = self.first_action = self.second_action = self.third_action = ""

    # -- the ID card ---------------------------------------------------------------------------
    def _ask_card(self, problem: str = "") -> None:
        app = App.get_running_app()
        self._set("card", self._tr("submit.lay_card"), problem or self._tr("submit.why_card"), actions=("", self._tr("back")))
        self._card = app.kiosk.card_session()
        if self._card is None:
            self._set("failed", self._tr("submit.no_reader"), actions=(self._tr("ticket.done"),))
            return
        # a problem is e.g. the card lifted mid-read: the reader stays armed
        self._card.start(on_read=self._current(self._card_read),
                         on_problem=self._current(lambda zh, en: setattr(self, "detail", self._pick(zh, en))))

    def _card_read(self, identity) -> None:
        self._identity = identity
        self._show_matters()

    # -- the matter -----------------------------------------------------------------------------
    def _show_matters(self) -> None:
        app = App.get_running_app()
        matters = app.kiosk.config.matters
        self._set("matter", self._tr("submit.choose", name=self._identity.shown_name()), actions=("", self._tr("back")))
        box = self.ids.matters
        box.clear_widgets()
        for matter in matters:
            button = KioskButton(text=self._pick(matter.name, matter.name_en), role="service")
            button.bind(on_release=lambda _b, m=matter: self._choose(m))
            box.add_widget(button)

    def _choose(self, matter) -> None:
        self._matter = matter
        self._pages = [[] for _ in matter.materials]
        lines = []
        for n, req in enumerate(matter.materials, start=1):
            optional = "" if req.required else self._tr("submit.optional")
            lines.append(f"{n}. {self._pick(req.name, req.name_en)}{optional}")
        self._set("list", self._tr("submit.needs", name=self._pick(matter.name, matter.name_en)), "\n".join(lines),
                  actions=(self._tr("submit.start"), self._tr("back")))

    # -- capturing ------------------------------------------------------------------------------
    def _show_item(self, hint: str = "") -> None:
        req = self._matter.materials[self._item]
        pages = self._pages[self._item]
        name = self._pick(req.name, req.name_en)
        count = len(self._matter.materials)
        if req.kind.value == "id_card_copy":
            lay = self._tr("submit.lay_front") if not pages else self._tr("submit.lay_back")
        else:
            lay = self._tr("submit.lay_page")
        done_here = bool(pages) or not req.required
        last = self._item == count - 1
        next_label = (self._tr("submit.review") if last else self._tr("submit.next")) if pages else \
            (self._tr("submit.skip") if not req.required else "")
        if self._retake is not None:
            lay, next_label = self._tr("submit.lay_again"), ""
        self._set("capture", self._tr("submit.item", n=self._item + 1, of=count, name=name), hint or lay,
                  big=self._tr("submit.pages", n=len(pages)) if pages else "",
                  actions=(self._tr("submit.shutter"), next_label if done_here else "", self._tr("back")))
        self._start_capture()

    def _start_capture(self) -> None:
        if self._capture is not None:
            return
        self._capture = App.get_running_app().kiosk.capture_session()
        if self._capture is None:
            self._set("failed", self._tr("submit.no_camera"), actions=(self._tr("ticket.done"),))
            return
        def preview(result) -> None:
            self._latest = result
            self._draw_preview()

        def problem(zh: str, en: str) -> None:
            if self.stage == "capture":
                self.detail = self._pick(zh, en)

        # a page already captured may still lie there: wait for the next one before auto-capturing
        self._capture.start(preview, self._current(self._captured), self._current(problem), armed=not any(self._pages))

    def _stop_capture(self) -> None:
        if self._capture is not None:
            self._capture.stop()
            self._capture = None

    def _show_preview(self, *_args) -> None:
        result, self._latest = self._latest, None
        if result is None or self.stage != "capture":
            return
        preview = self.ids.preview
        preview.texture = _texture(result.image)
        corners = result.corners_on_preview()
        preview.outline = [v for xy in corners for v in xy] if corners else []
        preview.steady = result.stable

    def _captured(self, page) -> None:
        if self.stage != "capture":
            return
        if self._retake is not None:
            item, index = self._retake
            self._pages[item][index] = page
            self._retake = None
            self._stop_capture()
            self._show_review()
            return
        pages = self._pages[self._item]
        req = self._matter.materials[self._item]
        if len(pages) >= req.max_pages:
            return
        pages.append(page)
        if req.kind.value == "id_card_copy":
            if len(pages) == 2:
                self._advance()  # both sides: on to the next material by itself
            else:
                self._show_item()  # now the other side
            return
        self._show_item(self._tr("submit.got", n=len(pages)))

    def _advance(self) -> None:
        if self._item + 1 < len(self._matter.materials):
            self._item += 1
            self._show_item()
        else:
            self._stop_capture()
            self._show_review()

    # -- reviewing ------------------------------------------------------------------------------
    def _show_review(self) -> None:
        missing = [self._pick(r.name, r.name_en) for r, p in zip(self._matter.materials, self._pages)
                   if r.required and not p]
        detail = self._tr("submit.missing", names="、".join(missing)) if missing else self._tr("submit.check")
        self._set("review", self._tr("submit.review_title"), detail,
                  actions=("" if missing else self._tr("submit.confirm"), self._tr("submit.add"), self._tr("submit.cancel")))
        grid = self.ids.pages
        grid.clear_widgets()
        for item, (req, pages) in enumerate(zip(self._matter.materials, self._pages)):
            for index, page in enumerate(pages):
                label = f"{self._pick(req.name, req.name_en)} {index + 1}/{len(pages)}"
                tile = PageTile(texture=_texture(page.image, 360), label=label)
                tile.bind(on_action=lambda _t, action, i=item, j=index: self._page_action(i, j, action))
                grid.add_widget(tile)

    def _page_action(self, item: int, index: int, action: str) -> None:
        pages = self._pages[item]
        if action == "delete":
            del pages[index]
        elif action in ("left", "right"):
            other = index - 1 if action == "left" else index + 1
            if 0 <= other < len(pages):
                pages[index], pages[other] = pages[other], pages[index]
        elif action == "retake":
            self._retake = (item, index)
            self._item = item
            self._show_item()
            return
        self._show_review()

    # -- confirming -----------------------------------------------------------------------------
    def _submit(self) -> None:
        from kiosk.materials import PageImage
        from kiosk.services.submission import Captured

        submissions = App.get_running_app().kiosk.submissions
        captured = [Captured(req, tuple(PageImage(p.image, p.dpi) for p in pages))
                    for req, pages in zip(self._matter.materials, self._pages)]
        matter, identity = self._matter, self._identity
        self._set("saving", self._tr("submit.saving"))
        self._background(lambda: submissions.submit(matter, identity, captured), self._submitted, "submit")

    def _submitted(self, result) -> None:
        from kiosk.services.submission import SubmitStatus

        self._forget_person()
        if result is None or result.status is SubmitStatus.FAILED:
            self._set("failed", self._tr("submit.failed"), self._tr("submit.failed_todo"), actions=(self._tr("ticket.done"),))
            return
        if result.status is SubmitStatus.DONE:
            self._set("done", self._tr("submit.done"), self._tr("submit.background"), big=result.reference,
                      actions=(self._tr("ticket.done"),))
        else:
            reason = self._pick(result.reason, result.reason_en)
            self._set("done", self._tr("submit.no_receipt", reason=reason), self._tr("submit.write_down"),
                      big=result.reference, actions=(self._tr("ticket.done"),))

    def _forget_person(self) -> None:
        """Kept and queued: the pages and the identity leave the screen's memory now."""
        if self._card is not None:
            self._card.close()
            self._card = None
        self._identity = None
        self._pages = []
        self.ids.pages.clear_widgets()
        self.ids.preview.texture = None

    # -- the buttons ----------------------------------------------------------------------------
    def on_first(self) -> None:
        if self.stage == "list":
            self._item = 0
            self._show_item()
        elif self.stage == "capture":
            if self._capture is not None:
                self._capture.shutter()
        elif self.stage == "review":
            self._submit()
        elif self.stage in ("done", "failed"):
            App.get_running_app().go_home()

    def on_second(self) -> None:
        if self.stage in ("card", "matter"):
            App.get_running_app().go_home()
        elif self.stage == "list":
            self._show_matters()
        elif self.stage == "capture":
            self._advance()
        elif self.stage == "review":  # add pages: back to the first material with room
            self._item = 0
            self._show_item()

    def on_third(self) -> None:
        if self.stage == "capture":
            self._retake = None
            if any(self._pages):
                self._stop_capture()
                self._show_review()
            else:
                self._stop_capture()
                self._choose(self._matter)
        elif self.stage == "review":  # 取消申报: nothing is kept
            App.get_running_app().go_home()


Builder.unload_file(KV_NAME)
Builder.load_string(KV, filename=KV_NAME)
