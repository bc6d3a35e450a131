"""Export files -> FluigRequest: every format an operator may hand to `fetch --from`, and a clear
one-line error (naming file and line, never a phone or a name) for every broken one."""

from __future__ import annotations

import json
import tracemalloc
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import openpyxl
import pytest

from fluigbot.errors import UsageError
from fluigbot.fluig.exports import as_text, parse_date, read_export
from fluigbot.models import FluigRequest

DATA = Path(__file__).resolve().parent.parent / "data" / "exports"
BRT = timezone(timedelta(hours=-3))
EDT = timezone(timedelta(hours=-4))


def read(path: Path, **kwargs: str) -> list[FluigRequest]:
    return list(read_export(path, **kwargs))


# --- formats --------------------------------------------------------------------------------


def test_csv_with_commas_quotes_multiline_and_blank_rows() -> None:
    requests = read(DATA / "comma.csv")
    assert [r.request_id for r in requests] == ["196526", "196527", "196528"]  # blank row skipped
    first, second, third = requests
    assert first.source == "comma.csv"
    assert first.process_id == "abertura_chamado"
    assert first.status == "OPEN"
    assert first.requester_name == "Ana Andrade"
    assert first.start_date == datetime(2026, 7, 8, 16, 2, 6, 652000, tzinfo=EDT)
    assert first.fields == {
        "telefone": "(11) 98765-4321",
        "nome_solicitante": "Ana Andrade",
        "descricao": "Impressora, 2º andar",
    }
    assert second.fields["descricao"] == "Linha 1\r\nlinha 2"
    assert second.fields["nome_solicitante"] == ""
    assert third.start_date == datetime.fromtimestamp(1783541526, UTC)  # epoch millis
    assert third.status == "FINALIZED"


@pytest.mark.parametrize("name", ["semicolon_cp1252.csv", "semicolon_utf8_bom.csv"])
def test_csv_semicolon_latin1_and_utf8_with_bom(name: str) -> None:
    first, second = read(DATA / name)
    assert first.request_id == "301"  # the BOM did not stick to the first column's name
    assert first.process_id == "reembolso"
    assert first.requester_name == "João Conceição"
    assert first.fields == {
        "telefone": "0xx11 98765-4321",
        "nome_solicitante": "João",
        "cidade": "São Paulo",
    }
    assert first.start_date == datetime(2026, 7, 8, 16, 2, tzinfo=BRT)  # day first, Brasília
    assert second.start_date == datetime(2026, 7, 9, tzinfo=BRT)
    assert second.fields["cidade"] == "Niterói"


def test_csv_utf16_tab_separated(tmp_path: Path) -> None:
    """Excel's "Unicode text" export."""
    path = tmp_path / "excel.txt"
    path.write_text("processInstanceId\tprocessId\ttelefone\n7\tp\t11 98765-4321\n", "utf-16")
    (request,) = read(path)
    assert (request.request_id, request.process_id) == ("7", "p")
    assert request.fields == {"telefone": "11 98765-4321"}


def test_json_plain_array() -> None:
    first, second = read(DATA / "array.json")
    assert first.source == "array.json"
    assert (first.request_id, first.form_id, first.form_record_id) == ("401", 197295, 1111258)
    assert first.start_date == datetime(2024, 11, 8, 20, 3, 1, tzinfo=UTC)
    assert first.fields == {"telefone": "11987654321"}
    assert second.request_id == "402"
    assert second.start_date is None
    assert second.fields == {"telefone": "21998765432", "ativo": "true"}


def test_json_v2_envelope_with_whole_request_objects() -> None:
    first, second = read(DATA / "v2_envelope.json")
    assert first == FluigRequest(
        source="v2_envelope.json",
        request_id="196526",
        process_id="contratos_taxa_limpeza",
        requester_name="Ana Andrade",
        start_date=datetime(2026, 7, 8, 16, 2, 6, 652000, tzinfo=EDT),
        status="OPEN",
        fields={
            "processVersion": "18",
            "active": "true",
            "periodId": "Default",
            "activities": "",
            "formRecord": "",
            "slaStatus": "ON_TIME",
            "processDescription": "Adesão ao Programa de Roçada",
            "num_tel_contato": "5511987654321",
            "nm_emitente": "Ana Andrade",
            "ds_chamado": "Roçada do terreno",
        },
        form_id=197295,
        form_record_id=1111258,
        state_sequence=14,
        thread_sequence=0,
        movement_sequence=4,
    )
    assert second.request_id == "196525"
    assert second.status == "FINALIZED"
    assert second.requester_name is None
    assert "num_tel_contato" not in second.fields


