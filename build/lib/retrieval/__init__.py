"""djbot core: load -> clean -> chunk -> embed -> index -> search -> answer + cite.

Nothing heavy is imported here; models and stores load on explicit calls.
"""
