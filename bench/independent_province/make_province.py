#!/usr/bin/env python3
"""Independent synthetic province for cross-county record linkage.

    python bench/independent_province/make_province.py OUT_DIR --persons 1000000 --counties 40 --seed 7

Writes OUT_DIR/persons.csv, OUT_DIR/births.csv and OUT_DIR/truth.csv (and, with --negatives,
OUT_DIR/negatives.csv: the planted hard negatives, which are NOT duplicates).  See README.md beside
this file for what is planted.  Standard library only; `lunardate` is used when importable (it is in
/work/main/.venv) for the "lunar date keyed as solar" error, otherwise that kind is not planted.

Written without reading the linker or its own generator: only /work/shared/DATA.md and
/work/shared/data/ (NBS 2023 division codes, the reference household) were consulted.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import datetime as dt
import lzma
import os
import random
import shutil
import sys
import time
import uuid
from collections import Counter

try:  # optional, for the lunar-date error kind
    from lunardate import LunarDate  # type: ignore
except Exception:  # pragma: no cover
    LunarDate = None
_from_solar = None
if LunarDate is not None:
    _from_solar = getattr(LunarDate, "from_solar_date", None) or LunarDate.fromSolarDate

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "data", "divisions-nbs-2023"))

REF = dt.date(2026, 6, 30)
REF_O = REF.toordinal()
WIN_O = dt.date(2016, 7, 1).toordinal()  # births window: the last ten years
MIN_O = dt.date(1920, 1, 1).toordinal()

PERSON_COLS = ["uid", "county", "township", "name", "sex", "birth_date", "id_number", "hukou_place_code", "spouse_name"]
BIRTH_COLS = [
    "uid",
    "county",
    "township",
    "child_name",
    "child_sex",
    "birth_date",
    "child_id_number",
    "birth_cert_no",
    "birth_order",
    "mother_name",
    "mother_id_number",
    "father_name",
    "father_id_number",
    "delivery_org",
]

# Provinces whose villages are loaded as hukou places of migrants (besides the report province).
MIGRANT_SOURCE_PROVINCES = ["41", "37", "14", "15", "23", "21", "34", "51", "22"]

# --------------------------------------------------------------------------------------------------
# Retired county codes of Hebei (13) that old ID numbers still carry: current code -> [(old code,
# last year in use)], oldest first.  Derived once from python-stdnum's stdnum/cn/loc.dat (which is
# taken from zh.wikipedia's 中华人民共和国行政区划代码 lists) by matching county names, then checked by
# hand (wrong name matches removed, 曹妃甸/滦州/任泽 added).  An ID first issued in year Y carries the
# code that was in force in Y; IDs were first issued from 1985.
HEBEI_LINEAGE = {
    "130110": [("130122", 1994), ("130185", 2014)],
    "130111": [("130124", 2014)],
    "130109": [("132302", 1993), ("130182", 2014)],
    "130208": [("130221", 2002)],
    "130207": [("130222", 1994), ("130282", 2002)],
    "130283": [("130226", 1996)],
    "130281": [("130228", 1992)],
    "130209": [("130230", 2012)],
    "130284": [("130223", 2018)],
    "130505": [("132227", 1993), ("130526", 2020)],
    "130306": [("130323", 2015)],
    "130481": [("130422", 1988), ("139001", 1989)],
    "130407": [("132126", 1993), ("130428", 2016)],
    "130408": [("132133", 1993), ("130429", 2016)],
    "130506": [("132228", 1993), ("130527", 2020)],
    "130607": [("130621", 2015)],
    "130608": [("130622", 2015)],
    "130609": [("132423", 1994), ("130625", 2015)],
    "130705": [("130721", 2016)],
    "130708": [("132528", 1993), ("130729", 2016)],
    "130709": [("132533", 1993), ("130733", 2016)],
    "130881": [("132624", 1993), ("130823", 2017)],
    "131082": [("131021", 1993)],
    "131081": [("131027", 1990)],
    "131103": [("133022", 1993), ("133002", 1996), ("131181", 2016)],
    "130425": [("132121", 1993)],
    "130434": [("132122", 1993)],
    "130435": [("132123", 1993)],
    "130430": [("132124", 1993)],
    "130431": [("132125", 1993)],
    "130432": [("132127", 1993)],
    "130424": [("132128", 1993)],
    "130423": [("132129", 1993)],
    "130427": [("132130", 1993)],
    "130426": [("132132", 1993)],
    "130433": [("132135", 1993)],
    "130581": [("132201", 1993)],
    "130582": [("132222", 1987), ("132202", 1993)],
    "130522": [("132223", 1993)],
    "130523": [("132224", 1993)],
    "130524": [("132225", 1993)],
    "130525": [("132226", 1993)],
    "130528": [("132229", 1993)],
    "130529": [("132231", 1993)],
    "130530": [("132232", 1993)],
    "130531": [("132233", 1993)],
    "130532": [("132234", 1993)],
    "130533": [("132235", 1993)],
    "130534": [("132236", 1993)],
    "130535": [("132237", 1993)],
    "130181": [("132321", 1986), ("132301", 1993)],
    "130183": [("132322", 1991), ("132303", 1993)],
    "130184": [("132329", 1992), ("132304", 1993)],
    "130128": [("132323", 1993)],
    "130130": [("132324", 1993)],
    "130133": [("132326", 1993)],
    "130123": [("132328", 1986)],
    "130127": [("132330", 1993)],
    "130132": [("132331", 1993)],
    "130129": [("132332", 1993)],
    "130131": [("132335", 1993)],
    "130126": [("132336", 1993)],
    "130125": [("132337", 1993)],
    "130682": [("132439", 1986), ("132401", 1994)],
    "130681": [("132430", 1986), ("132402", 1994)],
    "130683": [("132440", 1991), ("132403", 1994)],
    "130684": [("132404", 1994)],
    "130633": [("132421", 1994)],
    "130630": [("132424", 1994)],
    "130626": [("132425", 1994)],
    "130636": [("132426", 1994)],
    "130627": [("132427", 1994)],
    "130631": [("132428", 1994)],
    "130623": [("132429", 1994)],
    "130628": [("132432", 1994)],
    "130632": [("132433", 1994)],
    "130638": [("132434", 1994)],
    "130629": [("132435", 1994)],
    "130634": [("132437", 1994)],
    "130624": [("132438", 1994)],
    "130637": [("132441", 1994)],
    "130635": [("132442", 1994)],
    "130722": [("132521", 1993)],
    "130723": [("132522", 1993)],
    "130724": [("132523", 1993)],
    "130725": [("132524", 1993)],
    "130726": [("132525", 1993)],
    "130727": [("132526", 1993)],
    "130728": [("132527", 1993)],
    "130730": [("132529", 1993)],
    "130731": [("132530", 1993)],
    "130732": [("132532", 1993)],
    "130827": [("132622", 1993)],
    "130822": [("132623", 1993)],
    "130824": [("132626", 1993)],
    "130826": [("132627", 1993)],
    "130825": [("132628", 1993)],
    "130828": [("132629", 1993)],
    "131028": [("132822", 1988)],
    "131024": [("132823", 1988)],
    "131023": [("132825", 1988)],
    "131022": [("132826", 1988)],
    "131026": [("132828", 1988)],
    "131025": [("132829", 1988)],
    "130981": [("132902", 1993)],
    "130982": [("132933", 1986), ("132903", 1993)],
    "130983": [("132930", 1989), ("132904", 1993)],
    "130984": [("132922", 1990), ("132905", 1993)],
    "130926": [("132923", 1993)],
    "130929": [("132924", 1993)],
    "130928": [("132926", 1993)],
    "130923": [("132927", 1993)],
    "130927": [("132928", 1993)],
    "130925": [("132929", 1993)],
    "130930": [("132931", 1993)],
    "130922": [("132932", 1986)],
    "130924": [("132934", 1993)],
    "131102": [("133001", 1996)],
    "131182": [("133025", 1994), ("133003", 1996)],
    "131121": [("133023", 1996)],
    "131122": [("133024", 1996)],
    "131123": [("133026", 1996)],
    "131124": [("133027", 1996)],
    "131125": [("133028", 1996)],
    "131126": [("133029", 1996)],
    "131127": [("133030", 1996)],
    "131128": [("133031", 1996)],
}

# --------------------------------------------------------------------------------------------------
# Names.  Surname shares (%) roughly follow the national household-register rankings; Hebei is a bit
# heavier on 王/李/张/刘 than the nation, which we keep.
SURNAMES = """
王 7.6 李 7.5 张 7.0 刘 5.6 陈 3.9 杨 3.0 赵 2.6 黄 1.6 周 1.6 吴 1.5 徐 1.4 孙 1.6 马 1.6 朱 1.2 胡 1.1
郭 1.3 何 0.9 林 0.8 高 1.2 罗 0.7 郑 0.8 梁 0.8 谢 0.6 宋 0.8 唐 0.6 韩 0.9 冯 0.7 于 0.8 董 0.8 肖 0.5
程 0.6 曹 0.7 袁 0.5 邓 0.5 许 0.6 傅 0.2 沈 0.4 曾 0.3 彭 0.4 吕 0.5 苏 0.5 卢 0.4 蒋 0.4 蔡 0.4 贾 0.6
丁 0.4 魏 0.5 薛 0.4 叶 0.3 闫 0.4 余 0.3 潘 0.3 杜 0.4 戴 0.3 夏 0.3 钟 0.3 汪 0.3 田 0.4 任 0.4 姜 0.3
范 0.3 方 0.3 石 0.3 姚 0.3 谭 0.2 廖 0.2 邹 0.2 熊 0.2 金 0.2 陆 0.2 郝 0.3 孔 0.2 白 0.3 崔 0.3 康 0.2
毛 0.2 邱 0.2 秦 0.2 江 0.2 史 0.2 顾 0.2 侯 0.2 邵 0.2 孟 0.2 龙 0.1 万 0.1 段 0.2 雷 0.1 钱 0.1 汤 0.1
尹 0.15 黎 0.1 易 0.1 常 0.2 武 0.2 乔 0.15 贺 0.13 赖 0.1 龚 0.1 文 0.1 庞 0.12 樊 0.12 兰 0.1 殷 0.1
施 0.1 陶 0.1 洪 0.1 翟 0.12 安 0.12 颜 0.1 倪 0.1 严 0.1 牛 0.15 温 0.1 芦 0.09 季 0.09 俞 0.08 章 0.08
鲁 0.09 葛 0.09 伍 0.07 韦 0.07 申 0.09 尤 0.07 毕 0.08 聂 0.08 丛 0.05 焦 0.1 向 0.06 柳 0.07 邢 0.1
路 0.08 岳 0.08 齐 0.09 梅 0.06 莫 0.05 庄 0.06 辛 0.07 管 0.06 祝 0.06 左 0.06 涂 0.05 谷 0.07 祁 0.06
时 0.06 舒 0.05 耿 0.08 牟 0.05 卜 0.05 詹 0.04 关 0.06 苗 0.07 凌 0.05 费 0.05 纪 0.07 靳 0.07 盛 0.05
童 0.04 欧 0.03 甄 0.05 项 0.04 曲 0.05 成 0.05 游 0.03 阳 0.03 裴 0.05 席 0.05 卫 0.04 查 0.03 屈 0.04
鲍 0.04 位 0.03 覃 0.02 霍 0.06 翁 0.03 隋 0.04 甘 0.03 景 0.04 薄 0.04 单 0.04 包 0.03 司 0.04 柏 0.03
宁 0.04 柯 0.03 阮 0.02 桂 0.02 闵 0.02 解 0.03 强 0.03 柴 0.04 华 0.03 车 0.03 冉 0.02 房 0.04 边 0.04
吉 0.03 饶 0.02 刁 0.02 瞿 0.01 戚 0.03 古 0.02 米 0.03 池 0.01 滕 0.03 晋 0.02 苑 0.05 邬 0.01 臧 0.03
畅 0.01 宫 0.03 来 0.01 苟 0.01 全 0.01 褚 0.02 廉 0.02 简 0.01 娄 0.02 盖 0.02 符 0.01 奚 0.01 穆 0.02
党 0.02 燕 0.03 郎 0.02 邸 0.03 冀 0.03 谈 0.01 姬 0.03 屠 0.01 连 0.02 郁 0.01 晏 0.01 栾 0.03 郗 0.01
仇 0.01 乐 0.01 干 0.004 乾 0.001 於 0.002 萧 0.02 阎 0.05 付 0.15 鄢 0.005
欧阳 0.012 司马 0.004 上官 0.003 诸葛 0.002 东方 0.002 皇甫 0.002 司徒 0.002 夏侯 0.001 令狐 0.001
慕容 0.0008 尉迟 0.0006 公孙 0.0006 端木 0.0005 宇文 0.0005 长孙 0.0004 轩辕 0.0003 万俟 0.0002
"""

# Listed given names, most frequent first, per (sex, era).  Eras by birth year: 0 <1960, 1 1960-79,
# 2 1980-94, 3 1995-2009, 4 2010-.
GIVEN_LISTS = {
    (
        "1",
        0,
    ): "建国 国华 建华 德福 福贵 长海 振华 国庆 文华 玉林 树林 德胜 宝山 金山 明 军 华 平 林 成 福 海 山 忠 志远 "
    "国栋 振国 德明 德华 秀峰 凤山 玉山 长林 宝林 国良 文明 春生 金生 万福 广才 文 斌 庆 贵 刚 永 义 德",
    ("2", 0): "秀英 桂英 秀兰 玉兰 桂兰 秀珍 凤英 玉珍 玉英 兰英 玉梅 凤兰 淑兰 淑珍 秀云 桂芝 秀芳 素珍 玉芳 桂芳 "
    "翠兰 桂珍 凤珍 秀荣 淑英 桂荣 秀梅 丽华 玉华 玉芬 淑华 秀华 桂香 春兰 冬梅 月英 金凤 秀芝 英 兰 "
    "珍 梅 芬 凤 荣 华 秀 淑芬 素兰",
    ("1", 1): "伟 勇 军 强 磊 刚 平 斌 辉 建华 建平 建军 建国 志强 志刚 海涛 海峰 国强 卫东 卫国 红军 立新 永刚 "
    "永强 学军 建伟 晓东 晓明 宏伟 春生 文军 国栋 东升 明 杰 涛 波 峰 亮 鹏 华 林 俊 浩 超 健 彬 荣 "
    "利民 新民 志勇 建新 海军 永生 振江",
    ("2", 1): "丽 敏 静 艳 娟 霞 燕 芳 红 玲 萍 丽娟 红梅 海燕 春梅 晓燕 秀梅 丽华 丽萍 桂芳 艳红 秀芳 红霞 晓红 "
    "小红 凤霞 彩霞 晓丽 美玲 玉霞 建英 爱华 爱玲 丽君 春燕 雪梅 冬梅 晓梅 淑芬 秀云 艳玲 晓玲 丽丽 "
    "小燕 秀丽 艳芳 素芳 翠霞 建华",
    ("1", 2): "伟 磊 勇 军 杰 涛 超 明 强 鹏 刚 辉 浩 斌 亮 帅 龙 飞 鑫 宇 波 洋 旭 阳 凯 健 俊 帆 晨 博 志强 "
    "建华 海涛 晓东 志伟 俊杰 文博 晓明 建伟 晓峰 海洋 晓龙 鹏飞 志鹏 浩然 振宇 建军 少华 宏伟 亚伟 "
    "磊磊 东旭 立伟 家豪 伟强 国伟 文杰 永超 晓辉 志刚 伟伟",
    ("2", 2): "丽 静 敏 燕 艳 娟 霞 芳 娜 丹 玲 婷 倩 雪 颖 琳 莉 慧 晶 蕾 丽娟 晓燕 丽丽 婷婷 静静 晓丽 晓敏 "
    "晓玲 小玲 海燕 丽华 丹丹 娜娜 晶晶 雪梅 佳佳 亚楠 晓静 丽萍 春艳 红艳 美玲 秀丽 晓红 莉莉 艳艳 "
    "晓霞 媛媛 楠楠 文静 欢欢 倩倩 园园 盼盼 晓雪 梦 佳 璐 蕊 萌",
    ("1", 3): "浩 宇 鑫 杰 磊 帅 超 鹏 博 阳 涛 凯 晨 旭 航 昊 轩 浩然 子豪 宇航 俊杰 浩宇 鹏飞 家豪 志豪 文博 "
    "一鸣 思远 嘉豪 天宇 宇轩 子轩 俊豪 雨泽 博文 明轩 梓豪 浩轩 佳豪 皓然 家乐 振宇 天佑 晨阳 鑫宇 "
    "浩楠 泽宇 佳乐",
    ("2", 3): "婷 雪 悦 欣 静 颖 佳 琪 璐 丹 雨 倩 蕾 雯 怡 瑶 欣怡 佳怡 雨婷 婷婷 梦瑶 雨涵 佳琪 思雨 子涵 "
    "晓雪 心怡 梦琪 诗琪 欣然 雪婷 嘉欣 紫涵 思琪 雨欣 佳欣 梦婷 文静 梦雪 雅琪 佳慧 晓彤 雨萱 思佳 "
    "可欣 欣悦 佳宁 雅楠",
    ("1", 4): "浩然 子轩 宇轩 梓轩 浩宇 皓轩 一诺 子墨 宇航 俊熙 沐宸 奕辰 梓睿 子睿 宇泽 梓豪 睿泽 浩轩 明轩 "
    "锦程 博文 一鸣 晨阳 思远 天佑 梓宸 子豪 昊天 俊宇 铭轩 睿 宸 轩 浩 宇 泽 皓 瑞 煜 一航 逸辰 昊然 "
    "梓航 宇辰 子骞 佑安 梓涵 嘉懿 承泽 沐阳",
    ("2", 4): "梓涵 一诺 欣怡 梓萱 诗涵 子涵 雨桐 可馨 若汐 依诺 语桐 梦瑶 佳怡 雨萱 欣妍 紫涵 思涵 梓晴 芷若 "
    "语嫣 梓琪 雨涵 欣悦 梓妍 艺涵 若曦 诗琪 一涵 梦琪 晨曦 安琪 可欣 嘉怡 悦 萱 涵 琪 瑶 妍 桐 诺 馨 "
    "沐晴 伊诺 梓瑶 诗雨",
}
# Characters for composed names, per sex (any era).
GIVEN_CHARS = {
    "1": "伟强军勇明刚磊涛超杰辉鹏华平林斌波宇浩凯健俊帆旭阳龙飞鑫博文志建国海东晓永立振家天子轩睿泽晨航豪嘉铭翔锐毅"
    "峰亮成坤兴德福荣昊然辰瑞麟彬康晋恒宏伦森鸿江春生全胜利金山宝庆贵臣喜发",
    "2": "秀英丽敏静艳娟霞燕芳红玲萍梅兰婷雪颖琳慧晶倩洁蕾娜丹莉欣怡涵萱诗雨梦佳琪瑶妍彤悦馨晓思雅月美春凤桂玉珍淑素"
    "翠爱琴云露璐薇菲婧媛茜楠梓紫可若依语芬菊香荣华娥莲花巧",
}
NICKNAMES = "乐乐 豆豆 贝贝 宝宝 妞妞 甜甜 果果 朵朵 壮壮 牛牛 糖糖 多多 可可 丫丫 小宝 大宝 二宝 欢欢 晨晨 小胖 丁丁 天天 阳阳 安安".split()

# Exact homophones (toneless pinyin), given-name characters only.
HOMOPHONE_GROUPS = """
晓小孝筱 玲灵铃苓伶龄 伟玮炜纬韦维 丽莉立利俐黎力 娟鹃涓 静婧晶京菁靖敬 敏民珉闽 芳方坊 燕艳雁彦妍研 华桦骅
军君均钧 俊骏峻 勇永涌泳咏 杰洁捷婕 涛韬滔焘 明鸣铭茗名 强蔷 红虹宏鸿弘洪 梅媚玫美 霞侠 英莹瑛缨颖影盈迎
兰岚蓝澜 珍真贞桢祯 凤峰锋丰枫风 萍平苹坪屏 宇雨语羽玉钰煜昱瑜 轩萱宣璇暄 涵含晗寒函 梓子紫姿 浩皓昊灏
辰晨宸琛臣 怡宜仪依一艺逸亦奕毅 欣新馨心昕鑫 婷亭庭霆廷 倩茜 瑶遥尧 思斯丝 佳嘉家加 鹏朋蓬 磊蕾垒 刚钢纲岗
斌彬滨宾 波博柏 辉晖慧惠 建剑健键 志智芝 东冬 秀绣 桂贵 淑书舒 亮靓 超潮 飞菲非霏 龙隆 帆凡 旭序绪 阳洋扬
凯恺楷 泽则 睿瑞锐蕊 航杭 雪学 琪琦淇祺奇 彤桐童 悦月越玥 诗师 雅亚娅 琳林霖麟 璐露路鹭 楠南男 文雯闻 云芸韵
琴勤芹 媛元园圆源远 成诚城承 荣蓉容融 豪好 然燃 博伯 春椿 生升 国帼 海 德得 福富 山珊 金津 宝保 喜玺 臣晨
"""
# Near homophones that dictation confuses (n/l, -n/-ng, s/sh, f/h ...), char -> replacement.
NEAR_HOMOPHONE = dict(
    p
    for p in (
        ("琳", "玲"),
        ("玲", "琳"),
        ("林", "凌"),
        ("斌", "兵"),
        ("敏", "明"),
        ("晨", "成"),
        ("欣", "星"),
        ("金", "晶"),
        ("兰", "南"),
        ("丽", "妮"),
        ("思", "诗"),
        ("诗", "思"),
        ("宁", "灵"),
        ("楠", "兰"),
        ("辰", "程"),
        ("彬", "冰"),
        ("芬", "峰"),
        ("珍", "征"),
        ("娜", "拉"),
        ("婷", "亭"),
        ("新", "星"),
        ("军", "均"),
    )
)
# Visually similar characters (a wrong character picked off the paper form).
VISUAL = dict(
    p
    for p in (
        ("玉", "王"),
        ("王", "玉"),
        ("己", "已"),
        ("未", "末"),
        ("士", "土"),
        ("娟", "绢"),
        ("婷", "停"),
        ("霞", "暇"),
        ("梅", "海"),
        ("海", "梅"),
        ("杨", "扬"),
        ("伟", "传"),
        ("军", "车"),
        ("勇", "甬"),
        ("倩", "情"),
        ("晴", "睛"),
        ("鹏", "朋"),
        ("丹", "舟"),
        ("雪", "雷"),
        ("雷", "雪"),
        ("秀", "季"),
        ("季", "秀"),
        ("英", "荚"),
        ("宇", "字"),
        ("涵", "函"),
        ("萱", "宣"),
        ("怡", "恰"),
        ("瑶", "摇"),
        ("颖", "顺"),
        ("凤", "风"),
        ("桂", "挂"),
        ("珍", "诊"),
        ("志", "忠"),
        ("忠", "志"),
        ("明", "朋"),
        ("刚", "列"),
        ("超", "起"),
        ("晓", "哓"),
        ("浩", "告"),
        ("兰", "当"),
        ("华", "毕"),
        ("平", "乎"),
        ("红", "江"),
        ("江", "红"),
        ("云", "去"),
        ("春", "椿"),
        ("辉", "挥"),
        ("林", "材"),
    )
)
# Simplified -> traditional, for the characters of the pools above (surname position included, but
# never 干/乾, 于/於, 肖/萧, which are different surnames).
TRAD_PAIRS = (
    "陈陳刘劉张張杨楊黄黃赵趙吴吳郑鄭孙孫马馬冯馮许許邓鄧韩韓罗羅卢盧苏蘇叶葉贾賈谢謝韦韋蒋蔣陆陸龚龔邹鄒费費顾顧齐齊"
    "汤湯龙龍万萬钱錢闫閆欧歐阳陽诸諸东東长長尉尉迟遲轩軒辕轅邢邢乔喬庞龐樊樊兰蘭颜顏严嚴温溫芦蘆鲁魯聂聶丛叢"
    "庄莊纪紀项項鲍鮑霍霍翁翁单單闵閔柴柴华華车車饶饒戚戚滕滕苑苑邬鄔臧臧畅暢宫宮褚褚廉廉简簡娄婁盖蓋郎郎"
    "邸邸冀冀谈談姬姬连連栾欒"
    "伟偉丽麗军軍红紅国國凤鳳艳艷静靜涛濤鹏鵬晓曉刚剛强強荣榮云雲爱愛宝寶庆慶贵貴书書银銀胜勝义義杰傑学學飞飛辉輝"
    "凯凱诺諾瑶瑤颖穎铭銘泽澤帅帥欢歡乐樂贤賢宁寧达達发發岚嵐莹瑩洁潔丰豐双雙顺順财財贞貞兴興进進卫衛钰鈺鸿鴻诗詩"
    "语語梦夢铃鈴韵韻鹤鶴亚亞锦錦骞騫园園远遠栋棟韬韜咏詠鸣鳴缨纓澜瀾蓝藍桢楨祯禎锋鋒枫楓风風苹蘋灏灝尘塵仪儀艺藝"
    "遥遙尧堯丝絲垒壘钢鋼纲綱岗崗滨濱宾賓晖暉剑劍键鍵绣繡靓靚绪緒扬揚恺愷则則锐銳师師娅婭鹭鷺闻聞芸蕓圆圓缘緣诚誠"
    "闽閩彦彥桦樺骅驊钧鈞骏駿涌湧焘燾蔷薔侠俠鹃鵑龄齡灵靈玮瑋炜煒纬緯维維怀懷选選继繼坚堅献獻伦倫麟麟峰峰"
    "宽寬丽麗凤鳳绍紹渊淵达達涧澗莲蓮娇嬌巧巧兰蘭华華"
)
TRAD = {}
for _i in range(0, len(TRAD_PAIRS) - 1, 2):
    _s, _t = TRAD_PAIRS[_i], TRAD_PAIRS[_i + 1]
    if _s != _t:
        TRAD[_s] = _t


def _build_homophones():
    table = {}
    for grp in HOMOPHONE_GROUPS.split():
        for ch in grp:
            others = [c for c in grp if c != ch]
            if others:
                table.setdefault(ch, [])
                table[ch].extend(o for o in others if o not in table[ch])
    return table


HOMOPHONES = _build_homophones()
_SOUND = {}
for _grp in HOMOPHONE_GROUPS.split():
    for _c in _grp:
        _SOUND.setdefault(_c, _grp[0])


def sound(s: str) -> str:
    """Crude homophone key (group representative per character) used to keep twins' names apart."""
    return "".join(_SOUND.get(c, c) for c in s)


