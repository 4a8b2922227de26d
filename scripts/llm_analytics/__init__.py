"""llm-analytics: generate, load, price and check an LLM product-analytics warehouse built with dbt."""

__version__ = "0.1.0"
