"""GitHub: repositories, issues (pull requests included) and issue comments, over the REST API v3."""
