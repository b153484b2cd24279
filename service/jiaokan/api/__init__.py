"""jiaokan's HTTP API (FastAPI): `jiaokan.api.app.create_app(settings)` builds the app.

Routes are thin: they validate with the schemas in `schemas`, call the engine
(`jiaokan.correct_text`) or the store (`jiaokan.store.repository`), and let
`errors` turn jiaokan's exceptions into 4xx responses with a JSON ``detail``.
"""