def test_json_dataset_envelope() -> None:
    first, second = read(DATA / "dataset_envelope.json")
    assert (first.request_id, first.process_id, first.status) == ("501", "abertura_chamado", "OPEN")
    assert (first.form_id, first.form_record_id) == (41123, 9001)
    assert first.start_date == datetime.fromtimestamp(1783541526, UTC)
    assert first.fields == {"telefone": "(31) 99123-4567"}
    assert (second.request_id, second.status, second.form_record_id) == ("502", "FINALIZED", 9002)
    assert second.start_date == datetime(2026, 7, 9, 10, 0, tzinfo=BRT)


@pytest.mark.parametrize(
    "doc",
    [
        {"content": [{"processInstanceId": 1, "processId": "p"}], "message": None},
        {
            "columns": ["processInstanceId", "processId"],
            "values": [{"processInstanceId": 1, "processId": "p"}],
        },
    ],
)
def test_json_other_dataset_answers(tmp_path: Path, doc: object) -> None:
    path = tmp_path / "ds.json"
    path.write_text(json.dumps(doc))
    assert [r.request_id for r in read(path)] == ["1"]


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_xlsx_numbers_keep_every_digit(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "export.xlsx",
        [
            [],
            ["processInstanceId", "processId", "startDate", "requesterName", "telefone", "celular"],
            [
                196526.0,
                "abertura_chamado",
                datetime(2026, 7, 8, 16, 2),
                "Ana",
                11987654321.0,
                5511987654321,
            ],
            [None, None, None, None, None, None],
            [196527, "abertura_chamado", "08/07/2026 16:02", "Bruno", "(11) 98765-4321", None],
        ],
    )
    first, second = read(path)
    assert first.source == "export.xlsx"
    assert first.request_id == "196526"
    assert first.start_date == datetime(2026, 7, 8, 16, 2, tzinfo=BRT)
    assert first.fields == {"telefone": "11987654321", "celular": "5511987654321"}
    assert second.request_id == "196527"
    assert second.start_date == datetime(2026, 7, 8, 16, 2, tzinfo=BRT)
    assert second.fields == {"telefone": "(11) 98765-4321", "celular": ""}


def test_default_process_id_fills_a_missing_process_column(tmp_path: Path) -> None:
    path = tmp_path / "one_process.csv"
    path.write_text("processInstanceId,telefone\n10,11 98765-4321\n")
    (request,) = read(path, default_process_id="abertura_chamado")
    assert request.process_id == "abertura_chamado"


# --- values ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (11987654321.0, "11987654321"),
        (5511987654321.0, "5511987654321"),
        (11987654321, "11987654321"),
        (1.5, "1.5"),
        (True, "true"),
        (None, ""),
        ("  x ", "x"),
    ],
)
def test_as_text(value: object, text: str) -> None:
    assert as_text(value) == text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-07-08T16:02:06.652-0400", datetime(2026, 7, 8, 16, 2, 6, 652000, tzinfo=EDT)),
        ("2024-11-08T20:03:01.000+0000", datetime(2024, 11, 8, 20, 3, 1, tzinfo=UTC)),
        ("2026-07-08T19:02:06Z", datetime(2026, 7, 8, 19, 2, 6, tzinfo=UTC)),
        ("2026-07-08", datetime(2026, 7, 8, tzinfo=BRT)),
        ("08/07/2026 16:02", datetime(2026, 7, 8, 16, 2, tzinfo=BRT)),
        ("08/07/2026 16:02:30", datetime(2026, 7, 8, 16, 2, 30, tzinfo=BRT)),
        ("08/07/2026", datetime(2026, 7, 8, tzinfo=BRT)),
        ("1783541526000", datetime.fromtimestamp(1783541526, UTC)),
        (1783541526000, datetime.fromtimestamp(1783541526, UTC)),
        ("1783541526", datetime.fromtimestamp(1783541526, UTC)),
        ("", None),
        ("ontem", None),
        ("31/02/2026", None),
        ("42", None),
        (None, None),
    ],
)
def test_parse_date(value: object, expected: datetime | None) -> None:
    assert parse_date(value) == expected


# --- bad input ------------------------------------------------------------------------------

SECRETS = ("98765", "4321", "Ana", "Andrade", "Bruno")


def error_for(path: Path, **kwargs: str) -> str:
    with pytest.raises(UsageError) as info:
        read(path, **kwargs)
    assert info.value.exit_code == 2
    message = str(info.value)
    assert "\n" not in message
    assert path.name in message
    assert not any(s in message for s in SECRETS), message
    return message


def test_missing_file(tmp_path: Path) -> None:
    assert "no such file" in error_for(tmp_path / "nope.csv")


