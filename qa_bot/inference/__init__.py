"""Running the models without torch: ONNX files exported once from local model folders
(:mod:`~qa_bot.inference.export`), sessions that load them lazily (:mod:`~qa_bot.inference.session`),
the thread settings every session starts with (:mod:`~qa_bot.inference.runtime`), and which embedder
and reader a process uses (:mod:`~qa_bot.inference.choice`)."""
