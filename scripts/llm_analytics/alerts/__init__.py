"""Alert rules evaluated against the marts: `llm-analytics alerts run | list | history`.

rules.py parses and checks alerts.yml against the metric catalogue, evaluate.py turns a rule and a
window into observations, state.py records them in the warehouse (schema `alerts`) so a firing
alert pages once per cooldown, and notify.py delivers through an outbox that survives failures.
"""
