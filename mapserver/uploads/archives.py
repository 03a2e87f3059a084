"""Reading the members of an uploaded zip (zipped Shapefile, KMZ) without trusting it.

Every member name is checked before anything is inflated: an absolute path, a drive
letter or a ``..`` part refuses the whole archive, and so do more than ``max_members``
members. Members are inflated through a counter, so an archive that lies about its
sizes (a zip bomb) stops at ``max_bytes`` actually produced, not at what it claims.
Nothing is written to disk. Names that Windows zip tools stored in GBK without the
UTF-8 flag are decoded as GBK, so a Chinese layer name survives.
"""

from __future__ import annotations

import io
import re
import zipfile

_CHUNK = 1 << 16
_UTF8_FLAG = 0x800
_DRIVE = re.compile(r"[A-Za-z]:")


class ArchiveError(ValueError):
    """Why an archive is refused: ``code`` for machines, ``message`` for people."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class Archive:
    """A zip held in memory, its file members listed by name, read within a byte budget."""

    def __init__(self, data: bytes, *, max_members: int, max_bytes: int) -> None:
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, ValueError, EOFError) as exc:
            message = f"不是有效的 zip 文件 Not a valid zip file: {exc}"
            raise ArchiveError(message, "unreadable") from None
        if len(infos) > max_members:
            message = f"压缩包成员超过 {max_members} 个 The zip has more than {max_members} members"
            raise ArchiveError(message, "too_large")
        self._members = {}
        for info in infos:
            name = _name(info)
            _check_name(name)
            if not info.is_dir():
                self._members[name] = info
        self._budget = max_bytes
        self._limit = max_bytes
        if sum(info.file_size for info in self._members.values()) > max_bytes:
            self._too_large()

    @property
    def names(self) -> list[str]:
        """File members in archive order, with '/' between folders."""
        return list(self._members)

    def read(self, name: str) -> bytes:
        """A member's bytes; ArchiveError when the archive's budget is spent or it is broken."""
        parts = []
        try:
            with self._zip.open(self._members[name]) as member:
                while chunk := member.read(min(_CHUNK, self._budget + 1)):
                    self._budget -= len(chunk)
                    if self._budget < 0:
                        self._too_large()
                    parts.append(chunk)
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError) as exc:
            message = f"无法解压 {name} Cannot unzip {name}: {exc}"
            raise ArchiveError(message, "unreadable") from None
        return b"".join(parts)

    def _too_large(self) -> None:
        mb = self._limit / 1024 / 1024
        message = f"解压后超过 {mb:g} MB The unzipped content exceeds {mb:g} MB"
        raise ArchiveError(message, "too_large")


def _name(info: zipfile.ZipInfo) -> str:
    """The member's name, decoded as GBK when the zip tool stored it so (no UTF-8 flag)."""
    if info.flag_bits & _UTF8_FLAG:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gbk")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _check_name(name: str) -> None:
    """Refuse names that would point outside a folder they were unpacked into."""
    parts = re.split(r"[/\\]", name)
    if name.startswith(("/", "\\")) or _DRIVE.match(name) or ".." in parts or "\0" in name:
        message = f"压缩包含不安全的路径 The zip has an unsafe member path: {name[:100]!r}"
        raise ArchiveError(message, "unsafe_archive")
