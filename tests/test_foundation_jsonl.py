import json

import pytest

from afs.errors import InputError
from afs.jsonl import JsonlAppender, read_jsonl, truncate_torn_tail, write_jsonl


def test_bad_line_names_file_and_line(tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_text('{"a": 1}\n\n{"b": \n')
    with pytest.raises(InputError) as info:
        read_jsonl(path)
    assert info.value.line == 3
    assert str(info.value).startswith(f"{path}:3: expected a JSON object per line")


def test_non_object_line_rejected(tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_text('{"a": 1}\n[1, 2]\n')
    with pytest.raises(InputError, match=":2: expected a JSON object per line, got list"):
        read_jsonl(path)


def test_torn_tail_dropped_only_when_asked(tmp_path):
    path = tmp_path / "ckpt.jsonl"
    path.write_text('{"id": 1}\n{"id": 2}\n{"id": ')
    with pytest.warns(UserWarning, match="torn last line"):
        assert read_jsonl(path, skip_torn_tail=True) == [{"id": 1}, {"id": 2}]
    with pytest.raises(InputError):
        read_jsonl(path)


def test_appender_repairs_torn_tail_then_appends(tmp_path):
    path = tmp_path / "ckpt.jsonl"
    path.write_text('{"id": 1}\n{"id": 2')
    with JsonlAppender(path) as out:
        out.append({"id": 3})
    assert read_jsonl(path) == [{"id": 1}, {"id": 3}]
    assert truncate_torn_tail(path) == 0


def test_write_jsonl_is_atomic_and_counts(tmp_path):
    path = tmp_path / "out.jsonl"
    assert write_jsonl(path, ({"i": i} for i in range(3))) == 3
    assert [json.loads(line)["i"] for line in path.read_text().splitlines()] == [0, 1, 2]
    assert not (tmp_path / "out.jsonl.tmp").exists()
