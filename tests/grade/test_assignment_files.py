"""The instructor's files and the LMS zip, without grading anything: each mistake named,
each hostile zip entry refused, each rule (late days, scaling, matching) exact."""

from __future__ import annotations

import json
import stat
import zipfile
from datetime import datetime, timezone

import pytest

from labkit.grade import assignment, collect, overrides, roster, written
from labkit.grade.final import Grade, Line


def test_late_days_count_each_started_day_after_grace_and_stop_at_the_cap():
    policy = assignment.LatePolicy(grace_minutes=15, per_day=10, cap=25)
    assert policy.penalty(10 * 60) == (0, 0.0)  # within grace
    assert policy.penalty(16 * 60) == (1, 0.10)  # a minute past grace: one day
    assert policy.penalty(86_400 + 15 * 60 + 1) == (2, 0.20)
    assert policy.penalty(10 * 86_400) == (10, 0.25)  # capped
    assert policy.penalty(-3600) == (0, 0.0)  # early


def test_points_scale_partial_credit_and_keep_unlisted_exercises():
    plan = assignment.parse({"points": {"relu": 4}})
    assert plan.scale("relu", 0.5, 1) == (2.0, 4.0)
    assert plan.scale("other", 0.5, 1) == (0.5, 1)


@pytest.mark.parametrize("raw, words", [
    ({"pionts": {}}, "unknown key(s) pionts"),
    ({"points": {"relu": -1}}, "points.relu = -1"),
    ({"points": {"relu": "two"}}, "give a number"),
    ({"late": {"per_week": 5}}, "late.per_week is not a setting"),
    ({"due": "next friday"}, "is not a time"),
    ({"written": {"q": {"points": 3, "rubric": [["a", 1]]}}}, "add up to 1, not 3"),
])
def test_a_bad_assignment_file_names_the_key_and_the_fix(raw, words):
    with pytest.raises(ValueError) as caught:
        assignment.parse(raw, where="a.toml")
    assert words in str(caught.value) and "a.toml" in str(caught.value)


def test_a_due_date_without_an_offset_is_utc(tmp_path):
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"due": "2026-12-01T12:00:00"}))
    assert assignment.load(path).due == datetime(2026, 12, 1, 12, tzinfo=timezone.utc)


def test_roster_refuses_missing_columns_and_repeated_ids(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("id,name\n1,A\n")
    with pytest.raises(ValueError, match="missing: email"):
        roster.load(path)
    path.write_text("id,name,email\n1,A,a@x\n1,B,b@x\n")
    with pytest.raises(ValueError, match="line 3: id '1' is there twice"):
        roster.load(path)


def test_roster_matches_ids_exactly_then_unique_names_and_reports_the_rest():
    students = {"s1": roster.Student("s1", "Ann Lee", ""), "s2": roster.Student("s2", "Bo", ""),
                "s3": roster.Student("s3", "Bo", "")}
    owners, unmatched, notes = roster.match(
        ["s1", "77", "88", "99"], students, {"77": "ann  LEE", "88": "bo", "99": "Zed"})
    assert owners == {"s1": "s1"}  # "ann LEE" is s1's name, but s1 has her own folder
    assert unmatched == ["77", "88", "99"]  # two Bos: never guessed
    owners, unmatched, notes = roster.match(["77"], {"s1": students["s1"]}, {"77": "Ann Lee"})
    assert owners == {"77": "s1"} and "by the name" in notes[0]


def test_overrides_file_errors_and_excused(tmp_path):
    path = tmp_path / "o.csv"
    path.write_text("student,exercise,points,reason\ns1,relu,excused,ill\ns2,relu,1.5,ok\n")
    found = overrides.load(path)
    assert found[("s1", "relu")].points is None and found[("s2", "relu")].points == 1.5
    path.write_text("student,exercise,points,reason\ns1,relu,lots,x\n")
    with pytest.raises(ValueError, match="line 2: points 'lots'"):
        overrides.load(path)
    with pytest.raises(ValueError, match="no exercise 'rleu'"):
        overrides.check_known({("s1", "rleu"): None}, {"s1"}, {"relu"})


def test_totals_leave_excused_lines_out_and_never_go_below_zero():
    grade = Grade("s1", "A", "", "", "03_mlp", "graded",
                  lines=[Line("a", "passed", 2, 2), Line("b", "excused", 0, 3)])
    grade.penalty = 5
    assert (grade.earned, grade.maximum, grade.total) == (2, 2, 0)


def _zip(path, entries):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name, date_time=(2026, 12, 1, 9, 30, 0))
            info.external_attr = mode << 16
            archive.writestr(info, data)
    return path


