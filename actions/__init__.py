"""CareChat's action server: thin Rasa adapters over ``bot.assistant``."""
