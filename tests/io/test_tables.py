"""Tables: CSV in UTF-8, UTF-8 with BOM and GBK; XLSX; CSV out with BOM; JSON; schemes from CSV."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from landcarbon.core.classes import to_national6
from landcarbon.core.errors import InputFileError, InputValidationError, MissingClassError
from landcarbon.io import read_crosswalk, read_scheme, read_table, write_csv, write_json

TEXT = "code,name_zh,c_above\n1,耕地,3.0\n2,林地,44.6\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings(tmp_path, encoding):
    path = tmp_path / f"pools_{encoding}.csv"
    path.write_bytes(TEXT.encode(encoding))
    df = read_table(path)
    assert df.columns.tolist() == ["code", "name_zh", "c_above"]  # no BOM left in the first name
    assert df["name_zh"].tolist() == ["耕地", "林地"]
    assert df["c_above"].sum() == pytest.approx(47.6)


def test_header_whitespace_is_stripped(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(" code , value \n1,2\n", encoding="utf-8")
    assert read_table(path).columns.tolist() == ["code", "value"]


def test_xlsx(tmp_path):
    path = tmp_path / "表.xlsx"
    with pd.ExcelWriter(path) as xw:
        pd.DataFrame({"code": [1, 2], "name_zh": ["耕地", "林地"]}).to_excel(xw, sheet_name="first", index=False)
        pd.DataFrame({"year": [2020], "value": [1.5]}).to_excel(xw, sheet_name="second", index=False)
    assert read_table(path)["name_zh"].tolist() == ["耕地", "林地"]
    assert read_table(path, sheet="second")["value"].tolist() == [1.5]


def test_table_errors(tmp_path):
    with pytest.raises(InputFileError, match="does not exist"):
        read_table(tmp_path / "nope.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(InputFileError, match="empty"):
        read_table(empty)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    with pytest.raises(InputFileError, match="bad.xlsx"):
        read_table(bad)


def test_write_csv_starts_with_bom(tmp_path):
    df = pd.DataFrame({"province_zh": ["湖北省"], "stock_MgC": [1.5]})
    path = write_csv(df, tmp_path / "out.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw == "\ufeffprovince_zh,stock_MgC\n湖北省,1.5\n".encode()
    pd.testing.assert_frame_equal(read_table(path), df)
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_write_json_cleans_numpy_and_nan(tmp_path):
    path = write_json({"a": np.int64(3), "b": float("nan"), "c": [np.float32(0.5)], "名": "湖北"},
                      tmp_path / "s.json")
    obj = json.loads(path.read_text(encoding="utf-8"))
    assert obj == {"a": 3, "b": None, "c": [0.5], "名": "湖北"}


SCHEME_CSV = (
    "code,key,name_zh,name_en,colour,group\n"
    "11,paddy,水田,Paddy field,#ffff00,耕地\n"
    "21,forest,有林地,Forest,#00aa00,forest\n"
    "41,river,河渠,River,#0000ff,water\n"
    "51,urban,城镇用地,Urban,#ff0000,建设用地\n"
)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk"])
def test_read_scheme(tmp_path, encoding):
    path = tmp_path / "cas_lucc.csv"
    path.write_bytes(SCHEME_CSV.encode(encoding))
    s = read_scheme(path, citation="CAS-LUCC")
    assert s.name == "cas_lucc" and s.citation == "CAS-LUCC"
    assert s.codes == [11, 21, 41, 51]
    assert s[11].name_zh == "水田" and s[11].group == "cropland" and s[11].colour == "#ffff00"
    assert to_national6(s).mapping == {11: 1, 21: 2, 41: 4, 51: 5}
    with pytest.raises(MissingClassError):
        s.check_codes([11, 12])


def test_read_scheme_errors(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("code,group\n1,orchard\n", encoding="utf-8")
    with pytest.raises(InputValidationError, match="s.csv.*orchard"):
        read_scheme(path)
    path.write_text("code,group\nabc,forest\n", encoding="utf-8")
    with pytest.raises(InputValidationError, match="integers"):
        read_scheme(path)


def test_read_crosswalk(tmp_path):
    path = tmp_path / "cw.csv"
    path.write_text("from,to\n11,1\n12,1\n21,2\n", encoding="utf-8")
    cw = read_crosswalk(path, source="cas_lucc", target="national6")
    assert (cw.source, cw.target) == ("cas_lucc", "national6")
    assert cw.mapping == {11: 1, 12: 1, 21: 2}
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputValidationError, match="'from' and 'to'"):
        read_crosswalk(path)


def test_real_pools_table(shared_data):
    df = read_table(shared_data / "invest_willamette" / "carbon_pools_willamette.csv")
    assert df.columns.tolist() == ["lucode", "LULC_Name", "C_above", "C_below", "C_soil", "C_dead"]
    # row 1 (Residential 0-4 units/acre): 15 + 10 + 60 + 1 = 86 Mg C/ha
    r1 = df[df["lucode"] == 1].iloc[0]
    assert r1[["C_above", "C_below", "C_soil", "C_dead"]].sum() == pytest.approx(86.0)
