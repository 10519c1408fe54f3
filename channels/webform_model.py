"""The web form's typed submission (`POST /form`), and what counts as a photo.

Every rule a citizen can break carries its own Chinese message (error type `webform`), so the page
can show it next to the field; anything else falls back to the field's message in `FIELD_MESSAGES`.
"""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from PIL import Image
from pydantic import (
    UUID4,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from domain import Category, Domain
from normalizers.text import clean_text, is_cn_phone, normalize_phone
from normalizers.time import now_shanghai, to_shanghai

MAX_PHOTOS = 3
DEFAULT_PHOTO_MAX_BYTES = 5 * 1024 * 1024
DESCRIPTION_MIN_CHARS = 10
DESCRIPTION_MAX_CHARS = 5000
NAME_MAX_CHARS = 50
PLACE_MAX_CHARS = 200
PHONE_MAX_CHARS = 30
# Pillow warns at ~89 Mpx; we stop well before: a 48 Mpx phone photo still passes.
MAX_PHOTO_PIXELS = 64_000_000
# A few minutes of grace for a phone whose clock runs ahead.
FUTURE_GRACE = timedelta(minutes=10)
EARLIEST_INCIDENT = datetime(2000, 1, 1)

ImageMime = Literal["image/jpeg", "image/png", "image/webp", "image/gif"]
IMAGE_FORMATS: dict[str, ImageMime] = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
}

_DATETIME_LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?$")

ERROR_TYPE = "webform"
FIELD_MESSAGES: dict[str, str] = {
    "request_id": "页面已失效，请重新提交",
    "category": "请选择诉求类别（咨询、投诉或建议）",
    "domain": "请选择列表中的业务领域",
    "description": f"请填写问题描述（至少{DESCRIPTION_MIN_CHARS}个字）",
    "name": f"姓名不能超过{NAME_MAX_CHARS}个字",
    "phone": "手机号码格式不正确（固定电话请加区号）",
    "place": f"事发地点不能超过{PLACE_MAX_CHARS}个字",
    "occurred_at": "事发时间格式不正确",
    "photos": "照片无法识别，请重新选择",
}
PHOTO_TYPE_MESSAGE = "只能上传JPG、PNG、WebP或GIF格式的图片"


def _error(message: str) -> PydanticCustomError:
    return PydanticCustomError(ERROR_TYPE, message)


def sniff_image(data: bytes) -> ImageMime | None:
    """The MIME type of `data` judged by its content (Pillow open + verify), or None.

    The file name and the declared type are the sender's claims and are never consulted. Only the
    four formats every browser shows are tried, which also keeps Pillow's other decoders out of reach.
    """
    try:
        with Image.open(io.BytesIO(data), formats=list(IMAGE_FORMATS)) as image:
            kind = image.format
            width, height = image.size
            image.verify()
    except Exception:  # any decoder failure means the same thing here: not an acceptable image
        return None
    if kind is None or width * height > MAX_PHOTO_PIXELS:
        return None
    return IMAGE_FORMATS.get(kind)


def _context(info: ValidationInfo, key: str, default: Any) -> Any:
    return (info.context or {}).get(key, default)


def _optional_text(value: object) -> object:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


