from __future__ import annotations

from io import StringIO

from beffroi.core.progress import ProgressBar


class FakeTerminal(StringIO):
    def isatty(self) -> bool:
        return True


def test_it_prints_a_few_milestones_when_not_on_a_terminal() -> None:
    stream = StringIO()
    bar = ProgressBar("Import", stream=stream)
    for done in range(0, 1001):
        bar.update(done, 1000)
    bar.finish()
    lines = stream.getvalue().splitlines()
    assert [line.split("]")[1].split("%")[0].strip() for line in lines] == [
        "25.0",
        "50.0",
        "75.0",
        "100.0",
    ]
    assert "1000/1000" in lines[-1] and "/s)" in lines[-1]


def test_it_redraws_one_line_on_a_terminal() -> None:
    stream = FakeTerminal()
    bar = ProgressBar("Import", stream=stream, interval=0)
    bar.update(1, 4)
    bar.update(4, 4)
    bar.finish()
    output = stream.getvalue()
    assert output.count("\r") == 2 and output.endswith("\n") and output.count("\n") == 1
    assert "[" + "#" * 30 + "] 100.0% 4/4" in output


def test_it_handles_an_empty_total() -> None:
    stream = StringIO()
    bar = ProgressBar("Import", stream=stream)
    bar.update(0, 0)
    assert "100.0%" in stream.getvalue()
