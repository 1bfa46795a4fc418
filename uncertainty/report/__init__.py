"""``netua report``: one self-contained HTML page per study (figures embedded, no network).

:func:`uncertainty.report.render.write_report` gathers the folder's content
(:mod:`uncertainty.report.content`) and renders ``templates/report.html.j2`` with Jinja2.
"""