class PhotoUpload(BaseModel):
    """One photo, checked by content; `url` is set once the gateway has stored it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    filename: str = Field(description="The name the citizen's device gave it; sanitised before use")
    mime: ImageMime
    size: Annotated[int, Field(ge=1)]
    data: bytes = Field(repr=False)
    url: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _check_content(cls, values: Any, info: ValidationInfo) -> Any:
        if not isinstance(values, dict) or not isinstance(values.get("data"), bytes):
            return values
        data: bytes = values["data"]
        limit = int(_context(info, "photo_max_bytes", DEFAULT_PHOTO_MAX_BYTES))
        if not data:
            raise _error("文件是空的，请重新选择")
        if len(data) > limit:
            raise _error(f"单张照片不能超过{_megabytes(limit)}")
        mime = sniff_image(data)
        if mime is None:
            raise _error(PHOTO_TYPE_MESSAGE)
        return {**values, "mime": mime, "size": len(data)}


class WebForm(BaseModel):
    """The form as submitted: validated, but kept as typed (the normalizer cleans it)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    request_id: UUID4 = Field(description="Rendered into the form; the submission's idempotency key")
    category: Category
    domain: Domain | None = None
    description: str
    name: str | None = None
    phone: str | None = None
    place: str | None = None
    occurred_at: datetime | None = Field(default=None, description="Naive: Asia/Shanghai wall time")
    photos: Annotated[tuple[PhotoUpload, ...], Field(max_length=MAX_PHOTOS)] = ()

    @field_validator("category", mode="before")
    @classmethod
    def _category(cls, value: object) -> object:
        if value in (None, ""):
            raise _error(FIELD_MESSAGES["category"])
        return value

    @field_validator("domain", "name", "phone", "place", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return _optional_text(value)

    @field_validator("description")
    @classmethod
    def _description(cls, value: str) -> str:
        length = len(clean_text(value))
        if length < DESCRIPTION_MIN_CHARS:
            raise _error(FIELD_MESSAGES["description"])
        if length > DESCRIPTION_MAX_CHARS:
            raise _error(f"问题描述不能超过{DESCRIPTION_MAX_CHARS}个字（现有{length}个字）")
        return value.strip()

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is not None and len(clean_text(value)) > NAME_MAX_CHARS:
            raise _error(FIELD_MESSAGES["name"])
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        normalised = normalize_phone(value) if len(value) <= PHONE_MAX_CHARS else None
        if normalised is None or not is_cn_phone(normalised):
            raise _error(FIELD_MESSAGES["phone"])
        return value

    @field_validator("place")
    @classmethod
    def _place(cls, value: str | None) -> str | None:
        if value is not None and len(clean_text(value)) > PLACE_MAX_CHARS:
            raise _error(FIELD_MESSAGES["place"])
        return value

    @field_validator("occurred_at", mode="before")
    @classmethod
    def _occurred_at_text(cls, value: object) -> object:
        # What <input type="datetime-local"> sends: "2026-11-28T20:15", the centre's local time.
        value = _optional_text(value)
        if value is None:
            return None
        if not isinstance(value, str) or not _DATETIME_LOCAL.match(value):
            raise _error(FIELD_MESSAGES["occurred_at"])
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise _error(FIELD_MESSAGES["occurred_at"]) from None

    @field_validator("occurred_at")
    @classmethod
    def _occurred_at_range(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        if value is None:
            return None
        now: datetime = _context(info, "now", None) or now_shanghai()
        if value < EARLIEST_INCIDENT:
            raise _error("事发时间不正确，请检查年份")
        if to_shanghai(value) > to_shanghai(now) + FUTURE_GRACE:
            raise _error("事发时间不能晚于当前时间")
        return value

    @field_validator("photos", mode="before")
    @classmethod
    def _photo_count(cls, value: object) -> object:
        if isinstance(value, list | tuple) and len(value) > MAX_PHOTOS:
            raise _error(f"最多上传{MAX_PHOTOS}张照片（您选择了{len(value)}张）")
        return value

    def with_photo_urls(self, urls: list[str]) -> WebForm:
        """The same form with each photo's stored URL, in order."""
        if len(urls) != len(self.photos):
            raise ValueError(f"{len(urls)} URLs for {len(self.photos)} photos")
        photos = tuple(photo.model_copy(update={"url": url}) for photo, url in zip(self.photos, urls, strict=True))
        return self.model_copy(update={"photos": photos})


def field_messages(exc: ValidationError) -> dict[str, str]:
    """One Chinese message per form field, in the order the errors were found."""
    messages: dict[str, str] = {}
    for error in exc.errors(include_url=False, include_input=False, include_context=False):
        loc = error["loc"]
        field = str(loc[0]) if loc else "form"
        # Our own validators speak Chinese already; pydantic's built-in messages do not.
        message = error["msg"] if error["type"] == ERROR_TYPE else FIELD_MESSAGES.get(field, "填写的内容不正确")
        if field == "photos" and len(loc) > 1 and isinstance(loc[1], int):
            message = f"第{loc[1] + 1}张照片：{message}"
        messages.setdefault(field, message)
    return messages


def _megabytes(limit: int) -> str:
    mib = limit / (1024 * 1024)
    return f"{mib:g}MB" if mib >= 1 else f"{max(1, limit // 1024)}KB"
