"""App-side measurement: ``make bench`` (``bench``: latency, throughput and memory of the running
stack, against Rasa's starter bot) and ``loadstats`` (percentiles and tables, shared with the
engine's turn profiler). Quality figures through a model live in ``bot.engine.evaluation``.
See docs/evaluation.md.
"""
