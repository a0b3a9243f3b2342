"""The web adapters: parse a request, call one service method, serialize. No SQL and no business rules here."""
