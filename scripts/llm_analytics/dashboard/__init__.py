"""The Streamlit dashboard over the marts (`llm-analytics dashboard`): one module per page, all data
through data.py. See docs/dashboard.md."""

# how `llm-analytics dashboard` tells the app its target (here, so the command need not import pandas)
TARGET_ENV = "LLM_ANALYTICS_DASHBOARD_TARGET"