# --------------------------------------------------------------------------------------------------
W17 = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHK = "10X98765432"


def check_char(s17: str) -> str:
    t = 0
    for c, w in zip(s17, W17):
        t += (ord(c) - 48) * w
    return CHK[t % 11]


def id_valid18(s: str) -> bool:
    return len(s) == 18 and s[:17].isdigit() and check_char(s[:17]) == s[17]


def to15(id18: str) -> str:
    return id18[:6] + id18[8:17]


def dstr(o: int) -> str:
    return dt.date.fromordinal(o).isoformat()


class Picker:
    """Weighted choice by bisect over cumulative weights (faster than random.choices in a loop)."""

    __slots__ = ("items", "cum", "total")

    def __init__(self, items, weights):
        self.items = list(items)
        self.cum = []
        t = 0.0
        for w in weights:
            t += w
            self.cum.append(t)
        self.total = t

    def pick(self, rng):
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.total)]


def zipf(n, s=0.9):
    return [1.0 / (i + 1) ** s for i in range(n)]


# --------------------------------------------------------------------------------------------------
class Divisions:
    def __init__(self, data_dir: str, provinces: list[str]):
        provs = set(provinces)
        self.cities = {}
        with open(os.path.join(data_dir, "cities.csv"), encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f):
                self.cities[r["code"]] = r["name"]
        self.county_name = {}
        self.county_city = {}
        self.prov_counties = {}
        with open(os.path.join(data_dir, "areas.csv"), encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f):
                code = r["code"]
                if r["provinceCode"] not in provs or code[4] == "7":  # x7x = development zones, not GB/T 2260
                    continue
                self.county_name[code] = r["name"]
                self.county_city[code] = r["cityCode"]
        self.townships = {}  # county -> [(code, name)]
        with open(os.path.join(data_dir, "streets.csv"), encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f):
                c = r["areaCode"]
                if c in self.county_name:
                    self.townships.setdefault(c, []).append((r["code"], r["name"]))
        self.villages = {}  # county -> [village code]
        with lzma.open(os.path.join(data_dir, "villages.csv.xz"), "rt", encoding="utf-8") as f:
            next(f)
            for line in f:
                if line[:2] not in provs:
                    continue
                code = line[:12]
                c = code[:6]
                if c in self.townships:
                    self.villages.setdefault(c, []).append(code)
        for c in list(self.county_name):
            if c not in self.townships or c not in self.villages:
                del self.county_name[c]
        for c in self.county_name:
            self.prov_counties.setdefault(c[:2], []).append(c)
        self.tw_name = {t: n for c in self.county_name for t, n in self.townships[c]}


