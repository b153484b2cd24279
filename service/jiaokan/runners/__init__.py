"""Runners of the engine's stages (`jiaokan.engine.stages`): `local` on this machine's
cores, `dask` on a Dask distributed cluster. Both run the same stage functions in the
same phases and give the same bytes."""
