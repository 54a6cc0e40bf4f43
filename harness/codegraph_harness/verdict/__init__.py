"""From measurements to a verdict: `bench` runs the matrix of modes x corpora on one
interpreter, `stats` turns paired runs into ratios with confidence intervals, `criteria`
judges them against `criteria.toml` (GO, NO-GO or INCONCLUSIVE, with the numbers),
and `report` writes REPORT.md and report.html with `plots`; `table` prints runs as text;
`selftest` plants regressions and checks that each turns the verdict to NO-GO."""
