"""What the gateway accepts as a file's display name and type (domain.file_names)."""

from __future__ import annotations

import pytest

from domain.file_names import is_executable_mime, named_as, unsafe_name


@pytest.mark.parametrize(
    "name",
    [
        "现场照片.jpg",
        "IMG_0001.JPG",
        "投诉材料 (1).pdf",
        "a.b.c.png",
        ".bashrc",
        "录音 2026-11-28.amr",
        "合同.docx",
        "conference.jpg",  # starts with CON, is not CON
    ],
)
def test_ordinary_names_pass(name: str) -> None:
    assert unsafe_name(name) is None


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../../etc/passwd", "not a path"),
        ("..\\..\\Windows\\win.ini", "not a path"),
        ("/etc/shadow", "not a path"),
        ("C:\\Users\\me\\a.jpg", "not a path"),
        ("..", "not a path"),
        ("photo.jpg\x00.exe", "control"),
        ("line\nbreak.jpg", "control"),
        ("\u202egpj.exe", "text-direction"),
        ("invoice\u2066.pdf", "text-direction"),
        ("投诉材料.pdf.exe", ".exe"),
        ("run.EXE", ".exe"),
        ("run.exe.", ".exe"),
        ("setup.msi", ".msi"),
        ("start.bat", ".bat"),
        ("script.ps1", ".ps1"),
        ("install.sh", ".sh"),
        ("app.apk", ".apk"),
        ("page.html", ".html"),
        ("map.svg", ".svg"),
        ("macro.xlsm", ".xlsm"),
        ("CON.jpg", "reserves"),
        ("lpt1", "reserves"),
        ("nul.tar.gz", "reserves"),
    ],
)
def test_paths_programs_and_disguises_are_refused(name: str, why: str) -> None:
    problem = unsafe_name(name)
    assert problem is not None
    assert why in problem


@pytest.mark.parametrize(
    ("mime", "refused"),
    [
        ("image/jpeg", False),
        ("application/pdf", False),
        ("audio/amr", False),
        ("application/x-msdownload", True),
        ("text/html; charset=utf-8", True),
        ("IMAGE/SVG+XML", True),
        ("application/vnd.android.package-archive", True),
    ],
)
def test_executable_types(mime: str, refused: bool) -> None:
    assert is_executable_mime(mime) is refused


@pytest.mark.parametrize(
    ("name", "mime", "shown"),
    [
        ("现场.jpg", "image/jpeg", "现场.jpg"),
        ("现场.JPEG", "image/jpeg", "现场.JPEG"),
        ("IMG_0001.HEIC", "image/jpeg", "IMG_0001.jpg"),
        ("invoice.exe", "image/png", "invoice.png"),
        ("a.b.html", "image/gif", "a.b.gif"),
        ("现场1", "image/webp", "现场1.webp"),
    ],
)
def test_a_photo_is_named_for_what_it_is(name: str, mime: str, shown: str) -> None:
    assert named_as(name, mime) == shown
