from __future__ import annotations

from callboard.catalog.descriptors import Document, DocumentProblem, parse_documents, parse_value


def _docs(text: str) -> list[Document | DocumentProblem]:
    return list(parse_documents(text, "catalog-info.yaml"))


def test_scalars_follow_yaml_1_2_core_schema_like_backstage() -> None:
    (doc,) = _docs("a: on\nb: yes\nc: 2021-01-01\nd: 010\ne: 0x1F\nf: ~\ng: 1.5\nh: True\ni: 0o17\nj: .inf\nk: 1_000\n")
    assert isinstance(doc, Document)
    assert doc.data == {
        "a": "on",
        "b": "yes",
        "c": "2021-01-01",
        "d": 10,
        "e": 31,
        "f": None,
        "g": 1.5,
        "h": True,
        "i": 15,
        "j": float("inf"),
        "k": "1_000",
    }


def test_merge_keys_are_plain_keys_and_unknown_tags_keep_text() -> None:
    (doc,) = _docs("base: &b {x: 1}\nother:\n  <<: *b\nv: !Ref thing\n")
    assert isinstance(doc, Document)
    assert doc.data["other"] == {"<<": {"x": 1}}
    assert doc.data["v"] == "thing"


def test_multi_document_files_skip_empty_documents_and_keep_indexes() -> None:
    docs = _docs("---\nkind: A\n---\n---\n# only a comment\n---\nkind: B\n")
    assert [(d.index, d.data["kind"]) for d in docs if isinstance(d, Document)] == [(0, "A"), (3, "B")]


def test_root_that_is_not_a_mapping_is_reported_like_backstage() -> None:
    (problem,) = _docs("- a\n- b\n")
    assert isinstance(problem, DocumentProblem)
    assert problem.message == "Expected object at root, got object"
    (problem,) = _docs("just text\n")
    assert isinstance(problem, DocumentProblem)
    assert problem.message == "Expected object at root, got string"


def test_duplicate_keys_are_errors_with_their_line() -> None:
    (problem,) = _docs("kind: A\nmetadata:\n  name: x\n  name: y\n")
    assert isinstance(problem, DocumentProblem)
    assert (problem.line, problem.column) == (4, 3)
    assert "'name' appears twice" in problem.message


def test_syntax_error_names_file_line_and_column_and_keeps_earlier_documents() -> None:
    docs = _docs("kind: A\n---\nkind: [B\n")
    assert isinstance(docs[0], Document)
    problem = docs[1]
    assert isinstance(problem, DocumentProblem)
    assert problem.index == 1
    assert problem.message.startswith("YAML error at catalog-info.yaml,")
    assert "line" in problem.message


def test_locate_points_at_the_deepest_existing_node() -> None:
    (doc,) = _docs("kind: A\nspec:\n  owner: team\n  deps:\n    - a\n    - b\n")
    assert isinstance(doc, Document)
    assert doc.locate(("spec", "owner")) == (3, 3)
    assert doc.locate(("spec", "deps", 1)) == (6, 7)
    assert doc.locate(("spec", "missing")) == (2, 1)
    assert doc.locate(()) == (1, 1)


def test_non_string_keys_become_strings_as_in_javascript() -> None:
    (doc,) = _docs("1: a\ntrue: b\nnull: c\n")
    assert isinstance(doc, Document)
    assert doc.data == {"1": "a", "true": "b", "": "c"}


def test_parse_value_reads_a_single_document() -> None:
    assert parse_value("a: [1, 2]\n", "x.yaml") == {"a": [1, 2]}
    assert parse_value("", "x.yaml") is None