# --------------------------------------------------------------------------------------------------
class Person:
    __slots__ = (
        "uid",
        "county",
        "twn",
        "sur",
        "given",
        "sex",
        "bd",
        "id18",
        "id_disp",
        "hk_county",
        "hk_code",
        "hk_disp",
        "spouse",
        "listed",
        "children",
    )

    def name(self):
        return self.sur + self.given


class Birth:
    __slots__ = ("uid", "child", "mother", "father", "order", "row", "twin_of", "dup_rows", "is_twin")


PERSON_KIND_W = [
    ("exact", 30),
    ("homophone", 10),
    ("near_homophone", 2),
    ("traditional", 6),
    ("typo_char", 6),
    ("missing_char", 3),
    ("name_space", 2),
    ("id15", 6),
    ("id_typo", 7),
    ("id_excel", 2),
    ("no_id", 9),
    ("date_swap", 4),
    ("date_near", 6),
    ("lunar_date", 3),
    ("sex_wrong", 1),
]
PERSON_CAT = {
    "homophone": "name",
    "near_homophone": "name",
    "traditional": "name",
    "typo_char": "name",
    "missing_char": "name",
    "name_space": "name",
    "id15": "id",
    "id_typo": "id",
    "id_excel": "id",
    "no_id": "id",
    "date_swap": "date",
    "date_near": "date",
    "lunar_date": "date",
    "sex_wrong": "sex",
}
# pairs of kinds that together would leave a pair a careful human could not call
PERSON_FORBID = {
    frozenset(p)
    for p in [
        ("no_id", "typo_char"),
        ("no_id", "missing_char"),
        ("no_id", "near_homophone"),
        ("no_id", "date_swap"),
        ("no_id", "date_near"),
        ("no_id", "lunar_date"),
        ("lunar_date", "id15"),
        ("lunar_date", "id_typo"),
        ("lunar_date", "id_excel"),
        ("id_excel", "date_swap"),
        ("id_excel", "date_near"),
        ("id_typo", "date_swap"),
        ("id_typo", "date_near"),
        ("id_excel", "typo_char"),
        ("id_excel", "missing_char"),
    ]
}

