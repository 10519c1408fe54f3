"""The names and types of files citizens send, as the gateway accepts them.

A file name from a channel is a display name and nothing more: the gateway never builds a path
from one, and neither should the ticketing core. Machine senders (the app, the 12345 platform) are
held to that: a name that is a path, that hides its real extension (control or bidi characters,
a NUL), that Windows reserves, or that says the file runs or renders as a page when opened is
refused with the field named, never quietly rewritten. A case handler opening a citizen's
`投诉材料.pdf.exe` from the ticket is exactly the harm this prevents.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Annotated

from pydantic import AfterValidator, Field

# Opened by double-click, run by a shell or interpreter, installed, or rendered as an active page
# by a browser (HTML and SVG carry script).
EXECUTABLE_SUFFIXES = frozenset(
    {
        # Windows
        ".exe", ".com", ".scr", ".pif", ".bat", ".cmd", ".msi", ".msp", ".dll", ".cpl", ".hta", ".lnk",
        ".reg", ".vbs", ".vbe", ".js", ".jse", ".wsf", ".wsh", ".ps1", ".psm1", ".chm", ".iso",
        # Unix and macOS
        ".sh", ".bash", ".csh", ".run", ".bin", ".elf", ".app", ".command", ".dmg", ".pkg", ".deb", ".rpm",
        # Runtimes and phones
        ".jar", ".apk", ".xapk", ".ipa", ".py", ".pl", ".rb", ".php", ".jsp", ".asp", ".aspx",
        # Pages and documents with macros
        ".html", ".htm", ".xhtml", ".shtml", ".svg", ".svgz", ".mht", ".docm", ".xlsm", ".pptm",
    }
)  # fmt: skip
EXECUTABLE_MIMES = frozenset(
    {
        "application/x-msdownload",
        "application/x-msdos-program",
        "application/x-ms-installer",
        "application/x-msi",
        "application/x-dosexec",
        "application/x-executable",
        "application/x-elf",
        "application/x-sh",
        "application/x-shellscript",
        "application/x-bat",
        "application/hta",
        "application/javascript",
        "application/x-javascript",
        "text/javascript",
        "application/java-archive",
        "application/vnd.android.package-archive",
        "text/html",
        "application/xhtml+xml",
        "image/svg+xml",
        "application/x-httpd-php",
    }
)
# The image types a photo's content can be sniffed as, with the extensions that say so; the first is
# the one given to a name that says otherwise.
IMAGE_EXTENSIONS: dict[str, tuple[str, ...]] = {
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "image/webp": (".webp",),
    "image/gif": (".gif",),
}
# What Windows will not open as a file, whatever the extension (`CON.jpg` is the console).
_RESERVED_STEMS = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"{kind}{n}" for kind in ("COM", "LPT") for n in range(1, 10)}
)
# Control characters (NUL included) and the bidi controls that show `exe.jpg` as `gpj.exe`.
_HIDDEN = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_PATH = re.compile(r"[\\/]")


def unsafe_name(name: str) -> str | None:
    """Why `name` is not acceptable as a file's display name, or None when it is."""
    if _PATH.search(name) or name.strip() in {".", ".."}:
        return "a file name, not a path"
    if _HIDDEN.search(name):
        return "control or text-direction characters"
    if is_executable_name(name):
        return f"file type {_opened_as(name)} is not accepted"
    if PurePosixPath(name).stem.split(".")[0].strip().upper() in _RESERVED_STEMS:
        return "a name Windows reserves"
    return None


def is_executable_name(name: str) -> bool:
    return _opened_as(name) in EXECUTABLE_SUFFIXES


def _opened_as(name: str) -> str:
    """The extension a system opens `name` by: Windows drops trailing dots and spaces
    (`run.exe. ` opens as `run.exe`)."""
    return PurePosixPath(name.strip().rstrip(". ").lower()).suffix


def is_executable_mime(mime: str) -> bool:
    return mime.split(";", 1)[0].strip().lower() in EXECUTABLE_MIMES


def named_as(name: str, mime: str) -> str:
    """`name` with the extension of the image type its content was found to be: a photo named
    `现场.exe` or `IMG_0001.HEIC` that is a JPEG is shown as `现场.jpg` / `IMG_0001.jpg`."""
    extensions = IMAGE_EXTENSIONS[mime]
    path = PurePosixPath(name)
    if path.suffix.lower() in extensions:
        return name
    return (path.stem if path.suffix else name) + extensions[0]


def _check_name(name: str) -> str:
    problem = unsafe_name(name)
    if problem is not None:
        raise ValueError(f"file name not accepted: {problem}")
    return name


def _check_mime(mime: str) -> str:
    if is_executable_mime(mime):
        raise ValueError(f"file type {mime} is not accepted")
    return mime


FileName = Annotated[str, Field(max_length=255), AfterValidator(_check_name)]
FileMime = Annotated[str, Field(max_length=100), AfterValidator(_check_mime)]
