"""Journey analytics: the paths customers really take through a published journey map, its stage funnel,
drop-off, time in stage and churn by stage (docs/metrics.md, "Journey analytics").

It lives in feedback because it reads interactions (customers) and answers (feedback); journeys, below both,
only links to its panel. `models` (the materialised tables), `compute` (set-based SQL filling them),
`selectors` (funnel, paths, flow, churn by stage), `params` (the query parameters), `tasks` (the beat task),
`views` and `api`.
"""