BIRTH_KIND_W = [
    ("exact", 26),
    ("unnamed_child", 7),
    ("mother_zhi_child", 6),
    ("nickname_child", 5),
    ("homophone", 6),
    ("traditional", 3),
    ("typo_char", 4),
    ("mother_no_id", 7),
    ("mother_id_typo", 5),
    ("mother_id15", 1),
    ("mother_homophone", 2),
    ("mother_traditional", 1),
    ("no_cert", 8),
    ("cert_typo", 3),
    ("date_near", 5),
    ("date_swap", 3),
    ("birth_order", 4),
    ("sex_wrong", 1),
]
BIRTH_CAT = {
    "unnamed_child": "child",
    "mother_zhi_child": "child",
    "nickname_child": "child",
    "homophone": "child",
    "traditional": "child",
    "typo_char": "child",
    "mother_no_id": "mother",
    "mother_id_typo": "mother",
    "mother_id15": "mother",
    "mother_homophone": "mother",
    "mother_traditional": "mother",
    "no_cert": "cert",
    "cert_typo": "cert",
    "date_near": "date",
    "date_swap": "date",
    "birth_order": "order",
    "sex_wrong": "sex",
}
_NAMELESS = ("unnamed_child", "mother_zhi_child", "nickname_child")
BIRTH_FORBID = {
    frozenset(p)
    for k in _NAMELESS
    for p in [
        (k, "mother_no_id"),
        (k, "mother_id_typo"),
        (k, "date_near"),
        (k, "date_swap"),
        (k, "cert_typo"),
        (k, "no_cert"),
        (k, "birth_order"),
    ]
} | {
    frozenset(p)
    for p in [
        ("mother_no_id", "date_near"),
        ("mother_no_id", "date_swap"),
        ("mother_no_id", "typo_char"),
        ("mother_no_id", "no_cert"),
        ("mother_no_id", "cert_typo"),
        ("mother_id_typo", "date_near"),
        ("mother_id_typo", "date_swap"),
        ("mother_id_typo", "no_cert"),
        ("typo_char", "no_cert"),
        ("typo_char", "date_near"),
        ("typo_char", "date_swap"),
    ]
}
TWIN_OK = {
    "exact",
    "traditional",
    "mother_no_id",
    "mother_id_typo",
    "mother_homophone",
    "mother_traditional",
    "no_cert",
    "cert_typo",
}
SOLO = {"sex_wrong"}

CERT_LETTER = {
    2016: "O",
    2017: "P",
    2018: "P",
    2019: "Q",
    2020: "Q",
    2021: "R",
    2022: "R",
    2023: "S",
    2024: "S",
    2025: "T",
    2026: "T",
}


