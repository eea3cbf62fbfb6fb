"""The model: a plant's business case for a chunk of draws, one world and one option."""
