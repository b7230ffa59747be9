"""The job plan and its runners.

- plan.py      the plan, defined once: per variant script → compliance → voice → render:<platform>…
- steps.py     the steps' bodies (typed state and engines in, typed result and files out)
- execute.py   one step against the job store: claim, lease, run, record (what every runner calls)
- store.py     the job state (SQLite beside the outputs); views.py the read-only views of it
- intake.py    reading the sheet and recording a job; finalize.py and report.py its end
- runners.py   the in-process runner (`daihuo make`, the API's embedded mode); workers/ holds the Celery one
"""

from generator.pipeline.runners import run_in_process, run_job
from generator.pipeline.segment import render_segment
from generator.pipeline.steps import MUSIC, BlockedByCompliance, speak, write_scripts

__all__ = ["MUSIC", "BlockedByCompliance", "render_segment", "run_in_process", "run_job", "speak", "write_scripts"]
