"""The review store: documents, their proposed edits and the decisions people took.

`models` holds the tables, `database` opens engines and runs the alembic migrations,
`repository` is every read and write the API and the commands use, and `runs` loads
batch results into the store and writes final texts out of it.
"""
