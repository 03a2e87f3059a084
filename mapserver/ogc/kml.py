"""KML for Google Earth and 奥维互动地图 (Ovital): WGS84 lon,lat, the name in ``<name>``.

GDAL's KML driver (through pyogrio) writes the placemarks: ``<name>``, a plain-text
``<description>`` listing the layer's popup properties (what Ovital shows), every
column in ``ExtendedData`` and the geometry. It cannot write shared styles, so one
pass over its output adds a ``<Style>`` per class of the layer's style (the status
colours of the battle map) to the document and a ``<styleUrl>`` to each placemark,
in place of the red outline GDAL gives polygons. (GDAL's LIBKML driver takes
per-feature styles, but crashed the process on some style strings in GDAL 3.12.)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
from pyogrio import raw

from mapserver.layers import Layer, Property

NAME, DESCRIPTION = "Name", "Description"  # the fields GDAL's KML driver puts in elements
PLACEMARK = re.compile(r'\s*<Placemark id="[^"]*\.(\d+)">\s*$')
GDAL_STYLE = "\t<Style>"  # GDAL's own style line (polygons), replaced by ours
STILL_TEXT = ("<name>", "<description>", "</")  # lines of a placemark before its styleUrl
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # not allowed in XML 1.0
HEX = re.compile(r"#[0-9a-fA-F]{6}")
DEFAULT_STYLE = "s0"


def write(
    path: Path,
    layer: Layer,
    fields: Mapping[str, np.ndarray],
    wkb: np.ndarray,
    ids: Sequence[str],
    properties: Sequence[Mapping[str, Any]],
    codes: Sequence[str | None],
) -> Path:
    """The KML of these features (``codes``: each one's value of the style property)."""
    names, descriptions = texts(layer, ids, properties)
    data = [_xml_safe(a) for a in (names, descriptions, *fields.values())]
    raw.write(str(path), wkb, data, [NAME, DESCRIPTION, *fields], driver="KML",
              layer=layer.title, geometry_type="Unknown", crs="EPSG:4326")  # fmt: skip
    styles = style_ids(layer)
    out = path.with_name(f"{path.stem}-styled.kml")
    add_styles(path, out, head(layer, styles), [styles.get(c or "", DEFAULT_STYLE) for c in codes])
    return out


def texts(
    layer: Layer, ids: Sequence[str], properties: Sequence[Mapping[str, Any]]
) -> tuple[np.ndarray, np.ndarray]:
    """Each placemark's name (its ``name`` property, else its id) and description: lines
    ``title：value`` of the layer's popup properties."""
    shown = [layer.properties[n] for n in layer.popup if n != "name"]
    names = np.empty(len(ids), dtype=object)
    names[:] = [p.get("name") or fid for fid, p in zip(ids, properties)]
    descriptions = np.empty(len(ids), dtype=object)
    descriptions[:] = ["\n".join(_lines(shown, p)) or None for p in properties]
    return names, descriptions


def _lines(shown: Sequence[Property], values: Mapping[str, Any]) -> list[str]:
    out = []
    for prop in shown:
        value = values.get(f"{prop.name}_label", values.get(prop.name))
        if value is not None:
            unit = f" {prop.unit}" if prop.unit else ""
            out.append(f"{prop.title}：{_text(value)}{unit}")
    return out


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def _xml_safe(values: np.ndarray) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = [NOT_XML.sub("\ufffd", v) if isinstance(v, str) else v for v in values]
    return out


def style_ids(layer: Layer) -> dict[str, str]:
    """Style id of each class code of the layer's style."""
    return {code: f"s{i}" for i, code in enumerate(layer.style.get("classes", {}), start=1)}


def head(layer: Layer, ids: Mapping[str, str]) -> str:
    """The document's name and its shared styles (Leaflet path options as KML)."""
    default = dict(layer.style.get("default", {}))
    out = [f"<name>{escape(layer.title)}</name>\n", _style(DEFAULT_STYLE, default)]
    for code, sid in ids.items():
        out.append(_style(sid, {**default, **layer.style["classes"][code]}))
    return "".join(out)


def _style(sid: str, options: Mapping[str, Any]) -> str:
    line = _color(options.get("color"), options.get("opacity", 1.0))
    fill = _color(options.get("fillColor", options.get("color")), options.get("fillOpacity", 0.2))
    parts = [f'<Style id="{sid}">']
    if line:
        width = float(options.get("weight", 3))
        parts.append(f"<IconStyle><color>{line}</color></IconStyle>")
        parts.append(f"<LineStyle><color>{line}</color><width>{width:g}</width></LineStyle>")
    if fill:
        parts.append(f"<PolyStyle><color>{fill}</color></PolyStyle>")
    return "".join(parts) + "</Style>\n"


def _color(color: Any, opacity: Any) -> str | None:
    """``#rrggbb`` and an opacity as KML's ``aabbggrr``."""
    if not isinstance(color, str) or not HEX.fullmatch(color):
        return None
    alpha = round(min(max(float(opacity), 0.0), 1.0) * 255)
    return f"{alpha:02x}{color[5:7]}{color[3:5]}{color[1:3]}".lower()


def add_styles(src: Path, dst: Path, head: str, urls: Sequence[str]) -> None:
    """Copy GDAL's KML, adding ``head`` to the document and a styleUrl to each placemark.

    The styleUrl goes after the placemark's name and description (text there cannot
    start a line with ``<``: GDAL escapes it), in place of GDAL's own style line.
    """
    url = None
    with src.open(encoding="utf-8") as lines, dst.open("w", encoding="utf-8") as out:
        for line in lines:
            if url is None:
                match = PLACEMARK.match(line)
                url = urls[int(match.group(1)) - 1] if match else None
                if line.startswith('<Document id="root_doc">'):
                    line += head
            elif line.lstrip().startswith("<") and not line.lstrip().startswith(STILL_TEXT):
                out.write(f"\t<styleUrl>#{url}</styleUrl>\n")
                url = None
                if line.startswith(GDAL_STYLE):
                    continue
            elif line.strip() == "</Placemark>":
                url = None
            out.write(line)