def test_collect_reads_moodle_folders_and_refuses_a_lying_size(tmp_path, monkeypatch):
    monkeypatch.setattr(collect, "MAX_FILE", 1000)
    regular = stat.S_IFREG | 0o644
    archive = _zip(tmp_path / "m.zip", [
        ("Ann Lee_4411_assignsubmission_file_/03_mlp.ipynb", b"{}", regular),
        ("Ann Lee_4411_assignsubmission_file_/notes.txt", b"x", regular),
        ("Bo Ng_4412_assignsubmission_file_/my work.ipynb", b"{}", regular),
        ("Cy_4413_assignsubmission_file_/03_mlp.ipynb", b"x" * 5000, regular),
        ("C:/windows.ipynb", b"{}", regular),
    ])
    manifest = collect.collect(archive, tmp_path / "out")
    assert sorted(manifest["students"]) == ["4411", "4412"]
    assert manifest["students"]["4411"]["name"] == "Ann Lee"
    assert manifest["students"]["4411"]["submitted"] == "2026-12-01T09:30:00+00:00"
    assert (tmp_path / "out" / "4411" / "03_mlp.ipynb").read_bytes() == b"{}"
    assert (tmp_path / "out" / "4412" / "my_work.ipynb").is_file()
    reasons = {r["entry"]: r["reason"] for r in manifest["refused"]}
    assert "larger than" in reasons["Cy_4413_assignsubmission_file_/03_mlp.ipynb"]
    assert "Windows" in reasons["C:/windows.ipynb"]
    assert manifest["skipped"] == ["Ann Lee_4411_assignsubmission_file_/notes.txt"]


def test_collect_catches_a_header_that_lies_about_the_size(tmp_path, monkeypatch):
    archive = _zip(tmp_path / "c.zip", [("a_1_2_03_mlp.ipynb", b"y" * 4000,
                                         stat.S_IFREG | 0o644)])
    with zipfile.ZipFile(archive) as opened:
        info = opened.infolist()[0]
    info.file_size = 10  # what a forged header would claim
    monkeypatch.setattr(collect, "MAX_FILE", 1000)
    monkeypatch.setattr(collect, "_refusal", lambda info: None)  # past the header check
    manifest = collect.collect(archive, tmp_path / "out")
    assert manifest["refused"][0]["reason"].endswith("once unpacked")


def test_written_answers_are_read_from_tagged_markdown_only():
    nb = {"cells": [
        {"cell_type": "markdown", "metadata": {"tags": ["answer:q1"]}, "source": ["Be", "cause"]},
        {"cell_type": "code", "metadata": {"tags": ["answer:q2"]}, "source": "x"},
        {"cell_type": "markdown", "metadata": {"tags": 5}, "source": "odd"},
    ]}
    assert written.answers_in(nb) == {"q1": "Because"}


def test_feedback_shows_which_parts_were_earned():
    """A partial-credit exercise's parts reach the student's words (`public`)."""
    import torch

    from labkit.check import Exercise, expect, run_check
    from labkit.grade.judge import public

    class TwoParts(Exercise):
        name, title, points = "two_parts", "Two parts", 2
        parts = (("small inputs", 1), ("large inputs", 1))

        def check(self, double):
            with self.part("small inputs"):
                expect.close(self.call(double, torch.ones(2), during="small"),
                             torch.full((2,), 2.0), name="double(x)")
            with self.part("large inputs"):
                x = torch.full((3,), 1e6)
                expect.close(self.call(double, x, during="large"), 2 * x, name="double(x)")

    result = run_check(TwoParts(), {"double": lambda x: x * 2 if len(x) < 3 else x})
    assert result.points == 1
    words = public(result)
    assert "small inputs: earned" in words and "large inputs: not earned" in words
