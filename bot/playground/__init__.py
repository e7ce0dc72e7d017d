"""The local chat playground: a real Notifier whose 'chat' is a table and a web page."""
