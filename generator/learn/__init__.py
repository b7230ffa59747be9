"""Learn from what sold: analytics exports in, per-factor posteriors out, the next batch's factors chosen.

One job per module, pure functions with the I/O at the edges:

- `factors`: a clip's stable id and creative factor levels (written into every clip record);
- `columns`, `exports`: analytics exports (CSV/XLSX/JSON, GBK too, Chinese or English headers) -> rows;
- `clips`: the clips under an output root (their manifests) -> a catalog;
- `match`: rows -> clips, by clip_id or normalised title, never guessed;
- `posteriors`: Beta–Binomial posteriors per factor level, intervals, P(best), verdicts;
- `allocate`: Thompson sampling of the next variants' angle and hook;
- `charts`, `report`: SVG charts, insights.md and a self-contained insights.html;
- `store`, `run`: reading and writing insights files, and the whole `daihuo learn` run.
"""
