"""The county's offline recovery key sheet, printed once and kept in the office safe."""

from __future__ import annotations

from storage.idnumber import real_day


def recovery_sheet(county_code: str, county_name: str, secret: str, public: str) -> str:
    """The text of the recovery key file: instructions in Chinese, then the age identity.

    The file is a valid age identity file (comment lines start with ``#``), so
    ``age -d -i FILE payload.age`` opens any bundle sent to the county with it.
    """
    return (
        f"# hecha 县级离线恢复密钥 — {county_name}（{county_code}），生成于 {real_day():%Y-%m-%d}\n"
        "#\n"
        "# 用途：县级电脑、私钥或口令丢失时，用它仍可打开各乡镇发来的数据包。\n"
        "# 保管：1. 立即打印两份（或工整抄写），核对最后一行无误；\n"
        "#       2. 装入信封密封签字，由单位负责人锁入保险柜，另一份异地存放；\n"
        "#       3. 从本电脑删除本文件（shred -u 文件名），不要存入U盘或网盘，不要拍照。\n"
        "# 使用：把下面一行录入新电脑的一个文件，执行 age -d -i 该文件 payload.age。\n"
        f"# 对应公钥：{public}\n"
        f"{secret}\n"
    )
