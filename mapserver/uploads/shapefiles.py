"""The Shapefiles in an uploaded zip, packed again flat for GDAL.

People zip a folder, or several: a Shapefile's parts are found in any folder (by the
.shp's path, case-insensitively) and written side by side in a fresh zip, renamed when
two folders hold the same name. A .dbf that declares no encoding gets a .cpg, since
Chinese attribute tables from old Windows tools are GBK without saying so.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePosixPath

from mapserver.uploads.archives import Archive, ArchiveError

PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")  # what GDAL reads of a Shapefile


def repack(archive: Archive, files: list[str], shapefiles: list[str], notes: list[str]) -> bytes:
    """The Shapefiles' parts, from whatever folder, flat in a new zip GDAL can open."""
    by_lower = {name.lower(): name for name in files}
    out, used = io.BytesIO(), set()
    with zipfile.ZipFile(out, "w") as repacked:
        for shp in shapefiles:
            name = PurePosixPath(shp.replace("\\", "/")).stem
            while name.lower() in used:  # site.shp in two folders: site, site_
                name += "_"
            used.add(name.lower())
            for ext, content in _parts(archive, by_lower, shp, notes).items():
                repacked.writestr(name + ext, content)
    return out.getvalue()


def _parts(
    archive: Archive, by_lower: dict[str, str], shp: str, notes: list[str]
) -> dict[str, bytes]:
    """A Shapefile's parts by extension; .shx and .dbf are required, .prj is not."""
    base = shp[:-4].lower()
    members = {ext: by_lower.get(base + ext) for ext in PARTS}
    missing = ", ".join(ext for ext in (".shx", ".dbf") if members[ext] is None)
    if missing:
        message = (
            f"Shapefile {shp} 缺少 {missing}，请一起压缩 is missing its {missing}: zip them too"
        )
        raise ArchiveError(message, "unreadable")
    contents = {ext: archive.read(member) for ext, member in members.items() if member}
    if ".cpg" not in contents and (codepage := _dbf_codepage(contents[".dbf"])):
        contents[".cpg"] = codepage.encode()
        if codepage != "UTF-8":
            notes.append(f"{shp}：DBF 未声明编码，按 GBK 读取 declares no encoding: read as GBK")
    return contents


def _dbf_codepage(dbf: bytes) -> str | None:
    """A .cpg for a .dbf that declares no encoding (language driver 0) but has non-ASCII
    text: UTF-8 if it decodes as such, else GBK (code page 936, Chinese Windows)."""
    if len(dbf) < 32 or dbf[29] != 0:
        return None
    records = dbf[int.from_bytes(dbf[8:10], "little") :]
    if records.isascii():
        return None
    try:
        records.decode("utf-8")
    except UnicodeDecodeError:
        return "936"
    return "UTF-8"
