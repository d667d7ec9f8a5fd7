"""Harvesting allocating agents' OAI-PMH catalogues into the registry (issue 18).

``sources``: the harvest_source rows (what to ask whom; where a run stopped); ``client``: Sickle under a rate
limit, timeout and bounded retries; ``storage``: one ListRecords page into the registry; ``scheduler``:
resumable, incremental runs and the server's background task.
"""
