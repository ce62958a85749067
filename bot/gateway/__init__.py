"""The web gateway: the chat page, web sessions and the only route from the browser to Rasa."""
from bot.gateway.app import create_app, main

__all__ = ["create_app", "main"]
