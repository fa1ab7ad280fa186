"""The driver benchmark's table: medians per property, a total, the ratio (no timing is asserted)."""

from bench.contract_driver import ratio_rows, render


def test_rows_take_medians_and_total_them() -> None:
    rows = ratio_rows(
        {"retries": [1.0, 3.0, 2.0], "pagination": [0.5]}, {"retries": [4.0, 4.0, 9.0], "pagination": [1.0]}
    )
    assert rows == [
        ("retries", "2.00", "4.00", "2.00x"),
        ("pagination", "0.50", "1.00", "2.00x"),
        ("total", "2.50", "5.00", "2.00x"),
    ]


def test_the_table_lines_up_under_its_header() -> None:
    text = render([("retries", "2.00", "4.00", "2.00x"), ("total", "2.00", "4.00", "2.00x")])
    lines = text.splitlines()
    assert lines[0].split() == ["property", "python", "s", "driver", "s", "driver/python"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert lines[2].index("2.00") == lines[0].index("python s")
    assert all(line == line.rstrip() for line in lines)
