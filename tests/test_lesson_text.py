"""Every lesson opens and closes the same way, and its questions have answers for instructors only.

Each master's first cell is titled ``# Lesson N · ...`` and says how long the lesson takes, what
it assumes and what hardware it needs (with measured run times); its last cell asks questions,
suggests things to try and ends with further reading. The worked answers are in
``solutions/ANSWERS.md``, one per question, and never in a student's notebook.
"""

from __future__ import annotations

import re

import pytest

from autograder.notebooks import REPO, lessons, read_notebook

MASTERS = lessons()
ANSWERS = REPO / "solutions" / "ANSWERS.md"
VAE_READING = {  # title -> year, as the VAE lessons cite them
    "Auto-Encoding Variational Bayes": "2013",
    "Tutorial on Variational Autoencoders": "2016",
    "An Introduction to Variational Autoencoders": "2019",
    "β-VAE: Learning Basic Visual Concepts with a Constrained Variational Framework": "2017",
    "Neural Discrete Representation Learning": "2017",
    "Denoising Diffusion Probabilistic Models": "2020",
}


def one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def first_and_last(lesson):
    cells = read_notebook(lesson.master).cells
    return cells[0], cells[-1]


def questions(lesson) -> list[str]:
    _, last = first_and_last(lesson)
    block = last.source.split("## Questions", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\d+\. (.+)$", block, re.M)


def answers() -> dict[str, list[str]]:
    """Lesson name -> its numbered answers in ANSWERS.md."""
    sections = re.split(r"^## (\d\d_\w+)\s*$", ANSWERS.read_text(encoding="utf-8"), flags=re.M)
    return {name: re.findall(r"^\d+\. (.+)$", body, re.M) for name, body in zip(sections[1::2], sections[2::2])}


@pytest.mark.parametrize("lesson", MASTERS, ids=lambda l: l.name)
def test_the_title_is_styled_like_every_other_lesson(lesson):
    first, _ = first_and_last(lesson)
    title = first.source.splitlines()[0]
    assert re.fullmatch(rf"# Lesson {int(lesson.number)} · \S.*", title), title


@pytest.mark.parametrize("lesson", MASTERS, ids=lambda l: l.name)
def test_the_lesson_opens_with_time_prerequisites_and_hardware(lesson):
    first, _ = first_and_last(lesson)
    opening = first.source.split("\n\n", 2)[1]  # right under the title
    for field in ("**Time:**", "**Prerequisites:**", "**Hardware:**"):
        assert field in opening, f"{lesson.name} does not open with {field}"
    assert "CPU" in opening or "any laptop" in opening
    assert re.search(r"ran in (about )?\d", opening), "the run time must be a measured figure"
    assert "(2026-" in opening, "a measured run time says when it was measured"


@pytest.mark.parametrize("lesson", MASTERS, ids=lambda l: l.name)
def test_the_lesson_ends_with_questions_things_to_try_and_further_reading(lesson):
    _, last = first_and_last(lesson)
    assert last.cell_type == "markdown"
    headings = re.findall(r"^## (.+)$", last.source, re.M)
    assert headings == ["Questions", "Things to try", "Further reading"]
    assert 2 <= len(questions(lesson)) <= 5
    reading = last.source.split("## Further reading", 1)[1]
    assert len(re.findall(r"^- ", reading, re.M)) >= 3


@pytest.mark.parametrize("lesson", MASTERS, ids=lambda l: l.name)
def test_every_question_has_a_worked_answer_that_students_never_see(lesson):
    worked = answers().get(lesson.name)
    assert worked is not None, f"solutions/ANSWERS.md has no section ## {lesson.name}"
    assert len(worked) == len(questions(lesson)), f"{lesson.name}: {len(questions(lesson))} questions, {len(worked)} answers"
    student = one_line("\n".join(c.source for c in read_notebook(REPO / "lessons" / lesson.master.name).cells))
    for answer in worked:
        assert one_line(answer)[:60] not in student, f"an answer of {lesson.name} is in the student's notebook"


@pytest.mark.parametrize("lesson", [l for l in MASTERS if l.number in ("04", "05", "06")], ids=lambda l: l.name)
def test_the_vae_lessons_cite_the_reading_list_with_correct_titles_and_years(lesson):
    _, last = first_and_last(lesson)
    reading = one_line(last.source.split("## Further reading", 1)[1])
    for title, year in VAE_READING.items():
        entry = re.search(rf"\*{re.escape(title)}\*\]?\(?[^\s)]*\)?,? ([^.;]*?)(\d{{4}})", reading)
        assert entry, f"{lesson.name} does not cite *{title}*"
        assert entry.group(2) == year, f"{lesson.name}: *{title}* is from {year}, not {entry.group(2)}"


@pytest.mark.parametrize("lesson", MASTERS, ids=lambda l: l.name)
def test_no_figure_is_left_to_fill_in(lesson):
    text = "\n".join(c.source for c in read_notebook(lesson.master).cells)
    assert "⟪" not in text and "TODO" not in text