class Generator:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        rng = self.rng
        self.prov = args.province
        self.div = Divisions(args.data, [self.prov] + [p for p in MIGRANT_SOURCE_PROVINCES if p != self.prov])
        div = self.div
        home = div.prov_counties.get(self.prov, [])
        if args.counties > len(home):
            raise SystemExit(f"province {self.prov} has only {len(home)} counties")
        # pick whole prefectures in random order until we have enough counties
        cities = sorted({div.county_city[c] for c in home})
        rng.shuffle(cities)
        sel = []
        for city in cities:
            cs = sorted(c for c in home if div.county_city[c] == city)
            rng.shuffle(cs)
            for c in cs:
                if len(sel) < args.counties:
                    sel.append(c)
        self.counties = sorted(sel)
        self.sel_set = set(self.counties)
        self.by_city = {}
        for c in self.counties:
            self.by_city.setdefault(div.county_city[c], []).append(c)
        self.other_home = [c for c in home if c not in self.sel_set]
        self.other_prov = [c for p in MIGRANT_SOURCE_PROVINCES if p != self.prov for c in div.prov_counties.get(p, [])]
        # names
        items, ws = [], []
        toks = SURNAMES.split()
        for i in range(0, len(toks), 2):
            items.append(toks[i])
            ws.append(float(toks[i + 1]))
        self.sur_pick = Picker(items, ws)
        self.given_one = {}
        self.given_two = {}
        for (sex, era), s in GIVEN_LISTS.items():
            names = s.split()
            one = [n for n in names if len(n) == 1]
            two = [n for n in names if len(n) == 2]
            self.given_one[(sex, era)] = Picker(one, zipf(len(one), 0.8))
            self.given_two[(sex, era)] = Picker(two, zipf(len(two), 0.6))
        self.chars = {s: list(dict.fromkeys(v)) for s, v in GIVEN_CHARS.items()}
        self.pkind = Picker([k for k, _ in PERSON_KIND_W], [w for _, w in PERSON_KIND_W])
        self.bkind = Picker([k for k, _ in BIRTH_KIND_W], [w for _, w in BIRTH_KIND_W])
        # adult wife birth years (a rough age pyramid), 1936-2003
        yrs = list(range(1936, 2004))
        w = []
        for y in yrs:
            if y < 1950:
                w.append(0.35)
            elif y < 1960:
                w.append(0.85)
            elif y < 1976:
                w.append(1.3)
            elif y < 1986:
                w.append(1.0)
            elif y < 1993:
                w.append(1.3)
            else:
                w.append(1.0)
        self.wife_year = Picker(yrs, w)
        # county sizes
        self.cweight = {c: rng.uniform(0.45, 2.2) for c in self.counties}
        # hospitals
        self.hosp = {}
        for c in self.counties:
            cn = div.county_name[c]
            city = div.cities.get(div.county_city[c], "")
            if city in ("市辖区", "县", ""):
                city = cn
            hs, hw = [], []
            if cn.endswith("区"):
                for h, ww in (
                    (f"{city}第一医院", 3),
                    (f"{city}妇幼保健院", 4),
                    (f"{city}人民医院", 2),
                    (f"{cn}医院", 2),
                    (f"{city}中心医院", 1),
                ):
                    hs.append(h)
                    hw.append(ww)
            else:
                for h, ww in (
                    (f"{cn}人民医院", 5),
                    (f"{cn}妇幼保健院", 4),
                    (f"{cn}中医医院", 1.5),
                    (f"{city}妇幼保健院", 1.2),
                    (f"{city}第一医院", 0.8),
                ):
                    hs.append(h)
                    hw.append(ww)
            for t, tn in div.townships[c]:
                if tn.endswith("镇") or tn.endswith("乡"):
                    hs.append(tn + "卫生院")
                    hw.append(0.12)
            hs.append("河北医科大学第二医院" if self.prov == "13" else f"{city}中心医院")
            hw.append(0.3)
            self.hosp[c] = Picker(hs, hw)
        self.used_ids = set()
        self.used_certs = set()
        self.stats = Counter()
        self.truth_counts = Counter()
        self.neg_counts = Counter()

    # ------------------------------------------------------------------ basics
    def uid(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def region(self, county, issue_year):
        for old, last in HEBEI_LINEAGE.get(county, ()):
            if issue_year < last:
                return old
        return county

    def issue_year(self, by):
        rng = self.rng
        if by >= 1999:
            return by
        if by >= 1985:
            return min(2004, max(1985, by + rng.randint(0, 16)))
        return rng.randint(1985, 1993)

    def new_id(self, hk_county, bd, sex):
        rng = self.rng
        d = dt.date.fromordinal(bd)
        reg = self.region(hk_county, self.issue_year(d.year))
        ymd = f"{d.year:04d}{d.month:02d}{d.day:02d}"
        odd = sex == "1"
        for _ in range(2000):
            seq = rng.randrange(0, 498) * 2 + (1 if odd else 2)
            if seq > 995:
                continue
            s17 = f"{reg}{ymd}{seq:03d}"
            if s17 not in self.used_ids:
                self.used_ids.add(s17)
                return s17 + check_char(s17)
        raise RuntimeError("ID space exhausted")

    def new_cert(self, year):
        rng = self.rng
        letter = CERT_LETTER.get(year, "T")
        while True:
            s = f"{letter}{self.prov}{rng.randrange(10**7):07d}"
            if s not in self.used_certs:
                self.used_certs.add(s)
                return s

    @staticmethod
    def era(year):
        return 0 if year < 1960 else 1 if year < 1980 else 2 if year < 1995 else 3 if year < 2010 else 4

    def given(self, sex, year, share=None):
        rng = self.rng
        era = self.era(year)
        if share:
            return share + rng.choice(self.chars[sex])
        p1 = (0.30, 0.38, 0.40, 0.20, 0.10)[era]
        if rng.random() < 0.42:
            if rng.random() < p1:
                return self.given_one[(sex, era)].pick(rng)
            return self.given_two[(sex, era)].pick(rng)
        ch = self.chars[sex]
        if rng.random() < p1:
            return rng.choice(ch)
        a = rng.choice(ch)
        b = rng.choice(ch)
        while b == a and rng.random() < 0.7:
            b = rng.choice(ch)
        return a + b

    def rand_date(self, year):
        o = dt.date(year, 1, 1).toordinal()
        n = 366 if (year % 4 == 0 and (year % 100 or year % 400 == 0)) else 365
        return o + self.rng.randrange(n)

    def township_for(self, county, hk_code):
        if hk_code and hk_code[:6] == county:
            return hk_code[:9]
        return self.rng.choice(self.div.townships[county])[0]

    def pick_target(self, src, hk_county=None, avoid=()):
        rng = self.rng
        if (
            hk_county
            and hk_county in self.sel_set
            and hk_county != src
            and hk_county not in avoid
            and rng.random() < 0.7
        ):
            return hk_county
        if rng.random() < 0.5:
            same = [c for c in self.by_city[self.div.county_city[src]] if c != src and c not in avoid]
            if same:
                return rng.choice(same)
        while True:
            c = rng.choice(self.counties)
            if c != src and c not in avoid:
                return c

    # ------------------------------------------------------------------ people
    def make_person(self, county, sex, bd, hk_county, hk_code, sur=None, given=None, listed=True):
        rng = self.rng
        p = Person()
        p.uid = self.uid()
        p.county = county
        p.sex = sex
        p.bd = bd
        p.sur = sur if sur is not None else self.sur_pick.pick(rng)
        p.given = given if given is not None else self.given(sex, dt.date.fromordinal(bd).year)
        p.hk_county = hk_county
        p.hk_code = hk_code
        p.twn = self.township_for(county, hk_code)
        p.spouse = ""
        p.children = []
        p.listed = listed
        age_days = REF_O - bd
        p.id18 = self.new_id(hk_county, bd, sex)
        r = rng.random()
        by = dt.date.fromordinal(bd).year
        if age_days < 365:
            p.id_disp = p.id18 if r < 0.55 else ""
        elif by < 1962 and r < 0.05:
            p.id_disp = to15(p.id18)
        elif r < (0.07 if by >= 2010 else 0.02):
            p.id_disp = ""
        else:
            p.id_disp = p.id18
        p.hk_disp = hk_code if rng.random() < 0.86 else ""
        return p

    def person_row(self, p):
        return [p.uid, p.county, p.twn, p.sur + p.given, p.sex, dstr(p.bd), p.id_disp, p.hk_disp, p.spouse]

    def hukou_place(self, county):
        return self.rng.choice(self.div.villages[county])

    # ------------------------------------------------------------------ errors: persons
    def person_kind_ok(self, k, p, others):
        g = p.given
        by = dt.date.fromordinal(p.bd)
        if k == "exact":
            return True
        if k == "homophone":
            return any(c in HOMOPHONES for c in g)
        if k == "near_homophone":
            return any(c in NEAR_HOMOPHONE for c in g)
        if k == "traditional":
            return any(c in TRAD for c in p.sur + g) and p.sur not in ("干", "乾", "于", "於")
        if k == "missing_char":
            return len(g) == 2
        if k in ("typo_char", "name_space"):
            return True
        if k == "id15":
            return len(p.id_disp) in (15, 18) and by.year <= 1986
        if k in ("id_typo",):
            return len(p.id_disp) == 18
        if k == "id_excel":
            return len(p.id_disp) == 18 and p.id_disp[17] != "X"
        if k == "no_id":
            return p.id_disp != "" and p.hk_disp != ""
        if k == "date_swap":
            return by.day <= 12 and by.day != by.month and dt.date(by.year, by.day, by.month).toordinal() <= REF_O
        if k == "date_near":
            return p.bd + 3 <= REF_O
        if k == "lunar_date":
            return LunarDate is not None and 1920 <= by.year < 1975 and self.lunar_str(p.bd) is not None
        if k == "sex_wrong":
            return not others and len(p.id_disp) == 18
        return False

    def draw_person_kinds(self, p):
        rng = self.rng
        for _ in range(20):
            k = self.pkind.pick(rng)
            if self.person_kind_ok(k, p, ()):
                break
        else:
            k = "exact"
        if k == "exact":
            return []
        kinds = [k]
        if k not in SOLO and rng.random() < 0.25:
            for _ in range(20):
                k2 = self.pkind.pick(rng)
                if k2 == "exact" or k2 in SOLO or PERSON_CAT[k2] == PERSON_CAT[k]:
                    continue
                if frozenset((k, k2)) in PERSON_FORBID or not self.person_kind_ok(k2, p, kinds):
                    continue
                kinds.append(k2)
                break
        return kinds

    def lunar_str(self, o):
        d = dt.date.fromordinal(o)
        try:
            ld = _from_solar(d.year, d.month, d.day)
            return dt.date(ld.year, ld.month, ld.day).isoformat()
        except Exception:
            return None

    def edit_given(self, g, sex, how):
        rng = self.rng
        idx = list(range(len(g)))
        rng.shuffle(idx)
        if how == "homophone":
            for i in idx:
                if g[i] in HOMOPHONES:
                    return g[:i] + rng.choice(HOMOPHONES[g[i]]) + g[i + 1 :]
        elif how == "near_homophone":
            for i in idx:
                if g[i] in NEAR_HOMOPHONE:
                    return g[:i] + NEAR_HOMOPHONE[g[i]] + g[i + 1 :]
        elif how == "typo_char":
            for i in idx:
                if g[i] in VISUAL and rng.random() < 0.6:
                    return g[:i] + VISUAL[g[i]] + g[i + 1 :]
            i = idx[0]
            bad = set(HOMOPHONES.get(g[i], ())) | {g[i]}
            while True:
                c = rng.choice(self.chars[sex])
                if c not in bad:
                    return g[:i] + c + g[i + 1 :]
        elif how == "missing_char":
            i = rng.randrange(2)
            return g[:i] + g[i + 1 :]
        return g

    @staticmethod
    def trad(s):
        return "".join(TRAD.get(c, c) for c in s)

    def apply_person_kinds(self, row, p, kinds):
        rng = self.rng
        sur, given, sep = p.sur, p.given, ""
        for k in kinds:
            if k in ("homophone", "near_homophone", "typo_char", "missing_char"):
                given = self.edit_given(given, p.sex, k)
            elif k == "traditional":
                if sur not in ("干", "乾", "于", "於", "肖", "萧"):
                    sur = self.trad(sur)
                given = self.trad(given)
            elif k == "name_space":
                sep = rng.choice([" ", "\u3000", "  "]) if len(given) == 1 else rng.choice([" ", "\u3000"])
            elif k == "id15":
                row[6] = to15(p.id18) if len(p.id_disp) == 18 else p.id18
            elif k == "id_typo":
                s = list(p.id_disp)
                if rng.random() < 0.25:
                    for _ in range(50):
                        i = rng.randrange(16)
                        if s[i] != s[i + 1]:
                            s[i], s[i + 1] = s[i + 1], s[i]
                            break
                else:
                    i = rng.randrange(17)
                    s[i] = rng.choice([c for c in "0123456789" if c != s[i]])
                t = "".join(s)
                assert t != p.id_disp and not id_valid18(t)
                row[6] = t
            elif k == "id_excel":
                row[6] = p.id_disp[:15] + "000"
            elif k == "no_id":
                row[6] = ""
            elif k == "date_swap":
                d = dt.date.fromordinal(p.bd)
                row[5] = f"{d.year:04d}-{d.day:02d}-{d.month:02d}"
            elif k == "date_near":
                row[5] = dstr(p.bd + rng.choice((-3, -2, -1, 1, 2, 3)))
            elif k == "lunar_date":
                row[5] = self.lunar_str(p.bd)
            elif k == "sex_wrong":
                row[4] = "2" if p.sex == "1" else "1"
        row[3] = sur + sep + given
        return row

    def plant_person_dup(self, p, T, fam_target=False):
        """Write p (original row) plus one or two copies in other counties; return nothing."""
        rng = self.rng
        kinds = self.draw_person_kinds(p)
        base = self.person_row(p)
        copies = [base]
        crow = list(base)
        crow[0] = self.uid()
        crow[1] = T
        crow[2] = self.township_for(T, p.hk_code)
        if kinds and "no_id" not in kinds:  # the other office may lack optional fields
            if crow[8] and rng.random() < 0.3:
                crow[8] = ""
            if crow[7] and rng.random() < 0.15:
                crow[7] = ""
        elif not kinds:
            if crow[8] and rng.random() < 0.3:
                crow[8] = ""
            if crow[7] and rng.random() < 0.15:
                crow[7] = ""
        copies.append(crow)
        triple = rng.random() < 0.03
        if triple:
            U = self.pick_target(p.county, p.hk_county, avoid=(T,))
            c3 = list(base)
            c3[0] = self.uid()
            c3[1] = U
            c3[2] = self.township_for(U, p.hk_code)
            copies.append(c3)
        # apply the errors to one copy (either side)
        victim = rng.randrange(len(copies))
        if kinds:
            clean = list(copies[victim])
            self.apply_person_kinds(copies[victim], p, kinds)
            # keep the location fields of the victim
            copies[victim][0:3] = clean[0:3]
            if "no_id" in kinds:  # the pair must keep hukou place and spouse on both sides
                for c in copies:
                    c[7] = p.hk_disp
                    c[8] = p.spouse
        for c in copies:
            self.emit_person(c)
        label = "+".join(sorted(kinds)) if kinds else "exact"
        for i in range(len(copies)):
            for j in range(i + 1, len(copies)):
                lab = label if victim in (i, j) else "exact"
                self.write_truth("person", copies[i][0], copies[j][0], lab)
        self.stats["person_dup_groups"] += 1
        if triple:
            self.stats["person_dup_triples"] += 1

    # ------------------------------------------------------------------ errors: births
    def birth_kind_ok(self, k, b, row, twin):
        if twin and k not in TWIN_OK:
            return False
        named = row[3] == b.child.sur + b.child.given
        if k == "exact":
            return True
        if k in ("unnamed_child", "mother_zhi_child", "nickname_child"):
            return named or k == "unnamed_child"
        if k in ("homophone", "traditional", "typo_char"):
            if not named:
                return False
            if k == "homophone":
                return any(c in HOMOPHONES for c in b.child.given)
            if k == "traditional":
                return any(c in TRAD for c in b.child.sur + b.child.given)
            return True
        if k in ("mother_no_id", "mother_id_typo"):
            return len(row[10]) == 18 and named and row[7] != ""
        if k == "mother_id15":
            return len(row[10]) == 18 and dt.date.fromordinal(b.mother.bd).year <= 1983
        if k == "mother_homophone":
            return any(c in HOMOPHONES for c in b.mother.given)
        if k == "mother_traditional":
            return any(c in TRAD for c in b.mother.sur + b.mother.given)
        if k in ("no_cert", "cert_typo"):
            return row[7] != ""
        if k == "date_near":
            return named and WIN_O + 3 <= b.child.bd <= REF_O - 3
        if k == "date_swap":
            d = dt.date.fromordinal(b.child.bd)
            return (
                named
                and d.day <= 12
                and d.day != d.month
                and WIN_O <= dt.date(d.year, d.day, d.month).toordinal() <= REF_O
            )
        if k == "birth_order":
            return not twin and named
        if k == "sex_wrong":
            return named and not twin
        return False

    def draw_birth_kinds(self, b, row, twin):
        rng = self.rng
        for _ in range(30):
            k = self.bkind.pick(rng)
            if self.birth_kind_ok(k, b, row, twin):
                break
        else:
            k = "exact"
        if k == "exact":
            return []
        kinds = [k]
        if k not in SOLO and rng.random() < 0.3:
            for _ in range(30):
                k2 = self.bkind.pick(rng)
                if k2 == "exact" or k2 in SOLO or BIRTH_CAT[k2] == BIRTH_CAT[k]:
                    continue
                if frozenset((k, k2)) in BIRTH_FORBID or not self.birth_kind_ok(k2, b, row, twin):
                    continue
                kinds.append(k2)
                break
        return kinds

    def apply_birth_kinds(self, row, b, kinds):
        rng = self.rng
        ch, mo = b.child, b.mother
        for k in sorted(kinds, key=lambda k: not k.startswith("mother_")):
            if k == "unnamed_child":
                if row[3] == ch.sur + ch.given:
                    row[3] = ""
                else:  # the original was unnamed: this office has the name
                    row[3] = ch.sur + ch.given
            elif k == "mother_zhi_child":
                row[3] = row[9] + ("之子" if ch.sex == "1" else "之女")
            elif k == "nickname_child":
                r = rng.random()
                if r < 0.4:
                    row[3] = ch.sur + ch.given[-1] * 2
                elif r < 0.75:
                    row[3] = ch.sur + rng.choice(NICKNAMES)
                else:
                    row[3] = rng.choice(NICKNAMES)
            elif k in ("homophone", "typo_char"):
                row[3] = ch.sur + self.edit_given(ch.given, ch.sex, k)
            elif k == "traditional":
                row[3] = self.trad(ch.sur) + self.trad(ch.given)
            elif k == "mother_no_id":
                row[10] = ""
            elif k == "mother_id_typo":
                s = list(row[10])
                i = rng.randrange(17)
                s[i] = rng.choice([c for c in "0123456789" if c != s[i]])
                row[10] = "".join(s)
                assert not id_valid18(row[10])
            elif k == "mother_id15":
                row[10] = to15(row[10])
            elif k == "mother_homophone":
                row[9] = mo.sur + self.edit_given(mo.given, "2", "homophone")
            elif k == "mother_traditional":
                row[9] = self.trad(mo.sur) + self.trad(mo.given)
            elif k == "no_cert":
                row[7] = ""
            elif k == "cert_typo":
                s = list(row[7])
                i = rng.randrange(3, 10)
                s[i] = rng.choice([c for c in "0123456789" if c != s[i]])
                row[7] = "".join(s)
            elif k == "date_near":
                row[5] = dstr(ch.bd + rng.choice((-3, -2, -1, 1, 2, 3)))
            elif k == "date_swap":
                d = dt.date.fromordinal(ch.bd)
                row[5] = f"{d.year:04d}-{d.day:02d}-{d.month:02d}"
            elif k == "birth_order":
                o = int(row[8])
                row[8] = str(o - 1 if o > 1 else 2)
            elif k == "sex_wrong":
                row[4] = "2" if ch.sex == "1" else "1"
        return row

    @staticmethod
    def org_variant(org, rng):
        for a, b in (
            ("人民医院", "医院"),
            ("妇幼保健院", "妇幼保健站"),
            ("第一医院", "一院"),
            ("中医医院", "中医院"),
            ("卫生院", "中心卫生院"),
            ("医科大学第二医院", "医大二院"),
        ):
            if a in org:
                return org.replace(a, b, 1)
        return org

    def plant_birth_dup(self, b, T, twin):
        rng = self.rng
        kinds = self.draw_birth_kinds(b, b.row, twin)
        copies = [b.row]
        c = list(b.row)
        c[0] = self.uid()
        c[1] = T
        c[2] = self.township_for(T, b.mother.hk_code)
        # natural differences of the second office (not counted as errors)
        r = rng.random()
        if r < 0.12:
            c[13] = ""
        elif r < 0.3:
            c[13] = self.org_variant(c[13], rng)
        if "mother_no_id" not in kinds and c[11] and rng.random() < 0.2:
            c[11] = ""
            c[12] = ""
        elif c[12] and rng.random() < 0.2:
            c[12] = ""
        if c[6] and rng.random() < 0.4:
            c[6] = ""
        elif not c[6] and b.child.id_disp and rng.random() < 0.15 and len(b.child.id_disp) == 18:
            c[6] = b.child.id_disp
        copies.append(c)
        triple = rng.random() < 0.02
        if triple:
            U = self.pick_target(b.row[1], b.mother.hk_county, avoid=(T,))
            c3 = list(b.row)
            c3[0] = self.uid()
            c3[1] = U
            c3[2] = self.township_for(U, b.mother.hk_code)
            copies.append(c3)
        victim = rng.randrange(len(copies))
        if kinds:
            self.apply_birth_kinds(copies[victim], b, kinds)
        label = "+".join(sorted(kinds)) if kinds else "exact"
        for i in range(len(copies)):
            for j in range(i + 1, len(copies)):
                lab = label if victim in (i, j) else "exact"
                self.write_truth("birth", copies[i][0], copies[j][0], lab)
        for cc in copies:
            self.emit_birth(cc)
        self.stats["birth_dup_groups"] += 1
        if triple:
            self.stats["birth_dup_triples"] += 1
        b.dup_rows = copies[1:]

    # ------------------------------------------------------------------ output
    def open_tmp(self, out):
        self.tmpdir = os.path.join(out, ".tmp-make-province")
        shutil.rmtree(self.tmpdir, ignore_errors=True)
        os.makedirs(self.tmpdir)
        self.pf, self.bf, self.pw, self.bw = {}, {}, {}, {}
        for c in self.counties:
            self.pf[c] = open(os.path.join(self.tmpdir, f"p{c}.csv"), "w", encoding="utf-8", newline="")
            self.bf[c] = open(os.path.join(self.tmpdir, f"b{c}.csv"), "w", encoding="utf-8", newline="")
            self.pw[c] = csv.writer(self.pf[c], lineterminator="\n")
            self.bw[c] = csv.writer(self.bf[c], lineterminator="\n")
        self.tf = open(os.path.join(out, "truth.csv"), "w", encoding="utf-8", newline="")
        self.tw = csv.writer(self.tf, lineterminator="\n")
        self.tw.writerow(["kind", "uid_a", "uid_b", "error"])
        self.negs = []
        self.written_p = 0
        self.written_b = 0

    def emit_person(self, row):
        assert row[2][:6] == row[1]
        self.pw[row[1]].writerow(row)
        self.written_p += 1
        self.county_rows[row[1]] += 1

    def emit_birth(self, row):
        assert row[2][:6] == row[1]
        self.bw[row[1]].writerow(row)
        self.written_b += 1

    def write_truth(self, kind, a, b, err):
        if self.rng.random() < 0.5:
            a, b = b, a
        self.tw.writerow([kind, a, b, err])
        self.truth_counts[(kind, err)] += 1

    def neg(self, kind, a, b):
        self.negs.append((kind, a, b))
        self.neg_counts[kind] += 1

    def finish(self, out):
        for c in self.counties:
            self.pf[c].close()
            self.bf[c].close()
        self.tf.close()
        rng = self.rng
        for name, pre, cols in (("persons.csv", "p", PERSON_COLS), ("births.csv", "b", BIRTH_COLS)):
            with open(os.path.join(out, name), "w", encoding="utf-8", newline="") as f:
                f.write(",".join(cols) + "\n")
                for c in self.counties:
                    tmp = os.path.join(self.tmpdir, f"{pre}{c}.csv")
                    with open(tmp, encoding="utf-8", newline="") as g:
                        lines = g.readlines()
                    rng.shuffle(lines)
                    f.writelines(lines)
                    os.remove(tmp)
        shutil.rmtree(self.tmpdir, ignore_errors=True)
        if self.args.negatives:
            with open(os.path.join(out, "negatives.csv"), "w", encoding="utf-8", newline="") as f:
                w = csv.writer(f, lineterminator="\n")
                w.writerow(["kind", "uid_a", "uid_b"])
                w.writerows(self.negs)

    # ------------------------------------------------------------------ families
    def gen_family(self, X):
        rng = self.rng
        r = rng.random()
        # hukou county: most families are natives; some are migrants (hukou elsewhere)
        m = rng.random()
        if m < 0.06:
            H = rng.choice(self.counties)
            if H == X:
                H = rng.choice(self.other_home) if self.other_home else X
        elif m < 0.095 and self.other_home:
            H = rng.choice(self.other_home)
        elif m < 0.13 and self.other_prov:
            H = rng.choice(self.other_prov)
        else:
            H = X
        migrant = H != X
        hk = self.hukou_place(H)
        members = []
        births = []
        if r < 0.70:  # couple (with children under 26 if any)
            wy = self.wife_year.pick(rng)
            if migrant and wy < 1965 and rng.random() < 0.7:
                wy = rng.randint(1980, 2000)
            hy = wy - max(-2, min(12, round(rng.gauss(2, 2.5))))
            wife = self.make_person(X, "2", self.rand_date(wy), H, hk)
            husb = self.make_person(X, "1", self.rand_date(hy), H, hk)
            if rng.random() < 0.88:
                wife.spouse = husb.sur + husb.given
            if rng.random() < 0.88:
                husb.spouse = wife.sur + wife.given
            members += [husb, wife]
            kids = self.gen_children(wife, husb, X, H, hk)
            for k, order, twin_of, in_window, is_twin in kids:
                if k is not None:
                    members.append(k)
                if in_window:
                    b = self.make_birth(k, wife, husb, order, X, twin_of, is_twin)
                    if twin_of is not None and births:  # twins: same delivery
                        b.row[13] = births[-1].row[13]
                    births.append(b)
        elif r < 0.85:  # single elderly / widowed
            y = rng.randint(1930, 1965)
            p = self.make_person(X, rng.choice("12"), self.rand_date(y), H, hk)
            members.append(p)
        else:  # single younger adult (possibly married, spouse living elsewhere)
            y = rng.randint(1975, 2006)
            sex = rng.choice("12")
            p = self.make_person(X, sex, self.rand_date(y), H, hk)
            if y < 1998 and rng.random() < 0.45:
                osex = "2" if sex == "1" else "1"
                p.spouse = self.sur_pick.pick(rng) + self.given(osex, y)
            members.append(p)
        return members, births, H

    def gen_children(self, wife, husb, X, H, hk):
        """Children of the couple: (Person or None if an adult living elsewhere, order, twin_of, in_window)."""
        rng = self.rng
        wy = dt.date.fromordinal(wife.bd).year
        if wy < 1950:
            return []
        if wy < 1965:
            n = rng.choices((1, 2, 3, 4), (15, 40, 30, 15))[0]
        elif wy < 1978:
            n = rng.choices((1, 2, 3), (45, 45, 10))[0]
        elif wy < 1990:
            n = rng.choices((0, 1, 2, 3), (6, 40, 46, 8))[0]
        else:
            n = rng.choices((0, 1, 2, 3), (14, 36, 42, 8))[0]
        t = wife.bd + int(365.25 * max(19.5, rng.gauss(25.5, 3.2)))
        out = []
        order = 0
        share = None
        if rng.random() < 0.3:
            share = rng.choice(self.chars["1"] if rng.random() < 0.5 else self.chars["2"])
        sur = husb.sur if rng.random() < 0.92 else wife.sur
        end = wife.bd + int(365.25 * 44)
        while order < n and t <= REF_O and t <= end:
            twins = rng.random() < 0.013 and order + 2 <= max(n, 3) and (wy < 1972 or order + 2 <= 3)
            k_n = 2 if twins else 1
            first = None
            for j in range(k_n):
                order += 1
                in_window = WIN_O <= t <= REF_O
                if t < dt.date(2001, 1, 1).toordinal():
                    out.append((None, order, None, False, twins))
                    continue
                sex = "1" if rng.random() < 0.53 else "2"
                yr = dt.date.fromordinal(t).year
                g = self.given(sex, yr, share if (share and rng.random() < 0.9) else None)
                if first is not None:
                    while sound(g) == sound(first.given):
                        g = self.given(sex, yr)
                kid = self.make_person(X, sex, t, H, hk, sur=sur, given=g)
                kid.twn = wife.twn
                out.append((kid, order, first, in_window, twins))
                if first is None:
                    first = kid
            t += int(365.25 * (1.3 + rng.expovariate(1 / 2.6)))
        return out

    def make_birth(self, kid, mother, father, order, X, twin_of, is_twin=False):
        rng = self.rng
        b = Birth()
        b.uid = self.uid()
        b.child, b.mother, b.father, b.order = kid, mother, father, order
        b.twin_of = twin_of
        b.dup_rows = []
        age = REF_O - kid.bd
        name = kid.sur + kid.given
        b.is_twin = is_twin
        if age < 75 and not is_twin and rng.random() < 0.4:
            name = "" if rng.random() < 0.6 else mother.sur + mother.given + ("之子" if kid.sex == "1" else "之女")
        cid = ""
        if len(kid.id_disp) == 18 and rng.random() < (0.1 if age < 365 else 0.4):
            cid = kid.id_disp
        yr = dt.date.fromordinal(kid.bd).year
        org = self.hosp[X].pick(rng)
        cert = self.new_cert(yr) if rng.random() < 0.93 else ""
        if rng.random() < 0.008:
            org, cert = "家中", ""
        mid = mother.id18 if rng.random() < 0.97 else ""
        fname = father.sur + father.given if rng.random() < 0.95 else ""
        fid = father.id18 if fname and rng.random() < 0.8 else ""
        b.row = [
            b.uid,
            X,
            mother.twn,
            name,
            kid.sex,
            dstr(kid.bd),
            cid,
            cert,
            str(order),
            mother.sur + mother.given,
            mid,
            fname,
            fid,
            org,
        ]
        return b

    # ------------------------------------------------------------------ hard negatives
    def doppelganger(self, p, homophone=False):
        """A different person with the same name (or a homophone), sex and birth date in another county."""
        rng = self.rng
        T = self.pick_target(p.county)
        if rng.random() < 0.5:
            H = p.hk_county
        else:
            H = T if rng.random() < 0.7 else rng.choice(self.counties)
        hk = self.hukou_place(H)
        while hk == p.hk_code:
            hk = self.hukou_place(H)
        given = self.edit_given(p.given, p.sex, "homophone") if homophone else p.given
        d = self.make_person(T, p.sex, p.bd, H, hk, sur=p.sur, given=given)
        d.id_disp = d.id18
        d.hk_disp = hk
        if p.spouse or rng.random() < 0.5:
            osex = "2" if p.sex == "1" else "1"
            d.spouse = self.sur_pick.pick(rng) + self.given(osex, dt.date.fromordinal(p.bd).year)
        self.emit_person(self.person_row(d))
        self.neg("homophone_same_dob" if homophone else "same_name_dob", p.uid, d.uid)

    def namesake_birth(self, b):
        """Another woman with the same name gives birth the same day in another county."""
        rng = self.rng
        T = self.pick_target(b.row[1])
        H = T if rng.random() < 0.8 else rng.choice(self.counties)
        hk = self.hukou_place(H)
        mo = b.mother
        my = dt.date.fromordinal(mo.bd).year + rng.choice((-5, -4, -3, -2, -1, 1, 2, 3, 4))
        m2 = self.make_person(T, "2", self.rand_date(my), H, hk, sur=mo.sur, given=mo.given)
        m2.id_disp = m2.id18
        ch = b.child
        same_child = rng.random() < 0.5
        fsur = ch.sur if same_child else self.sur_pick.pick(rng)
        f2 = self.make_person(T, "1", self.rand_date(my - rng.randint(0, 4)), H, hk, sur=fsur)
        m2.spouse, f2.spouse = f2.sur + f2.given, m2.sur + m2.given
        k2 = self.make_person(T, ch.sex, ch.bd, H, hk, sur=fsur, given=ch.given if same_child else None)
        for p in (m2, f2, k2):
            p.twn = m2.twn
            self.emit_person(self.person_row(p))
        b2 = self.make_birth(k2, m2, f2, rng.choice((1, 1, 2)), T, None)
        if b.row[3] == "" or "之" in b.row[3]:
            b2.row[3] = "" if b.row[3] == "" else m2.sur + m2.given + ("之子" if ch.sex == "1" else "之女")
        b2.row[10] = m2.id18
        if not b2.row[7]:
            b2.row[7] = self.new_cert(dt.date.fromordinal(ch.bd).year)
        self.emit_birth(b2.row)
        self.neg("namesake_mother_same_day", b.uid, b2.uid)

    # ------------------------------------------------------------------ main loop
    def run(self, out):
        args = self.args
        rng = self.rng
        self.open_tmp(out)
        self.county_rows = Counter()
        tw = sum(self.cweight.values())
        overhead = 1.02
        orig_p = 0
        orig_b = 0
        n_counties = len(self.counties)
        for ci, X in enumerate(self.counties):
            quota = args.persons * self.cweight[X] / tw / overhead
            made = 0
            last = ci == n_counties - 1
            while (made < quota) if not last else (self.written_p < args.persons):
                members, births, H = self.gen_family(X)
                made += len(members)
                orig_p += len(members)
                orig_b += len(births)
                # double registration of the whole family (migrant births counted twice)
                fam_T = None
                if births:
                    pr = 0.09 if (H != X) else 0.008
                    if rng.random() < pr:
                        fam_T = self.pick_target(X, H)
                # one of two births of the same mother reported in another county (a different child)
                moved_birth = None
                if (
                    fam_T is None
                    and len(births) >= 2
                    and births[-1].twin_of is None
                    and births[-1].child.bd - births[-2].child.bd > 330
                    and rng.random() < 0.05
                ):
                    moved_birth = births[-1]
                    T2 = self.pick_target(X, H)
                    moved_birth.row[1] = T2
                    moved_birth.row[2] = self.township_for(T2, births[-1].mother.hk_code)
                    moved_birth.row[8] = rng.choice((moved_birth.row[8], "1"))
                    moved_birth.row[13] = self.hosp[T2].pick(rng)
                    self.neg("mother_two_counties", births[-2].uid, moved_birth.uid)
                # persons
                for p in members:
                    dup = False
                    if fam_T is not None:
                        pr = 0.55 if p.sex == "2" and p is births[0].mother else 0.3
                        if p.bd >= WIN_O:
                            pr = 0.45
                        dup = rng.random() < pr
                        T = fam_T
                    if not dup:
                        want = self.stats["person_dup_groups"] < 0.01 * orig_p
                        dup = rng.random() < (0.02 if want else 0.002)
                        T = self.pick_target(X, p.hk_county)
                    if dup:
                        self.plant_person_dup(p, T)
                    else:
                        self.emit_person(self.person_row(p))
                    # hard negatives: somebody else with the same name and birth date elsewhere
                    if len(p.id_disp) == 18 and REF_O - p.bd > 18 * 365:
                        r = rng.random()
                        if r < 0.003:
                            self.doppelganger(p)
                        elif r < 0.0038 and any(c in HOMOPHONES for c in p.given):
                            self.doppelganger(p, homophone=True)
                # births
                for b in births:
                    twin = b.is_twin
                    dup = False
                    if b is moved_birth:
                        self.emit_birth(b.row)
                        continue
                    if fam_T is not None and rng.random() < 0.85:
                        dup, T = True, fam_T
                    if not dup:
                        want = self.stats["birth_dup_groups"] < 0.03 * orig_b
                        if rng.random() < (0.03 if want else 0.004):
                            dup, T = True, self.pick_target(X, b.mother.hk_county)
                    if dup:
                        self.plant_birth_dup(b, T, twin)
                    else:
                        self.emit_birth(b.row)
                    if not dup and b.row[10] and b.row[7] and rng.random() < 0.002:
                        self.namesake_birth(b)
                # cross negatives among siblings / twins when a birth was duplicated
                for b in births:
                    for d in b.dup_rows:
                        for o in births:
                            if o is b:
                                continue
                            if o.child.bd == b.child.bd:
                                self.neg("twin_cross", d[0], o.uid)
                            else:
                                self.neg("sibling_cross", d[0], o.uid)
        self.stats["orig_persons"] = orig_p
        self.stats["orig_births"] = orig_b
        self.finish(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--counties", type=int, default=40)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--province", default="13", help="2-digit province code (default 13 河北)")
    ap.add_argument("--data", default=DEFAULT_DATA, help="NBS 2023 divisions folder")
    ap.add_argument("--negatives", action="store_true", help="also write negatives.csv (planted hard negatives)")
    args = ap.parse_args(argv)
    t0 = time.time()
    os.makedirs(args.out_dir, exist_ok=True)
    g = Generator(args)
    g.run(args.out_dir)
    el = time.time() - t0
    print(f"counties {len(g.counties)}: {' '.join(g.counties)}", file=sys.stderr)
    print(
        f"persons rows {g.written_p}  births rows {g.written_b}  "
        f"(original persons {g.stats['orig_persons']}, original births {g.stats['orig_births']})",
        file=sys.stderr,
    )
    print(
        f"person dup groups {g.stats['person_dup_groups']} (triples {g.stats['person_dup_triples']}), "
        f"birth dup groups {g.stats['birth_dup_groups']} (triples {g.stats['birth_dup_triples']})",
        file=sys.stderr,
    )
    for (k, e), n in sorted(g.truth_counts.items(), key=lambda t: (t[0][0], -t[1])):
        print(f"  truth {k:6s} {e:40s} {n}", file=sys.stderr)
    for k, n in sorted(g.neg_counts.items()):
        print(f"  negative {k:30s} {n}", file=sys.stderr)
    print(f"elapsed {el:.1f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
