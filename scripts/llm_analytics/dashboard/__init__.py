"""The Streamlit dashboard over the marts (`llm-analytics dashboard`): one module per page, all data
through data.py. See docs/dashboard.md."""
