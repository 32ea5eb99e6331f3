"""The migrant system's (GPL, 流动人口信息系统) own columns: which header means which field of a
migration episode (issue 17). Read by :func:`storage.migrants.apply_gpl` from the raw rows a ``gpl``
list keeps, and by the list import, which does not call these columns unused."""

from __future__ import annotations

from .profiles import clean

GPL_HEADERS: dict[str, tuple[str, ...]] = {
    "direction": ("流动类型", "流动方向", "流入流出", "人员类别", "流动人口类型", "流动人口类别", "流向"),
    "move_date": (
        "流入时间",
        "流出时间",
        "流入日期",
        "流出日期",
        "离开户籍地时间",
        "离开户籍地日期",
        "流动时间",
        "流动日期",
        "来本地时间",
        "外出时间",
        "外出日期",
        "流入本地时间",
    ),
    "hukou_place": ("户籍地", "户籍地址", "户籍地详址", "户口所在地", "户籍所在地", "户籍地详细地址"),
    "hukou_place_code": ("户籍地代码", "户籍地行政区划代码", "户籍地区划代码", "户籍地区划", "户籍地行政区划"),
    "current_address": (
        "现居住地详址",
        "现居住地详细地址",
        "流入地详址",
        "流出地详址",
        "外出地址",
        "外出地点",
        "流入地址",
        "流出地址",
        "现居住地址",
        "现住地址",
        "现居住地",
        "流入地现居住地",
        "流出地现居住地",
        "流入地",
        "流出地",
    ),
    "place_code": (
        "现居住地代码",
        "现居住地行政区划代码",
        "现居住地行政区划",
        "现居住地区划代码",
        "流入地代码",
        "流出地代码",
        "流出地区划代码",
    ),
    "reason": ("流动原因", "外出原因", "流入原因", "流出原因"),
    "mb_cert_no": ("婚育证明编号", "婚育证明号", "流动人口婚育证明编号", "婚育证明号码", "婚育证明"),
    "gpl_record_id": ("人员编号", "流动人口编号", "个人编号", "个人编码", "记录编号", "人员编码"),
    "return_date": ("返回时间", "返乡时间", "回户籍地时间", "注销时间"),
}
"""GPL export headers per migration field, in order of preference (a 详址 before a bare 现居住地);
cells are read from the row as the list import kept it."""


def gpl_header(header: str) -> str:
    """The migration field a GPL header means (a key of :data:`GPL_HEADERS`), or ``""``."""
    h = clean(header)
    for key, names in GPL_HEADERS.items():
        if h in {clean(n) for n in names}:
            return key
    return ""
