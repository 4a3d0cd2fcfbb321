#!/usr/bin/env python3
"""Regenerates crates/ingest/data/cn-phone-regions.tsv.gz, the table `region` is derived
from: Chinese mobile number blocks and landline area codes to province/city.

Source: the geocoding data of Google's libphonenumber (Apache License 2.0, see
crates/ingest/data/LICENSE-libphonenumber), as shipped in the `phonenumbers` package on PyPI.
Usage: scripts/gen-phone-regions.py [PHONENUMBERS_VERSION]
"""
import gzip
import os
import subprocess
import sys
import tempfile
import zipfile

PROVINCES = {
    "Anhui": "安徽省", "Beijing": "北京市", "Chongqing": "重庆市", "Fujian": "福建省",
    "Gansu": "甘肃省", "Guangdong": "广东省", "Guangxi": "广西壮族自治区", "Guizhou": "贵州省",
    "Hainan": "海南省", "Hebei": "河北省", "Heilongjiang": "黑龙江省", "Henan": "河南省",
    "Hubei": "湖北省", "Hunan": "湖南省", "Inner Mongolia": "内蒙古自治区", "Jiangsu": "江苏省",
    "Jiangxi": "江西省", "Jilin": "吉林省", "Liaoning": "辽宁省", "Ningxia": "宁夏回族自治区",
    "Qinghai": "青海省", "Shaanxi": "陕西省", "Shandong": "山东省", "Shanghai": "上海市",
    "Shanxi": "山西省", "Sichuan": "四川省", "Tianjin": "天津市", "Tibet": "西藏自治区",
    "Xinjiang": "新疆维吾尔自治区", "Yunnan": "云南省", "Zhejiang": "浙江省",
}
SHORT = {
    "广西壮族自治区": "广西", "内蒙古自治区": "内蒙古", "宁夏回族自治区": "宁夏",
    "西藏自治区": "西藏", "新疆维吾尔自治区": "新疆",
}


def region(entry):
    """`省/市` from a libphonenumber entry ({'en': 'City, Province', 'zh': '...'})."""
    en = entry["en"]
    province_en = en.split(", ")[-1]
    province = PROVINCES[province_en]
    if ", " not in en:  # a municipality: the city is the province
        return province
    zh = entry.get("zh")
    if zh is None:
        return province
    short = SHORT.get(province, province.rstrip("省市"))
    city = zh
    for p in (province, short):
        if city.startswith(p):
            city = city[len(p):]
            break
    city = city.strip()
    return f"{province}/{city}" if city else province


def main():
    version = sys.argv[1] if len(sys.argv) > 1 else "9.0.43"
    out = os.path.join(os.path.dirname(__file__), "..", "crates", "ingest", "data")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp,
             f"phonenumbers=={version}"],
            check=True,
        )
        wheel = next(f for f in os.listdir(tmp) if f.endswith(".whl"))
        with zipfile.ZipFile(os.path.join(tmp, wheel)) as z:
            z.extractall(tmp)
        sys.path.insert(0, tmp)
        from phonenumbers.geodata import GEOCODE_DATA  # noqa: E402

    rows = sorted(
        (k[2:], region(v)) for k, v in GEOCODE_DATA.items() if k.startswith("86")
    )
    places = sorted({r for _, r in rows})
    index = {p: i for i, p in enumerate(places)}
    lines = [
        f"# Chinese phone number prefixes (after +86; mobile blocks, and landline area codes",
        f"# without their 0) to province/city. Derived from libphonenumber's geocoding data",
        f"# (phonenumbers {version}), Copyright (C) 2011 The Libphonenumber Authors, Apache",
        f"# License 2.0. Regenerate with scripts/gen-phone-regions.py.",
        f"places\t{len(places)}",
    ]
    lines += places
    lines += [f"{prefix}\t{index[r]}" for prefix, r in rows]
    with gzip.open(os.path.join(out, "cn-phone-regions.tsv.gz"), "wt", encoding="utf-8",
                   compresslevel=9) as f:
        f.write("\n".join(lines) + "\n")
    print(f"{len(rows)} prefixes, {len(places)} places")


if __name__ == "__main__":
    main()
