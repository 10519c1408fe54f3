"""The knowledge base (第十三、十七条): articles, their files, Chinese retrieval, and the copy in
Redis that every gateway process answers from.

Core modules, importing neither aiohttp nor Redis: `model` (`KbEntry`, `KbFormatError`), `files`
(JSONL, CSV, YAML), `text` (normalisation, segmentation, synonyms), `retriever` (`Retriever`,
`Match`), `intent` (the complaint-narrative rule). Adapters: `store` (versions in Redis), `live`
(polling and reloading), `commands` (`hotline-gateway kb …`).

Nothing is re-exported here on purpose: importing `gateway.kb.text` alone (the segmenter's
start-up, measured by `bench/faq_speed.py`) must not pull in pydantic, numpy or bm25s.
"""

__all__: list[str] = []
