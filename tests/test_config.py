"""The config loader: every problem named by its dotted key and line, unknown keys warned."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st

from fluigbot.config import SCHEMA, load
from fluigbot.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    settings = load(tmp_path / "nope.toml")
    assert not settings.exists
    assert settings.whatsapp.provider == "outbox"  # a config without a provider sends nothing
    assert settings.send.quiet_hours is True
    assert settings.fluig.fields.phone == ("telefone",)


def test_design_example_loads(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[fluig]
base_url = "https://empresa.fluig.com/"
source = "api"
process_ids = ["abertura_chamado"]
[fluig.fields]
phone = ["telefone", "celular"]
name = "nome_solicitante"
consent = "aceite"
[fluig.writeback]
mode = "form_field"
field = "whatsapp_contato"
[whatsapp]
provider = "cloud"
phone_number_id = "123456789"
[message]
template = "primeiro_contato"
parameters = ["nome", "numero"]
[send]
rate_per_second = 20
concurrency = 8
[send.window]
days = ["mon", "tue"]
start = "10:00"
[process.ti_chamado.fields]
phone = "celular_contato"
[process.ti_chamado.message]
template = "primeiro_contato_ti"
""",
    )
    s = load(path)
    assert s.fluig.base_url == "https://empresa.fluig.com"
    assert s.fluig.fields.phone == ("telefone", "celular")
    assert s.fluig.writeback.mode == "form_field"
    assert s.whatsapp.effective_base_url == "https://graph.facebook.com"
    assert s.message.parameters == ("nome", "numero")
    assert s.send.window["days"] == ["mon", "tue"]
    assert s.fields_for("ti_chamado").phone == ("celular_contato",)
    assert s.fields_for("ti_chamado").consent == "aceite"  # the rest comes from fluig.fields
    assert s.message_for("ti_chamado").template == "primeiro_contato_ti"
    assert s.message_for("outro").template == "primeiro_contato"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[fluig]\nbase_url = 3\n", "config.toml:2: fluig.base_url must be a string"),
        ('[fluig]\nbase_url = "ftp://x"\n', "fluig.base_url must be an http(s) URL"),
        ('[fluig]\nsource = "ftp"\n', "fluig.source must be one of api, dataset, file"),
        ('[whatsapp]\nprovider = "telegram"\n', "whatsapp.provider must be one of"),
        ("[send]\nconcurrency = 0\n", "send.concurrency must be between 1 and 256"),
        ('[send]\nconcurrency = "8"\n', "send.concurrency must be a whole number, not a string"),
        ('[send]\nquiet_hours = "no"\n', "send.quiet_hours must be true or false"),
        ("[send]\nrate_per_second = -1\n", "send.rate_per_second must be at least 0"),
        ("fluig = 3\n", "fluig must be a table"),
        ('[message]\nparameter_format = "dict"\n', "message.parameter_format must be one of"),
        ("[fluig.fields]\nphone = [1, 2]\n", "fluig.fields.phone must be a list of strings"),
        ("[process.x.message]\ntemplate = 5\n", "process.x.message.template must be a string"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        load(write(tmp_path, text))
    assert expected in str(err.value)
    assert err.value.exit_code == 2


def test_every_problem_reported_at_once(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load(write(tmp_path, "[send]\nconcurrency = 0\nmax_attempts = 0\n[fluig]\nsource = 1\n"))
    assert len(err.value.problems) == 3
    assert "config.toml:2" in str(err.value) and "config.toml:3" in str(err.value)


def test_unknown_key_warns_with_closest(tmp_path: Path) -> None:
    s = load(write(tmp_path, '[fluig]\nsourc = "api"\n[whatsapp]\nprovder = "cloud"\n'))
    assert any("fluig.sourc" in w and "did you mean fluig.source" in w for w in s.warnings)
    assert any("whatsapp.provder" in w and "whatsapp.provider" in w for w in s.warnings)
    assert s.whatsapp.provider == "outbox"  # the misspelt key did not take effect


@pytest.mark.parametrize(
    "text",
    ['[fluig\nbase_url = "x"', 'base_url = "unterminated', "[a]\nx = 1\n[a]\nx = 2\n"],
)
def test_broken_toml_is_one_clear_error(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError) as err:
        load(write(tmp_path, text))
    assert "is not valid TOML" in str(err.value) and "line" in str(err.value)


def test_half_written_and_binary_files(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b'[fluig]\nbase_url = "https://x\xff\xfe')
    with pytest.raises(ConfigError, match="not UTF-8"):
        load(path)


def test_directory_as_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a directory"):
        load(tmp_path)


# Any well-typed value of any known key loads; any value of the wrong type is named.
_GOOD = {
    "fluig.base_url": st.just("https://fluig.example.com"),
    "fluig.source": st.sampled_from(["api", "dataset", "file"]),
    "whatsapp.provider": st.sampled_from(["cloud", "twilio", "evolution", "outbox"]),
    "send.concurrency": st.integers(1, 256),
    "send.rate_per_second": st.floats(0, 1000),
    "send.quiet_hours": st.booleans(),
    "send.max_attempts": st.integers(1, 100),
    "fluig.fields.phone": st.lists(st.text(min_size=1, max_size=10), max_size=3),
    "message.body": st.text(max_size=50),
}


def _nest(dotted: str, value: object) -> dict[str, object]:
    *tables, leaf = dotted.split(".")
    data: dict[str, object] = {leaf: value}
    for table in reversed(tables):
        data = {table: data}
    return data


@settings(max_examples=60, deadline=None)
@given(key=st.sampled_from(sorted(_GOOD)), data=st.data())
def test_property_good_values_load(
    tmp_path_factory: pytest.TempPathFactory, key: str, data: st.DataObject
) -> None:
    value = data.draw(_GOOD[key])
    path = tmp_path_factory.mktemp("c") / "config.toml"
    path.write_text(tomli_w.dumps(_nest(key, value)), encoding="utf-8")
    load(path)


@settings(max_examples=60, deadline=None)
@given(key=st.sampled_from(sorted(SCHEMA)), value=st.sampled_from([{"t": 1}, [{"a": 1}], 3.5j]))
def test_property_wrong_types_named(
    tmp_path_factory: pytest.TempPathFactory, key: str, value: object
) -> None:
    if isinstance(value, complex):
        value = {"nested": True} if not key.endswith("constraints") else "text"
    path = tmp_path_factory.mktemp("c") / "config.toml"
    path.write_text(tomli_w.dumps(_nest(key, value)), encoding="utf-8")
    if key == "fluig.dataset.constraints" and isinstance(value, list):
        load(path)  # a list of tables is what it wants
        return
    with pytest.raises(ConfigError) as err:
        load(path)
    assert key in str(err.value)
