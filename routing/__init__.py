"""Who answers a question, and when: desk hours, the regional pool and the order of the queue.

Pure functions over plain values: no web, no database. The service passes the current time in.
"""
