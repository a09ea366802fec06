"""The hostile corpus (issue 11): bad input sent through every surface of the app.

- corpus.py builds the inputs in code (no binary fixtures): broken and mislabelled images, bombs,
  poisoned text, absurd dates and numbers, hostile path segments, hostile workbooks.
- surfaces.py is the map of every surface: every form that takes a file or free text, every URL
  with a path parameter, every filter, the four Excel imports, every JSON API write. test_map.py
  fails when a form, a URL pattern, an API operation or an import kind is not in it.
- harness.py sends one input through one surface as the right persona and judges the answer: no
  500, a refusal carries a Chinese message, nothing stored when refused (row counts and files on
  disk), nothing poisoned stored when accepted, memory bounded.
- The test_*.py files walk the corpus over the map; test_aftermath.py then publishes a bulletin
  over what was stored and opens every page.

Each test collects every failure of its surface before it asserts, so one run lists them all."""