def test_unknown_extension(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    message = error_for(path)
    assert "'.xls'" in message and ".xlsx" in message and ".csv" in message


def test_a_folder(tmp_path: Path) -> None:
    path = tmp_path / "dir.csv"
    path.mkdir()
    assert "folder" in error_for(path)


@pytest.mark.parametrize("name", ["empty.csv", "empty.json", "empty.xlsx"])
def test_empty_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    assert "empty" in error_for(path)


@pytest.mark.parametrize(
    ("name", "content"), [("blank.csv", b"\xef\xbb\xbf\r\n \n"), ("blank.json", b"  \n")]
)
def test_blank_file(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert "empty" in error_for(path)


def test_broken_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text(
        '[\n {"processInstanceId": 1, "telefone": "11 98765-4321"},\n {"processInstanceId": 2,,\n]'
    )
    message = error_for(path)
    assert "line 3 column" in message and "not valid JSON" in message


@pytest.mark.parametrize(
    ("doc", "words"),
    [
        ({"hasNext": False}, "expected a JSON array"),
        ("just text", "expected a JSON array"),
        ({"content": {}, "message": None}, "no values"),
        ({"columns": None, "values": None}, "no values"),
        ([{"processInstanceId": 1, "processId": "p"}, "Ana Andrade"], "item 2: not a JSON object"),
        (
            [
                {"processInstanceId": 1, "processId": "p"},
                {"processId": "p", "telefone": "11 98765-4321"},
            ],
            "item 2: no processInstanceId key",
        ),
        (
            [{"processInstanceId": "Ana Andrade", "processId": "p"}],
            "item 1: processInstanceId is not a whole number",
        ),
    ],
)
def test_bad_json_shapes(tmp_path: Path, doc: object, words: str) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(doc))
    assert words in error_for(path)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("telefone,nome\n11 98765-4321,Ana\n", "line 1: no processInstanceId column"),
        ("processInstanceId,telefone\n1,11 98765-4321\n", "line 1: no processId column"),
        (
            "processInstanceId,processId,telefone\n1,p,x\n,p,11 98765-4321\n",
            "line 3: no processInstanceId value",
        ),
        (
            "processInstanceId,processId,telefone\n1,p,x\n2,,11 98765-4321\n",
            "line 3: no processId value",
        ),
        (
            "processInstanceId,processId,telefone\n1,p,x\nAna Andrade,p,11 98765-4321\n",
            "line 3: processInstanceId is not a whole number",
        ),
        (
            "processInstanceId,processId,telefone\n1,p,11 98765-4321,Ana\n",
            "line 2: 4 values but the header has 3 columns",
        ),
        (
            "processInstanceId,processId,telefone,telefone\n1,p,a,b\n",
            "column 'telefone' appears twice",
        ),
        ('processInstanceId,processId,telefone\n1,p,"11 98765-4321\n', "not valid CSV"),
        ('processInstanceId,processId,telefone\n1,p,"x"y\n', "line 2: not valid CSV"),
    ],
)
def test_bad_csv(tmp_path: Path, content: str, words: str) -> None:
    path = tmp_path / "export.csv"
    path.write_text(content, encoding="utf-8")
    assert words in error_for(path)


def test_trailing_empty_cells_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_text("processInstanceId;processId;telefone;\n1;p;11 98765-4321;;\n")
    assert [r.request_id for r in read(path)] == ["1"]


def test_bad_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    assert "not a readable .xlsx" in error_for(path)


def test_xlsx_row_without_id_names_the_row(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "export.xlsx",
        [
            ["processInstanceId", "processId", "telefone"],
            [1, "p", "x"],
            [None, "p", "11 98765-4321"],
        ],
    )
    assert "row 3: no processInstanceId value" in error_for(path)


def test_xlsx_with_an_empty_sheet(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "export.xlsx", [])
    assert "empty" in error_for(path)


def test_rows_before_a_bad_row_are_delivered(tmp_path: Path) -> None:
    """Fetch records what it read before the error, then stops where the file is broken."""
    path = tmp_path / "export.csv"
    path.write_text("processInstanceId,processId\n1,p\n2,p\n,p\n4,p\n")
    got = []
    with pytest.raises(UsageError, match="line 4"):
        for request in read_export(path):
            got.append(request.request_id)
    assert got == ["1", "2"]


def test_a_big_csv_is_streamed(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    row = "{n},abertura_chamado,2026-07-08T16:02:06.652-0400,OPEN,Fulano de Tal,(11) 9{n:08d},{d}\n"
    with path.open("w") as f:
        f.write("processInstanceId,processId,startDate,status,requesterName,telefone,descricao\n")
        for n in range(20_000):
            f.write(row.format(n=n, d="x" * 200))
    assert path.stat().st_size > 5_000_000
    tracemalloc.start()
    try:
        count = sum(1 for _ in read_export(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 20_000
    assert peak < 2_000_000  # a few rows at a time, not the file
