"""Data that schemes adapt without code: guide, questionnaires, categories, fonts, word lists."""
