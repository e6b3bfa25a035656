"""The pull-request side of the action: who asked and may it run (`events`, `authz`),
the progress comment (`comment`), the migration state it carries (`state_sync`,
signed by `signing`), and the flow that ties them to GitHub (`flow`).

`herokufly.action` is the thin entry above this package; nothing here imports it.
"""
