"""The CX reports, over the metric engine (feedback.metrics): what the pages, their CSV exports and the weekly
digest show.

- `forms`: the period and filters a page reads, the breakdown's metric and dimension;
- `figures`: the figures read through feedback.metrics.query (KPI tiles, worst touchpoints, topics, campaigns,
  follow-ups, journey stages, dimension labels);
- `tables` and `charts`: how a page lays them out (a table is also its CSV);
- `drill`: the drill-down link, its parameters and the rows behind a figure;
- `views`: the pages, each taking one path: form → role scope (metrics.params.report_scope) → figures →
  table and charts.
"""
