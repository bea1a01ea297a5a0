"""Worked answers in a master's markdown (### BEGIN ANSWER ... ### END ANSWER) never reach a student.

`make lessons` turns each region into a placeholder in lessons/ and writes the regions,
by question, into solutions/ANSWERS.md.
"""

from __future__ import annotations

import pytest

from autograder import assign
from autograder.assign import (ANSWER_PLACEHOLDER, BEGIN_ANSWER, END_ANSWER, rendered_answers, strip_answers,
                               student_version, worked_answers)
from autograder.notebooks import BEGIN, END, REPO, NotebookError, lessons, read_notebook
from autograder.quick_nbformat import nbformat

QUESTIONS = f"""## Questions

1. Why?

   {BEGIN_ANSWER}
   Because the loss
   wants it.

   A second paragraph.
   {END_ANSWER}
2. And then?

   {BEGIN_ANSWER}
   Nothing.
   {END_ANSWER}

## Things to try"""


def notebook(*cells):
    return nbformat.v4.new_notebook(cells=list(cells))


def test_each_answer_becomes_one_placeholder_at_its_indentation():
    assert strip_answers(QUESTIONS) == (
        f"## Questions\n\n1. Why?\n\n   {ANSWER_PLACEHOLDER}\n2. And then?\n\n   {ANSWER_PLACEHOLDER}\n\n"
        "## Things to try")


def test_a_cell_without_answers_is_left_alone():
    assert strip_answers("# Title\n\nText 1. Why?") == "# Title\n\nText 1. Why?"


@pytest.mark.parametrize("source, message", [
    (f"1. Q\n{BEGIN_ANSWER}\nA", "never closed"),
    (f"1. Q\n{BEGIN_ANSWER}\n{BEGIN_ANSWER}\nA\n{END_ANSWER}", "nested"),
    (f"1. Q\nA\n{END_ANSWER}", "without"),
])
def test_broken_regions_are_refused_rather_than_leaked(source, message):
    with pytest.raises(NotebookError, match=message):
        strip_answers(source)


def test_answers_are_read_by_question_number_without_their_indentation():
    nb = notebook(nbformat.v4.new_markdown_cell(QUESTIONS))
    assert worked_answers(nb) == [("1", "Because the loss\nwants it.\n\nA second paragraph."), ("2", "Nothing.")]


def test_an_answer_under_no_question_is_refused():
    nb = notebook(nbformat.v4.new_markdown_cell(f"Intro\n{BEGIN_ANSWER}\nA\n{END_ANSWER}"))
    with pytest.raises(NotebookError, match="no numbered question"):
        worked_answers(nb)


def test_the_student_version_has_placeholders_and_no_answer():
    master = notebook(nbformat.v4.new_markdown_cell(QUESTIONS))
    student = student_version(master).cells[0].source
    assert student.count(ANSWER_PLACEHOLDER) == 2
    for leaked in ("Because the loss", "Nothing.", BEGIN_ANSWER, END_ANSWER):
        assert leaked not in student
    assert BEGIN_ANSWER in master.cells[0].source, "the master itself is not changed"


@pytest.mark.parametrize("cell, message", [
    (nbformat.v4.new_code_cell(f"{BEGIN_ANSWER}\nx = 1\n{END_ANSWER}"), "answer region in a code cell"),
    (nbformat.v4.new_markdown_cell(f"{BEGIN}\nsecret\n{END}"), "solution block in a markdown cell"),
])
def test_a_marker_in_the_wrong_kind_of_cell_is_refused(cell, message):
    with pytest.raises(NotebookError, match=message):
        student_version(notebook(cell))


def test_answers_md_is_generated_from_the_masters():
    assert (REPO / "solutions" / "ANSWERS.md").read_text(encoding="utf-8") == rendered_answers(), \
        "solutions/ANSWERS.md differs from the masters' answers: run `make lessons`"


def test_every_question_of_every_master_has_its_answer_right_under_it():
    for lesson in lessons():
        numbers = [number for number, _ in worked_answers(read_notebook(lesson.master))]
        assert numbers == [str(n) for n in range(1, len(numbers) + 1)], f"{lesson.name}: answers to {numbers}"


def test_check_reports_a_stale_answers_file_and_a_hand_edit_is_refused(tmp_path, monkeypatch, capsys):
    folder, answers = tmp_path / "lessons", tmp_path / "ANSWERS.md"
    folder.mkdir()
    monkeypatch.setattr(assign, "LESSONS", folder)
    monkeypatch.setattr(assign, "ANSWERS", answers)
    assert assign.main([]) == 0
    assert answers.read_text(encoding="utf-8") == rendered_answers()
    answers.write_text(rendered_answers() + "\nA note typed by hand.\n", encoding="utf-8")
    capsys.readouterr()
    assert assign.main(["--check"]) == 1
    assert "ANSWERS.md" in capsys.readouterr().out
    assert assign.main([]) == 1, "a hand-edited ANSWERS.md (not what git holds) is not overwritten"
    assert "A note typed by hand." in answers.read_text(encoding="utf-8")
    assert assign.main(["--force"]) == 0
    assert answers.read_text(encoding="utf-8") == rendered_answers()
    assert "A note typed by hand." in (tmp_path / "ANSWERS.md.bak").read_text(encoding="utf-8")
